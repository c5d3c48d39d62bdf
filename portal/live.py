"""Live updates: topics, authorisation, snapshots and publishing.

A topic is ``kind:key`` (``notices:12``). Each kind is registered once with a
function deciding who may subscribe and one building the snapshot a client gets
on every subscribe. Services call :func:`publish` inside their transaction; the
message leaves only after commit, and a failure to deliver it is logged and never
fails the change itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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


def publish(topic: str, event: dict) -> None:
    """Send `event` to every subscriber of `topic` once the current transaction commits.

    Outside a transaction it is sent at once. Nothing is sent for a rolled-back change.
    """
    transaction.on_commit(partial(_send, topic, event))


def _send(topic: str, event: dict) -> None:
    try:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(
            group_name(topic), {"type": "live.event", "topic": topic, "event": event}
        )
    except Exception:
        # The change is committed; subscribers catch up from the snapshot on reconnect.
        logger.exception("Could not publish live event to %s", topic)
