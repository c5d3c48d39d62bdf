"""Activities and recurring shifts."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from volunteers import services
from volunteers.models import Shift

from ..conftest import staff_of
from .conftest import theme

pytestmark = pytest.mark.django_db


def test_generate_weekly_shifts_on_chosen_weekdays_and_again_adds_nothing(activity, staff):
    tz = timezone.get_current_timezone()
    first = datetime(2031, 3, 3, 19, 0, tzinfo=tz)  # a Monday
    kwargs = dict(
        actor=staff,
        activity=activity,
        first_start=first,
        duration=timedelta(hours=2),
        weekdays=[0, 2],
        until=date(2031, 3, 16),
        capacity=6,
    )
    created = services.generate_shifts(**kwargs)
    local = [timezone.localtime(s.starts_at) for s in Shift.objects.filter(activity=activity)]
    assert [(d.month, d.day, d.hour) for d in local] == [
        (3, 3, 19),
        (3, 5, 19),
        (3, 10, 19),
        (3, 12, 19),
    ]
    assert len(created) == 4
    assert {s.capacity for s in Shift.objects.all()} == {6}
    assert all(s.ends_at - s.starts_at == timedelta(hours=2) for s in Shift.objects.all())
    assert services.generate_shifts(**kwargs) == []
    kwargs["until"] = date(2031, 3, 17)
    assert len(services.generate_shifts(**kwargs)) == 1
    assert Shift.objects.count() == 5


def test_generate_shifts_refuses_bad_input_and_other_communities(district, activity, staff):
    base = dict(
        activity=activity,
        first_start=timezone.now(),
        duration=timedelta(hours=2),
        weekdays=[5],
        until=timezone.localdate() + timedelta(days=30),
        capacity=4,
    )
    with pytest.raises(PermissionDenied):
        services.generate_shifts(actor=staff_of(district.community_b), **base)
    for bad in (
        dict(weekdays=[]),
        dict(capacity=0),
        dict(duration=timedelta(0)),
        dict(until=timezone.localdate() - timedelta(days=1)),
    ):
        with pytest.raises(ValidationError):
            services.generate_shifts(actor=staff, **{**base, **bad})
    assert not Shift.objects.exists()


def test_staff_create_activities_only_in_their_community(district, staff):
    activity = services.save_activity(
        actor=staff,
        theme=theme("green"),
        community=district.community_a,
        grid=district.grid(district.community_a, 1),
        title="周六大扫除",
        place="1号楼前",
    )
    assert activity.organiser == staff
    with pytest.raises(PermissionDenied):
        services.save_activity(
            actor=staff, theme=theme(), community=district.community_b, title="x", place="y"
        )
    with pytest.raises(ValidationError):
        services.save_activity(
            actor=staff,
            theme=theme(),
            community=district.community_a,
            grid=district.grid(district.community_b, 1),
            title="x",
            place="y",
        )


def test_capacity_below_one_and_overbooking_are_refused_by_the_database(activity):
    from django.db import IntegrityError, transaction

    start = timezone.now() + timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.create(
            activity=activity, starts_at=start, ends_at=start + timedelta(hours=1), capacity=0
        )
    shift = Shift.objects.create(
        activity=activity, starts_at=start, ends_at=start + timedelta(hours=1), capacity=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.filter(pk=shift.pk).update(taken=2)
