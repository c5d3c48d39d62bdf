"""/healthz tells a load balancer whether this app server can reach what it needs."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

# Nothing listens on port 1, so every connection to it is refused at once.
CLOSED_REDIS = "redis://127.0.0.1:1/0"


def test_healthy_when_database_and_channel_layer_answer():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}
    # Never served from a cache: a stale "ok" would hide an outage.
    assert "no-cache" in response["Cache-Control"]


def test_needs_no_login_and_sets_no_session():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [CLOSED_REDIS]},
        }
    }
)
def test_unreachable_channel_layer_is_a_503_naming_it():
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "error"}


@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": CLOSED_REDIS}]},
        }
    }
)
def test_unreachable_redis_given_as_address_is_also_caught():
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["channel_layer"] == "error"


def test_unreachable_database_is_a_503_naming_it(monkeypatch):
    from django.db import OperationalError

    from portal import health

    def refuse():
        raise OperationalError("connection refused")

    class BrokenCursor:
        def __enter__(self):
            refuse()

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: BrokenCursor())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "error", "channel_layer": "ok"}


def test_only_get_is_answered():
    assert Client().post("/healthz").status_code == 405


def test_cache_treats_an_unreachable_redis_as_empty():
    from portal.health import FailSoftRedisCache

    cache = FailSoftRedisCache(CLOSED_REDIS, {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert cache.get("site-roots", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    cache.set("a", 1)  # dropped without an error
    assert cache.add("a", 1) is False
    assert cache.has_key("a") is False
    assert cache.delete("a") is False


@pytest.mark.skipif(
    not __import__("os").environ.get("REDIS_URL"), reason="needs a Redis (REDIS_URL)"
)
def test_cache_still_works_when_redis_answers():
    import os
    import uuid

    from portal.health import FailSoftRedisCache

    cache = FailSoftRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": uuid.uuid4().hex})
    cache.set("k", {"v": 1}, 30)
    assert cache.get("k") == {"v": 1}
    cache.delete("k")
    assert cache.get("k") is None
