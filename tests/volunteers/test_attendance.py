"""Check-in by QR code inside the shift window, attendance by organisers, hours by colour."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from volunteers import services
from volunteers.models import Shift, Signup

from ..conftest import staff_of
from ..factories import resident
from .conftest import make_activity, make_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def volunteer(district):
    return resident(district.household(district.community_a))


def move(shift, start_in_minutes: float, length_hours: float = 2):
    start = timezone.now() + timedelta(minutes=start_in_minutes)
    Shift.objects.filter(pk=shift.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=length_hours)
    )
    shift.refresh_from_db()


def test_volunteer_checks_in_with_the_qr_token_during_the_shift(activity, volunteer):
    shift = make_shift(activity, length=1.5)
    signup = services.sign_up(user=volunteer, shift=shift)
    token = services.checkin_token(shift)
    with pytest.raises(ValidationError, match="only during the shift"):
        services.check_in(user=volunteer, token=token)
    move(shift, -10, 1.5)
    services.check_in(user=volunteer, token=token)
    signup.refresh_from_db()
    assert signup.attended_at is not None and signup.hours == Decimal("1.50")


def test_check_in_after_the_shift_or_with_a_forged_token_is_refused(activity, volunteer):
    shift = make_shift(activity)
    signup = services.sign_up(user=volunteer, shift=shift)
    move(shift, -180, 2)
    with pytest.raises(ValidationError, match="only during the shift"):
        services.check_in(user=volunteer, token=services.checkin_token(shift))
    with pytest.raises(ValidationError, match="not valid"):
        services.check_in(user=volunteer, token=services.checkin_token(shift) + "x")
    signup.refresh_from_db()
    assert signup.attended_at is None


def test_nobody_checks_in_for_someone_else(district, activity, volunteer):
    shift = make_shift(activity)
    signup = services.sign_up(user=volunteer, shift=shift)
    move(shift, -5)
    other = resident(district.household(district.community_a, 2))
    with pytest.raises(ValidationError, match="do not have a confirmed seat"):
        services.check_in(user=other, token=services.checkin_token(shift))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(other)
    url = reverse("volunteers:check_in", args=[services.checkin_token(shift)])
    assert "do not have a confirmed seat" in client.post(url, follow=True).content.decode()
    signup.refresh_from_db()
    assert signup.attended_at is None
    assert not Signup.objects.filter(user=other).exists()


def test_check_in_page_over_http(activity, volunteer):
    shift = make_shift(activity)
    services.sign_up(user=volunteer, shift=shift)
    move(shift, -5)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(volunteer)
    url = reverse("volunteers:check_in", args=[services.checkin_token(shift)])
    assert "I am here" in client.get(url).content.decode()
    assert "Checked in" in client.post(url, follow=True).content.decode()
    assert Client().get(reverse("volunteers:check_in", args=["forged"])).status_code == 404


def test_organiser_and_the_grids_worker_mark_attendance_others_may_not(district, volunteer):
    grid = district.grid(district.community_a, 1)
    activity = make_activity(district.community_a, grid=grid)
    shift = make_shift(activity)
    signup = services.sign_up(user=volunteer, shift=shift)
    worker = staff_of(grid, role=Role.GRID_WORKER)
    with pytest.raises(ValidationError, match="once the shift begins"):
        services.mark_attendance(actor=worker, signup=signup, present=True)
    move(shift, -60)
    services.mark_attendance(actor=worker, signup=signup, present=True)
    signup.refresh_from_db()
    assert signup.hours == Decimal("2.00")
    other_worker = staff_of(district.grid(district.community_a, 2), role=Role.GRID_WORKER)
    with pytest.raises(PermissionDenied):
        services.mark_attendance(actor=other_worker, signup=signup, present=False)
    with pytest.raises(PermissionDenied):
        services.mark_attendance(actor=volunteer, signup=signup, present=True)
    # Through the phone-friendly roster page.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(worker)
    client.post(
        reverse("volunteers:roster", args=[shift.pk]), {"signup": signup.pk, "present": "0"}
    )
    signup.refresh_from_db()
    assert signup.attended_at is None and signup.hours == 0


def test_hours_add_up_per_colour_on_my_page_and_certificate(district, volunteer, staff):
    blue = make_activity(district.community_a, slug="blue")
    green = make_activity(district.community_a, slug="green", title="清扫")
    for activity, offset in ((blue, -300), (green, -100)):
        shift = make_shift(activity)
        signup = services.sign_up(user=volunteer, shift=shift)
        move(shift, offset, 1)
        services.mark_attendance(actor=staff, signup=signup, present=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(volunteer)
    page = client.get(reverse("volunteers:mine")).content.decode()
    assert "Hours served: 2.00" in page
    cert = client.get(reverse("volunteers:certificate")).content.decode()
    assert "Certificate of volunteer service" in cert and "2.00 hours" in cert
    assert "@media print" in open("volunteers/static/volunteers/css/volunteers.css").read()


def test_leaderboard_lists_only_volunteers_who_opted_in(district, volunteer, staff):
    shy = resident(district.household(district.community_a, 2), name="害羞的人")
    services.join_volunteers(user=volunteer, on_leaderboard=True)
    activity = make_activity(district.community_a)
    for person in (volunteer, shy):
        shift = make_shift(activity, in_hours=48 + (3 if person == shy else 0))
        signup = services.sign_up(user=person, shift=shift)
        move(shift, -300 if person == shy else -100, 1)
        services.mark_attendance(actor=staff, signup=signup, present=True)
    page = (
        Client()
        .get(reverse("volunteers:leaderboard", args=[district.community_a.pk]))
        .content.decode()
    )
    assert volunteer.name in page and "害羞的人" not in page
    page = (
        Client()
        .get(reverse("volunteers:leaderboard", args=[district.community_a.pk]), {"colour": "green"})
        .content.decode()
    )
    assert volunteer.name not in page


def test_reminders_go_out_once_the_day_before(
    activity, volunteer, mailoutbox, django_capture_on_commit_callbacks
):
    soon = make_shift(activity, in_hours=20)
    later = make_shift(activity, in_hours=60)
    services.sign_up(user=volunteer, shift=soon)
    services.sign_up(user=volunteer, shift=later)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_shift_reminders")
        call_command("send_shift_reminders")
    assert len(mailoutbox) == 1 and activity.title in mailoutbox[0].subject
    assert Signup.objects.get(shift=soon).reminded_at is not None
    assert Signup.objects.get(shift=later).reminded_at is None
