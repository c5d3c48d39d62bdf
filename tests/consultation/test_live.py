"""Hall topics over the real WebSocket endpoint: committed posts and seconds arrive."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from consultation import services
from consultation.models import HallPage, Post
from portal.asgi import application

from .builders import build_hall_site

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]

ORIGIN = (b"origin", b"http://localhost")


async def connect(user=None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if user is not None:
        client = Client()
        await database_sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def subscribe(ws, hall) -> dict:
    await ws.send_json_to({"action": "subscribe", "topic": f"hall:{hall.pk}"})
    return await ws.receive_json_from(timeout=5)


async def test_snapshot_has_counts_posts_and_seconds():
    site = await database_sync_to_async(build_hall_site)()

    def prepare():
        p = services.publish_post(user=site.alice, hall=site.hall, body="修", stance="for")
        services.second_post(user=site.bob, post_id=p.pk)
        return p

    p = await database_sync_to_async(prepare)()
    ws = await connect()
    snapshot = await subscribe(ws, site.hall)
    assert snapshot["type"] == "snapshot"
    data = snapshot["data"]
    assert data["counts"]["for"] == 1 and data["counts"]["total"] == 1
    assert data["posts"][0]["id"] == p.pk and data["posts"][0]["seconds"] == 1
    # Ids and counts only: nothing residents wrote travels on the topic.
    assert "修" not in str(snapshot)
    await ws.disconnect()


async def test_new_post_reply_and_second_arrive_after_commit():
    site = await database_sync_to_async(build_hall_site)()
    ws = await connect()
    await subscribe(ws, site.hall)

    top = await database_sync_to_async(services.publish_post)(
        user=site.alice, hall=site.hall, body="先修防水", stance="for"
    )
    event = (await ws.receive_json_from(timeout=5))["event"]
    assert event["kind"] == "post" and event["post"]["id"] == top.pk
    assert event["counts"]["for"] == 1

    reply = await database_sync_to_async(services.publish_post)(
        user=site.bob, hall=site.hall, body="同意", parent=top
    )
    event = (await ws.receive_json_from(timeout=5))["event"]
    assert event["kind"] == "reply" and event["post"]["id"] == reply.pk
    assert event["post"]["parent"] == top.pk

    await database_sync_to_async(services.second_post)(user=site.carol, post_id=top.pk)
    event = (await ws.receive_json_from(timeout=5))["event"]
    assert event == {"kind": "seconds", "id": top.pk, "seconds": 1}

    await database_sync_to_async(services.hide_post)(
        actor=site.staff, post_id=top.pk, reason="测试"
    )
    event = (await ws.receive_json_from(timeout=5))["event"]
    assert event["kind"] == "changed" and event["post"]["hidden"] is True
    assert event["counts"]["for"] == 0
    await ws.disconnect()


async def test_refused_and_rolled_back_posts_publish_nothing():
    site = await database_sync_to_async(build_hall_site)()
    ws = await connect()
    await subscribe(ws, site.hall)

    def refused():
        with pytest.raises(Exception):  # noqa: B017
            services.publish_post(user=site.outsider, hall=site.hall, body="x", stance="for")

    def rolled_back():
        with transaction.atomic():
            services.publish_post(user=site.alice, hall=site.hall, body="x", stance="for")
            raise RuntimeError("abort")

    await database_sync_to_async(refused)()
    with pytest.raises(RuntimeError):
        await database_sync_to_async(rolled_back)()
    assert await ws.receive_nothing(timeout=0.5)
    assert not await database_sync_to_async(Post.objects.exists)()
    await ws.disconnect()


async def test_held_post_is_not_announced():
    site = await database_sync_to_async(build_hall_site)()
    from consultation.models import BlockedWord

    await database_sync_to_async(BlockedWord.objects.create)(word="广告")
    ws = await connect()
    await subscribe(ws, site.hall)
    await database_sync_to_async(services.publish_post)(
        user=site.alice, hall=site.hall, body="广告", stance="for"
    )
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


async def test_residents_only_hall_refuses_outsiders_and_admits_residents():
    site = await database_sync_to_async(build_hall_site)()
    await database_sync_to_async(HallPage.objects.filter(pk=site.hall.pk).update)(
        residents_only=True
    )
    for user in (None, site.outsider):
        ws = await connect(user)
        assert (await subscribe(ws, site.hall))["code"] == "forbidden"
        await ws.disconnect()
    ws = await connect(site.bob)
    assert (await subscribe(ws, site.hall))["type"] == "snapshot"
    await ws.disconnect()


async def test_unknown_hall_is_refused():
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": "hall:999999"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "forbidden"
    await ws.disconnect()
