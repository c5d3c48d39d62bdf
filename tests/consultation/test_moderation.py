"""Reports, hiding, held posts, blocked words, suspensions, and the record of each."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from consultation import services
from consultation.models import (
    BlockedWord,
    ModerationAction,
    ModerationLog,
    Post,
    PostStatus,
    Report,
    Suspension,
)

from ..conftest import staff_of

pytestmark = pytest.mark.django_db


def post(site, user=None, body="<p>先修防水层。</p>"):
    return services.publish_post(user=user or site.alice, hall=site.hall, body=body, stance="for")


def test_reader_reports_a_post_once(site):
    p = post(site)
    services.report_post(user=site.bob, post_id=p.pk, reason="人身攻击")
    with pytest.raises(ValidationError, match="already reported"):
        services.report_post(user=site.bob, post_id=p.pk, reason="again")
    with pytest.raises(ValidationError, match="Say what is wrong"):
        services.report_post(user=site.carol, post_id=p.pk, reason="  ")
    p.refresh_from_db()
    assert p.open_reports == 1 and Report.objects.count() == 1


def test_staff_hide_with_a_reason_and_the_log_records_it(site):
    p = post(site)
    services.report_post(user=site.bob, post_id=p.pk, reason="广告")
    with pytest.raises(ValidationError, match="reason"):
        services.hide_post(actor=site.staff, post_id=p.pk, reason=" ")
    services.hide_post(actor=site.staff, post_id=p.pk, reason="含广告内容")
    p.refresh_from_db()
    assert p.hidden and p.hidden_reason == "含广告内容" and p.hidden_by == site.staff
    assert p.open_reports == 0
    assert Report.objects.get().resolved_at is not None
    entry = ModerationLog.objects.get()
    assert (entry.actor, entry.action, entry.post, entry.reason, entry.subject) == (
        site.staff,
        ModerationAction.HIDDEN,
        p,
        "含广告内容",
        site.alice,
    )
    assert entry.community == site.district.community_a


def test_staff_restore_a_hidden_post_and_the_log_records_it(site):
    p = post(site)
    services.hide_post(actor=site.staff, post_id=p.pk, reason="误判前")
    services.restore_post(actor=site.staff, post_id=p.pk, reason="复核无问题")
    p.refresh_from_db()
    assert not p.hidden and p.hidden_reason == ""
    assert list(ModerationLog.objects.values_list("action", flat=True)) == [
        ModerationAction.RESTORED,
        ModerationAction.HIDDEN,
    ]


def test_residents_and_staff_of_other_communities_cannot_moderate(site):
    p = post(site)
    other_staff = staff_of(site.district.community_b)
    for actor in (site.bob, other_staff):
        with pytest.raises(PermissionDenied):
            services.hide_post(actor=actor, post_id=p.pk, reason="x")
    p.refresh_from_db()
    assert not p.hidden and not ModerationLog.objects.exists()


def test_blocked_word_holds_a_post_for_review(site):
    BlockedWord.objects.create(word="代开发票")
    p = post(site, body="低价代开发票")
    assert p.status == PostStatus.HELD
    entry = ModerationLog.objects.get()
    assert entry.action == ModerationAction.HELD and entry.actor is None
    assert "代开发票" in entry.reason
    assert not Post.objects.visible().exists()


def test_blocked_word_of_another_community_does_not_apply(site):
    BlockedWord.objects.create(word="拆迁", community=site.district.community_b)
    BlockedWord.objects.create(word="SPAM", community=site.district.community_a)
    assert post(site, body="拆迁补偿").status == PostStatus.PUBLISHED
    assert post(site, body="this is spam").status == PostStatus.HELD


def test_staff_publish_a_held_post(site):
    BlockedWord.objects.create(word="发票")
    p = post(site, body="维修要开发票")
    services.publish_held_post(actor=site.staff, post_id=p.pk, reason="正常讨论")
    p.refresh_from_db()
    assert p.status == PostStatus.PUBLISHED
    assert ModerationLog.objects.filter(
        action=ModerationAction.PUBLISHED, actor=site.staff
    ).exists()


def test_suspended_user_cannot_post_until_the_date(site):
    services.suspend_user(
        actor=site.staff,
        user=site.alice,
        community=site.district.community_a,
        days=3,
        reason="刷屏",
    )
    with pytest.raises(PermissionDenied, match="suspended from posting in this community until"):
        post(site)
    assert not Post.objects.exists()
    entry = ModerationLog.objects.get()
    assert entry.action == ModerationAction.SUSPENDED and entry.subject == site.alice
    Suspension.objects.update(until=Suspension.objects.get().created_at)
    post(site)


def test_suspension_needs_rights_days_and_a_reason(site):
    ca = site.district.community_a
    with pytest.raises(PermissionDenied):
        services.suspend_user(actor=site.bob, user=site.alice, community=ca, days=3, reason="x")
    with pytest.raises(ValidationError, match="1 to 365"):
        services.suspend_user(actor=site.staff, user=site.alice, community=ca, days=0, reason="x")
    with pytest.raises(ValidationError, match="reason"):
        services.suspend_user(actor=site.staff, user=site.alice, community=ca, days=2, reason="")
    assert not Suspension.objects.exists() and not ModerationLog.objects.exists()


def test_organiser_writes_minutes_sanitised_and_logged(site):
    site.hall.organiser = site.carol
    site.hall.save_revision().publish()
    with pytest.raises(PermissionDenied):
        services.write_minutes(actor=site.bob, hall=site.hall, minutes="<p>x</p>")
    hall = services.write_minutes(
        actor=site.carol, hall=site.hall, minutes="<p>结论</p><script>alert(1)</script>"
    )
    assert hall.minutes == "<p>结论</p>"
    assert hall.get_latest_revision().as_object().minutes == "<p>结论</p>"
    assert ModerationLog.objects.filter(action=ModerationAction.MINUTES).count() == 1
