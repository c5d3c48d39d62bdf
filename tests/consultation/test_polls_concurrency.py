"""One vote per resident or household holds under concurrent requests on PostgreSQL,
because unique constraints decide, not the checks that run before them."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from consultation import poll_services as ps
from consultation.polls import Ballot, BallotBox, Participation, Poll
from portal.models import Household

from ..conftest import staff_of
from ..factories import resident

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent unique-constraint races are only meaningful on PostgreSQL",
    ),
]


def make_poll(district, **fields) -> Poll:
    now = timezone.now()
    kwargs = {
        "community": district.community_a,
        "question": "小区大门改造方案",
        "kind": "multiple",
        "options": ["甲", "乙", "丙"],
        "min_picks": 1,
        "max_picks": 2,
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1),
    }
    kwargs.update(fields)
    return ps.create_poll(actor=staff_of(district.community_a), **kwargs)


# The server here allows 100 connections, shared with other test runs: at most this
# many threads hold one at a time, so 300 threads queue instead of being refused.
MAX_CONNECTIONS = 40


def run_concurrently(jobs) -> Counter:
    """Start every job at once in its own thread and connection; count the outcomes."""
    barrier = threading.Barrier(len(jobs))
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def work(job) -> None:
        barrier.wait()
        with slots:
            try:
                try:
                    job()
                    result = "ok"
                except ValidationError:
                    result = "refused"
                except Exception as exc:  # counted so the test shows what went wrong
                    result = type(exc).__name__
                with lock:
                    outcomes[result] += 1
            finally:
                connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def options_of(poll: Poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


@pytest.mark.parametrize("mode", ["open", "secret"])
def test_fifty_concurrent_ballots_of_one_voter_store_exactly_one(district, mode):
    voter = resident(district.household(district.community_a))
    poll = make_poll(district, mode=mode)
    ids = options_of(poll)

    outcomes = run_concurrently(
        [
            lambda i=i: ps.cast_ballot(voter=voter, poll=poll, option_ids=[ids[i % 3]])
            for i in range(50)
        ]
    )

    assert sum(outcomes.values()) == 50
    # Open ballots may also be changed by a later request; secret ones never.
    assert outcomes["ok"] >= 1 and set(outcomes) <= {"ok", "refused"}
    if mode == "secret":
        assert outcomes["ok"] == 1
        assert Participation.objects.filter(poll=poll).count() == 1
        assert len(BallotBox.objects.get(poll=poll).ballots) == 1
    else:
        assert Ballot.objects.filter(poll=poll).count() == 1
    assert Poll.objects.get(pk=poll.pk).ballots_count == 1
    assert ps.counters(poll) == ps.tally(poll)


def test_fifty_members_of_one_household_store_exactly_one_ballot(district):
    home = district.household(district.community_a)
    members = [resident(home) for _ in range(50)]
    poll = make_poll(district, unit="household")
    ids = options_of(poll)

    outcomes = run_concurrently(
        [
            lambda m=m, i=i: ps.cast_ballot(voter=m, poll=poll, option_ids=[ids[i % 3]])
            for i, m in enumerate(members)
        ]
    )

    assert outcomes == Counter({"ok": 1, "refused": 49})
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert ps.counters(poll) == ps.tally(poll)


@pytest.mark.parametrize("mode", ["open", "secret"])
def test_three_hundred_voters_at_once_counters_equal_tally_equal_ballots(district, mode):
    unit = district.household(district.community_a).unit
    homes = Household.objects.bulk_create(
        Household(unit=unit, label=f"x{i:03}", floor_area="55.25") for i in range(300)
    )
    voters = [resident(h) for h in homes]
    poll = make_poll(district, mode=mode)
    ids = options_of(poll)
    picks = [[ids[i % 3]] if i % 2 else [ids[i % 3], ids[(i + 1) % 3]] for i in range(300)]

    outcomes = run_concurrently(
        [
            lambda v=v, p=p: ps.cast_ballot(voter=v, poll=poll, option_ids=p)
            for v, p in zip(voters, picks, strict=True)
        ]
    )

    assert outcomes == Counter({"ok": 300})
    counted = ps.tally(poll)
    assert counted == ps.counters(poll)
    assert counted["ballots"] == 300
    assert sum(o["votes"] for o in counted["options"]) == sum(len(p) for p in picks)
    stored = (
        len(BallotBox.objects.get(poll=poll).ballots)
        if mode == "secret"
        else Ballot.objects.filter(poll=poll).count()
    )
    assert stored == 300
