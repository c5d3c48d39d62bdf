"""Live updates: topics, authorisation, snapshots and publishing.

A topic is ``kind:key`` (``notices:12``). Each kind is registered once with a
function deciding who may subscribe and one building the snapshot a client gets
on every subscribe. Services call :func:`publish` inside their transaction; the
message leaves only after commit, and a failure to deliver it is logged and never
fails the change itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

TOPIC_RE = re.compile(r"^(?P<kind>[a-z][a-z_]{0,30}):(?P<key>[A-Za-z0-9_-]{1,64})$")


class TopicError(ValueError):
    """A topic string that is malformed or of an unknown kind."""


@dataclass(frozen=True)
class TopicKind:
    name: str
    authorize: Callable[[Any, str], bool]
    snapshot: Callable[[Any, str], dict]


_kinds: dict[str, TopicKind] = {}


def register(
    name: str, *, authorize: Callable[[Any, str], bool], snapshot: Callable[[Any, str], dict]
) -> None:
    _kinds[name] = TopicKind(name=name, authorize=authorize, snapshot=snapshot)


def resolve(topic: str) -> tuple[TopicKind, str]:
    match = TOPIC_RE.match(topic or "")
    if not match:
        raise TopicError("malformed topic")
    kind = _kinds.get(match["kind"])
    if kind is None:
        raise TopicError("unknown topic")
    return kind, match["key"]


def group_name(topic: str) -> str:
    # Channel-layer group names allow letters, digits, '-', '_' and '.'.
    return "live." + topic.replace(":", ".")


def publish(topic: str, event: dict, *, latest_only: bool = False) -> None:
    """Send `event` to every subscriber of `topic` once the current transaction commits.

    Outside a transaction it is sent at once. Nothing is sent for a rolled-back change.
    `latest_only` marks an event that carries a topic's whole state (a poll's tally):
    when sending runs in the background and several such events wait for one topic,
    only the newest leaves, which is all a subscriber needs.
    """
    transaction.on_commit(partial(_dispatch, topic, event, latest_only))


def _dispatch(topic: str, event: dict, latest_only: bool) -> None:
    if getattr(settings, "LIVE_PUBLISH_IN_BACKGROUND", False):
        _publisher().put(topic, event, latest_only)
    else:
        _send(topic, event)


def _message(topic: str, event: dict) -> dict:
    return {"type": "live.event", "topic": topic, "event": event}


def _send(topic: str, event: dict) -> None:
    try:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(group_name(topic), _message(topic, event))
    except Exception:
        # The change is committed; subscribers catch up from the snapshot on reconnect.
        logger.exception("Could not publish live event to %s", topic)


class _Publisher:
    """One thread per process with one event loop that sends every live event.

    Sending from the request thread costs a fresh event loop, and with it a fresh Redis
    connection, per event (async_to_sync in a thread without a loop); here the loop and
    the layer's connections live as long as the process, and the request returns without
    waiting for Redis at all.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[tuple[str, dict]] = []
        self._latest: dict[str, dict] = {}
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
        self._thread.start()

    def put(self, topic: str, event: dict, latest_only: bool) -> None:
        with self._lock:
            if latest_only:
                self._latest[topic] = event
            else:
                self._queue.append((topic, event))
        self._wake.set()

    def _take(self) -> list[tuple[str, dict]]:
        with self._lock:
            batch = self._queue + list(self._latest.items())
            self._queue, self._latest = [], {}
            self._wake.clear()
        return batch

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            self._wake.wait()
            for topic, event in self._take():
                try:
                    loop.run_until_complete(
                        get_channel_layer().group_send(group_name(topic), _message(topic, event))
                    )
                except Exception:
                    logger.exception("Could not publish live event to %s", topic)


_publisher_instance: _Publisher | None = None
_publisher_lock = threading.Lock()


def _publisher() -> _Publisher:
    global _publisher_instance
    with _publisher_lock:
        # A forked worker inherits the object but not its thread: start a new one.
        if _publisher_instance is None or not _publisher_instance._thread.is_alive():
            _publisher_instance = _Publisher()
        return _publisher_instance
