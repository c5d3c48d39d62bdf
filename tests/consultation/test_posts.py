"""Who may post and second in a hall, and what a post may contain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultation import services
from consultation.models import HallPage, Post, PostStatus, Second, Stance
from portal.models import ResidentStatus

from ..factories import UserFactory, resident
from ..portal.test_sanitize import XSS_PAYLOADS
from .builders import add_hall

pytestmark = pytest.mark.django_db


def post(site, user=None, body="<p>先修防水层。</p>", stance=Stance.FOR, **kwargs):
    return services.publish_post(
        user=user or site.alice, hall=site.hall, body=body, stance=stance, **kwargs
    )


def test_verified_resident_in_scope_publishes_a_post(site):
    p = post(site)
    assert p.status == PostStatus.PUBLISHED
    assert p.body == "<p>先修防水层。</p>"
    assert p.author == site.alice and p.parent is None


def test_plain_text_becomes_paragraphs(site):
    p = post(site, body="第一段\n第二行\n\n第二段")
    assert p.body == "<p>第一段<br>第二行</p><p>第二段</p>"


@pytest.mark.parametrize(
    "body", ["", "   ", "\n\n\t", "<p> </p>", "<script>x()</script>", "&nbsp;"]
)
def test_empty_or_whitespace_post_is_refused(site, body):
    with pytest.raises(ValidationError, match="Write something"):
        post(site, body=body)
    assert not Post.objects.exists()


def test_post_over_5000_characters_is_refused(site):
    with pytest.raises(ValidationError, match="5000"):
        post(site, body="漏" * 5001)
    assert not Post.objects.exists()


def test_post_of_exactly_5000_characters_is_accepted(site):
    assert len(post(site, body="漏" * 5000).body) == 5000 + len("<p></p>")


def test_markup_does_not_count_towards_the_length(site):
    post(site, body="<p><strong>" + "修" * 4990 + "</strong></p>")
    assert Post.objects.count() == 1


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_payloads_are_stored_sanitised(site, payload):
    try:
        p = post(site, body=payload + " 正文")
    except ValidationError:
        return  # nothing left to say is also fine: nothing stored
    lowered = p.body.lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<svg", "<img", "style="):
        assert bad not in lowered
    if "<a " in p.body:
        assert 'rel="nofollow ugc noopener"' in p.body


def test_links_carry_nofollow(site):
    p = post(site, body='<p>看<a href="https://example.org/x">这里</a></p>')
    assert p.body == '<p>看<a href="https://example.org/x" rel="nofollow ugc noopener">这里</a></p>'


def test_posting_to_a_closed_hall_is_refused(site):
    now = timezone.now()
    closed = add_hall(
        site.community_page,
        title="已结束",
        discussion_opens_at=now - timedelta(days=9),
        voting_opens_at=now - timedelta(days=5),
        closes_at=now - timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="discussion is closed"):
        services.publish_post(user=site.alice, hall=closed, body="晚了", stance=Stance.FOR)
    assert not Post.objects.exists()


def test_posting_in_the_voting_phase_is_refused(site):
    now = timezone.now()
    HallPage.objects.filter(pk=site.hall.pk).update(
        discussion_opens_at=now - timedelta(days=3), voting_opens_at=now - timedelta(hours=1)
    )
    site.hall.refresh_from_db()
    with pytest.raises(ValidationError, match="discussion is closed"):
        post(site)
    assert not Post.objects.exists()


def test_posting_before_discussion_opens_is_refused(site):
    now = timezone.now()
    later = add_hall(
        site.community_page,
        title="未开始",
        discussion_opens_at=now + timedelta(days=1),
        voting_opens_at=now + timedelta(days=5),
        closes_at=now + timedelta(days=6),
    )
    with pytest.raises(ValidationError, match="not opened yet"):
        services.publish_post(user=site.alice, hall=later, body="早了", stance=Stance.FOR)


def test_resident_of_another_community_cannot_post(site):
    with pytest.raises(PermissionDenied, match="outside this hall's scope"):
        post(site, user=site.outsider)
    assert not Post.objects.exists()


def test_resident_outside_the_halls_grids_cannot_post(site):
    site.hall.scope.set([site.district.grid(site.district.community_a, 1)])
    site.hall.save()
    hall = HallPage.objects.get(pk=site.hall.pk)
    services.publish_post(user=site.alice, hall=hall, body="一网格", stance=Stance.FOR)
    with pytest.raises(PermissionDenied, match="outside this hall's scope"):
        services.publish_post(user=site.carol, hall=hall, body="二网格", stance=Stance.FOR)
    assert Post.objects.count() == 1


def test_unverified_resident_and_anonymous_visitor_cannot_post(site):
    pending = resident(
        site.district.household(site.district.community_a, 2, "102"), ResidentStatus.PENDING
    )
    with pytest.raises(PermissionDenied, match="verified"):
        post(site, user=pending)
    with pytest.raises(PermissionDenied, match="household"):
        post(site, user=UserFactory())
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied, match="Log in"):
        post(site, user=AnonymousUser())
    assert not Post.objects.exists()


def test_staff_who_do_not_live_there_cannot_post(site):
    with pytest.raises(PermissionDenied):
        post(site, user=site.staff)


def test_top_level_post_needs_a_stance(site):
    with pytest.raises(ValidationError, match="for, against"):
        post(site, stance="")
    with pytest.raises(ValidationError):
        post(site, stance="maybe")
    assert not Post.objects.exists()


def test_reply_to_a_reply_attaches_to_the_top_post(site):
    top = post(site)
    reply = post(site, user=site.bob, body="同意", stance="", parent=top)
    again = post(site, user=site.carol, body="我也是", stance="", parent=reply)
    assert reply.parent == top and again.parent == top


def test_reply_to_a_post_of_another_hall_is_refused(site):
    other = add_hall(site.community_page, title="弃管楼引入物业管理")
    top = services.publish_post(user=site.alice, hall=other, body="x", stance=Stance.FOR)
    with pytest.raises(ValidationError, match="another hall"):
        post(site, user=site.bob, body="y", parent=top)


def test_author_edits_within_15_minutes_and_it_is_marked_edited(site):
    p = post(site)
    edited = services.edit_post(user=site.alice, post_id=p.pk, body="改为先查漏点")
    assert edited.body == "<p>改为先查漏点</p>"
    assert edited.edited_at is not None


def test_editing_after_15_minutes_is_refused(site):
    p = post(site)
    Post.objects.filter(pk=p.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(ValidationError, match="15 minutes"):
        services.edit_post(user=site.alice, post_id=p.pk, body="太晚了")
    p.refresh_from_db()
    assert p.body == "<p>先修防水层。</p>" and p.edited_at is None


def test_editing_someone_elses_post_is_refused(site):
    p = post(site)
    with pytest.raises(PermissionDenied, match="your own"):
        services.edit_post(user=site.bob, post_id=p.pk, body="篡改")
    p.refresh_from_db()
    assert p.body == "<p>先修防水层。</p>"


def test_edit_is_sanitised_and_checked_like_a_new_post(site):
    p = post(site)
    with pytest.raises(ValidationError, match="Write something"):
        services.edit_post(user=site.alice, post_id=p.pk, body="  ")
    services.edit_post(user=site.alice, post_id=p.pk, body="<script>alert(1)</script>ok")
    p.refresh_from_db()
    assert p.body == "<p>ok</p>"


def test_author_deletes_a_post_and_its_replies_keep_a_placeholder(site):
    top = post(site)
    reply = post(site, user=site.bob, body="回复", stance="", parent=top)
    with pytest.raises(PermissionDenied):
        services.delete_post(user=site.bob, post_id=top.pk)
    services.delete_post(user=site.alice, post_id=top.pk)
    top.refresh_from_db()
    assert top.deleted and top.body == ""
    assert Post.objects.filter(pk=reply.pk, parent=top).exists()


def test_resident_seconds_a_post_once_and_the_count_follows(site):
    p = post(site)
    services.second_post(user=site.bob, post_id=p.pk)
    services.second_post(user=site.carol, post_id=p.pk)
    p.refresh_from_db()
    assert p.seconds_count == 2
    with pytest.raises(ValidationError, match="already seconded"):
        services.second_post(user=site.bob, post_id=p.pk)
    p.refresh_from_db()
    assert p.seconds_count == 2 and Second.objects.count() == 2


def test_the_database_refuses_a_second_second(site):
    p = post(site)
    Second.objects.create(post=p, user=site.bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Second.objects.create(post=p, user=site.bob)


def test_seconding_your_own_post_is_refused(site):
    p = post(site)
    with pytest.raises(ValidationError, match="your own"):
        services.second_post(user=site.alice, post_id=p.pk)
    assert not Second.objects.exists()


def test_outsider_cannot_second(site):
    p = post(site)
    with pytest.raises(PermissionDenied):
        services.second_post(user=site.outsider, post_id=p.pk)
    p.refresh_from_db()
    assert p.seconds_count == 0


def test_ten_posts_in_ten_minutes_then_a_clear_refusal(site):
    for i in range(services.RATE_LIMIT_POSTS):
        post(site, body=f"第{i}条")
    with pytest.raises(ValidationError, match="wait a few minutes"):
        post(site, body="第11条")
    assert Post.objects.count() == services.RATE_LIMIT_POSTS
    # Others are not held back by one busy neighbour.
    post(site, user=site.bob, body="我的第一条")


def test_rate_limit_counts_only_the_last_ten_minutes(site):
    for i in range(services.RATE_LIMIT_POSTS):
        post(site, body=f"第{i}条")
    Post.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    post(site, body="现在可以了")
    assert Post.objects.count() == services.RATE_LIMIT_POSTS + 1
