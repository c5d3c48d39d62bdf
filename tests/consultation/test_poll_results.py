"""Publishing a poll's result as a 结果 notice, and the plain functions behind the staff pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext
from wagtail.models import WorkflowState

from cms.community_setup import enable_moderation, make_secretary, set_up_community
from cms.models import CommunityPage, NoticeCategory, NoticeIndexPage, NoticePage
from consultation import poll_services as ps
from consultation.models import HallPage
from consultation.poll_results import publish_result, safe_cell
from consultation.polls import Outcome, Poll, Threshold

from ..conftest import staff_of
from ..factories import UserFactory
from .builders import add_hall, build_hall_site
from .test_polls import end_voting, make_poll, opts

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(db):
    site = build_hall_site()
    # Groups and page rights as a real community has them: its staff publish notices.
    set_up_community(actor=None, community=site.district.community_a)
    return site


def closed_poll(site, *, hall=None, **fields) -> Poll:
    poll = make_poll(site.district, staff=site.staff, hall=hall, **fields)
    ps.cast_ballot(voter=site.alice, poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=site.bob, poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=site.carol, poll=poll, option_ids=[opts(poll)[1]])
    return ps.close_poll(actor=site.staff, poll=end_voting(poll))


def body_text(notice: NoticePage) -> str:
    return str(notice.body.render_as_block()) + notice.search_text


def test_result_notice_is_published_under_the_communitys_notice_list(site, client):
    poll = closed_poll(site, quorum_percent=50)
    notice = publish_result(actor=site.staff, poll=poll)
    index = NoticeIndexPage.objects.child_of(site.community_page).get()
    assert notice.get_parent().specific == index
    assert notice.live and notice.category == NoticeCategory.RESULT
    assert poll.question in notice.title
    assert Poll.objects.get(pk=poll.pk).result_notice_id == notice.pk
    text = body_text(notice)
    # Stored content is in the portal's primary language, whatever the request's.
    with translation.override(settings.LANGUAGE_CODE):
        passed, half = str(Outcome.PASSED.label), str(Threshold.HALF.label)
    for piece in (passed, half, "100.0", "50%", "66.67", "方案一", "方案二"):
        assert piece in text, piece
    assert f"/polls/{poll.pk}/" in text
    page = client.get(notice.url)
    assert page.status_code == 200 and "方案一" in page.content.decode()


def test_result_of_a_hall_poll_carries_the_minutes_and_marks_the_hall(site):
    now = timezone.now()
    hall = add_hall(
        site.community_page,
        title="电梯加装议事",
        discussion_opens_at=now - timedelta(days=10),
        voting_opens_at=now - timedelta(days=5),
        closes_at=now - timedelta(hours=1),
    )
    HallPage.objects.filter(pk=hall.pk).update(minutes="<p>居民代表同意加装电梯。</p>")
    poll = closed_poll(site, hall=HallPage.objects.get(pk=hall.pk))
    notice = publish_result(actor=site.staff, poll=poll)
    text = body_text(notice)
    assert "居民代表同意加装电梯。" in text and "电梯加装议事" in text
    hall = HallPage.objects.get(pk=hall.pk)
    assert hall.result_published_at is not None and hall.result_published_at <= timezone.now()
    assert hall.phase == "result"


def test_a_hall_still_in_its_voting_time_shows_the_result_once_it_closes(site):
    # Voting was ended early; the hall's own dates cannot put the result before its close.
    poll = make_poll(site.district, staff=site.staff, hall=site.hall)
    ps.cast_ballot(voter=site.alice, poll=poll, option_ids=[opts(poll)[0]])
    poll = ps.close_poll(actor=site.staff, poll=poll, early=True)
    publish_result(actor=site.staff, poll=poll)
    hall = HallPage.objects.get(pk=site.hall.pk)
    assert hall.result_published_at == hall.closes_at
    hall.full_clean()


def test_double_majority_figures_and_early_close_are_in_the_notice(site):
    poll = make_poll(
        site.district, staff=site.staff, unit="household", double_majority=True, kind="for_against"
    )
    ps.cast_ballot(voter=site.alice, poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=site.carol, poll=poll, option_ids=[opts(poll)[0]])
    poll = ps.close_poll(actor=site.staff, poll=poll, early=True)
    text = body_text(publish_result(actor=site.staff, poll=poll))
    with translation.override(settings.LANGUAGE_CODE):
        labels = [gettext(t) for t in ("Floor area taking part", "Voting ended early")]
    for piece in (*labels, "161.00", "322.00"):
        assert piece in text, piece


def test_result_is_published_only_once(site):
    poll = closed_poll(site)
    publish_result(actor=site.staff, poll=poll)
    with pytest.raises(ValidationError, match="already been published"):
        publish_result(actor=site.staff, poll=poll)
    assert NoticePage.objects.filter(category=NoticeCategory.RESULT).count() == 1


def test_result_is_published_only_after_close(site):
    poll = make_poll(site.district, staff=site.staff)
    with pytest.raises(ValidationError, match="after the poll is closed"):
        publish_result(actor=site.staff, poll=poll)
    assert not NoticePage.objects.exists()


def test_only_staff_of_the_community_publish_the_result(site):
    poll = closed_poll(site)
    for outsider in (staff_of(site.district.community_b), site.alice):
        with pytest.raises(PermissionDenied):
            publish_result(actor=outsider, poll=poll)
    assert not NoticePage.objects.exists()
    assert Poll.objects.get(pk=poll.pk).result_notice_id is None


def test_in_a_moderated_community_the_result_waits_in_the_workflow(site):
    workflow = enable_moderation(actor=None, community=site.district.community_a)
    secretary = UserFactory()
    make_secretary(actor=None, user=secretary, community=site.district.community_a)
    poll = closed_poll(site)
    notice = publish_result(actor=site.staff, poll=poll)
    notice.refresh_from_db()
    assert not notice.live
    state = WorkflowState.objects.get(object_id=str(notice.pk))
    assert state.workflow == workflow and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert Poll.objects.get(pk=poll.pk).result_notice_id == notice.pk
    # Publishing again is refused: the draft is the result notice.
    with pytest.raises(ValidationError):
        publish_result(actor=site.staff, poll=poll)


def test_approving_the_moderated_result_marks_the_hall(site, client):
    now = timezone.now()
    hall = add_hall(
        site.community_page,
        title="停车位议事",
        discussion_opens_at=now - timedelta(days=10),
        voting_opens_at=now - timedelta(days=5),
        closes_at=now - timedelta(hours=1),
    )
    enable_moderation(actor=None, community=site.district.community_a)
    secretary = UserFactory()
    make_secretary(actor=None, user=secretary, community=site.district.community_a)
    notice = publish_result(actor=site.staff, poll=closed_poll(site, hall=hall))
    assert HallPage.objects.get(pk=hall.pk).result_published_at is None
    # The secretary approves in the admin, where the hooks (and their signal) are loaded.
    client.force_login(secretary)
    client.get("/admin/")
    state = WorkflowState.objects.get(object_id=str(notice.pk))
    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, secretary, "approve")
    assert NoticePage.objects.get(pk=notice.pk).live
    assert HallPage.objects.get(pk=hall.pk).result_published_at is not None


def test_community_without_a_notice_list_is_told_so(site):
    poll = closed_poll(site)
    NoticeIndexPage.objects.child_of(site.community_page).get().delete()
    with pytest.raises(ValidationError, match="no notice list"):
        publish_result(actor=site.staff, poll=poll)


def test_publish_button_in_the_admin_calls_the_service(site, client):
    poll = closed_poll(site)
    client.force_login(site.staff)
    response = client.post(f"/admin/polls/{poll.pk}/publish/", follow=True)
    assert "The result is published as a notice." in response.content.decode()
    notice = Poll.objects.get(pk=poll.pk).result_notice
    assert notice.live
    assert notice.get_parent().get_parent().specific == CommunityPage.objects.get(
        area=site.district.community_a
    )


def test_safe_cell_escapes_formula_starts_only():
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@x", "\t=1", "普通", "a=b")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\t=1",
        "普通",
        "a=b",
    ]
    assert safe_cell(-3) == -3 and safe_cell(None) == ""
