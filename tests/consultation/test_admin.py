"""The moderation queue in Wagtail admin: staff see and act on their own community only."""

from __future__ import annotations

import pytest

from cms.models import CommunityPage
from consultation import services
from consultation.models import BlockedWord, ModerationLog, Post, PostStatus, Suspension

from ..conftest import staff_of
from .builders import add_hall

pytestmark = pytest.mark.django_db


def test_staff_see_reported_and_held_posts_of_their_community_only(client, site):
    reported = services.publish_post(user=site.alice, hall=site.hall, body="被举报", stance="for")
    services.report_post(user=site.bob, post_id=reported.pk, reason="骂人")
    BlockedWord.objects.create(word="广告")
    held = services.publish_post(user=site.bob, hall=site.hall, body="广告", stance="for")
    assert held.status == PostStatus.HELD
    services.publish_post(user=site.carol, hall=site.hall, body="正常发言", stance="for")

    client.force_login(site.staff)
    html = client.get("/admin/hall-moderation/").content.decode()
    assert "被举报" in html and "骂人" in html and "广告" in html
    assert "正常发言" not in html

    other = staff_of(site.district.community_b)
    client.force_login(other)
    html = client.get("/admin/hall-moderation/").content.decode()
    assert "被举报" not in html and "广告" not in html


def test_residents_cannot_open_the_queue_or_act(client, site):
    p = services.publish_post(user=site.alice, hall=site.hall, body="x", stance="for")
    client.force_login(site.bob)
    assert client.get("/admin/hall-moderation/").status_code in (302, 403)
    client.post(f"/admin/hall-moderation/posts/{p.pk}/hide/", {"reason": "x"})
    p.refresh_from_db()
    assert not p.hidden


def test_staff_of_another_community_cannot_act_on_this_one(client, site):
    p = services.publish_post(user=site.alice, hall=site.hall, body="x", stance="for")
    other = staff_of(site.district.community_b)
    # A hall there, so the other staff member has something of their own.
    add_hall(CommunityPage.objects.get(area=site.district.community_a), title="另一个")
    client.force_login(other)
    client.post(f"/admin/hall-moderation/posts/{p.pk}/hide/", {"reason": "x"})
    p.refresh_from_db()
    assert not p.hidden and not ModerationLog.objects.exists()


def test_hide_publish_and_suspend_from_the_queue_are_logged(client, site):
    BlockedWord.objects.create(word="发票")
    held = services.publish_post(user=site.alice, hall=site.hall, body="开发票", stance="for")
    bad = services.publish_post(user=site.bob, hall=site.hall, body="难听", stance="for")
    client.force_login(site.staff)
    client.post(f"/admin/hall-moderation/posts/{held.pk}/publish/")
    client.post(f"/admin/hall-moderation/posts/{bad.pk}/hide/", {"reason": "不文明"})
    client.post(f"/admin/hall-moderation/posts/{bad.pk}/suspend/", {"days": "7", "reason": "屡次"})
    held.refresh_from_db()
    bad.refresh_from_db()
    assert held.status == PostStatus.PUBLISHED
    assert bad.hidden and bad.hidden_reason == "不文明"
    assert Suspension.objects.get().user == site.bob
    html = client.get("/admin/hall-moderation/log/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("Held for review", "Published a held post", "Hidden", "Suspended a user"):
        assert text in html
    assert "不文明" in html and "屡次" in html
    assert ModerationLog.objects.count() == 4
    assert Post.objects.filter(hidden=True).count() == 1


def test_hide_without_reason_is_refused_with_a_message(client, site):
    p = services.publish_post(user=site.alice, hall=site.hall, body="x", stance="for")
    client.force_login(site.staff)
    response = client.post(
        f"/admin/hall-moderation/posts/{p.pk}/hide/",
        {"reason": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Give a reason" in response.content.decode()
    p.refresh_from_db()
    assert not p.hidden
