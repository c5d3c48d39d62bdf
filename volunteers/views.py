"""Public volunteering pages and the plain form POSTs behind them. Changes go through services."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import error_text
from portal.models import Area, AreaKind
from portal.permissions import Action, areas_where

from . import calendar, services
from .forms import FilterForm, JoinForm, MessageForm
from .live import activity_topic
from .models import (
    ACTIVE,
    Activity,
    ServiceTheme,
    Shift,
    Signup,
    SignupStatus,
    VolunteerProfile,
)

UPCOMING_SHIFTS_SHOWN = 4


def _upcoming_shifts(day=None):
    shifts = Shift.objects.filter(cancelled=False, ends_at__gt=timezone.now())
    if day is not None:
        start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
        shifts = shifts.filter(
            starts_at__gte=start, starts_at__lt=start + timezone.timedelta(days=1)
        )
    return shifts.order_by("starts_at")


def _annotate_waitlist(shifts):
    waiting = defaultdict(int)
    for shift_id in Signup.objects.filter(
        shift__in=shifts, status=SignupStatus.WAITLISTED
    ).values_list("shift_id", flat=True):
        waiting[shift_id] += 1
    for shift in shifts:
        shift.waitlist = waiting[shift.pk]
    return shifts


def activity_list(request: HttpRequest, colour: str | None = None) -> HttpResponse:
    theme = get_object_or_404(ServiceTheme, slug=colour) if colour else None
    community = None
    raw = request.GET.get("community", "")
    if raw.isdigit():
        community = Area.objects.filter(pk=int(raw), kind=AreaKind.COMMUNITY).first()
    data = request.GET.copy()
    if theme is not None:
        data["colour"] = theme.slug
    form = FilterForm(data or None, community=community)
    day = grid = None
    if form.is_valid():
        theme = form.cleaned_data["colour"] or theme
        day = form.cleaned_data["date"]
        grid = form.cleaned_data["grid"]
    shifts = _upcoming_shifts(day)
    activities = (
        Activity.objects.filter(cancelled=False)
        .filter(Exists(shifts.filter(activity=OuterRef("pk"))))
        .select_related("theme", "community", "grid")
        .prefetch_related(Prefetch("shifts", queryset=shifts, to_attr="upcoming"))
        .order_by("theme__sort_order", "title")
    )
    if theme is not None:
        activities = activities.filter(theme=theme)
    if community is not None:
        activities = activities.filter(community=community)
    if grid is not None:
        # A grid's residents may join its own activities and the community-wide ones.
        activities = activities.filter(
            Q(grid=grid) | Q(grid__isnull=True, community__path=grid.path[: 3 * Area.steplen])
        )
    activities = list(activities[:100])
    for activity in activities:
        activity.upcoming = _annotate_waitlist(activity.upcoming[:UPCOMING_SHIFTS_SHOWN])
    return render(
        request,
        "volunteers/activity_list.html",
        {
            "activities": activities,
            "form": form,
            "theme": theme,
            "themes": ServiceTheme.objects.all(),
            "community": community,
        },
    )


def _shift_rows(request: HttpRequest, activity: Activity, shifts) -> list[dict]:
    mine = {}
    if request.user.is_authenticated:
        for signup in Signup.objects.filter(user=request.user, shift__in=shifts, status__in=ACTIVE):
            mine[signup.shift_id] = signup
    rows = []
    for shift in shifts:
        shift.activity = activity
        rows.append(
            {
                "shift": shift,
                "signup": mine.get(shift.pk),
                "refusal": None
                if shift.pk in mine
                else services.signup_refusal(request.user, shift),
            }
        )
    return rows


def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(
        Activity.objects.select_related("theme", "community", "grid", "organiser"), pk=pk
    )
    shifts = _annotate_waitlist(
        list(activity.shifts.filter(ends_at__gt=timezone.now()).order_by("starts_at")[:60])
    )
    return render(
        request,
        "volunteers/activity_detail.html",
        {
            "activity": activity,
            "rows": _shift_rows(request, activity, shifts),
            "topic": activity_topic(activity.pk),
            "may_manage": services.may_take_attendance(request.user, activity),
            "cutoff_hours": int(services.cancel_cutoff().total_seconds() // 3600),
        },
    )


def _back(request: HttpRequest, activity_id: int) -> HttpResponse:
    return redirect(reverse("volunteers:activity", args=[activity_id]) + "#shifts")


@login_required
@require_POST
def sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(Shift, pk=pk)
    try:
        signup = services.sign_up(user=request.user, shift=shift)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        if signup.status == SignupStatus.CONFIRMED:
            messages.success(request, _("You are signed up. Thank you!"))
        else:
            messages.success(
                request,
                _("The shift is full. You are number %(position)s on the waiting list.")
                % {"position": signup.waitlist_position()},
            )
    return _back(request, shift.activity_id)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_object_or_404(Signup.objects.select_related("shift"), pk=pk)
    try:
        services.cancel_signup(user=request.user, signup=signup)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    if request.POST.get("next") == "roster":
        return redirect("volunteers:roster", pk=signup.shift_id)
    return _back(request, signup.shift.activity_id)


@login_required
def join(request: HttpRequest) -> HttpResponse:
    profile = VolunteerProfile.objects.filter(user=request.user).first()
    verified = bool(areas_where(request.user, Action.PARTICIPATE))
    form = JoinForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.join_volunteers(user=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            messages.error(request, error_text(error))
        except ValidationError as error:
            form.add_error("phone", error)
        else:
            messages.success(request, _("Welcome to the volunteer service!"))
            return redirect("volunteers:mine")
    return render(
        request, "volunteers/join.html", {"form": form, "verified": verified, "profile": profile}
    )


def hours_by_theme(signups) -> list[dict]:
    totals = {
        row["shift__activity__theme"]: row["total"]
        for row in signups.filter(attended_at__isnull=False)
        .values("shift__activity__theme")
        .annotate(total=Sum("hours"))
    }
    cents = Decimal("0.01")
    return [
        {"theme": theme, "hours": Decimal(totals.get(theme.pk) or 0).quantize(cents)}
        for theme in ServiceTheme.objects.all()
    ]


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    signups = Signup.objects.filter(user=request.user).select_related(
        "shift__activity__theme", "shift__activity__community"
    )
    now = timezone.now()
    by_theme = hours_by_theme(signups)
    return render(
        request,
        "volunteers/mine.html",
        {
            "profile": VolunteerProfile.objects.filter(user=request.user).first(),
            "upcoming": signups.filter(status__in=ACTIVE, shift__ends_at__gt=now).order_by(
                "shift__starts_at"
            ),
            "history": signups.filter(attended_at__isnull=False).order_by("-shift__starts_at"),
            "by_theme": by_theme,
            "total": sum((t["hours"] for t in by_theme), Decimal("0")),
        },
    )


@login_required
def certificate(request: HttpRequest) -> HttpResponse:
    signups = Signup.objects.filter(user=request.user).select_related("shift__activity__theme")
    by_theme = hours_by_theme(signups)
    return render(
        request,
        "volunteers/certificate.html",
        {
            "by_theme": by_theme,
            "total": sum((t["hours"] for t in by_theme), Decimal("0")),
            "history": signups.filter(attended_at__isnull=False).order_by("shift__starts_at"),
            "issued": timezone.localdate(),
        },
    )


def leaderboard(request: HttpRequest, community_id: int) -> HttpResponse:
    community = get_object_or_404(Area, pk=community_id, kind=AreaKind.COMMUNITY)
    theme = ServiceTheme.objects.filter(slug=request.GET.get("colour", "")).first()
    signups = Signup.objects.filter(
        attended_at__isnull=False,
        shift__activity__community=community,
        user__volunteer_profile__on_leaderboard=True,
    )
    if theme is not None:
        signups = signups.filter(shift__activity__theme=theme)
    rows = (
        signups.values("user__name", "user__username")
        .annotate(total=Sum("hours"))
        .order_by("-total", "user__name")[:20]
    )
    return render(
        request,
        "volunteers/leaderboard.html",
        {
            "community": community,
            "theme": theme,
            "rows": rows,
            "themes": ServiceTheme.objects.all(),
        },
    )


# ---------------------------------------------------------------------------- check-in


def check_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        shift = services.shift_from_token(token)
    except ValidationError:
        raise Http404 from None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            signup = services.check_in(user=request.user, token=token)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Checked in. %(hours)s hours will be credited to you.") % {"hours": signup.hours},
            )
        return redirect(request.path)
    return render(request, "volunteers/check_in.html", {"shift": shift, "activity": shift.activity})


def _managed_shift(request: HttpRequest, pk: int, *, attendance: bool = False) -> Shift:
    shift = get_object_or_404(
        Shift.objects.select_related("activity__theme", "activity__community", "activity__grid"),
        pk=pk,
    )
    allowed = (
        services.may_take_attendance(request.user, shift.activity)
        if attendance
        else services.may_manage(request.user, shift.activity)
    )
    if not allowed:
        raise PermissionDenied
    return shift


@login_required
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _managed_shift(request, pk, attendance=True)
    if request.method == "POST":
        signup = get_object_or_404(Signup, pk=request.POST.get("signup", 0), shift=shift)
        try:
            services.mark_attendance(
                actor=request.user, signup=signup, present=request.POST.get("present") == "1"
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Attendance saved for %(name)s.") % {"name": signup.user})
        return redirect("volunteers:roster", pk=shift.pk)
    signups = (
        Signup.objects.filter(shift=shift, status__in=ACTIVE)
        .select_related("user__volunteer_profile")
        .order_by("status", "waitlist_number", "pk")
    )
    token = services.checkin_token(shift)
    return render(
        request,
        "volunteers/roster.html",
        {
            "shift": shift,
            "activity": shift.activity,
            "signups": signups,
            "may_manage": services.may_manage(request.user, shift.activity),
            "checkin_url": request.build_absolute_uri(reverse("volunteers:check_in", args=[token])),
            "qr_svg": calendar.qr_svg(
                request.build_absolute_uri(reverse("volunteers:check_in", args=[token]))
            ),
        },
    )


@login_required
def roster_csv(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _managed_shift(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-shift-{shift.pk}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Chinese names correctly
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Name"),
            _("E-mail"),
            _("Phone"),
            _("Status"),
            _("Waiting list"),
            _("Checked in"),
            _("Hours"),
        ]
    )
    signups = (
        Signup.objects.filter(shift=shift, status__in=ACTIVE)
        .select_related("user__volunteer_profile")
        .order_by("status", "waitlist_number", "pk")
    )
    for s in signups:
        profile = getattr(s.user, "volunteer_profile", None)
        writer.writerow(
            [
                _csv_safe(str(s.user)),
                _csv_safe(s.user.email),
                _csv_safe(profile.phone if profile else ""),
                s.get_status_display(),
                s.waitlist_position() or "",
                timezone.localtime(s.attended_at).strftime("%Y-%m-%d %H:%M")
                if s.attended_at
                else "",
                s.hours,
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # Spreadsheet programs run cells starting with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@login_required
def message(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _managed_shift(request, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.message_volunteers(
                actor=request.user, shift=shift, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Message sent to %(count)s volunteers.") % {"count": count})
            return redirect("volunteers:roster", pk=shift.pk)
    return render(request, "volunteers/message.html", {"shift": shift, "form": form})


# ---------------------------------------------------------------------------- calendars


def shift_ics(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(Shift.objects.select_related("activity__theme"), pk=pk)
    return calendar.response([shift], f"shift-{shift.pk}.ics", request)


def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    profile = get_object_or_404(VolunteerProfile, calendar_token=token)
    shifts = Shift.objects.filter(
        signups__user=profile.user_id, signups__status=SignupStatus.CONFIRMED
    ).select_related("activity__theme")
    return calendar.response(list(shifts), "volunteering.ics", request)
