"""The one WebSocket endpoint, /ws/live/.

Clients send ``{"action": "subscribe", "topic": "notices:12"}``. The server checks
the topic, answers with a full snapshot, then forwards events. The consumer only
reads: every change goes through a service, which publishes after commit.

Sockets do not join channel-layer groups one by one. Each server process has one
:class:`Hub`, which joins a topic's group once, for all its sockets, and hands each
event to them already encoded. A poll followed by thousands of people then costs
Redis one subscription per process, and the process one decode and one JSON
encoding per event instead of one per socket.
"""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from . import live

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 32
MAX_MESSAGE_BYTES = 4096
HEARTBEAT_SECONDS = 2.0
# Messages waiting for one slow socket before it is skipped ahead to a fresh snapshot.
MAX_BACKLOG = 200
REFRESH = object()  # in a socket's outbox: send fresh snapshots of all its topics


def _encode(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, default=str)


class Hub:
    """A server process's live subscriptions: topic → the sockets following it here.

    It also watches the layer for lost messages. Redis Pub/Sub delivers at most once:
    while a connection to Redis is down (Redis restarted, or it dropped a subscriber
    that fell behind) events vanish, and the layer later resubscribes without telling
    anyone. So every few seconds the hub sends itself a numbered heartbeat through the
    layer; a gap in the numbers means messages were lost, and every socket gets fresh
    snapshots of its topics, just as after a reconnect. Idle while nobody subscribes.
    """

    def __init__(self, layer) -> None:
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.members: dict[str, set[LiveConsumer]] = {}
        self.channel: str | None = None
        self.tasks: list[asyncio.Task] = []
        self.lock = asyncio.Lock()

    async def join(self, topic: str, consumer: LiveConsumer) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("live-hub.")
                self.tasks = [
                    self.loop.create_task(self._receive(self.channel)),
                    self.loop.create_task(self._heartbeat(self.channel)),
                ]
            if topic not in self.members:
                await self.layer.group_add(live.group_name(topic), self.channel)
                self.members[topic] = set()
            self.members[topic].add(consumer)

    async def leave(self, topic: str, consumer: LiveConsumer) -> None:
        async with self.lock:
            members = self.members.get(topic)
            if members is None or consumer not in members:
                return
            members.discard(consumer)
            if members:
                return
            del self.members[topic]
            try:
                await self.layer.group_discard(live.group_name(topic), self.channel)
            except Exception:
                # Redis unreachable: the layer drops its subscriptions with the connection.
                logger.warning("Could not leave live group %s", topic, exc_info=True)
            if not self.members:
                # Cancelling the receiver also unsubscribes the hub's own channel.
                for task in self.tasks:
                    task.cancel()
                self.tasks, self.channel = [], None

    async def _receive(self, channel: str) -> None:
        last = 0
        while True:
            message = await self.layer.receive(channel)
            if message.get("type") == "live.heartbeat":
                lost, last = message["n"] - last - 1, message["n"]
                if lost > 0:
                    logger.warning("Live layer lost messages; sending fresh snapshots")
                    for consumer in {c for members in self.members.values() for c in members}:
                        consumer.push(None, REFRESH)
            elif message.get("type") == "live.event":
                topic = message["topic"]
                members = self.members.get(topic)
                if members:
                    text = _encode({"type": "event", "topic": topic, "event": message["event"]})
                    for consumer in list(members):
                        consumer.push(topic, text)

    async def _heartbeat(self, channel: str) -> None:
        sent, failing = 0, False
        while True:
            sent += 1
            try:
                await self.layer.send(channel, {"type": "live.heartbeat", "n": sent})
                failing = False
            except Exception:
                if not failing:
                    logger.warning("Live layer unreachable; snapshots follow its return")
                failing = True
            await asyncio.sleep(HEARTBEAT_SECONDS)


_hub: Hub | None = None


def hub() -> Hub:
    global _hub
    layer = get_channel_layer()
    if _hub is None or _hub.loop is not asyncio.get_running_loop() or _hub.layer is not layer:
        _hub = Hub(layer)
    return _hub


class LiveConsumer(AsyncWebsocketConsumer):
    # No channel of its own: events come through the process's hub.
    channel_layer_alias = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.topics: set[str] = set()
        # Events for a topic whose snapshot is not out yet wait here, so that a client
        # never sees an event before the snapshot it applies to.
        self.joining: dict[str, list[str]] = {}
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.writer: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ends (the client vanished, a crash, the server
            # stopping), it leaves the hub: a member left behind would keep the process
            # subscribed to the topic in Redis for good.
            await self._leave_all()

    async def connect(self) -> None:
        await self.accept()
        self.writer = asyncio.get_running_loop().create_task(self._write())

    async def disconnect(self, code: int) -> None:
        await self._leave_all()

    async def _leave_all(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        topics, self.topics = self.topics, set()
        for topic in topics:
            await hub().leave(topic, self)

    def push(self, topic: str | None, item) -> None:
        """Queue an encoded event (or REFRESH) for this socket; never waits."""
        if topic in self.joining:
            self.joining[topic].append(item)
        elif self.outbox.qsize() >= MAX_BACKLOG:
            # A socket this far behind gets a snapshot instead of the events it missed.
            while not self.outbox.empty():
                self.outbox.get_nowait()
            self.outbox.put_nowait(REFRESH)
        else:
            self.outbox.put_nowait(item)

    async def _write(self) -> None:
        # One writer per socket: a slow client holds up only itself, and its messages
        # keep their order.
        try:
            while True:
                item = await self.outbox.get()
                if item is REFRESH:
                    await self.refresh()
                else:
                    await self.send(text_data=item)
        except (OSError, RuntimeError):
            # The client has gone (servers raise OSError; uvicorn a RuntimeError once
            # it has seen the close). The disconnect that follows cleans up.
            pass

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self._error(None, "bad_request")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error(None, "bad_request")
            return
        if not isinstance(message, dict):
            await self._error(None, "bad_request")
            return
        action, topic = message.get("action"), message.get("topic")
        if not isinstance(topic, str):
            await self._error(None, "bad_request")
        elif action == "subscribe":
            await self._subscribe(topic)
        elif action == "unsubscribe":
            await self._unsubscribe(topic)
        else:
            await self._error(topic, "bad_request")

    async def _subscribe(self, topic: str) -> None:
        try:
            kind, key = live.resolve(topic)
        except live.TopicError:
            await self._error(topic, "unknown_topic")
            return
        if topic not in self.topics and len(self.topics) >= MAX_SUBSCRIPTIONS:
            await self._error(topic, "too_many_topics")
            return
        user = self.scope.get("user")
        if not await database_sync_to_async(kind.authorize)(user, key):
            await self._error(topic, "forbidden")
            return
        # Join first, then read the snapshot: an event committed in between arrives
        # as well (at worst twice, and after the snapshot), never not at all.
        self.joining.setdefault(topic, [])
        try:
            await hub().join(topic, self)
            self.topics.add(topic)
            data = await database_sync_to_async(kind.snapshot)(user, key)
            self.outbox.put_nowait(_encode({"type": "snapshot", "topic": topic, "data": data}))
        finally:
            for item in self.joining.pop(topic, []):
                self.push(topic, item)

    async def refresh(self) -> None:
        """Fresh snapshots of every topic, after events may have been lost."""
        user = self.scope.get("user")
        for topic in list(self.topics):
            kind, key = live.resolve(topic)
            try:
                data = await database_sync_to_async(kind.snapshot)(user, key)
            except Exception:
                # The topic may have gone (a deleted poll); the others still refresh.
                logger.warning("Could not refresh live topic %s", topic, exc_info=True)
                continue
            if topic in self.topics:
                await self.send(
                    text_data=_encode({"type": "snapshot", "topic": topic, "data": data})
                )

    async def _unsubscribe(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.discard(topic)
            await hub().leave(topic, self)
        self.outbox.put_nowait(_encode({"type": "unsubscribed", "topic": topic}))

    async def _error(self, topic: str | None, code: str) -> None:
        self.outbox.put_nowait(_encode({"type": "error", "topic": topic, "code": code}))
