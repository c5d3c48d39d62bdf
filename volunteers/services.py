"""State changes of the volunteer service. Views, admin screens and commands call these.

Each function is keyword-only, checks who may act, and runs in one transaction.
Rule violations raise ``ValidationError``; missing rights raise ``PermissionDenied``.
Seat counts hold under concurrent requests because every change to a shift's sign-ups
first locks the shift's row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from portal.models import Area, AreaKind, User
from portal.permissions import Action, areas_where, can

from .live import publish_shift
from .models import (
    ACTIVE,
    Activity,
    ServiceTheme,
    Shift,
    Signup,
    SignupStatus,
    VolunteerProfile,
)

logger = logging.getLogger(__name__)

CHECKIN_SALT = "volunteers.checkin"
# Volunteers arriving a little early may already check in.
CHECKIN_EARLY = timedelta(minutes=30)
MAX_GENERATED_SHIFTS = 200


def cancel_cutoff() -> timedelta:
    return timedelta(hours=getattr(settings, "VOLUNTEER_CANCEL_CUTOFF_HOURS", 2))


# ---------------------------------------------------------------------------- permissions


def may_manage(user, activity: Activity) -> bool:
    return bool(
        user.is_authenticated
        and (
            activity.organiser_id == user.pk or can(user, Action.MANAGE_CONTENT, activity.community)
        )
    )


def may_take_attendance(user, activity: Activity) -> bool:
    if may_manage(user, activity):
        return True
    # Grid workers answer for their grid's activities.
    return activity.grid_id is not None and can(user, Action.VIEW_RESIDENTS, activity.grid)


def signup_refusal(user, shift: Shift) -> str | None:
    """Why `user` may not sign up for `shift` right now, or None."""
    if not (user and user.is_authenticated and user.is_active):
        return _("Log in to sign up.")
    if not areas_where(user, Action.PARTICIPATE):
        return _(
            "Only verified residents can sign up. Choose your household and wait for "
            "the community to verify it."
        )
    activity = shift.activity
    if shift.cancelled or activity.cancelled:
        return _("This shift has been cancelled.")
    if shift.starts_at <= timezone.now():
        return _("This shift has already started.")
    if not can(user, Action.PARTICIPATE, activity.scope):
        return _("This activity is for residents of %(area)s.") % {
            "area": activity.scope.full_name()
        }
    return None


# ---------------------------------------------------------------------------- notifications


def _mail_later(users: Iterable[User], subject: str, body: str) -> None:
    recipients = [u.email for u in users if u.email]
    if not recipients:
        return

    def send() -> None:
        for address in recipients:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
            except Exception:
                # The change is committed; a mail outage must not undo it.
                logger.exception("Could not e-mail %s", address)

    transaction.on_commit(send)


def _when(shift: Shift) -> str:
    start = timezone.localtime(shift.starts_at)
    end = timezone.localtime(shift.ends_at)
    return f"{formats.date_format(start, 'Y-m-d H:i')}–{formats.time_format(end, 'H:i')}"


def _link(path: str) -> str:
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/") + path


# ---------------------------------------------------------------------------- activities


def _check_community(actor: User, community: Area, grid: Area | None) -> None:
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError(_("Choose a community."))
    if grid is not None and (grid.kind != AreaKind.GRID or not community.contains(grid)):
        raise ValidationError(_("Choose a grid of this community."))
    if not can(actor, Action.MANAGE_CONTENT, community):
        raise PermissionDenied(_("You may only manage activities of your own community."))


@transaction.atomic
def save_activity(
    *,
    actor: User,
    activity: Activity | None = None,
    theme: ServiceTheme,
    community: Area,
    grid: Area | None = None,
    title: str,
    place: str,
    description: str = "",
    skills_wanted: str = "",
    organiser: User | None = None,
) -> Activity:
    """Create an activity, or change one (`activity` given)."""
    _check_community(actor, community, grid)
    if activity is not None:
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if not can(actor, Action.MANAGE_CONTENT, activity.community):
            raise PermissionDenied(_("You may only manage activities of your own community."))
    else:
        activity = Activity()
    title, place = (title or "").strip(), (place or "").strip()
    if not title or not place:
        raise ValidationError(_("Give the activity a title and a place."))
    activity.theme = theme
    activity.community = community
    activity.grid = grid
    activity.title = title[:120]
    activity.place = place[:200]
    activity.description = (description or "").strip()
    activity.skills_wanted = (skills_wanted or "").strip()[:200]
    activity.organiser = organiser or activity.organiser or actor
    activity.save()
    return activity


def _check_manager(actor: User, activity: Activity) -> None:
    if not can(actor, Action.MANAGE_CONTENT, activity.community):
        raise PermissionDenied(_("You may only manage activities of your own community."))


@transaction.atomic
def add_shift(
    *, actor: User, activity: Activity, starts_at: datetime, ends_at: datetime, capacity: int
) -> Shift:
    _check_manager(actor, activity)
    if ends_at <= starts_at:
        raise ValidationError(_("A shift must end after it starts."))
    if capacity < 1:
        raise ValidationError(_("A shift needs at least one seat."))
    if Shift.objects.filter(activity=activity, starts_at=starts_at).exists():
        raise ValidationError(_("This activity already has a shift at that time."))
    return Shift.objects.create(
        activity=activity, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )


@transaction.atomic
def generate_shifts(
    *,
    actor: User,
    activity: Activity,
    first_start: datetime,
    duration: timedelta,
    weekdays: Iterable[int],
    until: date,
    capacity: int,
) -> list[Shift]:
    """Weekly shifts on `weekdays` (0 = Monday) at the time of `first_start`, up to `until`.

    Slots that already exist are left as they are, so running it twice adds nothing.
    Returns the shifts it created.
    """
    _check_manager(actor, activity)
    weekdays = sorted({int(d) for d in weekdays})
    if not weekdays or any(d < 0 or d > 6 for d in weekdays):
        raise ValidationError(_("Choose at least one weekday."))
    if duration <= timedelta(0):
        raise ValidationError(_("A shift must end after it starts."))
    if capacity < 1:
        raise ValidationError(_("A shift needs at least one seat."))
    local_start = timezone.localtime(first_start)
    if until < local_start.date():
        raise ValidationError(_("The last day must not be before the first."))
    tz = timezone.get_current_timezone()
    starts = []
    day = local_start.date()
    while day <= until:
        if day.weekday() in weekdays:
            starts.append(datetime.combine(day, local_start.time().replace(tzinfo=None), tzinfo=tz))
        day += timedelta(days=1)
    if len(starts) > MAX_GENERATED_SHIFTS:
        raise ValidationError(
            _("That makes more than %(max)s shifts; choose a shorter period.")
            % {"max": MAX_GENERATED_SHIFTS}
        )
    existing = set(
        Shift.objects.filter(activity=activity, starts_at__in=starts).values_list(
            "starts_at", flat=True
        )
    )
    new = [
        Shift(activity=activity, starts_at=s, ends_at=s + duration, capacity=capacity)
        for s in starts
        if s not in existing
    ]
    return Shift.objects.bulk_create(new)


@transaction.atomic
def cancel_shift(*, actor: User, shift: Shift) -> Shift:
    shift = (
        Shift.objects.select_for_update(of=("self",)).select_related("activity").get(pk=shift.pk)
    )
    _check_manager(actor, shift.activity)
    if shift.cancelled:
        return shift
    shift.cancelled = True
    shift.save(update_fields=["cancelled"])
    people = User.objects.filter(
        volunteer_signups__shift=shift, volunteer_signups__status__in=ACTIVE
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Cancelled: %(activity)s, %(when)s") % {
            "activity": shift.activity.title,
            "when": _when(shift),
        }
        body = _("The organisers have cancelled this shift. Thank you for offering your time.")
    _mail_later(people, subject, body)
    publish_shift(shift)
    return shift


# ---------------------------------------------------------------------------- volunteers


@transaction.atomic
def join_volunteers(
    *,
    user: User,
    themes: Iterable[ServiceTheme] = (),
    skills: str = "",
    availability: str = "",
    phone: str = "",
    on_leaderboard: bool = False,
) -> VolunteerProfile:
    """A verified resident joins the volunteer service, or updates what they told us."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Log in to join the volunteers."))
    if not areas_where(user, Action.PARTICIPATE):
        raise PermissionDenied(
            _(
                "Only verified residents can join. Choose your household and wait for "
                "the community to verify it."
            )
        )
    profile, _created = VolunteerProfile.objects.select_for_update().get_or_create(user=user)
    if phone:
        from cms.validators import normalise_phone, validate_phone

        validate_phone(phone)
        phone = normalise_phone(phone)
    profile.skills = (skills or "").strip()[:200]
    profile.availability = (availability or "").strip()[:200]
    profile.phone = phone
    profile.on_leaderboard = bool(on_leaderboard)
    profile.save()
    profile.themes.set(list(themes))
    return profile


# ---------------------------------------------------------------------------- sign-up


@transaction.atomic
def sign_up(*, user: User, shift: Shift) -> Signup:
    """Take a seat on `shift`, or a place on its waiting list when it is full."""
    # The shift's row lock serialises every seat change on it: capacity is checked and
    # the waiting-list number taken while no one else can.
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("activity__community", "activity__grid")
        .get(pk=shift.pk)
    )
    refusal = signup_refusal(user, shift)
    if refusal:
        raise ValidationError(refusal)
    # One volunteer's sign-ups are serialised too, so two overlapping shifts cannot
    # both be taken by parallel requests. Always shift first, then user: no deadlock.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if Signup.objects.filter(shift=shift, user=user, status__in=ACTIVE).exists():
        raise ValidationError(_("You have already signed up for this shift."))
    clash = (
        Signup.objects.filter(
            user=user,
            status__in=ACTIVE,
            shift__cancelled=False,
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
        )
        .select_related("shift__activity")
        .first()
    )
    if clash:
        raise ValidationError(
            _("You already have a shift at that time: %(activity)s, %(when)s.")
            % {"activity": clash.shift.activity.title, "when": _when(clash.shift)}
        )
    VolunteerProfile.objects.get_or_create(user=user)
    if shift.taken < shift.capacity:
        shift.taken += 1
        signup = Signup(shift=shift, user=user, status=SignupStatus.CONFIRMED)
        shift.save(update_fields=["taken"])
    else:
        shift.waitlist_counter += 1
        signup = Signup(
            shift=shift,
            user=user,
            status=SignupStatus.WAITLISTED,
            waitlist_number=shift.waitlist_counter,
        )
        shift.save(update_fields=["waitlist_counter"])
    signup.save()
    publish_shift(shift)
    return signup


@transaction.atomic
def cancel_signup(*, user: User, signup: Signup) -> Signup:
    """Give up a seat or a waiting-list place; the first one waiting takes a freed seat.

    Volunteers may cancel until the cut-off before the start; the activity's managers
    may take someone off at any time.
    """
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("activity")
        .get(pk=signup.shift_id)
    )
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    manager = may_manage(user, shift.activity)
    if signup.user_id != user.pk and not manager:
        raise PermissionDenied(_("You can only cancel your own sign-up."))
    if not signup.is_active:
        raise ValidationError(_("This sign-up is already cancelled."))
    now = timezone.now()
    if not manager and now > shift.starts_at - cancel_cutoff():
        raise ValidationError(
            _(
                "It is too late to cancel online: the shift starts at %(when)s. "
                "Please call the organiser."
            )
            % {"when": _when(shift)}
        )
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.status = SignupStatus.CANCELLED
    signup.cancelled_at = now
    signup.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        shift.taken -= 1
        promoted = (
            Signup.objects.select_for_update(of=("self",))
            .filter(shift=shift, status=SignupStatus.WAITLISTED)
            .select_related("user")
            .order_by("waitlist_number")
            .first()
        )
        if promoted is not None and not shift.cancelled and shift.ends_at > now:
            promoted.status = SignupStatus.CONFIRMED
            promoted.promoted_at = now
            promoted.save(update_fields=["status", "promoted_at"])
            shift.taken += 1
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("A seat is yours: %(activity)s, %(when)s") % {
                    "activity": shift.activity.title,
                    "when": _when(shift),
                }
                body = _(
                    "A seat became free and you were first on the waiting list, so you are "
                    "now confirmed for this shift. Place: %(place)s.\n\n"
                    "If you cannot come, please cancel so the next person can take it:\n%(link)s"
                ) % {
                    "place": shift.activity.place,
                    "link": _link(f"/volunteers/activities/{shift.activity_id}/"),
                }
            _mail_later([promoted.user], subject, body)
        shift.save(update_fields=["taken"])
    publish_shift(shift)
    return signup


# ---------------------------------------------------------------------------- attendance


def checkin_token(shift: Shift) -> str:
    return signing.dumps(shift.pk, salt=CHECKIN_SALT)


def shift_from_token(token: str) -> Shift:
    try:
        shift_id = signing.loads(token, salt=CHECKIN_SALT)
    except signing.BadSignature:
        raise ValidationError(_("This check-in code is not valid.")) from None
    shift = Shift.objects.select_related("activity__theme").filter(pk=shift_id).first()
    if shift is None:
        raise ValidationError(_("This check-in code is not valid."))
    return shift


def _attend(signup: Signup, shift: Shift, actor: User, now: datetime) -> None:
    signup.attended_at = now
    signup.attendance_marked_by = actor
    signup.hours = shift.hours
    signup.save(update_fields=["attended_at", "attendance_marked_by", "hours"])


@transaction.atomic
def check_in(*, user: User, token: str) -> Signup:
    """A volunteer scans the shift's code during the shift and is credited its hours."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Log in to check in."))
    shift = shift_from_token(token)
    now = timezone.now()
    if shift.cancelled:
        raise ValidationError(_("This shift has been cancelled."))
    if not (shift.starts_at - CHECKIN_EARLY <= now <= shift.ends_at):
        raise ValidationError(
            _("Check-in is open only during the shift (%(when)s).") % {"when": _when(shift)}
        )
    signup = (
        Signup.objects.select_for_update(of=("self",))
        .filter(shift=shift, user=user, status=SignupStatus.CONFIRMED)
        .first()
    )
    if signup is None:
        raise ValidationError(_("You do not have a confirmed seat on this shift."))
    if signup.attended_at is None:
        _attend(signup, shift, user, now)
    return signup


@transaction.atomic
def mark_attendance(*, actor: User, signup: Signup, present: bool) -> Signup:
    """The organiser, staff or the grid's grid worker record who came."""
    signup = (
        Signup.objects.select_for_update(of=("self",))
        .select_related("shift__activity__grid", "shift__activity__community")
        .get(pk=signup.pk)
    )
    shift = signup.shift
    if not may_take_attendance(actor, shift.activity):
        raise PermissionDenied(_("You may only take attendance for activities you look after."))
    if signup.status != SignupStatus.CONFIRMED:
        raise ValidationError(_("Only confirmed volunteers can be marked present."))
    now = timezone.now()
    if shift.starts_at - CHECKIN_EARLY > now:
        raise ValidationError(_("Attendance can be taken once the shift begins."))
    if present:
        _attend(signup, shift, actor, signup.attended_at or now)
    else:
        signup.attended_at = None
        signup.attendance_marked_by = actor
        signup.hours = 0
        signup.save(update_fields=["attended_at", "attendance_marked_by", "hours"])
    return signup


# ---------------------------------------------------------------------------- messages


def message_volunteers(*, actor: User, shift: Shift, subject: str, body: str) -> int:
    """E-mail everyone holding a seat on `shift`; returns how many were written to."""
    if not may_manage(actor, shift.activity):
        raise PermissionDenied(_("You may only write to volunteers of your own activities."))
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise ValidationError(_("Write a subject and a message."))
    people = list(
        User.objects.filter(
            volunteer_signups__shift=shift, volunteer_signups__status=SignupStatus.CONFIRMED
        )
    )
    with transaction.atomic():
        _mail_later(people, subject[:150], body)
    return len([p for p in people if p.email])


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind each confirmed volunteer once, within a day before their shift starts."""
    now = now or timezone.now()
    sent = 0
    due = Signup.objects.filter(
        status=SignupStatus.CONFIRMED,
        reminded_at__isnull=True,
        shift__cancelled=False,
        shift__activity__cancelled=False,
        shift__starts_at__gt=now,
        shift__starts_at__lte=now + timedelta(days=1),
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            signup = (
                Signup.objects.select_for_update(of=("self",))
                .select_related("shift__activity", "user")
                .filter(pk=pk, reminded_at__isnull=True, status=SignupStatus.CONFIRMED)
                .first()
            )
            if signup is None:
                continue
            shift = signup.shift
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Reminder: %(activity)s, %(when)s") % {
                    "activity": shift.activity.title,
                    "when": _when(shift),
                }
                body = _(
                    "You are signed up for this shift. Place: %(place)s.\n\n"
                    "If you cannot come, please cancel so someone on the waiting list can "
                    "take your seat:\n%(link)s"
                ) % {
                    "place": shift.activity.place,
                    "link": _link(f"/volunteers/activities/{shift.activity_id}/"),
                }
            _mail_later([signup.user], subject, body)
            signup.reminded_at = now
            signup.save(update_fields=["reminded_at"])
            sent += 1
    return sent
