"""In real Chromium: the portal speaks Chinese first and English on request, and a notice
published on the server appears on an open community page without a reload."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from channels.testing import ChannelsLiveServerTestCase
from django.db import connections
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from ..helpers import build_site, publish_notice
from .conftest import CHROMIUM_ARGS, cross_process_redis_url, require_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class LiveNoticeBrowserTest(ChannelsLiveServerTestCase):
    serialized_rollback = True
    _serialized = None

    @classmethod
    def setUpClass(cls):
        executable = require_chromium()
        redis_url = cross_process_redis_url()
        # Server and test run in two processes: the channel layer must be shared.
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
        # Playwright's sync API runs an event loop in this thread; the test's own ORM
        # calls are still plain synchronous code.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        cls._playwright = sync_playwright().start()
        cls.browser = cls._playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls._playwright.stop()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        super().tearDownClass()
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

    def setUp(self):
        self.district, self.index = build_site()
        publish_notice(self.index, "社区开展消防安全检查")

    def test_home_page_in_chinese_and_english(self):
        zh = self.browser.new_context(locale="zh-CN")
        page = zh.new_page()
        page.goto(self.live_server_url + "/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(page.get_by_role("heading", name="最新通知")).to_be_visible()
        expect(page.get_by_role("link", name="甲社区")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "home-zh.png"), full_page=True)

        en = self.browser.new_context(locale="en-US")
        page = en.new_page()
        page.goto(self.live_server_url + "/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", name="Latest notices")).to_be_visible()

        # The switcher takes an English reader back to Chinese, and it sticks.
        page.get_by_label("Language").select_option("zh-hans")
        page.get_by_role("button", name="Switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        zh.close()
        en.close()

    def test_new_notice_appears_on_an_open_community_page_without_reload(self):
        context = self.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(self.live_server_url + "/ca/")
        notices = page.locator("#community-notices")
        expect(notices.get_by_text("社区开展消防安全检查")).to_be_visible()
        expect(page.locator("#urgent-banner")).to_be_hidden()
        expect(page.locator("html")).to_have_attribute("data-live", "connected")
        # A marker on the window is lost if the page reloads or navigates.
        page.evaluate("window.__stillHere = true")

        # Publish from a thread without an event loop, as a request or admin action would.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(
                publish_notice, self.index, "明日上午9时起3号楼停电检修", category="urgent"
            ).result()

        expect(notices.get_by_text("明日上午9时起3号楼停电检修")).to_be_visible(timeout=5000)
        assert page.evaluate("window.__stillHere === true")
        first = notices.locator("li").first
        expect(first).to_contain_text("明日上午9时起3号楼停电检修")
        # Urgent notices also raise the banner at the top of the page.
        banner = page.locator("#urgent-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("明日上午9时起3号楼停电检修")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "community-live.png"), full_page=True)
        context.close()
