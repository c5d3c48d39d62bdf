"""No shift is overbooked under concurrent requests: the shift's row lock serialises them."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from portal.models import AreaKind, Household
from volunteers import services
from volunteers.models import Signup, SignupStatus

from ..factories import resident
from .conftest import make_activity, make_shift

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"
    ),
]


# PostgreSQL allows 100 connections here, shared with other test runs: like a server's
# connection pool, at most this many requests hold a connection at the same moment.
POOL = 30


def run_parallel(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    pool = threading.BoundedSemaphore(POOL)
    outcomes: list = [None] * len(jobs)

    def work(i, job):
        barrier.wait()
        with pool:
            try:
                try:
                    outcomes[i] = job()
                except ValidationError as error:
                    outcomes[i] = error
            finally:
                connections.close_all()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def many_residents(district, n: int):
    unit = district.household(district.community_a).unit
    Household.objects.bulk_create([Household(unit=unit, label=f"x{i}") for i in range(n)])
    return [resident(h) for h in Household.objects.filter(label__startswith="x").order_by("pk")]


def test_200_concurrent_sign_ups_for_50_seats_confirm_exactly_50_and_queue_150_in_order(district):
    assert district.community_a.kind == AreaKind.COMMUNITY
    people = many_residents(district, 200)
    shift = make_shift(make_activity(district.community_a), capacity=50)

    outcomes = run_parallel([lambda p=p: services.sign_up(user=p, shift=shift) for p in people])

    assert all(isinstance(o, Signup) for o in outcomes), [
        o for o in outcomes if not isinstance(o, Signup)
    ][:3]
    shift.refresh_from_db()
    assert shift.taken == 50
    assert Signup.objects.filter(shift=shift, status=SignupStatus.CONFIRMED).count() == 50
    waiting = list(
        Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).order_by(
            "created_at", "pk"
        )
    )
    assert len(waiting) == 150
    assert sorted(s.waitlist_number for s in waiting) == list(range(1, 151))
    assert sorted(s.waitlist_position() for s in waiting) == list(range(1, 151))
    # Positions follow the order in which the lock granted them.
    by_number = sorted(waiting, key=lambda s: s.waitlist_number)
    assert [s.waitlist_position() for s in by_number] == list(range(1, 151))


def test_concurrent_cancellations_and_sign_ups_keep_the_counts_exact(district):
    people = many_residents(district, 60)
    shift = make_shift(make_activity(district.community_a), capacity=20)
    holders = [services.sign_up(user=p, shift=shift) for p in people[:30]]  # 20 seats, 10 waiting
    leaving = holders[:15]  # 15 confirmed leave
    jobs = [lambda s=s: services.cancel_signup(user=s.user, signup=s) for s in leaving]
    jobs += [lambda p=p: services.sign_up(user=p, shift=shift) for p in people[30:]]

    outcomes = run_parallel(jobs)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    shift.refresh_from_db()
    confirmed = Signup.objects.filter(shift=shift, status=SignupStatus.CONFIRMED).count()
    waiting = Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).count()
    assert shift.taken == confirmed == 20
    assert confirmed + waiting == 30 - 15 + 30
    numbers = sorted(
        Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).values_list(
            "waitlist_number", flat=True
        )
    )
    assert len(set(numbers)) == len(numbers)
