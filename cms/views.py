"""Public views around the page tree: a grid's page and finding one's grid."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from portal.models import Area, AreaKind
from portal.permissions import Action, can

from .maps import map_context
from .models import CommunityPage, GridWorker


def grid_people(grid: Area):
    """Published cards for the grid and its buildings, grid leader first."""
    return (
        GridWorker.objects.published()
        .filter(areas__path__startswith=grid.path)
        .distinct()
        .select_related("photo")
        .prefetch_related("areas")
        .in_role_order()
    )


def grid_page(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = get_object_or_404(Area, pk=grid_id, kind=AreaKind.GRID)
    community = grid.get_parent()
    community_page = CommunityPage.objects.live().filter(area=community).first()
    if community_page is None:
        raise Http404
    return render(
        request,
        "cms/grid_page.html",
        {
            "grid": grid,
            "community": community,
            "community_page": community_page,
            "people": grid_people(grid),
            "buildings": grid.get_children(),
            "grid_map": map_context(community, highlight=grid),
            "may_print_cards": can(request.user, Action.MANAGE_CONTENT, grid),
        },
    )


def _find_building(community: Area, text: str) -> Area | None:
    """A building by what a resident types: '12', '12号', '12号楼'."""
    text = text.strip().removesuffix("楼").removesuffix("号").strip()
    if not text:
        return None
    buildings = Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community.path)
    return buildings.filter(name__in=[f"{text}号楼", text]).first()


def find_my_grid(request: HttpRequest) -> HttpResponse:
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path")
    community = None
    error = ""
    raw = request.GET.get("community", "")
    if raw.isdigit():
        community = communities.filter(pk=int(raw)).first()
    building_text = request.GET.get("building", "").strip()
    building_id = request.GET.get("building_id", "")
    if community is not None and (building_text or building_id):
        if building_id.isdigit():
            building = Area.objects.filter(
                pk=int(building_id), kind=AreaKind.BUILDING, path__startswith=community.path
            ).first()
        else:
            building = _find_building(community, building_text)
        if building is not None:
            return redirect("cms:grid", grid_id=building.get_parent().pk)
        error = _("There is no building %(building)s in %(community)s.") % {
            "building": building_text or building_id,
            "community": community.name,
        }
    buildings = (
        Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community.path)
        if community
        else []
    )
    return render(
        request,
        "cms/find_my_grid.html",
        {
            "communities": communities,
            "community": community,
            "buildings": buildings,
            "building_text": building_text,
            "error": error,
        },
        status=404 if error else 200,
    )
