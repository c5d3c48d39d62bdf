"""A real daphne server process for browser tests, and the Playwright browser to drive it.

The server is a fresh interpreter (not a fork of the test process), so it starts in the
same clean state as in production; it opens the test database, and live events reach
it from the test process through Redis.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection, connections
from django.test import TransactionTestCase, override_settings
from playwright.sync_api import sync_playwright

from .conftest import CHROMIUM_ARGS, cross_process_redis_url, require_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


def off_the_loop(fn, /, *args, **kwargs):
    """Run a service call in a thread of its own, as a request or admin action would:
    Playwright's event loop owns the test's thread, and publishing is synchronous. The
    thread's database connection is closed before it ends, so none is left open for the
    test database's teardown."""

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


class DaphneServer:
    def __init__(self, *, redis_url: str | None, extra_env: dict[str, str] | None = None) -> None:
        self.redis_url = redis_url
        self.extra_env = extra_env or {}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        # No cache in the server: each test rebuilds the data behind the same URLs, and
        # anything the server remembered from the previous test (Wagtail's site roots,
        # image renditions) would be stale.
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings.test",
            DATABASE_URL=_database_url(),
            TEST_CACHE="dummy",
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        else:
            env.pop("REDIS_URL", None)
        env.update(self.extra_env)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "portal.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.output()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"daphne did not start within 60 s:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


class BrowserTestCase(TransactionTestCase):
    """Chromium + a daphne process on the test database; data is committed per test."""

    serialized_rollback = True
    needs_live_events = False
    _serialized = None

    @classmethod
    def setUpClass(cls):
        executable = require_chromium()
        redis_url = cross_process_redis_url() if cls.needs_live_events else None
        cls._layer = None
        if redis_url:
            # Events published here must reach the server process: share Redis with it.
            cls._layer = override_settings(
                CHANNEL_LAYERS={
                    "default": {
                        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                        "CONFIG": {"hosts": [redis_url]},
                    }
                }
            )
            cls._layer.enable()
        super().setUpClass()
        # Playwright runs our code in a greenlet with its own context, where Django hands
        # out a fresh connection object; keep the migrated data needed to restore each test.
        cls._serialized = getattr(connections["default"], "_test_serialized_contents", None)
        cls.server = DaphneServer(redis_url=redis_url, extra_env=cls.server_environment())
        cls.server.start()
        cls.live_server_url = cls.server.url
        # Playwright's sync API runs an event loop in this thread; the test's own ORM
        # calls are still plain synchronous code.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        cls._playwright = sync_playwright().start()
        cls.browser = cls._playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )

    @classmethod
    def server_environment(cls) -> dict[str, str]:
        """Extra environment for the server process (e.g. where uploads live)."""
        return {}

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls._playwright.stop()
        cls.server.stop()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        super().tearDownClass()
        if cls._layer is not None:
            cls._layer.disable()

    @classmethod
    def _keep_serialized(cls):
        if cls._serialized is not None:
            connections["default"]._test_serialized_contents = cls._serialized

    @classmethod
    def _fixture_setup(cls):
        cls._keep_serialized()
        super()._fixture_setup()

    def _fixture_teardown(self):
        # Without the serialized data Django would re-run post_migrate after the flush,
        # and restoring the data for the next test would then collide with it.
        self._keep_serialized()
        super()._fixture_teardown()

    def screenshot(self, page, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    def log_in(self, page, email: str, password: str) -> None:
        page.goto(self.live_server_url + "/accounts/login/")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
