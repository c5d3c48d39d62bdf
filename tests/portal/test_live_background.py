"""Live events sent from the background sender thread (production's setting)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from channels.layers import get_channel_layer
from django.test import override_settings

from portal import live

from ..e2e.conftest import cross_process_redis_url


@pytest.fixture
def redis_layer():
    try:
        url = cross_process_redis_url()
    except Exception:
        pytest.skip("needs Redis")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("needs Redis")
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers, LIVE_PUBLISH_IN_BACKGROUND=True):
        yield get_channel_layer()


def _listen(layer, group: str, publish, *, expect: int) -> list[dict]:
    """Join `group` on a loop of our own, run `publish` in this thread, collect messages."""

    async def run() -> list[dict]:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await asyncio.sleep(0.2)  # the subscription reaches Redis
        await asyncio.get_running_loop().run_in_executor(None, publish)
        got = []
        try:
            while len(got) < expect + 1:
                got.append(await asyncio.wait_for(layer.receive(channel), timeout=1.5))
        except TimeoutError:
            pass
        await layer.group_discard(group, channel)
        return got

    return asyncio.run(run())


def test_background_sender_delivers_events_in_order(redis_layer):
    topic = f"notices:bg{time.monotonic_ns()}"

    def publish():
        # What publish() hands over once the transaction commits.
        for i in range(5):
            live._dispatch(topic, {"n": i}, False)

    got = _listen(redis_layer, live.group_name(topic), publish, expect=5)
    assert [m["event"]["n"] for m in got] == [0, 1, 2, 3, 4]


def test_state_events_waiting_together_leave_only_the_newest(redis_layer):
    topic = f"poll:{time.monotonic_ns() % 10**9}"

    # A burst: five tally events queued before the sender wakes up.
    def burst():
        sender = live._publisher()
        with sender._lock:
            for i in range(5):
                sender._latest[topic] = {"ballots": i}
        sender._wake.set()

    got = _listen(redis_layer, live.group_name(topic), burst, expect=1)
    assert [m["event"]["ballots"] for m in got] == [4]
