"""Polls in Wagtail admin: staff of a community create, follow, enter paper ballots, close
and export the polls of their own community, and of no other."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from consultation import poll_services as ps
from consultation.polls import Ballot, Option, Participation, Poll
from portal.models import Household

from ..conftest import staff_of
from .builders import add_hall, build_hall_site
from .test_polls import end_voting, make_poll, opts
from .test_polls import people as people  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def detail_url(poll: Poll) -> str:
    return f"/admin/polls/{poll.pk}/"


def login(client, user):
    client.force_login(user)
    return client


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- list and scoping --------------------------------------------------------------


def test_polls_menu_item_is_shown_to_community_staff(client, people):
    html = login(client, people["staff"]).get("/admin/").content.decode()
    # The sidebar is drawn from JSON, so the link shows as its URL.
    assert '"/admin/polls/"' in html


def test_list_shows_the_polls_of_the_staff_members_communities_newest_first(
    client, district, people
):
    older = make_poll(district, question="旧问题", staff=people["staff"])
    newer = make_poll(district, question="新问题", staff=people["staff"])
    make_poll(
        district,
        community=district.community_b,
        question="乙社区的问题",
        staff=people["other_staff"],
    )
    ps.cast_ballot(voter=people["alice"], poll=newer, option_ids=[opts(newer)[0]])
    html = login(client, people["staff"]).get("/admin/polls/").content.decode()
    assert "乙社区的问题" not in html
    assert html.index("新问题") < html.index("旧问题")
    # Ballots of entitled: four verified residents of 甲社区 vote per resident.
    assert "1 / 4" in html and "0 / 4" in html
    assert f"/admin/polls/{older.pk}/" in html
    assert "Open" in html


def test_list_without_polls_says_so_and_offers_a_new_one(client, people):
    html = login(client, people["staff"]).get("/admin/polls/").content.decode()
    assert "No polls in your communities yet." in html
    assert 'href="/admin/polls/new/"' in html


def test_residents_cannot_open_the_poll_screens(client, district, people):
    poll = make_poll(district)
    login(client, people["alice"])
    for url in (
        "/admin/polls/",
        "/admin/polls/new/",
        detail_url(poll),
        f"{detail_url(poll)}export.csv",
    ):
        assert client.get(url).status_code in (302, 403)


def test_staff_of_another_community_cannot_see_the_poll(client, district, people):
    poll = make_poll(district, question="甲社区的投票")
    login(client, people["other_staff"])
    assert "甲社区的投票" not in client.get("/admin/polls/").content.decode()
    assert client.get(detail_url(poll)).status_code == 404
    assert client.get(f"{detail_url(poll)}export.csv").status_code == 404
    assert client.get(f"{detail_url(poll)}end-early/").status_code == 404
    household = district.household(district.community_a, 2, "101")
    response = client.post(
        f"{detail_url(poll)}paper/",
        {"household": household.pk, "resident": people["carol"].pk, "choices": opts(poll)[0]},
    )
    assert response.status_code == 404
    assert client.post(f"{detail_url(poll)}close/", {"early": "1"}).status_code == 404
    assert not Ballot.objects.filter(poll=poll).exists()
    assert Poll.objects.get(pk=poll.pk).closed_at is None


def test_poll_model_is_not_offered_by_a_generic_admin(client, people):
    from django.contrib import admin
    from wagtail.snippets.models import get_snippet_models

    assert Poll not in get_snippet_models()
    assert not admin.site.is_registered(Poll)
    login(client, people["staff"])
    assert client.get("/admin/snippets/consultation/poll/").status_code == 404


# --- creating ------------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = {
        "question": "小区大门改造方案",
        "description": "两个方案",
        "kind": "single",
        "options": "方案一\n\n方案二\n",
        "min_picks": "1",
        "max_picks": "1",
        "unit": "resident",
        "mode": "open",
        "results_visibility": "live",
        "opens_at": "2026-12-01T08:00",
        "closes_at": "2026-12-08T20:00",
        "quorum_percent": "50",
        "threshold": "half",
    }
    data.update(overrides)
    return data


def test_creating_a_poll_through_the_form_reads_times_as_beijing_time(client, district, people):
    login(client, people["staff"])
    form = client.get("/admin/polls/new/").content.decode()
    assert "乙社区" not in form  # only the user's own community is offered
    data = form_data(
        community=district.community_a.pk, scope=[district.grid(district.community_a, 2).pk]
    )
    response = client.post("/admin/polls/new/", data)
    poll = Poll.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(poll)
    assert poll.opens_at == datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
    assert poll.closes_at == datetime(2026, 12, 8, 20, 0, tzinfo=SHANGHAI)
    assert [o.label for o in poll.options.order_by("position")] == ["方案一", "方案二"]
    assert list(poll.scope.all()) == [district.grid(district.community_a, 2)]
    assert (poll.quorum_percent, poll.created_by) == (50, people["staff"])
    html = client.get(detail_url(poll)).content.decode()
    assert "Not open yet" in html and "2026-12-01 08:00" in html
    assert "Paper ballots are entered while voting is open." in html


def test_for_against_poll_ignores_the_options_box(client, district, people):
    login(client, people["staff"])
    client.post(
        "/admin/polls/new/",
        form_data(community=district.community_a.pk, kind="for_against", options="随便写的"),
    )
    assert Poll.objects.get().options.count() == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"options": "只有一个"}, "from 2 to 20 options"),
        ({"opens_at": "2026-12-09T08:00"}, "open before it closes"),
        (
            {"double_majority": "on", "mode": "secret", "unit": "household"},
            "one open ballot per household",
        ),
        ({"kind": "multiple", "min_picks": "2", "max_picks": "3"}, "at most 2"),
        ({"options": "同一个\n同一个"}, "same label"),
    ],
)
def test_service_refusals_show_on_the_form_and_store_nothing(
    client, district, people, overrides, message
):
    login(client, people["staff"])
    response = client.post(
        "/admin/polls/new/", form_data(community=district.community_a.pk, **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Poll.objects.exists() and not Option.objects.exists()


def test_another_communitys_area_or_community_is_refused_by_the_form(client, district, people):
    login(client, people["staff"])
    response = client.post("/admin/polls/new/", form_data(community=district.community_b.pk))
    assert response.status_code == 200
    response = client.post(
        "/admin/polls/new/",
        form_data(
            community=district.community_a.pk, scope=[district.grid(district.community_b).pk]
        ),
    )
    assert response.status_code == 200
    assert not Poll.objects.exists()


def test_missing_times_without_a_hall_are_an_error(client, district, people):
    login(client, people["staff"])
    response = client.post(
        "/admin/polls/new/", form_data(community=district.community_a.pk, opens_at="", closes_at="")
    )
    assert "choose a hall whose voting phase it follows" in response.content.decode()
    assert not Poll.objects.exists()


def test_poll_of_a_hall_takes_the_halls_voting_phase_when_times_are_blank(client, db):
    site = build_hall_site()
    login(client, site.staff)
    client.post(
        "/admin/polls/new/",
        form_data(
            community=site.district.community_a.pk, hall=site.hall.pk, opens_at="", closes_at=""
        ),
    )
    poll = Poll.objects.get()
    assert poll.hall_id == site.hall.pk
    assert (poll.opens_at, poll.closes_at) == (site.hall.voting_opens_at, site.hall.closes_at)


# --- paper ballots ---------------------------------------------------------------


def test_finding_a_household_by_building_and_room_lists_its_verified_residents(
    client, district, people
):
    poll = make_poll(district)
    building = district.household(district.community_a, 1, "101").unit.get_parent()
    html = (
        login(client, people["staff"])
        .get(detail_url(poll), {"building": building.pk, "room": "101"})
        .content.decode()
    )
    assert "Alice" in html and "Adam" in html and "Bob" not in html
    assert 'name="household"' in html

    other = district.household(district.community_b, 1, "101").unit.get_parent()
    html = client.get(detail_url(poll), {"building": other.pk, "room": "101"}).content.decode()
    assert "Choose a building of this community." in html


def test_staff_enter_a_paper_ballot_for_a_verified_resident_and_it_is_audited(
    client, district, people
):
    poll = make_poll(district)
    household = district.household(district.community_a, 2, "101")
    login(client, people["staff"])
    response = client.post(
        f"{detail_url(poll)}paper/",
        {
            "household": household.pk,
            "resident": people["carol"].pk,
            "paper_name": "卡罗尔",
            "choices": opts(poll)[1],
        },
        follow=True,
    )
    ballot = Ballot.objects.get(poll=poll)
    assert (ballot.voter, ballot.paper, ballot.recorded_by) == (
        people["carol"],
        True,
        people["staff"],
    )
    assert [o.pk for o in ballot.options.all()] == [opts(poll)[1]]
    html = response.content.decode()
    assert "Paper ballot for" in html
    audit = html[html.index("Paper ballots entered") :]
    assert "Carol" in audit and "卡罗尔" in audit and str(people["staff"]) in audit


def test_paper_ballot_for_a_household_without_an_account_needs_the_signed_name(
    client, district, people
):
    poll = make_poll(district, unit="household")
    empty = Household.objects.create(
        unit=district.household(district.community_a, 1, "101").unit, label="103"
    )
    login(client, people["staff"])
    response = client.post(
        f"{detail_url(poll)}paper/", {"household": empty.pk, "choices": opts(poll)[0]}
    )
    assert "Write the name signed on the paper ballot." in response.content.decode()
    assert not Ballot.objects.exists()
    client.post(
        f"{detail_url(poll)}paper/",
        {"household": empty.pk, "paper_name": "王秀英", "choices": opts(poll)[0]},
    )
    ballot = Ballot.objects.get()
    assert (ballot.voter, ballot.voter_name, ballot.household) == (None, "王秀英", empty)


def test_paper_ballot_refusals_store_nothing(client, district, people):
    poll = make_poll(district)
    login(client, people["staff"])
    url = f"{detail_url(poll)}paper/"
    alices_home = district.household(district.community_a, 1, "101")
    outside = district.household(district.community_b, 1, "101")
    cases = [
        # A household of another community.
        ({"household": outside.pk, "resident": people["outsider"].pk}, "does not lie in"),
        # A resident of another household.
        ({"household": alices_home.pk, "resident": people["carol"].pk}, "verified residents"),
        # A pending resident is nobody's voter yet.
        (
            {
                "household": district.household(district.community_a, 2, "102").pk,
                "resident": people["pending"].pk,
            },
            "verified residents",
        ),
        # A per-resident poll needs a resident, not only a name.
        ({"household": alices_home.pk, "paper_name": "某人"}, "names a verified resident"),
    ]
    for data, message in cases:
        response = client.post(url, {"choices": opts(poll)[0], **data})
        assert message in response.content.decode(), message
    assert not Ballot.objects.exists()
    assert Poll.objects.get(pk=poll.pk).ballots_count == 0


def test_a_second_paper_ballot_for_a_resident_who_voted_online_is_refused(client, district, people):
    poll = make_poll(district)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    login(client, people["staff"])
    response = client.post(
        f"{detail_url(poll)}paper/",
        {
            "household": district.household(district.community_a, 1, "101").pk,
            "resident": people["alice"].pk,
            "choices": opts(poll)[1],
        },
    )
    assert "already been cast for this resident" in response.content.decode()
    assert list(Ballot.objects.get().options.values_list("pk", flat=True)) == [opts(poll)[0]]


def test_secret_paper_entries_are_audited_without_choices(client, district, people):
    poll = make_poll(district, mode="secret", options=("甲方案", "乙方案"))
    login(client, people["staff"])
    client.post(
        f"{detail_url(poll)}paper/",
        {
            "household": district.household(district.community_a, 2, "101").pk,
            "resident": people["carol"].pk,
            "choices": opts(poll)[1],
        },
    )
    assert Participation.objects.get(poll=poll).recorded_by == people["staff"]
    html = client.get(detail_url(poll)).content.decode()
    audit = html[html.index("Paper ballots entered") :]
    assert "Carol" in audit
    assert "甲方案" not in audit and "乙方案" not in audit


# --- breakdown -------------------------------------------------------------------


def test_open_poll_breakdown_counts_votes_per_grid_and_building(client, district, people):
    poll = make_poll(district, options=("方案一", "方案二"))
    first, second = opts(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[first])
    ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[second])
    ps.cast_ballot(voter=people["carol"], poll=poll, option_ids=[second])
    from consultation.poll_results import breakdown

    result = breakdown(poll)
    grids = {row.name: (row.eligible, row.ballots, row.votes) for row in result.grids}
    assert grids == {"第1网格": (3, 2, [1, 1]), "第2网格": (1, 1, [0, 1])}
    buildings = {(row.grid, row.name): row.votes for row in result.buildings}
    assert buildings == {("第1网格", "1号楼"): [1, 1], ("第2网格", "2号楼"): [0, 1]}
    html = login(client, people["staff"]).get(detail_url(poll)).content.decode()
    assert "Per grid" in html and "Per building" in html


def test_secret_poll_breakdown_shows_participation_and_never_choices(client, district, people):
    poll = make_poll(district, mode="secret", options=("方案一", "方案二"))
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=people["carol"], poll=poll, option_ids=[opts(poll)[1]])
    from consultation.poll_results import breakdown

    result = breakdown(poll)
    assert result.secret
    assert all(row.votes is None for row in result.grids + result.buildings)
    assert {row.name: row.ballots for row in result.buildings} == {"1号楼": 1, "2号楼": 1}
    html = login(client, people["staff"]).get(detail_url(poll)).content.decode()
    section = html[html.index("By grid and building") : html.index("Paper ballots")]
    assert "方案一" not in section and "方案二" not in section


# --- detail, recount, closing -----------------------------------------------------


def test_detail_shows_counts_times_in_beijing_time_and_the_recount_check(client, district, people):
    poll = make_poll(district, opens_at=datetime(2026, 1, 1, 0, 30, tzinfo=ZoneInfo("UTC")))
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[2]])
    html = login(client, people["staff"]).get(detail_url(poll)).content.decode()
    assert "2026-01-01 08:30" in html
    assert "counters match a fresh count" in html
    # Someone changes a counter behind the services' back: the page says so loudly.
    Option.objects.filter(pk=opts(poll)[0]).update(votes=5)
    html = client.get(detail_url(poll)).content.decode()
    assert "Recount check failed" in html


def test_close_and_count_is_offered_when_voting_time_is_over(client, district, people):
    poll = make_poll(district)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    login(client, people["staff"])
    # Before the end, closing without the early flag is refused.
    client.post(f"{detail_url(poll)}close/")
    assert Poll.objects.get(pk=poll.pk).closed_at is None
    poll = end_voting(poll)
    assert "Close and count" in client.get(detail_url(poll)).content.decode()
    html = client.post(f"{detail_url(poll)}close/", follow=True).content.decode()
    poll.refresh_from_db()
    assert poll.closed_at is not None and poll.figures["closed_early"] is False
    assert "Outcome" in html and "Publish the result as a notice" in html


def test_end_voting_now_asks_for_confirmation_and_records_the_early_close(client, district, people):
    poll = make_poll(district)
    login(client, people["staff"])
    assert "End voting now" in client.get(detail_url(poll)).content.decode()
    confirm = client.get(f"{detail_url(poll)}end-early/").content.decode()
    assert 'name="early" value="1"' in confirm and "csrfmiddlewaretoken" in confirm
    assert Poll.objects.get(pk=poll.pk).closed_at is None
    client.post(f"{detail_url(poll)}close/", {"early": "1"})
    poll.refresh_from_db()
    assert poll.closed_at is not None and poll.figures["closed_early"] is True
    assert "Voting ended early" in client.get(detail_url(poll)).content.decode()


def test_double_majority_figures_are_shown_after_close(client, district, people):
    poll = make_poll(district, unit="household", double_majority=True, kind="for_against")
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=people["carol"], poll=poll, option_ids=[opts(poll)[0]])
    login(client, people["staff"])
    client.post(f"{detail_url(poll)}close/", {"early": "1"})
    html = client.get(detail_url(poll)).content.decode()
    for label in ("Floor area taking part", "Owners taking part", "Approval by floor area"):
        assert label in html
    assert "Floor area (m²)" in html


# --- CSV --------------------------------------------------------------------------


def test_csv_summary_equals_the_counters_and_lists_every_ballot(client, district, people):
    poll = make_poll(district)
    a, b, c = opts(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[a])
    ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[b])
    ps.cast_ballot(voter=people["staff"], poll=poll, option_ids=[b], paper_for=people["carol"])
    response = login(client, people["staff"]).get(f"{detail_url(poll)}export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    header = rows.index(["Option", "Votes", "Share of ballots (%)"])
    table = {r[0]: int(r[1]) for r in rows[header + 1 : header + 4]}
    counted = {o["id"]: o["votes"] for o in ps.counters(poll)["options"]}
    labels = {o.pk: o.label for o in poll.options.all()}
    assert table == {labels[pk]: n for pk, n in counted.items()}
    assert ["Ballots", "3"] in rows and ["Entitled to vote", "4"] in rows
    assert ["Turnout (%)", "75.0"] in rows
    ballots_at = rows.index(["Ballots"])
    columns = rows[ballots_at + 1]
    assert "Choices" in columns
    ballot_rows = rows[ballots_at + 2 :]
    assert len(ballot_rows) == 3
    carol = next(r for r in ballot_rows if r[columns.index("Voter")] == "Carol")
    assert carol[columns.index("Choices")] == labels[b]
    assert carol[columns.index("Paper ballot")] == "yes"
    assert carol[columns.index("Recorded by")] == str(people["staff"])
    assert carol[columns.index("Building")] == "2号楼"


def test_secret_csv_lists_participation_and_has_no_choice_column(client, district, people):
    poll = make_poll(district, mode="secret", options=("甲方案", "乙方案"))
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(
        voter=people["staff"], poll=poll, option_ids=[opts(poll)[1]], paper_for=people["bob"]
    )
    rows = read_csv(login(client, people["staff"]).get(f"{detail_url(poll)}export.csv"))
    start = rows.index(["Participation"])
    columns = rows[start + 1]
    assert "Choices" not in columns
    entries = rows[start + 2 :]
    assert sorted(r[columns.index("Voter")] for r in entries) == ["Alice", "Bob"]
    for row in entries:
        assert "甲方案" not in row and "乙方案" not in row


def test_csv_cells_that_would_run_as_formulas_are_escaped(client, district, people):
    poll = make_poll(district, question='=HYPERLINK("http://x")', options=("+1", "@SUM(A1)"))
    empty = Household.objects.create(
        unit=district.household(district.community_a, 1, "101").unit, label="-5"
    )
    poll_h = make_poll(district, unit="household", options=("=1+1", "普通"))
    ps.cast_ballot(
        voter=people["staff"],
        poll=poll_h,
        option_ids=[opts(poll_h)[0]],
        paper_household=empty,
        paper_name="=cmd|' /C calc'!A0",
    )
    login(client, people["staff"])
    rows = read_csv(client.get(f"{detail_url(poll)}export.csv"))
    assert rows[0][1] == '\'=HYPERLINK("http://x")'
    assert ["'+1", "0", "0.0"] in rows and ["'@SUM(A1)", "0", "0.0"] in rows
    rows = read_csv(client.get(f"{detail_url(poll_h)}export.csv"))
    ballot = rows[-1]
    assert "'=cmd|' /C calc'!A0" in ballot and "'-5" in ballot and "'=1+1" in ballot
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_staff_see_after_close_results_before_close(client, district, people):
    poll = make_poll(
        district, results_visibility="after_close", mode="secret", options=("甲", "乙")
    )
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[1]])
    rows = read_csv(login(client, people["staff"]).get(f"{detail_url(poll)}export.csv"))
    assert ["乙", "1", "100.0"] in rows


def test_hall_page_of_another_community_is_not_offered(client, db):
    site = build_hall_site()
    other_staff = staff_of(site.district.community_b)
    add_hall(site.community_page, title="甲社区的议事厅")
    html = login(client, other_staff).get("/admin/polls/new/").content.decode()
    assert "甲社区的议事厅" not in html and site.hall.title not in html


def test_poll_forms_refuse_a_post_without_the_csrf_token(district, people):
    from django.test import Client

    poll = make_poll(district)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["staff"])
    assert client.post(f"{detail_url(poll)}close/", {"early": "1"}).status_code == 403
    assert (
        client.post("/admin/polls/new/", form_data(community=district.community_a.pk)).status_code
        == 403
    )
    assert Poll.objects.get(pk=poll.pk).closed_at is None and Poll.objects.count() == 1
    assert "csrfmiddlewaretoken" in client.get(f"{detail_url(poll)}end-early/").content.decode()


def test_breakdown_takes_the_same_few_queries_however_many_ballots(
    district, people, django_assert_max_num_queries
):
    from consultation.poll_results import breakdown

    poll = make_poll(district, unit="household")
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    for n in range(12):
        home = Household.objects.create(
            unit=district.household(district.community_a, 2, "101").unit, label=f"2{n:02d}"
        )
        ps.cast_ballot(
            voter=people["staff"],
            poll=poll,
            option_ids=[opts(poll)[n % 3]],
            paper_household=home,
            paper_name=f"住户{n}",
        )
    with django_assert_max_num_queries(6):
        result = breakdown(poll)
    assert sum(row.ballots for row in result.grids) == 13


def test_paper_ballot_of_a_household_poll_may_name_one_of_its_residents(client, district, people):
    poll = make_poll(district, unit="household")
    login(client, people["staff"])
    client.post(
        f"{detail_url(poll)}paper/",
        {
            "household": district.household(district.community_a, 1, "102").pk,
            "resident": people["bob"].pk,
            "choices": opts(poll)[2],
        },
    )
    ballot = Ballot.objects.get()
    assert (ballot.voter, ballot.unit_key) == (people["bob"], f"h:{ballot.household_id}")


def test_after_a_refused_paper_ballot_the_household_form_is_still_there(client, district, people):
    poll = make_poll(district)
    login(client, people["staff"])
    home = district.household(district.community_a, 1, "101")
    response = client.post(
        f"{detail_url(poll)}paper/", {"household": home.pk, "resident": people["alice"].pk}
    )
    html = response.content.decode()
    # The choice was missing; who it was for is kept, and the search form leaves this URL.
    assert f'value="{people["alice"].pk}" checked' in html
    assert f'action="{detail_url(poll)}#paper"' in html
    assert not Ballot.objects.exists()


def test_street_admin_chooses_among_the_communities_below(client, district):
    admin = staff_of(district.street_a, role="street_admin")
    login(client, admin)
    html = client.get("/admin/polls/new/").content.decode()
    assert "甲社区" in html and "乙社区" in html and "丙社区" not in html
    assert "甲社区 第1网格 1号楼" in html
    narrowed = client.get("/admin/polls/new/", {"community": district.community_b.pk})
    grid_a, grid_b = district.grid(district.community_a), district.grid(district.community_b)
    assert f'value="{grid_b.pk}"' in narrowed.content.decode()
    assert f'value="{grid_a.pk}"' not in narrowed.content.decode()
