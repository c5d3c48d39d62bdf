"""Decisions hold under concurrent requests because the database serialises them."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from portal import services
from portal.models import ResidentProfile, ResidentStatus

from ..conftest import staff_of
from ..factories import resident

pytestmark = [
    pytest.mark.postgres,
    # Restores the migrated data afterwards, like every other transactional test here.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"
    ),
]


def test_concurrent_verify_and_reject_of_one_request_decide_it_exactly_once(district):
    user = resident(district.household(district.community_a), ResidentStatus.PENDING)
    profile_id = user.resident_profile.pk
    staff = [staff_of(district.community_a) for _ in range(2)]
    workers = 12
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(i: int) -> None:
        try:
            barrier.wait()
            try:
                if i % 2:
                    services.verify_resident(actor=staff[0], profile_id=profile_id)
                    result = ResidentStatus.VERIFIED
                else:
                    services.reject_resident(
                        actor=staff[1], profile_id=profile_id, reason="门牌号不符"
                    )
                    result = ResidentStatus.REJECTED
            except ValidationError:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    decided = [o for o in outcomes if o != "refused"]
    assert len(outcomes) == workers
    assert len(decided) == 1
    assert ResidentProfile.objects.get(pk=profile_id).status == decided[0]
