from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from volunteers.models import Activity, ServiceTheme, Shift

from ..conftest import staff_of


def theme(slug: str = "blue") -> ServiceTheme:
    return ServiceTheme.objects.get(slug=slug)


def make_activity(community, *, grid=None, slug="blue", title="夜间巡逻", organiser=None):
    return Activity.objects.create(
        theme=theme(slug),
        community=community,
        grid=grid,
        title=title,
        place="社区服务站",
        organiser=organiser,
    )


def make_shift(activity, *, in_hours: float = 48, length: float = 2, capacity: int = 3):
    start = timezone.now() + timedelta(hours=in_hours)
    return Shift.objects.create(
        activity=activity,
        starts_at=start,
        ends_at=start + timedelta(hours=length),
        capacity=capacity,
    )


@pytest.fixture
def staff(district):
    return staff_of(district.community_a)


@pytest.fixture
def activity(district, staff):
    return make_activity(district.community_a, organiser=staff)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the Chinese catalogue holds."""
    from django.utils import translation

    with translation.override("en"):
        yield
