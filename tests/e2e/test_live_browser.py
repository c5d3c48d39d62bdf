"""In real Chromium: the portal speaks Chinese first and English on request, and a notice
published on the server appears on an open community page without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from ..helpers import build_site, publish_notice
from .base import BrowserTestCase, off_the_loop


class LiveNoticeBrowserTest(BrowserTestCase):
    needs_live_events = True

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
        self.screenshot(page, "home-zh.png")

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
        off_the_loop(publish_notice, self.index, "明日上午9时起3号楼停电检修", category="urgent")

        expect(notices.get_by_text("明日上午9时起3号楼停电检修")).to_be_visible(timeout=5000)
        assert page.evaluate("window.__stillHere === true")
        first = notices.locator("li").first
        expect(first).to_contain_text("明日上午9时起3号楼停电检修")
        # Urgent notices also raise the banner at the top of the page.
        banner = page.locator("#urgent-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("明日上午9时起3号楼停电检修")
        self.screenshot(page, "community-live.png")
        context.close()
