"""The one WebSocket endpoint, /ws/live/.

Clients send ``{"action": "subscribe", "topic": "notices:12"}``. The server checks
the topic, answers with a full snapshot, then forwards events. The consumer only
reads: every change goes through a service, which publishes after commit.
"""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from . import live

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 32
MAX_MESSAGE_BYTES = 4096
HEARTBEAT_SECONDS = 2.0


class LayerWatch:
    """Notices, for one server process, when the channel layer may have lost events.

    Redis Pub/Sub delivers at most once: while a connection to Redis is down (Redis
    restarted, or it dropped a subscriber that fell behind) events vanish, and the
    layer later resubscribes without telling anyone. So every few seconds the process
    sends itself a numbered heartbeat through the layer; a gap in the numbers means
    messages were lost, and every socket of the process gets a fresh snapshot of its
    topics, just as after a reconnect. Nothing is sent while no socket subscribes.
    """

    def __init__(self, layer) -> None:
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.consumers: set[LiveConsumer] = set()
        self.task: asyncio.Task | None = None

    def watch(self, consumer: LiveConsumer) -> None:
        self.consumers.add(consumer)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())

    def forget(self, consumer: LiveConsumer) -> None:
        self.consumers.discard(consumer)
        if not self.consumers and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        try:
            channel = await self.layer.new_channel("live-watch.")
        except Exception:
            # Redis is down; the next subscribe starts the watch again.
            logger.warning("Live layer unreachable; events are not watched for loss")
            return
        received = asyncio.ensure_future(self._receive(channel))
        sent, failing = 0, False
        try:
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
        finally:
            received.cancel()

    async def _receive(self, channel: str) -> None:
        last = 0
        while True:
            n = (await self.layer.receive(channel))["n"]
            lost, last = n - last - 1, n
            if lost > 0:
                logger.warning("Live layer lost messages; sending fresh snapshots")
                for consumer in list(self.consumers):
                    try:
                        await consumer.refresh()
                    except Exception:
                        logger.info("Could not refresh a live socket", exc_info=True)


_watch: LayerWatch | None = None


def layer_watch(layer) -> LayerWatch:
    global _watch
    if _watch is None or _watch.loop is not asyncio.get_running_loop() or _watch.layer is not layer:
        _watch = LayerWatch(layer)
    return _watch


class LiveConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.topics: set[str] = set()

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ends (a send to a client that has gone, a crash, the
            # server stopping), it leaves its groups: a member left behind would keep the
            # process subscribed to the topic in Redis for good.
            await self._leave_all()

    async def dispatch(self, message: dict) -> None:
        # Channels hops to the database thread before every handler to close stale
        # connections. Forwarding an event touches no database, and with thousands of
        # subscribers that hop per socket per event becomes the whole cost of a fan-out
        # (one thread serves them all). Everything else keeps the hop; the database
        # work itself runs in database_sync_to_async, which closes connections anyway.
        if message.get("type") == "live.event":
            await self.live_event(message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self._leave_all()

    async def _leave_all(self) -> None:
        topics, self.topics = self.topics, set()
        if topics:
            layer_watch(self.channel_layer).forget(self)
        for topic in topics:
            try:
                await self.channel_layer.group_discard(live.group_name(topic), self.channel_name)
            except Exception:
                # Redis unreachable: the layer drops its subscriptions with the connection.
                logger.warning("Could not leave live group %s", topic, exc_info=True)

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
        # as well (at worst twice), never not at all.
        await self.channel_layer.group_add(live.group_name(topic), self.channel_name)
        self.topics.add(topic)
        layer_watch(self.channel_layer).watch(self)
        data = await database_sync_to_async(kind.snapshot)(user, key)
        await self._send({"type": "snapshot", "topic": topic, "data": data})

    async def refresh(self) -> None:
        """A fresh snapshot of every topic, after events may have been lost."""
        user = self.scope.get("user")
        for topic in list(self.topics):
            kind, key = live.resolve(topic)
            data = await database_sync_to_async(kind.snapshot)(user, key)
            if topic in self.topics:
                await self._send({"type": "snapshot", "topic": topic, "data": data})

    async def _unsubscribe(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.discard(topic)
            await self.channel_layer.group_discard(live.group_name(topic), self.channel_name)
            if not self.topics:
                layer_watch(self.channel_layer).forget(self)
        await self._send({"type": "unsubscribed", "topic": topic})

    async def live_event(self, message: dict) -> None:
        if message["topic"] not in self.topics:
            return
        try:
            await self._send(
                {"type": "event", "topic": message["topic"], "event": message["event"]}
            )
        except (OSError, RuntimeError):
            # The client went away while events were queued for it: servers raise an
            # OSError (uvicorn: RuntimeError once it has seen the close). Nothing to
            # deliver to any more; leaving the groups happens on the way out.
            raise StopConsumer() from None

    async def _error(self, topic: str | None, code: str) -> None:
        await self._send({"type": "error", "topic": topic, "code": code})

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False, default=str))
