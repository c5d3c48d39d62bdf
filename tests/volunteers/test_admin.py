"""Community staff manage their own community's activities and shifts in Wagtail admin."""

import pytest
from django.test import Client
from django.urls import reverse

from volunteers import services
from volunteers.models import Activity, Shift

from ..conftest import staff_of
from ..factories import resident
from .conftest import make_activity, make_shift, theme

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_staff_add_an_activity_and_weekly_shifts_in_admin(district, staff):
    client = admin_client(staff)
    assert client.get(reverse("volunteers_admin:activities")).status_code == 200
    response = client.post(
        reverse("volunteers_admin:add"),
        {
            "theme": theme("green").pk,
            "community": district.community_a.pk,
            "title": "Saturday clean-up",
            "place": "Courtyard",
        },
    )
    activity = Activity.objects.get(title="Saturday clean-up")
    assert response.status_code == 302 and activity.organiser == staff
    response = client.post(
        reverse("volunteers_admin:shifts", args=[activity.pk]),
        {
            "first_date": "2031-03-01",
            "start_time": "08:30",
            "hours": "2",
            "weekdays": ["5"],
            "until": "2031-03-22",
            "capacity": "8",
        },
    )
    assert response.status_code == 302
    assert Shift.objects.filter(activity=activity).count() == 4


def test_staff_cannot_use_another_community(district, staff):
    client = admin_client(staff)
    client.post(
        reverse("volunteers_admin:add"),
        {"theme": theme().pk, "community": district.community_b.pk, "title": "x", "place": "y"},
    )
    assert not Activity.objects.exists()
    foreign = make_activity(district.community_b)
    assert client.get(reverse("volunteers_admin:shifts", args=[foreign.pk])).status_code == 404
    shift = make_shift(foreign)
    client.post(reverse("volunteers_admin:cancel_shift", args=[shift.pk]))
    shift.refresh_from_db()
    assert not shift.cancelled


def test_residents_have_no_volunteering_admin(district):
    user = resident(district.household(district.community_a))
    assert admin_client(user).get(reverse("volunteers_admin:activities")).status_code in (302, 403)


def test_cancelling_a_shift_tells_its_volunteers(
    district, activity, staff, mailoutbox, django_capture_on_commit_callbacks
):
    shift = make_shift(activity)
    person = resident(district.household(district.community_a))
    services.sign_up(user=person, shift=shift)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client(staff).post(reverse("volunteers_admin:cancel_shift", args=[shift.pk]))
    shift.refresh_from_db()
    assert shift.cancelled
    assert [m.to for m in mailoutbox] == [[person.email]]


def test_hours_report_per_colour_and_grid_is_scoped(district, staff):
    from datetime import timedelta

    from django.utils import timezone

    for community, title in (
        (district.community_a, "Patrol A"),
        (district.community_b, "Patrol B"),
    ):
        shift = make_shift(make_activity(community, grid=district.grid(community, 1), title=title))
        person = resident(district.household(community))
        signup = services.sign_up(user=person, shift=shift)
        start = timezone.now() - timedelta(hours=3)
        Shift.objects.filter(pk=shift.pk).update(
            starts_at=start, ends_at=start + timedelta(hours=2)
        )
        services.mark_attendance(actor=staff_of(community), signup=signup, present=True)
    page = admin_client(staff).get(reverse("volunteers_admin:report")).content.decode()
    assert f"<td>{district.community_a.name}</td><td>第1网格</td>" in page
    assert district.community_b.name not in page
