"""The poll page residents vote on: what they see, what they may do, what gets stored."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultation import poll_services as ps
from consultation.polls import Ballot, BallotBox, Participation, Poll
from portal.models import ResidentStatus

from ..factories import resident
from .builders import build_hall_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return build_hall_site()


def make_poll(site, **fields) -> Poll:
    now = timezone.now()
    kwargs = {
        "community": site.district.community_a,
        "question": "楼顶防水用哪个方案？",
        "kind": "single",
        "options": ("方案一", "方案二"),
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=3),
    }
    kwargs.update(fields)
    return ps.create_poll(actor=site.staff, **kwargs)


def opts(poll: Poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


def client_for(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def page(poll: Poll) -> str:
    return reverse("consultation:poll", args=[poll.pk])


def vote_url(poll: Poll) -> str:
    return reverse("consultation:vote", args=[poll.pk])


def test_resident_votes_from_the_page_and_sees_their_vote(site):
    poll = make_poll(site)
    client = client_for(site.alice)
    html = client.get(page(poll)).content.decode()
    assert "楼顶防水用哪个方案？" in html and 'name="option"' in html

    response = client.post(vote_url(poll), {"option": opts(poll)[1]})

    assert response.status_code == 302 and response["Location"].startswith(page(poll))
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.voter == site.alice
    assert [o.pk for o in ballot.options.all()] == [opts(poll)[1]]
    html = client.get(page(poll)).content.decode()
    assert "data-voted" in html
    # The open ballot can be changed: their choice is preselected.
    assert f'value="{opts(poll)[1]}" checked' in html


def test_open_ballot_changed_from_the_page_moves_the_counts(site):
    poll = make_poll(site)
    client = client_for(site.alice)
    client.post(vote_url(poll), {"option": opts(poll)[0]})
    client.post(vote_url(poll), {"option": opts(poll)[1]})
    assert [o.votes for o in Poll.objects.get(pk=poll.pk).options.all()] == [0, 1]
    assert ps.counters(poll) == ps.tally(poll)


def test_second_secret_ballot_is_refused_on_the_page_and_nothing_is_added(site):
    poll = make_poll(site, mode="secret")
    client = client_for(site.alice)
    assert client.post(vote_url(poll), {"option": opts(poll)[0]}).status_code == 302

    response = client.post(vote_url(poll), {"option": opts(poll)[1]})

    assert response.status_code == 400
    assert "cannot be changed" in response.content.decode()
    assert BallotBox.objects.get(poll=poll).ballots == [[opts(poll)[0]]]
    assert Participation.objects.filter(poll=poll).count() == 1
    # After voting, a secret poll offers no form, only the record.
    html = client.get(page(poll)).content.decode()
    assert 'name="option"' not in html and "data-voted" in html


def test_unverified_resident_sees_why_and_a_forced_post_stores_nothing(site):
    pending = resident(
        site.district.household(site.district.community_a, 2, "102"), ResidentStatus.PENDING
    )
    poll = make_poll(site)
    client = client_for(pending)
    assert client.get(page(poll)).status_code == 403
    assert client.post(vote_url(poll), {"option": opts(poll)[0]}).status_code == 403
    assert not Ballot.objects.filter(poll=poll).exists()


def test_visitor_is_sent_to_log_in_and_other_communities_are_refused(site):
    poll = make_poll(site)
    response = Client().get(page(poll))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = Client().post(vote_url(poll), {"option": opts(poll)[0]})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(site.outsider).get(page(poll)).status_code == 403
    assert (
        client_for(site.outsider).post(vote_url(poll), {"option": opts(poll)[0]}).status_code == 403
    )
    assert not Ballot.objects.filter(poll=poll).exists()


def test_option_of_another_poll_and_missing_choice_are_refused_with_a_message(site):
    poll = make_poll(site)
    other = make_poll(site, question="另一个问题")
    client = client_for(site.alice)
    for data in ({"option": opts(other)[0]}, {}, {"option": "x"}):
        response = client.post(vote_url(poll), data)
        assert response.status_code == 400
        assert "data-vote-error" in response.content.decode()
    assert not Ballot.objects.exists()


def test_vote_without_csrf_token_is_refused(site):
    poll = make_poll(site)
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.alice)
    assert client.post(vote_url(poll), {"option": opts(poll)[0]}).status_code == 403
    assert not Ballot.objects.filter(poll=poll).exists()


def test_vote_before_opening_is_refused_and_the_page_says_so(site):
    now = timezone.now()
    poll = make_poll(site, opens_at=now + timedelta(hours=2), closes_at=now + timedelta(days=1))
    client = client_for(site.alice)
    html = client.get(page(poll)).content.decode()
    assert 'name="option"' not in html and "data-refusal" in html
    response = client.post(vote_url(poll), {"option": opts(poll)[0]})
    assert response.status_code == 400 and "not opened yet" in response.content.decode()
    assert not Ballot.objects.filter(poll=poll).exists()


def test_household_member_sees_that_the_household_voted_but_not_the_choice(site):
    poll = make_poll(site, unit="household")
    partner = resident(site.district.household(site.district.community_a, 1, "101"), name="Ann")
    client_for(site.alice).post(vote_url(poll), {"option": opts(poll)[1]})

    html = client_for(partner).get(page(poll)).content.decode()

    assert "Alice" in html and "data-voted" in html
    assert 'name="option"' not in html
    response = client_for(partner).post(vote_url(poll), {"option": opts(poll)[0]})
    assert response.status_code == 400 and "already been cast" in response.content.decode()
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_results_hidden_until_close_are_hidden_from_residents_not_staff(site):
    poll = make_poll(site, results_visibility="after_close")
    client_for(site.alice).post(vote_url(poll), {"option": opts(poll)[0]})
    resident_html = client_for(site.bob).get(page(poll)).content.decode()
    assert "data-results-hidden" in resident_html and "data-tally>" not in resident_html
    staff_html = client_for(site.staff).get(page(poll)).content.decode()
    assert "data-tally>" in staff_html


def test_closed_poll_shows_outcome_with_its_figures(site):
    poll = make_poll(site, quorum_percent=50)
    client_for(site.alice).post(vote_url(poll), {"option": opts(poll)[0]})
    client_for(site.bob).post(vote_url(poll), {"option": opts(poll)[0]})
    ps.close_poll(actor=site.staff, poll=poll, early=True)

    html = client_for(site.carol).get(page(poll)).content.decode()

    assert 'data-outcome="passed"' in html
    assert 'name="option"' not in html
    # Turnout: 2 of the 3 verified residents of the community (alice, bob, carol).
    assert "66.67%" in html


def test_hall_page_and_community_page_list_their_polls(site):
    hall_poll = make_poll(site, hall=site.hall, question="大厅里的投票")
    community_poll = make_poll(site, question="全社区的投票")
    client = client_for(site.alice)
    hall_html = client.get(site.hall.url).content.decode()
    assert page(hall_poll) in hall_html and page(community_poll) not in hall_html
    community_html = client.get(site.community_page.url).content.decode()
    assert page(community_poll) in community_html and page(hall_poll) not in community_html


def test_hall_poll_opens_and_closes_with_the_halls_voting_phase(site):
    poll = ps.create_poll(
        actor=site.staff,
        community=site.district.community_a,
        hall=site.hall,
        question="选哪个方案？",
        kind="for_against",
    )
    assert (poll.opens_at, poll.closes_at) == (site.hall.voting_opens_at, site.hall.closes_at)
    # The hall votes in six days: nobody can vote before the phase starts.
    response = client_for(site.alice).post(vote_url(poll), {"option": opts(poll)[0]})
    assert response.status_code == 400
    assert not Ballot.objects.filter(poll=poll).exists()


def test_poll_past_its_time_is_counted_without_staff(site):
    poll = make_poll(site)
    client_for(site.alice).post(vote_url(poll), {"option": opts(poll)[0]})
    Poll.objects.filter(pk=poll.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now()
    )
    out = StringIO()
    call_command("close_due_polls", stdout=out)
    poll.refresh_from_db()
    assert poll.closed_at is not None and poll.outcome == "passed"
    assert poll.figures["closed_early"] is False
    assert "1 poll(s) closed." in out.getvalue()
    call_command("close_due_polls", stdout=out)
    assert "0 poll(s) closed." in out.getvalue()


def test_opening_a_due_poll_counts_it(site):
    poll = make_poll(site)
    Poll.objects.filter(pk=poll.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now()
    )
    html = client_for(site.bob).get(page(poll)).content.decode()
    assert 'data-outcome="no_quorum"' in html
    assert Poll.objects.get(pk=poll.pk).closed_at is not None


def test_the_portal_itself_may_not_end_voting_early(site):
    poll = make_poll(site)
    with pytest.raises(PermissionDenied):
        ps.close_poll(actor=None, poll=poll, early=True)
    assert Poll.objects.get(pk=poll.pk).closed_at is None
