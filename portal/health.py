"""`/healthz`: is this app server able to do its work right now?

Load balancers and the process supervisor poll it, so it answers quickly, never from a
cache, and without a login. It checks the two things every request or live update
depends on: the database (a `SELECT 1`) and the channel layer (a Redis PING for the
Redis layers, a real send/receive for the in-memory one). 200 when both answer, 503
otherwise; the body says which part failed.

It also holds the cache backend production uses, which treats an unreachable Redis as
an empty cache: pages and votes keep working (a little slower) through a Redis
outage, while `/healthz` reports it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Short enough that a load balancer's own timeout (usually 2-5 s) sees our 503 first.
TIMEOUT_SECONDS = 1.0


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("Health check: database unreachable", exc_info=True)
        return False


def _redis_urls(config: dict) -> list[str]:
    urls = []
    for host in config.get("CONFIG", {}).get("hosts", []):
        if isinstance(host, str):
            urls.append(host)
        elif isinstance(host, dict) and isinstance(host.get("address"), str):
            urls.append(host["address"])
    return urls


async def _round_trip(layer) -> bool:
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    message = await asyncio.wait_for(layer.receive(channel), TIMEOUT_SECONDS)
    return message.get("type") == "health.ping"


def check_channel_layer() -> bool:
    config = settings.CHANNEL_LAYERS.get("default", {})
    urls = _redis_urls(config)
    try:
        if urls:
            # Each Redis host the layer publishes through must answer; one that does
            # not loses live updates for the sockets subscribed through it.
            for url in urls:
                client = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=TIMEOUT_SECONDS,
                    socket_timeout=TIMEOUT_SECONDS,
                )
                try:
                    if not client.ping():
                        return False
                finally:
                    client.close()
            return True
        layer = get_channel_layer()
        return layer is not None and async_to_sync(_round_trip)(layer)
    except Exception:
        logger.warning("Health check: channel layer unreachable", exc_info=True)
        return False


_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Log an outage once every so often, not once per request.
_LOG_EVERY_SECONDS = 10.0
_last_logged = 0.0


def _cache_unavailable(operation: str) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("Cache unreachable, serving without it", extra={"operation": operation})


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache, except that Redis being unreachable reads as a miss and
    writes are dropped. Everything the portal caches can be rebuilt from PostgreSQL
    (Wagtail's site roots, rate-limit counters), so an outage costs speed, not requests.
    Give it short socket timeouts in OPTIONS so a hung Redis fails as fast as a
    stopped one."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _REDIS_DOWN:
            _cache_unavailable("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except _REDIS_DOWN:
            _cache_unavailable("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except _REDIS_DOWN:
            _cache_unavailable("has_key")
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except _REDIS_DOWN:
            _cache_unavailable("add")
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except _REDIS_DOWN:
            _cache_unavailable("set")

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except _REDIS_DOWN:
            _cache_unavailable("set_many")
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except _REDIS_DOWN:
            _cache_unavailable("touch")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except _REDIS_DOWN:
            _cache_unavailable("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except _REDIS_DOWN:
            _cache_unavailable("delete_many")

    def clear(self):
        try:
            return super().clear()
        except _REDIS_DOWN:
            _cache_unavailable("clear")
            return False


@require_GET
@never_cache
def healthz(request):
    started = time.monotonic()
    checks = {
        "database": "ok" if check_database() else "error",
        "channel_layer": "ok" if check_channel_layer() else "error",
    }
    healthy = all(value == "ok" for value in checks.values())
    if not healthy:
        logger.error(
            "Health check failed",
            extra={"checks": checks, "duration_ms": round((time.monotonic() - started) * 1000)},
        )
    return JsonResponse(checks, status=200 if healthy else 503)
