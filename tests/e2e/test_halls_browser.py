"""In real Chromium, two residents in one hall: a post written by one is announced to
the other, who shows it without a reload; posts made of script payloads run nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from playwright.sync_api import expect

from consultation import services

from ..consultation.builders import build_hall_site
from ..portal.test_sanitize import XSS_PAYLOADS
from .base import BrowserTestCase, off_the_loop

PASSWORD = "correct horse battery"


class HallBrowserTest(BrowserTestCase):
    needs_live_events = True

    def setUp(self):
        self.site = build_hall_site()
        self.hall_url = self.live_server_url + self.site.hall.get_url()

    def resident_page(self, user):
        context = self.browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
        page = context.new_page()
        self.log_in(page, user.email, PASSWORD)
        page.goto(self.hall_url)
        expect(page.locator("html")).to_have_attribute("data-live", "connected")
        return context, page

    def test_new_post_is_announced_and_shown_without_reload(self):
        alice_ctx, alice = self.resident_page(self.site.alice)
        bob_ctx, bob = self.resident_page(self.site.bob)
        bob.evaluate("window.__stillHere = true")

        alice.get_by_label("Against").check()
        alice.get_by_label("Your post").fill("先请专业公司查漏点，再定方案。")
        alice.get_by_role("button", name="Post", exact=True).click()
        expect(alice.get_by_text("Your post is published.")).to_be_visible()

        announce = bob.get_by_role("button", name="1 new post — show")
        expect(announce).to_be_visible(timeout=5000)
        # Announced, not pushed under the reader's eyes.
        expect(bob.get_by_text("先请专业公司查漏点，再定方案。")).to_have_count(0)
        announce.click()
        expect(bob.get_by_text("先请专业公司查漏点，再定方案。")).to_be_visible()
        expect(bob.locator('[data-count="against"]')).to_have_text("1")
        assert bob.evaluate("window.__stillHere === true")

        # Bob seconds it with the ordinary form; Alice's count follows live.
        bob.get_by_role("button", name="Second · 0").click()
        expect(alice.locator("[data-seconds]").first).to_have_text("1", timeout=5000)

        # Bob's reply appears under Alice's post in place.
        bob.locator(".reply-form summary").first.click()
        bob.get_by_label("Your reply").first.fill("同意，先查漏点。")
        bob.get_by_role("button", name="Send reply").first.click()
        expect(alice.get_by_text("同意，先查漏点。")).to_be_visible(timeout=5000)
        self.screenshot(bob, "hall-live.png")
        alice_ctx.close()
        bob_ctx.close()

    def test_script_payload_posts_open_no_dialog(self):
        context, page = self.resident_page(self.site.bob)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        def write_all():
            # Two authors, as one may post only ten times in ten minutes.
            for i, payload in enumerate(XSS_PAYLOADS[:20]):
                author = (self.site.alice, self.site.carol)[i % 2]
                try:
                    services.publish_post(
                        user=author, hall=self.site.hall, body=payload + " 字", stance="for"
                    )
                except ValidationError:
                    continue  # nothing readable left: refused

        # From a thread without an event loop, as a request would.
        off_the_loop(write_all)
        show = page.locator("[data-show-new]")
        expect(show).to_be_visible(timeout=5000)
        show.click()
        expect(page.locator("[data-post-list] > li")).not_to_have_count(0)
        page.wait_for_timeout(500)
        page.reload()
        page.wait_for_timeout(500)
        assert dialogs == []
        context.close()
