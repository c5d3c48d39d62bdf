"""Polls: who may vote, what a ballot may hold, counters, secrecy and outcomes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consultation import poll_services as ps
from consultation.polls import (
    Ballot,
    BallotBox,
    Option,
    Outcome,
    Participation,
    Poll,
)
from portal.models import Household, ResidentStatus

from ..conftest import staff_of
from ..factories import resident

pytestmark = pytest.mark.django_db


def make_poll(district, *, staff=None, options=("方案一", "方案二", "方案三"), **fields) -> Poll:
    now = timezone.now()
    kwargs = {
        "community": district.community_a,
        "question": "楼顶防水用哪个方案？",
        "kind": "single",
        "options": options,
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=3),
    }
    kwargs.update(fields)
    return ps.create_poll(actor=staff or staff_of(district.community_a), **kwargs)


def opts(poll: Poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


def end_voting(poll: Poll) -> Poll:
    # Time moves on: the poll's voting window lies in the past.
    now = timezone.now()
    Poll.objects.filter(pk=poll.pk).update(
        opens_at=now - timedelta(days=2), closes_at=now - timedelta(seconds=1)
    )
    return Poll.objects.get(pk=poll.pk)


def assert_counters_match(poll: Poll) -> None:
    assert ps.counters(poll) == ps.tally(poll)


def nothing_stored(poll: Poll) -> None:
    assert not Ballot.objects.filter(poll=poll).exists()
    assert not Participation.objects.filter(poll=poll).exists()
    assert not BallotBox.objects.filter(poll=poll).exclude(ballots=[]).exists()
    poll = Poll.objects.get(pk=poll.pk)
    assert poll.ballots_count == 0
    assert all(o.votes == 0 for o in poll.options.all())


@pytest.fixture
def people(district):
    ca = district.community_a
    return {
        "alice": resident(district.household(ca, 1, "101"), name="Alice"),
        "adam": resident(district.household(ca, 1, "101"), name="Adam"),  # Alice's household
        "bob": resident(district.household(ca, 1, "102"), name="Bob"),
        "carol": resident(district.household(ca, 2, "101"), name="Carol"),
        "pending": resident(district.household(ca, 2, "102"), ResidentStatus.PENDING),
        "outsider": resident(district.household(district.community_b, 1, "101")),
        "staff": staff_of(ca),
        "other_staff": staff_of(district.community_b),
    }


# --- creating ------------------------------------------------------------------


def test_poll_needs_two_to_twenty_options(district):
    with pytest.raises(ValidationError, match="from 2 to 20 options"):
        make_poll(district, options=["只有一个"])
    with pytest.raises(ValidationError, match="from 2 to 20 options"):
        make_poll(district, options=[f"选项{i}" for i in range(21)])
    assert make_poll(district, options=[f"选项{i}" for i in range(20)]).options.count() == 20
    assert Poll.objects.count() == 1


def test_for_against_poll_gets_its_three_options(district):
    poll = make_poll(district, kind="for_against", options=())
    assert [o.stance for o in poll.options.order_by("position")] == ["for", "against", "abstain"]


def test_only_community_staff_create_polls(district, people):
    with pytest.raises(PermissionDenied):
        make_poll(district, staff=people["other_staff"])
    with pytest.raises(PermissionDenied):
        make_poll(district, staff=people["alice"])


def test_double_majority_needs_open_household_ballots(district):
    with pytest.raises(ValidationError, match="one open ballot per household"):
        make_poll(district, double_majority=True, unit="resident")
    with pytest.raises(ValidationError, match="one open ballot per household"):
        make_poll(district, double_majority=True, unit="household", mode="secret")


def test_double_majority_rule_is_also_a_database_constraint(district):
    poll = make_poll(district, unit="resident")
    with pytest.raises(IntegrityError), transaction.atomic():
        Poll.objects.filter(pk=poll.pk).update(double_majority=True)


def test_scope_must_lie_in_the_community(district):
    with pytest.raises(ValidationError, match="lie in this community"):
        make_poll(district, scope=[district.grid(district.community_b)])


def test_multiple_choice_pick_range_must_fit_the_options(district):
    with pytest.raises(ValidationError, match="at most 3"):
        make_poll(district, kind="multiple", min_picks=1, max_picks=4)


# --- casting ------------------------------------------------------------------


def test_verified_resident_in_scope_casts_one_ballot_and_counters_follow(district, people):
    poll = make_poll(district)
    ballot = ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[1]])
    assert ballot.voter == people["alice"]
    poll.refresh_from_db()
    assert poll.ballots_count == 1
    assert Option.objects.get(pk=opts(poll)[1]).votes == 1
    assert_counters_match(poll)


def test_ballot_before_opening_is_refused(district, people):
    poll = make_poll(district, opens_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(ValidationError, match="not opened yet"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    nothing_stored(poll)


def test_ballot_after_closing_time_is_refused(district, people):
    poll = end_voting(make_poll(district))
    with pytest.raises(ValidationError, match="closed"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    nothing_stored(poll)


def test_ballot_after_close_poll_is_refused(district, people):
    poll = end_voting(make_poll(district))
    ps.close_poll(actor=people["staff"], poll=poll)
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="closed"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    nothing_stored(poll)


@pytest.mark.parametrize("who", ["pending", "outsider", "staff"])
def test_unverified_outside_or_non_resident_voter_is_refused(district, people, who):
    poll = make_poll(district)
    with pytest.raises(ValidationError):
        ps.cast_ballot(voter=people[who], poll=poll, option_ids=[opts(poll)[0]])
    nothing_stored(poll)


def test_voter_outside_the_poll_scope_is_refused(district, people):
    poll = make_poll(district, scope=[district.grid(district.community_a, 2)])
    with pytest.raises(ValidationError, match="outside the area"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=people["carol"], poll=poll, option_ids=[opts(poll)[0]])
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_option_of_another_poll_is_refused(district, people):
    poll = make_poll(district)
    other = make_poll(district)
    with pytest.raises(ValidationError, match="this poll's options"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(other)[0]])
    nothing_stored(poll)
    nothing_stored(other)


@pytest.mark.parametrize("picks", [0, 2])
def test_single_choice_needs_exactly_one_pick(district, people, picks):
    poll = make_poll(district)
    with pytest.raises(ValidationError, match="exactly one"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=opts(poll)[:picks])
    nothing_stored(poll)


def test_for_against_needs_exactly_one_pick(district, people):
    poll = make_poll(district, kind="for_against", options=())
    with pytest.raises(ValidationError, match="exactly one"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=opts(poll)[:2])
    nothing_stored(poll)


@pytest.mark.parametrize("picks", [1, 4])
def test_multiple_choice_picks_within_min_and_max(district, people, picks):
    poll = make_poll(
        district, kind="multiple", options=["甲", "乙", "丙", "丁"], min_picks=2, max_picks=3
    )
    with pytest.raises(ValidationError, match="from 2 to 3"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=opts(poll)[:picks])
    nothing_stored(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=opts(poll)[:3])
    assert [o.votes for o in Poll.objects.get(pk=poll.pk).options.all()] == [1, 1, 1, 0]
    assert_counters_match(poll)


def test_garbage_option_ids_are_refused(district, people):
    poll = make_poll(district)
    with pytest.raises(ValidationError, match="this poll's options"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=["x"])
    nothing_stored(poll)


def test_open_ballot_can_be_changed_and_counters_move(district, people):
    poll = make_poll(district, kind="multiple", min_picks=1, max_picks=2)
    a, b, c = opts(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[a, b])
    ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[a])
    ballot = ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[b, c])
    assert ballot.changed_at is not None
    poll.refresh_from_db()
    assert poll.ballots_count == 2
    assert [o.votes for o in poll.options.all()] == [1, 1, 1]
    assert_counters_match(poll)


def test_floor_area_correction_during_voting_keeps_counters_equal_to_tally(district, people):
    poll = make_poll(district, unit="household")
    a, b, _c = opts(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[a])
    home = people["alice"].resident_profile.household
    home.floor_area = Decimal("99.00")
    home.save()
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[b])
    assert Option.objects.get(pk=b).area_sum == Decimal("80.50")
    assert Option.objects.get(pk=a).area_sum == 0
    assert_counters_match(poll)


def test_second_ballot_of_the_same_household_is_refused(district, people):
    poll = make_poll(district, unit="household")
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    with pytest.raises(ValidationError, match="already been cast for this household"):
        ps.cast_ballot(voter=people["adam"], poll=poll, option_ids=[opts(poll)[1]])
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert [o.votes for o in Poll.objects.get(pk=poll.pk).options.all()] == [1, 0, 0]


def test_per_resident_poll_lets_each_member_of_a_household_vote(district, people):
    poll = make_poll(district, unit="resident")
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    ps.cast_ballot(voter=people["adam"], poll=poll, option_ids=[opts(poll)[1]])
    assert Ballot.objects.filter(poll=poll).count() == 2


def test_database_refuses_a_second_ballot_for_one_unit(district, people):
    poll = make_poll(district)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            poll=poll,
            voter=people["alice"],
            household=people["alice"].resident_profile.household,
            unit_key=f"u:{people['alice'].pk}",
            cast_at=timezone.now(),
        )


# --- secret ballots ---------------------------------------------------------------


def test_secret_ballot_is_counted_and_cannot_be_changed(district, people):
    poll = make_poll(district, mode="secret")
    assert ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]]) is None
    with pytest.raises(ValidationError, match="cannot be changed"):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[1]])
    assert Participation.objects.filter(poll=poll).count() == 1
    assert BallotBox.objects.get(poll=poll).ballots == [[opts(poll)[0]]]
    assert [o.votes for o in Poll.objects.get(pk=poll.pk).options.all()] == [1, 0, 0]
    assert_counters_match(poll)


def test_secret_ballot_box_has_no_column_linking_it_to_a_voter():
    fields = {f.name for f in BallotBox._meta.get_fields()}
    assert fields == {"id", "poll", "ballots"}
    # Only the poll is a relation; nothing points at users, households or participations.
    relations = {f.related_model for f in BallotBox._meta.get_fields() if f.is_relation}
    assert relations == {Poll}
    assert not any(
        f.related_model is BallotBox for f in Participation._meta.get_fields() if f.is_relation
    )


def test_stored_ballot_box_does_not_depend_on_casting_order(district):
    unit = district.household(district.community_a, 1).unit
    voters = [resident(Household.objects.create(unit=unit, label=f"2{i:02}")) for i in range(6)]
    picks = [0, 2, 1, 2, 0, 0]
    boxes = []
    for order in (range(6), reversed(range(6))):
        poll = make_poll(district, mode="secret", kind="multiple", max_picks=2)
        for i in order:
            ids = opts(poll)
            choice = [ids[picks[i]]] if i % 2 else [ids[picks[i]], ids[(picks[i] + 1) % 3]]
            ps.cast_ballot(voter=voters[i], poll=poll, option_ids=choice)
        # The same ballots cast in opposite orders leave the same stored box (in terms
        # of option positions), so the box cannot tell who came first.
        position = {pk: n for n, pk in enumerate(opts(poll))}
        boxes.append(
            [[position[pk] for pk in entry] for entry in BallotBox.objects.get(poll=poll).ballots]
        )
    assert boxes[0] == boxes[1]
    assert len(boxes[0]) == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="transaction ids are PostgreSQL's")
def test_secret_ballot_rows_carry_no_transaction_id_of_an_earlier_voter(district):
    # On PostgreSQL every row remembers the transaction that wrote it (xmin). A ballot
    # row written beside its participation would share that id; the box and the
    # counters must only ever carry the latest casting transaction's id.
    unit = district.household(district.community_a, 1).unit
    voters = [resident(Household.objects.create(unit=unit, label=f"3{i:02}")) for i in range(4)]
    poll = make_poll(district, mode="secret")
    for i, voter in enumerate(voters):
        ps.cast_ballot(voter=voter, poll=poll, option_ids=[opts(poll)[i % 2]])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text, voter_id FROM {Participation._meta.db_table} WHERE poll_id = %s",
            [poll.pk],
        )
        voted_in = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT xmin::text FROM {BallotBox._meta.db_table} WHERE poll_id = %s "
            f"UNION ALL SELECT xmin::text FROM {Option._meta.db_table} WHERE poll_id = %s",
            [poll.pk, poll.pk],
        )
        ballot_side = {row[0] for row in cursor.fetchall()}
    assert len(voted_in) == 4
    earlier = {xid for xid, voter_id in voted_in.items() if voter_id != voters[-1].pk}
    assert ballot_side.isdisjoint(earlier)


# --- paper ballots ------------------------------------------------------------------


def test_staff_record_a_paper_ballot_attributed_to_them(district, people):
    poll = make_poll(district)
    ballot = ps.cast_ballot(
        voter=people["staff"], poll=poll, option_ids=[opts(poll)[2]], paper_for=people["carol"]
    )
    assert (ballot.voter, ballot.paper, ballot.recorded_by) == (
        people["carol"],
        True,
        people["staff"],
    )
    assert_counters_match(poll)


def test_paper_ballot_needs_staff_of_the_community(district, people):
    poll = make_poll(district)
    for recorder in (people["alice"], people["other_staff"]):
        with pytest.raises(PermissionDenied):
            ps.cast_ballot(
                voter=recorder, poll=poll, option_ids=[opts(poll)[0]], paper_for=people["carol"]
            )
    nothing_stored(poll)


def test_paper_ballot_needs_an_eligible_voter(district, people):
    poll = make_poll(district)
    for who in ("pending", "outsider"):
        with pytest.raises(ValidationError):
            ps.cast_ballot(
                voter=people["staff"], poll=poll, option_ids=[opts(poll)[0]], paper_for=people[who]
            )
    nothing_stored(poll)


def test_paper_and_online_ballot_never_both_count(district, people):
    poll = make_poll(district, unit="household")
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    with pytest.raises(ValidationError, match="already been cast"):
        ps.cast_ballot(
            voter=people["staff"], poll=poll, option_ids=[opts(poll)[1]], paper_for=people["adam"]
        )
    ps.cast_ballot(
        voter=people["staff"], poll=poll, option_ids=[opts(poll)[1]], paper_for=people["bob"]
    )
    with pytest.raises(ValidationError, match="already been cast"):
        ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[opts(poll)[0]])
    assert [o.votes for o in Poll.objects.get(pk=poll.pk).options.all()] == [1, 1, 0]
    assert_counters_match(poll)


def test_household_without_an_account_votes_on_paper_once(district, people):
    poll = make_poll(district, unit="household")
    nobody_online = district.household(district.community_a, 2, "102")
    ps.cast_ballot(
        voter=people["staff"],
        poll=poll,
        option_ids=[opts(poll)[2]],
        paper_household=nobody_online,
        paper_name="王秀英",
    )
    ballot = Ballot.objects.get(poll=poll)
    assert (ballot.voter, ballot.voter_name, ballot.household) == (None, "王秀英", nobody_online)
    assert ballot.recorded_by == people["staff"]
    with pytest.raises(ValidationError, match="already been cast"):
        ps.cast_ballot(
            voter=people["staff"],
            poll=poll,
            option_ids=[opts(poll)[0]],
            paper_household=nobody_online,
            paper_name="王建国",
        )
    assert_counters_match(poll)


def test_paper_ballot_for_a_household_needs_a_signed_name_and_a_household_poll(district, people):
    home = district.household(district.community_a, 2, "102")
    poll = make_poll(district, unit="household")
    with pytest.raises(ValidationError, match="name signed"):
        ps.cast_ballot(
            voter=people["staff"], poll=poll, option_ids=[opts(poll)[0]], paper_household=home
        )
    per_resident = make_poll(district)
    with pytest.raises(ValidationError, match="names a verified resident"):
        ps.cast_ballot(
            voter=people["staff"],
            poll=per_resident,
            option_ids=[opts(per_resident)[0]],
            paper_household=home,
            paper_name="王秀英",
        )
    outside = district.household(district.community_b, 1, "102")
    with pytest.raises(ValidationError, match="outside the area"):
        ps.cast_ballot(
            voter=people["staff"],
            poll=poll,
            option_ids=[opts(poll)[0]],
            paper_household=outside,
            paper_name="王秀英",
        )
    nothing_stored(poll)
    nothing_stored(per_resident)


def test_database_refuses_an_online_ballot_without_a_voter(district, people):
    poll = make_poll(district)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            poll=poll,
            voter=None,
            household=district.household(district.community_a),
            unit_key="h:1",
            cast_at=timezone.now(),
        )


def test_secret_paper_ballot_records_participation_with_recorder(district, people):
    poll = make_poll(district, mode="secret")
    ps.cast_ballot(
        voter=people["staff"], poll=poll, option_ids=[opts(poll)[0]], paper_for=people["bob"]
    )
    p = Participation.objects.get(poll=poll)
    assert (p.voter, p.paper, p.recorded_by) == (people["bob"], True, people["staff"])
    with pytest.raises(ValidationError):
        ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[opts(poll)[1]])


def test_online_ballot_cannot_name_a_recorder(district, people):
    poll = make_poll(district)
    with pytest.raises(ValidationError, match="paper ballots"):
        ps.cast_ballot(
            voter=people["alice"],
            poll=poll,
            option_ids=[opts(poll)[0]],
            recorded_by=people["staff"],
        )
    nothing_stored(poll)


# --- closing and outcomes --------------------------------------------------------------


def test_poll_cannot_be_closed_before_its_time_or_twice_or_by_residents(district, people):
    poll = make_poll(district)
    with pytest.raises(ValidationError, match="voting time is over"):
        ps.close_poll(actor=people["staff"], poll=poll)
    poll = end_voting(poll)
    with pytest.raises(PermissionDenied):
        ps.close_poll(actor=people["alice"], poll=poll)
    ps.close_poll(actor=people["staff"], poll=poll)
    with pytest.raises(ValidationError, match="already been closed"):
        ps.close_poll(actor=people["staff"], poll=poll)


def test_staff_may_end_voting_early_and_the_figures_say_so(district, people):
    poll = make_poll(district)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    with pytest.raises(PermissionDenied):
        ps.close_poll(actor=people["alice"], poll=poll, early=True)
    poll = ps.close_poll(actor=people["staff"], poll=poll, early=True)
    assert poll.figures["closed_early"] is True
    with pytest.raises(ValidationError, match="closed"):
        ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[opts(poll)[0]])
    assert poll.figures["participants"] == 1


def test_for_against_more_than_half_passes(district, people):
    poll = make_poll(district, kind="for_against", options=())
    for_, against, _abstain = opts(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[for_])
    ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[for_])
    ps.cast_ballot(voter=people["carol"], poll=poll, option_ids=[against])
    poll = ps.close_poll(actor=people["staff"], poll=end_voting(poll))
    assert poll.outcome == Outcome.PASSED
    assert poll.figures["eligible"] == 4  # alice, adam, bob, carol
    assert poll.figures["participants"] == 3
    assert poll.figures["turnout"] == 75.0
    assert poll.figures["approval"] == 66.67


def test_exactly_half_is_not_more_than_half(district, people):
    poll = make_poll(district, kind="for_against", options=())
    for_, against, _abstain = opts(poll)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[for_])
    ps.cast_ballot(voter=people["bob"], poll=poll, option_ids=[against])
    assert ps.close_poll(actor=people["staff"], poll=end_voting(poll)).outcome == Outcome.REJECTED


def test_two_thirds_threshold_is_at_least(district, people):
    poll = make_poll(district, kind="for_against", options=(), threshold="two_thirds")
    for_, against, _abstain = opts(poll)
    for who in ("alice", "bob"):
        ps.cast_ballot(voter=people[who], poll=poll, option_ids=[for_])
    ps.cast_ballot(voter=people["carol"], poll=poll, option_ids=[against])
    assert ps.close_poll(actor=people["staff"], poll=end_voting(poll)).outcome == Outcome.PASSED


def test_quorum_not_met_gives_no_quorum(district, people):
    poll = make_poll(district, kind="for_against", options=(), quorum_percent=50)
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    poll = ps.close_poll(actor=people["staff"], poll=end_voting(poll))
    assert poll.outcome == Outcome.NO_QUORUM
    assert poll.figures["quorum_met"] is False and poll.figures["turnout"] == 25.0


def test_poll_without_ballots_has_no_quorum(district, people):
    poll = ps.close_poll(actor=people["staff"], poll=end_voting(make_poll(district)))
    assert poll.outcome == Outcome.NO_QUORUM


def test_secret_poll_outcome_from_secret_ballots(district, people):
    poll = make_poll(district, kind="for_against", options=(), mode="secret")
    for who in ("alice", "bob", "carol"):
        ps.cast_ballot(voter=people[who], poll=poll, option_ids=[opts(poll)[0]])
    poll = ps.close_poll(actor=people["staff"], poll=end_voting(poll))
    assert poll.outcome == Outcome.PASSED
    assert poll.figures["options"][0]["votes"] == 3


# --- owners' double majority (Civil Code art. 278) -------------------------------------


@pytest.fixture
def owners(district):
    """甲社区's four households: three small flats of 60 m² and one of 300 m² (480 in all)."""
    ca = district.community_a
    homes = {
        "s1": district.household(ca, 1, "101"),
        "s2": district.household(ca, 1, "102"),
        "s3": district.household(ca, 2, "101"),
        "big": district.household(ca, 2, "102"),
    }
    for key, home in homes.items():
        home.floor_area = Decimal("300") if key == "big" else Decimal("60")
        home.save()
    return {key: resident(home) for key, home in homes.items()}


def dm_poll(district, special=False) -> Poll:
    return make_poll(
        district,
        kind="for_against",
        options=(),
        unit="household",
        double_majority=True,
        special_matter=special,
    )


def vote_dm(poll, owners, for_, against=()) -> Poll:
    yes, no, _abstain = opts(poll)
    for key in for_:
        ps.cast_ballot(voter=owners[key], poll=poll, option_ids=[yes])
    for key in against:
        ps.cast_ballot(voter=owners[key], poll=poll, option_ids=[no])
    assert_counters_match(poll)
    staff = staff_of(poll.community)
    return ps.close_poll(actor=staff, poll=end_voting(poll))


def test_double_majority_passes_with_area_and_headcount(district, owners):
    poll = vote_dm(dm_poll(district), owners, ["s1", "s2", "big"], ["s3"])
    assert poll.outcome == Outcome.PASSED
    f = poll.figures
    assert (f["total_area"], f["participating_area"]) == ("480.00", "480.00")
    assert (f["approval_area"], f["approval_owners"]) == (87.5, 75.0)


def test_double_majority_headcount_passes_but_area_fails(district, owners):
    poll = vote_dm(dm_poll(district), owners, ["s1", "s2", "s3"], ["big"])
    assert poll.outcome == Outcome.REJECTED
    f = poll.figures
    assert f["owners_approved"] is True and f["area_approved"] is False
    assert f["approval_area"] == 37.5


def test_double_majority_area_passes_but_half_the_owners_is_not_more_than_half(district, owners):
    poll = vote_dm(dm_poll(district), owners, ["s1", "big"], ["s2", "s3"])
    assert poll.outcome == Outcome.REJECTED
    assert poll.figures["area_approved"] is True and poll.figures["owners_approved"] is False


def test_double_majority_needs_two_thirds_of_owners_taking_part(district, owners):
    poll = vote_dm(dm_poll(district), owners, ["s1", "big"])  # 2 of 4 owners, 360 of 480 m²
    assert poll.outcome == Outcome.NO_QUORUM
    assert poll.figures["owner_turnout"] == 50.0


def test_double_majority_needs_two_thirds_of_area_taking_part(district, owners):
    poll = vote_dm(dm_poll(district), owners, ["s1", "s2", "s3"])  # 3 of 4 owners, 180 m²
    assert poll.outcome == Outcome.NO_QUORUM
    assert poll.figures["area_turnout"] == 37.5


def test_special_matter_needs_three_quarters_of_area_and_owners(district, owners):
    passed = vote_dm(dm_poll(district, special=True), owners, ["s1", "s2", "big"], ["s3"])
    assert passed.outcome == Outcome.PASSED  # 75 % of owners, 87.5 % of area
    Ballot.objects.all().delete()
    rejected = vote_dm(dm_poll(district, special=True), owners, ["s1", "big"], ["s2", "s3"])
    assert rejected.outcome == Outcome.REJECTED  # 50 % of owners, 75 % of area


# --- live -----------------------------------------------------------------------------


def test_snapshot_hides_counts_until_close_except_for_staff(district, people):
    poll = make_poll(district, results_visibility="after_close")
    ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    resident_view = ps.live_snapshot(poll, people["bob"])
    assert resident_view["ballots"] == 1 and "options" not in resident_view
    assert (resident_view["eligible"], resident_view["turnout"]) == (4, 25.0)
    assert ps.live_snapshot(poll, people["staff"])["options"][0]["votes"] == 1
    ps.close_poll(actor=people["staff"], poll=end_voting(poll))
    assert ps.live_snapshot(poll, people["bob"])["options"][0]["votes"] == 1


def test_poll_topic_admits_readers_only(district, people):
    from portal import live

    poll = make_poll(district)
    kind, key = live.resolve(f"poll:{poll.pk}")
    assert kind.authorize(people["alice"], key)
    assert kind.authorize(people["staff"], key)
    assert not kind.authorize(people["outsider"], key)
    assert not kind.authorize(people["other_staff"], key)
    assert kind.snapshot(people["alice"], key)["poll"] == poll.pk


def test_cast_publishes_tally_after_commit(district, people, django_capture_on_commit_callbacks):
    from unittest import mock

    poll = make_poll(district, results_visibility="after_close")
    with (
        mock.patch("portal.live._send") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ps.cast_ballot(voter=people["alice"], poll=poll, option_ids=[opts(poll)[0]])
    topic, event = send.call_args.args
    assert topic == f"poll:{poll.pk}"
    assert event["ballots"] == 1 and "options" not in event
