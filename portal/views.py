from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .context_processors import TEXT_SIZE_COOKIE
from .forms import HouseholdChoiceForm
from .models import CHILD_KIND, Area, AreaKind, ResidentProfile
from .topics import account_topic

# The picker walks down the tree one level per step; each step is a query parameter.
PICKER_STEPS = [AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING, AreaKind.UNIT]


@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    profile = (
        ResidentProfile.objects.select_related("household__unit", "decided_by")
        .filter(user=request.user)
        .first()
    )
    return render(
        request,
        "portal/my_account.html",
        {"profile": profile, "live_topic": account_topic(request.user.pk)},
    )


def _picked_path(request: HttpRequest) -> tuple[list[Area], list[str]]:
    """Areas chosen so far, each checked to lie under the one before."""
    chosen: list[Area] = []
    problems: list[str] = []
    parent: Area | None = None
    for kind in PICKER_STEPS:
        raw = request.GET.get(kind) or request.POST.get(kind)
        if not raw:
            break
        area = Area.objects.filter(pk=raw, kind=kind).first() if raw.isdigit() else None
        if (
            area is None
            or (parent is not None and not parent.contains(area))
            or (parent is not None and area.depth != parent.depth + 1)
        ):
            problems.append(_("The place you picked is not in the list. Please pick again."))
            break
        chosen.append(area)
        parent = area
    return chosen, problems


def _picker_options(parent: Area | None) -> dict[str, list[Area]]:
    """Choices for the next step; communities come grouped by their sub-district."""
    if parent is not None:
        return {"": list(parent.get_children())}
    groups: dict[str, list[Area]] = {}
    streets = {s.path: s.name for s in Area.objects.filter(kind=AreaKind.STREET)}
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"):
        groups.setdefault(streets.get(community.path[: -Area.steplen], ""), []).append(community)
    return groups


@login_required
def choose_household(request: HttpRequest) -> HttpResponse:
    chosen, problems = _picked_path(request)
    for problem in problems:
        messages.error(request, problem)
    unit = chosen[-1] if len(chosen) == len(PICKER_STEPS) else None
    community = chosen[0] if chosen else None

    form = None
    if unit is not None:
        if request.method == "POST":
            form = HouseholdChoiceForm(request.POST, unit=unit)
            if form.is_valid():
                try:
                    services.choose_household(
                        user=request.user,
                        household=form.cleaned_data["household"],
                        community=form.cleaned_data["community"],
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request,
                        _("Thank you. Community staff will check your household soon."),
                    )
                    return redirect("portal:my_account")
        else:
            form = HouseholdChoiceForm(unit=unit, initial={"community": community})

    next_kind, groups = None, {}
    if unit is None:
        next_kind = CHILD_KIND[chosen[-1].kind] if chosen else AreaKind.COMMUNITY
        groups = _picker_options(chosen[-1] if chosen else None)

    return render(
        request,
        "portal/choose_household.html",
        {
            "chosen": chosen,
            "next_kind": next_kind,
            "next_kind_label": AreaKind(next_kind).label if next_kind else "",
            "groups": groups,
            "form": form,
            "unit": unit,
        },
    )


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Switch large text (大字版) on or off; the choice is kept in a cookie for a year."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if request.POST.get("size") == "large":
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            "large",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax")
    return response


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)
