"""The demo district loads once, completely, and a second run changes nothing."""

import pytest
from django.core.management import call_command
from django.test import Client

from cms.models import CommunityPage, NoticePage
from portal.models import Area, AreaKind, Household, ResidentProfile, RoleAssignment, User

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "areas": Area.objects.count(),
        "households": Household.objects.count(),
        "users": User.objects.count(),
        "profiles": ResidentProfile.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "community_pages": CommunityPage.objects.count(),
        "notices": NoticePage.objects.count(),
    }


def test_seed_demo_builds_the_district_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    output = capsys.readouterr().out
    assert "resident@demo.example" in output and "demo-resident-2026" in output

    juran = Area.objects.get(kind=AreaKind.COMMUNITY, name="居然社区")
    assert juran.get_parent().name == "铁西街道"
    grids = Area.objects.within(juran).filter(kind=AreaKind.GRID)
    assert grids.count() == 8
    assert Area.objects.within(juran).filter(kind=AreaKind.BUILDING).count() == 117
    for grid in grids:
        assert 250 <= Household.objects.within(grid).count() <= 350
    assert Area.objects.filter(kind=AreaKind.STREET).count() == 6
    assert Area.objects.filter(kind=AreaKind.COMMUNITY).count() == 9
    assert first["community_pages"] == 9

    call_command("seed_demo")
    assert counts() == first


def test_demo_logins_work_for_each_role():
    call_command("seed_demo")
    client = Client()
    for email, password in [
        ("resident@demo.example", "demo-resident-2026"),
        ("staff@demo.example", "demo-staff-2026"),
        ("gridworker@demo.example", "demo-grid-2026"),
        ("admin@demo.example", "demo-admin-2026"),
    ]:
        response = client.post("/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 302, email
        client.post("/accounts/logout/")
    staff = Client()
    staff.post("/accounts/login/", {"login": "staff@demo.example", "password": "demo-staff-2026"})
    queue = staff.get("/admin/residents/")
    assert queue.status_code == 200
    assert "pending@demo.example" in queue.text


def test_demo_vote_is_decided_by_the_two_online_residents():
    from consultation import poll_services as ps
    from consultation.polls import Ballot, Outcome, Poll

    call_command("seed_demo")
    poll = Poll.objects.get(hall__slug="b31-b32-lift")
    assert poll.double_majority and poll.special_matter
    paper = Ballot.objects.filter(poll=poll, paper=True)
    assert paper.count() == poll.ballots_count > 0
    assert ps.counters(poll) == ps.tally(poll)
    assert 3 * paper.count() < 2 * ps.eligible_households(poll).count()
    staff = User.objects.get(email="staff@demo.example")
    for_option = poll.options.get(stance="for")
    for email in ("resident@demo.example", "neighbour@demo.example"):
        client = Client(headers={"accept-language": "en"})
        client.force_login(User.objects.get(email=email))
        response = client.post(f"/polls/{poll.pk}/vote/", {"option": for_option.pk})
        assert response.status_code == 302

    poll = ps.close_poll(actor=staff, poll=poll, early=True)

    # The paper ballots alone fall short of two thirds; with the two online votes the
    # quorum of area and owners is met, and three quarters of both approve.
    assert poll.figures["participants"] == paper.count() + 2
    assert poll.figures["owner_turnout"] >= 66.67 and poll.figures["area_turnout"] >= 66.67
    assert poll.outcome == Outcome.PASSED
