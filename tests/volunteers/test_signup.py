"""Sign-up rules over the services: seats, waiting list, overlaps, scope and cut-off."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from portal.models import ResidentStatus
from volunteers import services
from volunteers.models import Shift, Signup, SignupStatus, VolunteerProfile

from ..factories import UserFactory, resident
from .conftest import make_activity, make_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(district):
    homes = [district.household(district.community_a, g, r) for g in (1, 2) for r in ("101", "102")]
    return [resident(h) for h in homes]


def counts(shift):
    shift.refresh_from_db()
    return shift.taken, Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).count()


def test_sign_up_confirms_while_seats_are_free_then_waitlists_with_positions(activity, people):
    shift = make_shift(activity, capacity=2)
    results = [services.sign_up(user=p, shift=shift) for p in people]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.waitlist_position() for r in results[2:]] == [1, 2]
    assert counts(shift) == (2, 2)
    # Signing up made them volunteers.
    assert VolunteerProfile.objects.filter(user__in=people).count() == 4


def test_cancelling_a_seat_promotes_the_first_waiting_and_emails_them(
    activity, people, django_capture_on_commit_callbacks
):
    shift = make_shift(activity, capacity=1)
    first, second, third = (services.sign_up(user=p, shift=shift) for p in people[:3])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_signup(user=people[0], signup=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == SignupStatus.CONFIRMED and second.promoted_at is not None
    assert third.waitlist_position() == 1
    assert counts(shift) == (1, 1)
    assert [m.to for m in mail.outbox] == [[people[1].email]]
    assert activity.title in mail.outbox[0].subject


def test_cancelling_a_waitlist_place_frees_no_seat_and_moves_the_queue(activity, people):
    shift = make_shift(activity, capacity=1)
    signups = [services.sign_up(user=p, shift=shift) for p in people[:3]]
    services.cancel_signup(user=people[1], signup=signups[1])
    signups[2].refresh_from_db()
    assert signups[2].waitlist_position() == 1
    assert counts(shift) == (1, 1)


def test_cannot_sign_up_twice_for_the_same_shift(activity, people):
    shift = make_shift(activity)
    services.sign_up(user=people[0], shift=shift)
    with pytest.raises(ValidationError, match="already signed up"):
        services.sign_up(user=people[0], shift=shift)
    assert counts(shift) == (1, 0)


def test_the_database_refuses_a_second_active_sign_up(activity, people):
    from django.db import IntegrityError, transaction

    shift = make_shift(activity)
    services.sign_up(user=people[0], shift=shift)
    with pytest.raises(IntegrityError), transaction.atomic():
        Signup.objects.create(shift=shift, user=people[0], status=SignupStatus.WAITLISTED)


def test_sign_up_again_after_cancelling_is_allowed(activity, people):
    shift = make_shift(activity)
    signup = services.sign_up(user=people[0], shift=shift)
    services.cancel_signup(user=people[0], signup=signup)
    assert services.sign_up(user=people[0], shift=shift).status == SignupStatus.CONFIRMED


def test_cannot_hold_two_overlapping_shifts(district, activity, people):
    other = make_activity(district.community_a, slug="green", title="楼院清扫")
    a = make_shift(activity, in_hours=48, length=2)
    b = make_shift(other, in_hours=49, length=2)
    services.sign_up(user=people[0], shift=a)
    with pytest.raises(ValidationError, match="already have a shift at that time"):
        services.sign_up(user=people[0], shift=b)
    assert counts(b) == (0, 0)
    # Back to back is fine.
    c = make_shift(other, in_hours=50, length=1)
    services.sign_up(user=people[0], shift=c)


@pytest.mark.parametrize("problem", ["past", "started", "cancelled", "activity_cancelled"])
def test_no_sign_up_for_past_or_cancelled_shifts(activity, people, problem):
    shift = make_shift(activity, in_hours=-5 if problem == "past" else 48)
    if problem == "started":
        Shift.objects.filter(pk=shift.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    if problem == "cancelled":
        Shift.objects.filter(pk=shift.pk).update(cancelled=True)
    if problem == "activity_cancelled":
        activity.cancelled = True
        activity.save()
    with pytest.raises(ValidationError):
        services.sign_up(user=people[0], shift=shift)
    assert not Signup.objects.exists()


def test_no_sign_up_outside_ones_community_or_grid(district, people):
    elsewhere = make_shift(make_activity(district.community_b))
    with pytest.raises(ValidationError, match="for residents of"):
        services.sign_up(user=people[0], shift=elsewhere)
    grid_two = make_shift(
        make_activity(district.community_a, grid=district.grid(district.community_a, 2))
    )
    with pytest.raises(ValidationError, match="for residents of"):
        services.sign_up(user=people[0], shift=grid_two)  # lives in grid 1
    assert services.sign_up(user=people[2], shift=grid_two).status == "confirmed"


@pytest.mark.parametrize("status", [ResidentStatus.PENDING, ResidentStatus.REJECTED, None])
def test_unverified_users_cannot_sign_up(district, activity, status):
    user = resident(district.household(district.community_a), status) if status else UserFactory()
    shift = make_shift(activity)
    with pytest.raises(ValidationError, match="Only verified residents"):
        services.sign_up(user=user, shift=shift)
    assert counts(shift) == (0, 0)


def test_cancel_after_the_cut_off_is_refused(activity, people):
    shift = make_shift(activity, in_hours=3)
    signup = services.sign_up(user=people[0], shift=shift)
    Shift.objects.filter(pk=shift.pk).update(starts_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(ValidationError, match="too late to cancel"):
        services.cancel_signup(user=people[0], signup=signup)
    signup.refresh_from_db()
    assert signup.status == SignupStatus.CONFIRMED
    assert counts(shift) == (1, 0)


@override_settings(VOLUNTEER_CANCEL_CUTOFF_HOURS=0)
def test_the_cut_off_is_a_setting(activity, people):
    shift = make_shift(activity, in_hours=1)
    signup = services.sign_up(user=people[0], shift=shift)
    services.cancel_signup(user=people[0], signup=signup)


def test_nobody_cancels_someone_elses_sign_up_but_staff_may(activity, people, staff):
    shift = make_shift(activity, in_hours=1)
    signup = services.sign_up(user=people[0], shift=shift)
    with pytest.raises(PermissionDenied):
        services.cancel_signup(user=people[1], signup=signup)
    services.cancel_signup(user=staff, signup=signup)  # staff: even after the cut-off
    assert counts(shift) == (0, 0)


def test_join_volunteers_needs_a_verified_resident(district, people):
    from volunteers.models import ServiceTheme

    profile = services.join_volunteers(
        user=people[0],
        themes=ServiceTheme.objects.filter(slug__in=["blue", "green"]),
        skills="急救",
        phone="138 1234 5678",
    )
    assert profile.phone == "13812345678"
    assert sorted(profile.themes.values_list("slug", flat=True)) == ["blue", "green"]
    pending = resident(district.household(district.community_b), ResidentStatus.PENDING)
    with pytest.raises(PermissionDenied):
        services.join_volunteers(user=pending)
    with pytest.raises(ValidationError):
        services.join_volunteers(user=people[1], phone="12345")
    assert not VolunteerProfile.objects.filter(user=people[1]).exists()
