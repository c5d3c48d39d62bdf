"""Wagtail admin screens for community staff: the resident verification queue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .errors import error_text
from .forms import HouseholdForm, RejectForm
from .models import Area, AreaKind, Household, ResidentProfile, ResidentStatus
from .permissions import Action, areas_where, can, restrict


def residents(request: HttpRequest) -> HttpResponse:
    if not areas_where(request.user, Action.VIEW_RESIDENTS):
        raise PermissionDenied
    status = request.GET.get("status", ResidentStatus.PENDING)
    if status not in ResidentStatus.values:
        status = ResidentStatus.PENDING
    profiles = restrict(
        ResidentProfile.objects.select_related("user", "household__unit", "decided_by"),
        request.user,
        Action.VIEW_RESIDENTS,
        "household__unit__path",
    ).filter(status=status)
    profiles = profiles.order_by(
        "requested_at" if status == ResidentStatus.PENDING else "-decided_at"
    )
    page = Paginator(profiles, 50).get_page(request.GET.get("p"))
    # The user's verifying areas are read once; a permission query per row would make
    # the queue cost one extra query for every resident listed.
    verify_areas = areas_where(request.user, Action.VERIFY_RESIDENTS)
    rows = [(p, any(p.household.unit.path.startswith(a.path) for a in verify_areas)) for p in page]
    communities = [a.ancestor_of_kind(AreaKind.COMMUNITY) or a for a in verify_areas]
    return render(
        request,
        "portal/admin/residents.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "statuses": ResidentStatus.choices,
            "reject_form": RejectForm(),
            "live_topics": [
                f"verification:{c.pk}" for c in communities if c.kind == AreaKind.COMMUNITY
            ],
        },
    )


def _decide(request: HttpRequest, decision, success_message: str) -> HttpResponse:
    """Run a verify/reject service and report the outcome on the queue page."""
    try:
        profile = decision()
    except ResidentProfile.DoesNotExist:
        messages.error(request, _("That request no longer exists."))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, success_message % {"name": profile.user})
    return redirect("portal_admin:residents")


@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        lambda: services.verify_resident(actor=request.user, profile_id=pk),
        _("%(name)s is now a verified resident."),
    )


@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect("portal_admin:residents")
    return _decide(
        request,
        lambda: services.reject_resident(
            actor=request.user, profile_id=pk, reason=form.cleaned_data["reason"]
        ),
        _("The request of %(name)s was rejected."),
    )


def places(request: HttpRequest) -> HttpResponse:
    """Browse the places a user manages, down to the households of a unit."""
    tops = areas_where(request.user, Action.MANAGE_AREAS)
    if not tops:
        raise PermissionDenied
    area = None
    raw = request.GET.get("area", "")
    if raw.isdigit():
        area = Area.objects.filter(pk=int(raw)).first()
        if area is None or not can(request.user, Action.MANAGE_AREAS, area):
            raise PermissionDenied
    form = HouseholdForm()
    if area is not None and area.kind == AreaKind.UNIT and request.method == "POST":
        form = HouseholdForm(request.POST)
        if form.is_valid():
            try:
                services.add_household(
                    actor=request.user,
                    unit=area,
                    label=form.cleaned_data["label"],
                    floor_area=form.cleaned_data["floor_area"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Household added."))
                return redirect(f"{request.path}?area={area.pk}")
    children = list(area.get_children()) if area is not None else tops
    households = []
    if area is not None and area.kind == AreaKind.UNIT:
        households = list(
            area.households.annotate(
                verified=Count("residents", filter=Q(residents__status=ResidentStatus.VERIFIED))
            )
        )
    counts = _household_counts(children)
    return render(
        request,
        "portal/admin/places.html",
        {
            "area": area,
            "ancestors": [
                a for a in area.get_ancestors() if can(request.user, Action.MANAGE_AREAS, a)
            ]
            if area
            else [],
            "children": [(child, counts.get(child.pk, 0)) for child in children],
            "households": households,
            "form": form,
        },
    )


def _visible_ancestors(user, area: Area | None) -> list[Area]:
    if area is None:
        return []
    return [a for a in area.get_ancestors() if can(user, Action.MANAGE_AREAS, a)]


def _household_counts(areas: list[Area]) -> dict[int, int]:
    """Households below each of `areas`, in one grouped query per distinct depth."""
    counts: dict[int, int] = {}
    by_depth: dict[int, list[Area]] = {}
    for area in areas:
        by_depth.setdefault(area.depth, []).append(area)
    for depth, group in by_depth.items():
        length = depth * Area.steplen
        by_path = {a.path: a.pk for a in group}
        within = Q(pk__in=[])
        for path in by_path:
            within |= Q(unit__path__startswith=path)
        rows = (
            Household.objects.filter(within)
            .annotate(prefix=Substr("unit__path", 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
        )
        for row in rows:
            counts[by_path[row["prefix"]]] = row["n"]
    return counts
