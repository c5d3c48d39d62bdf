"""In real Chromium: two residents vote, and a third resident's open poll page moves its
bars and turnout without a reload; when staff close the poll the outcome appears."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from consultation import poll_services as ps

from ..consultation.builders import build_hall_site
from .base import BrowserTestCase, off_the_loop

PASSWORD = "correct horse battery"


class PollBrowserTest(BrowserTestCase):
    needs_live_events = True

    def setUp(self):
        self.site = build_hall_site()
        now = timezone.now()
        self.poll = ps.create_poll(
            actor=self.site.staff,
            community=self.site.district.community_a,
            hall=self.site.hall,
            question="楼顶防水用哪个方案？",
            kind="single",
            options=["整体重做", "只修漏点"],
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(days=2),
        )
        self.options = list(self.poll.options.order_by("position"))
        self.poll_url = f"{self.live_server_url}/polls/{self.poll.pk}/"

    def resident_page(self, user):
        context = self.browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
        page = context.new_page()
        self.log_in(page, user.email, PASSWORD)
        page.goto(self.poll_url)
        expect(page.locator("html")).to_have_attribute("data-live", "connected")
        return context, page

    def bar(self, page, option):
        return page.locator(f'[data-option-id="{option.pk}"]')

    def test_two_votes_move_a_third_pages_bars_without_reload(self):
        carol_ctx, carol = self.resident_page(self.site.carol)
        carol.evaluate("window.__stillHere = true")
        first, second = self.options
        expect(self.bar(carol, first).locator("[data-votes]")).to_have_text("0")
        # Three verified residents in 甲社区: alice, bob, carol.
        expect(carol.locator("[data-turnout-text]")).to_have_text("0 of 3 residents (0%)")

        alice_ctx, alice = self.resident_page(self.site.alice)
        alice.get_by_label("整体重做").check()
        alice.get_by_role("button", name="Cast my vote").click()
        expect(alice.get_by_text("Your ballot is counted.")).to_be_visible()
        expect(self.bar(carol, first).locator("[data-votes]")).to_have_text("1", timeout=3000)
        expect(self.bar(carol, first).locator("[data-percent]")).to_have_text("100")

        bob_ctx, bob = self.resident_page(self.site.bob)
        bob.get_by_label("只修漏点").check()
        bob.get_by_role("button", name="Cast my vote").click()
        expect(bob.get_by_text("Your ballot is counted.")).to_be_visible()
        expect(self.bar(carol, second).locator("[data-votes]")).to_have_text("1", timeout=3000)
        expect(self.bar(carol, first).locator("[data-percent]")).to_have_text("50")
        expect(carol.locator("[data-turnout-text]")).to_have_text("2 of 3 residents (66.7%)")
        width = self.bar(carol, first).locator(".tally-fill").evaluate("e => e.style.width")
        assert width == "50%"
        assert carol.evaluate("window.__stillHere === true")
        self.screenshot(carol, "poll-live.png")

        # Staff end voting; the watching page reloads itself to show the outcome.
        off_the_loop(ps.close_poll, actor=self.site.staff, poll=self.poll, early=True)
        expect(carol.locator("[data-outcome]")).to_be_visible(timeout=5000)
        for ctx in (alice_ctx, bob_ctx, carol_ctx):
            ctx.close()
