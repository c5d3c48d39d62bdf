"""Wagtail admin screens for community staff: their activities, shifts and an hours report."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import error_text
from portal.models import Area, AreaKind
from portal.permissions import Action, areas_where, restrict

from . import services
from .forms import ActivityForm, ShiftsForm
from .models import Activity, ServiceTheme, Shift, Signup


def _communities(user) -> list[Area]:
    tops = areas_where(user, Action.MANAGE_CONTENT)
    if not tops:
        raise PermissionDenied
    q = Q(pk__in=[])
    for top in tops:
        q |= Q(path__startswith=top.path)
    return list(Area.objects.filter(q, kind=AreaKind.COMMUNITY))


def _scoped(user):
    return restrict(Activity.objects.all(), user, Action.MANAGE_CONTENT, "community__path")


def activities(request: HttpRequest) -> HttpResponse:
    _communities(request.user)
    rows = (
        _scoped(request.user)
        .select_related("theme", "community", "grid")
        .annotate(
            upcoming=Count(
                "shifts", filter=Q(shifts__starts_at__gt=timezone.now(), shifts__cancelled=False)
            )
        )
        .order_by("cancelled", "community__path", "theme__sort_order", "title")
    )
    return render(request, "volunteers/admin/activities.html", {"activities": rows})


def edit_activity(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    communities = _communities(request.user)
    activity = get_object_or_404(_scoped(request.user), pk=pk) if pk else None
    form = ActivityForm(request.POST or None, instance=activity, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_activity(
                actor=request.user, activity=activity, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Activity saved."))
            return redirect("volunteers_admin:shifts", pk=saved.pk)
    return render(
        request, "volunteers/admin/activity_form.html", {"form": form, "activity": activity}
    )


def shifts(request: HttpRequest, pk: int) -> HttpResponse:
    _communities(request.user)
    activity = get_object_or_404(_scoped(request.user).select_related("theme"), pk=pk)
    form = ShiftsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        first = timezone.make_aware(datetime.combine(data["first_date"], data["start_time"]))
        try:
            created = services.generate_shifts(
                actor=request.user,
                activity=activity,
                first_start=first,
                duration=timedelta(hours=float(data["hours"])),
                weekdays=data["weekdays"],
                until=data["until"],
                capacity=data["capacity"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("%(count)s new shifts added.") % {"count": len(created)})
            return redirect("volunteers_admin:shifts", pk=activity.pk)
    rows = activity.shifts.filter(ends_at__gt=timezone.now() - timedelta(days=30)).annotate(
        waiting=Count("signups", filter=Q(signups__status="waitlisted"))
    )
    return render(
        request,
        "volunteers/admin/shifts.html",
        {"activity": activity, "form": form, "shifts": rows},
    )


@require_POST
def cancel_shift(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(Shift, pk=pk)
    try:
        services.cancel_shift(actor=request.user, shift=shift)
    except PermissionDenied as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Shift cancelled; its volunteers were told by e-mail."))
    return redirect("volunteers_admin:shifts", pk=shift.activity_id)


def report(request: HttpRequest) -> HttpResponse:
    """Hours served per colour and grid in the communities the user manages."""
    _communities(request.user)
    signups = restrict(
        Signup.objects.filter(attended_at__isnull=False),
        request.user,
        Action.MANAGE_CONTENT,
        "shift__activity__community__path",
    )
    rows = (
        signups.values(
            "shift__activity__community__name",
            "shift__activity__grid__name",
            "shift__activity__theme",
        )
        .annotate(hours=Sum("hours"), people=Count("user", distinct=True))
        .order_by("shift__activity__community__name", "shift__activity__grid__name")
    )
    themes = {t.pk: t for t in ServiceTheme.objects.all()}
    table = [
        {
            "community": r["shift__activity__community__name"],
            "grid": r["shift__activity__grid__name"] or _("Whole community"),
            "theme": themes[r["shift__activity__theme"]],
            "hours": r["hours"],
            "people": r["people"],
        }
        for r in rows
    ]
    return render(request, "volunteers/admin/report.html", {"rows": table})
