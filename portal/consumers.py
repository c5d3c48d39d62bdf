"""The one WebSocket endpoint, /ws/live/.

Clients send ``{"action": "subscribe", "topic": "notices:12"}``. The server checks
the topic, answers with a full snapshot, then forwards events. The consumer only
reads: every change goes through a service, which publishes after commit.
"""

from __future__ import annotations

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import live

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 32
MAX_MESSAGE_BYTES = 4096


class LiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.topics: set[str] = set()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for topic in self.topics:
            await self.channel_layer.group_discard(live.group_name(topic), self.channel_name)
        self.topics.clear()

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
        data = await database_sync_to_async(kind.snapshot)(user, key)
        await self._send({"type": "snapshot", "topic": topic, "data": data})

    async def _unsubscribe(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.discard(topic)
            await self.channel_layer.group_discard(live.group_name(topic), self.channel_name)
        await self._send({"type": "unsubscribed", "topic": topic})

    async def live_event(self, message: dict) -> None:
        if message["topic"] in self.topics:
            await self._send(
                {"type": "event", "topic": message["topic"], "event": message["event"]}
            )

    async def _error(self, topic: str | None, code: str) -> None:
        await self._send({"type": "error", "topic": topic, "code": code})

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False, default=str))
