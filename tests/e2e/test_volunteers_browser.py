"""In real Chromium: when a volunteer takes the last seat, a second open page shows the
shift as full without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import make_district
from tests.factories import resident
from tests.volunteers.conftest import make_activity, make_shift

from .base import BrowserTestCase

PASSWORD = "correct horse battery"


class VolunteerSeatsBrowserTest(BrowserTestCase):
    needs_live_events = True

    def setUp(self):
        district = make_district()
        self.activity = make_activity(district.community_a, title="Evening patrol")
        self.shift = make_shift(self.activity, capacity=1)
        self.taker = resident(district.household(district.community_a, 1, "101"))
        self.watcher = resident(district.household(district.community_a, 2, "101"))

    def open_activity(self, user):
        context = self.browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
        # Messages are asserted in English whatever the browser's language tells the site.
        context.add_cookies(
            [{"name": "django_language", "value": "en", "url": self.live_server_url}]
        )
        page = context.new_page()
        self.log_in(page, user.email, PASSWORD)
        page.goto(f"{self.live_server_url}/volunteers/activities/{self.activity.pk}/")
        expect(page.locator("html")).to_have_attribute("data-live", "connected")
        return context, page

    def test_last_seat_taken_shows_full_on_another_open_page_without_reload(self):
        watcher_context, watcher = self.open_activity(self.watcher)
        row = watcher.locator(f'[data-shift="{self.shift.pk}"]')
        expect(row.locator("[data-seats]")).to_have_text("1 of 1 seats free")
        watcher.evaluate("window.__stillHere = true")

        taker_context, taker = self.open_activity(self.taker)
        taker.get_by_role("button", name="Sign up").click()
        expect(taker.get_by_text("You are signed up. Thank you!")).to_be_visible()

        expect(row.locator("[data-seats]")).to_have_text("full — join waitlist", timeout=5000)
        expect(row.get_by_role("button", name="Join the waiting list")).to_be_visible()
        assert watcher.evaluate("window.__stillHere === true")
        self.screenshot(watcher, "volunteer-shift-full.png")

        # The form still works: the watcher joins the waiting list.
        row.get_by_role("button", name="Join the waiting list").click()
        expect(watcher.get_by_text("You are number 1 on the waiting list.").first).to_be_visible()
        taker_context.close()
        watcher_context.close()
