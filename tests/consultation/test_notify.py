"""Following a hall, notifications of replies and phase changes, e-mail on and off; demo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from consultation import services
from consultation.models import HallPage, Notification, NotificationSettings, Post
from consultation.notify import phase_changes

pytestmark = pytest.mark.django_db


def test_reply_notifies_the_author_in_the_portal_and_by_email(
    site, django_capture_on_commit_callbacks
):
    top = services.publish_post(user=site.alice, hall=site.hall, body="主贴", stance="for")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_post(user=site.bob, hall=site.hall, body="回复", parent=top)
    note = Notification.objects.get()
    assert note.user == site.alice and note.kind == "reply"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [site.alice.email]


def test_replying_to_yourself_notifies_nobody(site):
    top = services.publish_post(user=site.alice, hall=site.hall, body="主贴", stance="for")
    services.publish_post(user=site.alice, hall=site.hall, body="补充", parent=top)
    assert not Notification.objects.exists()


def test_email_switch_off_keeps_portal_notifications_only(
    client, site, django_capture_on_commit_callbacks
):
    client.force_login(site.alice)
    client.post("/me/notifications/", {"email": "0"})
    assert NotificationSettings.objects.get(user=site.alice).email is False
    top = services.publish_post(user=site.alice, hall=site.hall, body="主贴", stance="for")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_post(user=site.bob, hall=site.hall, body="回复", parent=top)
    assert Notification.objects.count() == 1 and mail.outbox == []
    html = client.get("/").content.decode()
    assert "data-unread>1<" in html
    page = client.get("/me/notifications/").content.decode()
    assert "replied to your post" in page
    client.post("/me/notifications/", {"read": "1"})
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_followers_hear_of_each_phase_once(client, site, django_capture_on_commit_callbacks):
    client.force_login(site.carol)
    client.post(f"/halls/{site.hall.pk}/follow/", {"follow": "1"})
    assert phase_changes() == 1  # discussion
    assert phase_changes() == 0
    HallPage.objects.filter(pk=site.hall.pk).update(
        voting_opens_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert phase_changes() == 1
    assert any("Voting" in n.message for n in Notification.objects.all())
    call_command("notify_hall_phases")
    assert Notification.objects.count() == 2


def test_outsider_cannot_follow_a_residents_only_hall(client, site):
    HallPage.objects.filter(pk=site.hall.pk).update(residents_only=True)
    client.force_login(site.outsider)
    client.post(f"/halls/{site.hall.pk}/follow/", {"follow": "1"})
    assert not site.hall.follows.exists()


def test_community_page_lists_its_halls(client, site):
    html = client.get(site.community_page.url).content.decode()
    assert "Deliberation halls" in html and "83号楼楼顶漏雨维修方案" in html


def test_demo_hall_is_seeded_once():
    call_command("seed_demo")
    hall = HallPage.objects.get(slug="b83-roof-leak")
    assert hall.phase == "discussion"
    posts = Post.objects.filter(hall=hall).count()
    assert posts >= 5 and Post.objects.filter(hall=hall, parent__isnull=False).exists()
    call_command("seed_demo")
    assert Post.objects.filter(hall=hall).count() == posts
    assert HallPage.objects.filter(slug="b83-roof-leak").count() == 1
