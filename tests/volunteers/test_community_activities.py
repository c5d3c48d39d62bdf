"""The community page's list of activities: soonest next shift first, in two queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from volunteers.templatetags.volunteers_tags import community_activities

from .conftest import make_activity, make_shift

pytestmark = pytest.mark.django_db


def test_activities_come_by_their_next_shift_and_skip_past_and_cancelled(district):
    ca = district.community_a
    later = make_activity(ca, title="助老送餐")
    sooner = make_activity(ca, slug="red", title="夜间巡逻")
    make_shift(later, in_hours=72)
    make_shift(later, in_hours=-5)  # already over
    cancelled_shift = make_shift(sooner, in_hours=1)
    cancelled_shift.cancelled = True
    cancelled_shift.save()
    next_of_sooner = make_shift(sooner, in_hours=24)
    make_shift(sooner, in_hours=30)
    gone = make_activity(ca, slug="green", title="已取消")
    make_shift(gone, in_hours=2)
    gone.cancelled = True
    gone.save()
    past_only = make_activity(ca, slug="gold", title="上周的活动")
    make_shift(past_only, in_hours=-48)
    make_shift(make_activity(district.community_b, title="别的社区"), in_hours=3)

    activities = community_activities(ca.pk)

    assert [a.title for a in activities] == ["夜间巡逻", "助老送餐"]
    assert activities[0].next_shift == next_of_sooner


def test_activity_list_costs_the_same_queries_with_many_shifts(district):
    ca = district.community_a
    for i in range(3):
        activity = make_activity(ca, title=f"活动{i}")
        make_shift(activity, in_hours=10 + i)
    with CaptureQueriesContext(connection) as few:
        community_activities(ca.pk)
    busy = make_activity(ca, title="大量班次")
    for h in range(60):
        make_shift(busy, in_hours=20 + h)
    with CaptureQueriesContext(connection) as many:
        assert len(community_activities(ca.pk, limit=10)) == 4
    assert len(many.captured_queries) == len(few.captured_queries) == 2
