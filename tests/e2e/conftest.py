"""Browser tests drive Debian's Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil

import pytest
import redis

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    # CI installs everything the browser tests need; there a missing part is a failure.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


def cross_process_redis_url() -> str:
    """The browser talks to a server in another process; live events need Redis to cross."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        _unavailable(f"Redis not reachable at {url}: the live browser test needs it")
    return url
