"""The live path: committed changes reach subscribers; nothing else does."""

from __future__ import annotations

import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client, override_settings

from cms.models import NoticePage
from portal import services
from portal.asgi import application
from portal.models import ResidentStatus

from ..conftest import make_district, staff_of
from ..factories import resident
from ..helpers import build_site, publish_notice

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]

ORIGIN = (b"origin", b"http://localhost")


async def connect(user=None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [origin] if origin else []
    if user is not None:
        client = Client()
        await database_sync_to_async(client.force_login)(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_subscriber_gets_snapshot_then_a_committed_notice():
    district, index = await database_sync_to_async(build_site)()
    await database_sync_to_async(publish_notice)(index, "旧通知")
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": f"notices:{district.community_a.pk}"})
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert [n["title"] for n in snapshot["data"]["notices"]] == ["旧通知"]

    await database_sync_to_async(publish_notice)(index, "停水通知")
    message = await ws.receive_json_from(timeout=5)
    assert message["type"] == "event"
    assert message["event"]["kind"] == "published"
    assert message["event"]["notice"]["title"] == "停水通知"
    assert message["event"]["notice"]["url"].endswith("/notices/n1/")
    await ws.disconnect()


async def test_rolled_back_change_publishes_nothing():
    district, index = await database_sync_to_async(build_site)()
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": f"notices:{district.community_a.pk}"})
    await ws.receive_json_from(timeout=5)

    def publish_then_fail():
        with transaction.atomic():
            publish_notice(index, "不该出现")
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(publish_then_fail)()
    assert await ws.receive_nothing(timeout=0.5)
    assert not await database_sync_to_async(NoticePage.objects.exists)()
    await ws.disconnect()


async def test_forbidden_topic_is_refused_and_receives_nothing():
    district = await database_sync_to_async(make_district)()
    home = await database_sync_to_async(district.household)(district.community_a)
    user = await database_sync_to_async(resident)(home)
    ws = await connect(user)
    topic = f"verification:{district.community_a.pk}"
    await ws.send_json_to({"action": "subscribe", "topic": topic})
    assert await ws.receive_json_from(timeout=5) == {
        "type": "error",
        "topic": topic,
        "code": "forbidden",
    }
    # A resident joining later is not announced to someone who was refused.
    other_home = await database_sync_to_async(district.household)(district.community_a, 1, "102")
    await database_sync_to_async(resident)(other_home, ResidentStatus.PENDING)
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_staff_follow_their_verification_queue_live():
    district = await database_sync_to_async(make_district)()
    staff = await database_sync_to_async(staff_of)(district.community_a)
    ws = await connect(staff)
    topic = f"verification:{district.community_a.pk}"
    await ws.send_json_to({"action": "subscribe", "topic": topic})
    assert (await ws.receive_json_from(timeout=5))["data"] == {"pending": 0}

    def newcomer_chooses_home():
        from ..factories import UserFactory

        services.choose_household(
            user=UserFactory(),
            household=district.household(district.community_a),
            community=district.community_a,
        )

    await database_sync_to_async(newcomer_chooses_home)()
    event = await ws.receive_json_from(timeout=5)
    assert event["type"] == "event"
    assert event["event"]["pending"] == 1
    await ws.disconnect()


async def test_resident_sees_own_status_but_not_someone_elses():
    district = await database_sync_to_async(make_district)()
    home = await database_sync_to_async(district.household)(district.community_a)
    user = await database_sync_to_async(resident)(home, ResidentStatus.PENDING)
    other = await database_sync_to_async(resident)(
        await database_sync_to_async(district.household)(district.community_a, 1, "102")
    )
    ws = await connect(user)
    await ws.send_json_to({"action": "subscribe", "topic": f"account:{other.pk}"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "forbidden"
    await ws.send_json_to({"action": "subscribe", "topic": f"account:{user.pk}"})
    assert (await ws.receive_json_from(timeout=5))["data"]["status"] == "pending"

    staff = await database_sync_to_async(staff_of)(district.community_a)
    profile_id = await database_sync_to_async(lambda: user.resident_profile.pk)()
    await database_sync_to_async(services.verify_resident)(actor=staff, profile_id=profile_id)
    event = await ws.receive_json_from(timeout=5)
    assert event["event"]["status"] == "verified"
    await ws.disconnect()


async def test_anonymous_visitor_cannot_follow_an_account():
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": "account:1"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "forbidden"
    await ws.disconnect()


async def test_malformed_and_unknown_topics_get_clear_errors():
    ws = await connect()
    await ws.send_to(text_data="not json")
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_request"
    await ws.send_json_to({"action": "subscribe", "topic": "nonsense:1"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "unknown_topic"
    await ws.send_json_to({"action": "subscribe", "topic": "notices:../../etc"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "unknown_topic"
    await ws.send_json_to({"action": "dance", "topic": "notices:1"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_request"
    await ws.disconnect()


async def test_websocket_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/live/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_websocket_without_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/live/")
    connected, _ = await communicator.connect()
    assert not connected


@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Nothing listens on port 1: every publish fails.
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
)
async def test_publish_failure_is_logged_and_the_change_still_commits(caplog):
    district = await database_sync_to_async(make_district)()
    staff = await database_sync_to_async(staff_of)(district.community_a)
    home = await database_sync_to_async(district.household)(district.community_a)
    user = await database_sync_to_async(resident)(home, ResidentStatus.PENDING)
    profile_id = await database_sync_to_async(lambda: user.resident_profile.pk)()
    with caplog.at_level(logging.ERROR, logger="portal.live"):
        await database_sync_to_async(services.verify_resident)(actor=staff, profile_id=profile_id)
    status = await database_sync_to_async(
        lambda: type(user.resident_profile).objects.get(pk=profile_id).status
    )()
    assert status == ResidentStatus.VERIFIED
    assert any("Could not publish" in r.message for r in caplog.records)
