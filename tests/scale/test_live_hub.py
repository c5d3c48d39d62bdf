"""The process hub behind /ws/live/: one group membership per topic for all sockets,
nothing left behind when sockets go, and fresh snapshots when the layer lost events."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from portal import consumers
from portal.asgi import application

from ..conftest import make_district, staff_of

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]


async def subscribed(topic: str, cookie: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", cookie.encode())],
    )
    connected, _ = await ws.connect()
    assert connected
    await ws.send_json_to({"action": "subscribe", "topic": topic})
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    return ws


async def staff_cookie() -> tuple[str, str]:
    district = await database_sync_to_async(make_district)()
    staff = await database_sync_to_async(staff_of)(district.community_a)
    client = Client()
    await database_sync_to_async(client.force_login)(staff)
    topic = f"verification:{district.community_a.pk}"
    return topic, f"sessionid={client.cookies['sessionid'].value}"


async def test_sockets_share_one_membership_and_leave_nothing_behind():
    topic, cookie = await staff_cookie()
    first = await subscribed(topic, cookie)
    second = await subscribed(topic, cookie)
    hub = consumers.hub()
    assert len(hub.members[topic]) == 2
    channel = hub.channel

    # One event, sent the way services publish, reaches both sockets once.
    await get_channel_layer().group_send(
        "live." + topic.replace(":", "."),
        {"type": "live.event", "topic": topic, "event": {"kind": "test"}},
    )
    for ws in (first, second):
        message = await ws.receive_json_from(timeout=5)
        assert message == {"type": "event", "topic": topic, "event": {"kind": "test"}}
        assert await ws.receive_nothing(timeout=0.2)

    await first.disconnect()
    assert len(hub.members[topic]) == 1
    assert hub.channel == channel
    await second.disconnect()
    assert hub.members == {}
    assert hub.channel is None and hub.tasks == []


async def test_a_gap_in_the_heartbeat_sends_every_socket_a_fresh_snapshot():
    topic, cookie = await staff_cookie()
    ws = await subscribed(topic, cookie)
    hub = consumers.hub()
    # Heartbeats numbered far ahead of the last one seen: messages were lost in between.
    await get_channel_layer().send(hub.channel, {"type": "live.heartbeat", "n": 1000})
    message = await ws.receive_json_from(timeout=5)
    assert message["type"] == "snapshot"
    assert message["topic"] == topic
    await ws.disconnect()
