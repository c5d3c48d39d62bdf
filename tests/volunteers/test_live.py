"""Seat counts reach open pages live, after commit."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from portal.asgi import application
from volunteers import services

from ..conftest import make_district
from ..factories import resident
from .conftest import make_activity, make_shift

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]


async def connect() -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/live/", headers=[(b"origin", b"http://localhost")])
    connected, _ = await ws.connect()
    assert connected
    return ws


def setup():
    district = make_district()
    activity = make_activity(district.community_a)
    shift = make_shift(activity, capacity=1)
    people = [resident(district.household(district.community_a, g)) for g in (1, 2)]
    return activity, shift, people


async def test_anyone_gets_the_seat_snapshot_then_events_from_sign_up_and_cancel():
    activity, shift, (first, second) = await database_sync_to_async(setup)()
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": f"activity:{activity.pk}"})
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert snapshot["data"]["shifts"][0]["free"] == 1
    assert snapshot["data"]["shifts"][0]["waitlist"] == 0

    signup = await database_sync_to_async(services.sign_up)(user=first, shift=shift)
    event = (await ws.receive_json_from(timeout=5))["event"]
    assert event["kind"] == "shift"
    assert event["shift"] == {
        **event["shift"],
        "id": shift.pk,
        "free": 0,
        "full": True,
        "waitlist": 0,
    }

    await database_sync_to_async(services.sign_up)(user=second, shift=shift)
    assert (await ws.receive_json_from(timeout=5))["event"]["shift"]["waitlist"] == 1

    await database_sync_to_async(services.cancel_signup)(user=first, signup=signup)
    after = (await ws.receive_json_from(timeout=5))["event"]["shift"]
    # The waiting volunteer took the freed seat.
    assert (after["free"], after["waitlist"], after["full"]) == (0, 0, True)
    await ws.disconnect()


async def test_a_refused_sign_up_publishes_nothing():
    activity, shift, (first, _second) = await database_sync_to_async(setup)()
    await database_sync_to_async(services.sign_up)(user=first, shift=shift)
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": f"activity:{activity.pk}"})
    await ws.receive_json_from(timeout=5)
    with pytest.raises(Exception, match="already signed up"):
        await database_sync_to_async(services.sign_up)(user=first, shift=shift)
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


async def test_unknown_activity_topic_is_refused():
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "topic": "activity:999999"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "forbidden"
    await ws.disconnect()
