"""Printable grid posters (网格示意图) and household service contact cards (服务联系卡).

Each print carries a QR code to the grid's page, so a resident who scans the poster in
the stairwell or the card on the fridge lands on the current contacts and notices even
after the paper has gone out of date.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from portal.models import Area, AreaKind, Household, ResidentStatus
from portal.permissions import Action, can

from .maps import map_context
from .models import ROLE_ORDER, CommunityPage, GridWorker, GridWorkerRole
from .validators import MOBILE_RE, normalise_phone
from .views import grid_people

# Printed QR sizes, quiet zone included. A phone camera reads a code from about ten times
# its width: 40 mm works across a stairwell landing, 20 mm held in the hand.
POSTER_QR_MM = 40
CARD_QR_MM = 20
CARDS_PER_SHEET = 10

# The people with photos and large phone numbers at the top of the poster; everyone else
# goes into a compact list so a grid with a dozen building leaders still fits one A4 page.
POSTER_LEAD_ROLES = (GridWorkerRole.GRID_LEADER, GridWorkerRole.GRID_WORKER)
# Beyond this many, the list drops the duties column and runs in two columns side by side:
# a grid of fifteen buildings has fifteen building leaders.
POSTER_LIST_ROWS = 6


def qr_svg(url: str, *, size_mm: float) -> SafeString:
    """An inline SVG QR code for `url`, `size_mm` wide on paper (quiet zone included)."""
    # Medium error correction survives a scuffed or partly covered print.
    qr = segno.make(url, error="m", micro=False)
    modules = qr.symbol_size()[0]  # including segno's standard 4-module quiet zone
    svg = qr.svg_inline(scale=size_mm / modules, unit="mm", dark="#000", light=None)
    # segno writes only path data derived from the modules; no text of ours is embedded.
    return mark_safe(svg)  # noqa: S308


def phone_for_print(phone: str) -> str:
    """Mobile numbers in the 3-4-4 groups people read aloud (139 0100 0001); others as typed."""
    digits = normalise_phone(phone)
    if MOBILE_RE.match(digits):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return phone


def _for_print(people) -> list[GridWorker]:
    people = list(people)
    for person in people:
        person.phone_display = phone_for_print(person.phone)
    return people


def _grid_url(request: HttpRequest, grid: Area) -> str:
    return request.build_absolute_uri(reverse("cms:grid", args=[grid.pk]))


def _grid_page_is_public(community: Area) -> bool:
    """Whether the QR code's target exists: a grid page is served under a live community page."""
    return CommunityPage.objects.live().filter(area=community).exists()


def _published_grid(grid_id: int) -> tuple[Area, Area]:
    """The grid and its community; 404 unless the grid's page (the QR target) is public."""
    grid = get_object_or_404(Area, pk=grid_id, kind=AreaKind.GRID)
    community = grid.get_parent()
    if not _grid_page_is_public(community):
        raise Http404
    return grid, community


def grid_poster(request: HttpRequest, grid_id: int) -> HttpResponse:
    """The A4 poster for the stairwells. Public: it shows only published, consented cards."""
    grid, community = _published_grid(grid_id)
    people = _for_print(grid_people(grid))
    others = sorted(
        (p for p in people if p.role not in POSTER_LEAD_ROLES),
        # Role order first; within a role, staff's own order, then building by building
        # (tree order) so a resident finds their building leader by scanning down.
        key=lambda p: (
            ROLE_ORDER[p.role],
            p.sort_order,
            min((a.path for a in p.areas.all()), default=""),
        ),
    )
    compact = len(others) > POSTER_LIST_ROWS
    half = (len(others) + 1) // 2
    grid_url = _grid_url(request, grid)
    return render(
        request,
        "cms/print/grid_poster.html",
        {
            "grid": grid,
            "community": community,
            "street": community.get_parent(),
            "lead_people": [p for p in people if p.role in POSTER_LEAD_ROLES],
            "other_people": others,
            "other_columns": [others[:half], others[half:]] if compact else [others],
            "compact_list": compact,
            "buildings": grid.get_children(),
            "grid_map": map_context(community, highlight=grid),
            "grid_url": grid_url,
            "qr": qr_svg(grid_url, size_mm=POSTER_QR_MM),
            "printed_on": timezone.localdate(),
            "back_url": reverse("cms:grid", args=[grid.pk]),
            "back_label": _("Back to the grid page"),
        },
    )


@dataclass
class CardContent:
    household: Household
    unit: Area
    building: Area
    contacts: list[GridWorker]


# The three people a household calls, in the order the card lists them.
CARD_ROLES = (
    GridWorkerRole.GRID_LEADER,
    GridWorkerRole.GRID_WORKER,
    GridWorkerRole.BUILDING_LEADER,
)


def building_contacts(building: Area) -> list[GridWorker]:
    """First published grid leader, grid worker and building leader for a building.

    Grid leaders and workers are usually assigned to the grid, building leaders to their
    building; `for_area` takes both, so a card never shows a neighbouring building's leader.
    """
    cards = (
        GridWorker.objects.published()
        .for_area(building)
        .filter(role__in=CARD_ROLES)
        .in_role_order()
    )
    first: dict[str, GridWorker] = {}
    for card in _for_print(cards):
        first.setdefault(card.role, card)
    return [first[role] for role in CARD_ROLES if role in first]


def _household_or_404(household_id: int) -> Household:
    return get_object_or_404(Household.objects.select_related("unit"), pk=household_id)


def _lives_in(user, household: Household) -> bool:
    profile = getattr(user, "resident_profile", None)
    return (
        profile is not None
        and profile.household_id == household.pk
        and profile.status == ResidentStatus.VERIFIED
    )


@login_required
def household_card(request: HttpRequest, household_id: int) -> HttpResponse:
    """One household's contact card: for its verified resident and for the staff over it."""
    household = _household_or_404(household_id)
    unit = household.unit
    if not (_lives_in(request.user, household) or can(request.user, Action.MANAGE_CONTENT, unit)):
        raise PermissionDenied
    building = unit.get_parent()
    grid = building.get_parent()
    community = grid.get_parent()
    grid_url = _grid_url(request, grid)
    if _lives_in(request.user, household):
        back_url, back_label = reverse("portal:my_account"), _("Back to my account")
    else:
        back_url, back_label = reverse("cms:grid", args=[grid.pk]), _("Back to the grid page")
    return render(
        request,
        "cms/print/household_card.html",
        {
            "community": community,
            "grid": grid,
            "cards": [CardContent(household, unit, building, building_contacts(building))],
            "grid_url": grid_url,
            "qr": qr_svg(grid_url, size_mm=CARD_QR_MM),
            "qr_target_missing": not _grid_page_is_public(community),
            "back_url": back_url,
            "back_label": back_label,
        },
    )


@login_required
def grid_cards(request: HttpRequest, grid_id: int) -> HttpResponse:
    """Every household's card in a grid, ten to an A4 sheet, for staff to print and cut."""
    grid = get_object_or_404(Area, pk=grid_id, kind=AreaKind.GRID)
    if not can(request.user, Action.MANAGE_CONTENT, grid):
        raise PermissionDenied
    community = grid.get_parent()
    buildings = {b.path: b for b in grid.get_children()}
    units = {u.pk: u for u in Area.objects.within(grid).filter(kind=AreaKind.UNIT)}
    contacts = {path: building_contacts(b) for path, b in buildings.items()}
    households = sorted(
        Household.objects.within(grid),
        # Room numbers in numeric order (301 before 1001), unit by unit.
        key=lambda h: (units[h.unit_id].path, len(h.label), h.label),
    )
    cards = []
    for household in households:
        unit = units[household.unit_id]
        building_path = unit.path[: -Area.steplen]
        cards.append(
            CardContent(household, unit, buildings[building_path], contacts[building_path])
        )
    sheets = [cards[i : i + CARDS_PER_SHEET] for i in range(0, len(cards), CARDS_PER_SHEET)]
    grid_url = _grid_url(request, grid)
    return render(
        request,
        "cms/print/grid_cards.html",
        {
            "community": community,
            "grid": grid,
            "sheets": sheets,
            "card_count": len(cards),
            "grid_url": grid_url,
            "qr": qr_svg(grid_url, size_mm=CARD_QR_MM),
            "qr_target_missing": not _grid_page_is_public(community),
            "back_url": reverse("cms:grid", args=[grid.pk]),
            "back_label": _("Back to the grid page"),
        },
    )
