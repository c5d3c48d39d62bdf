"""The public grid map of a community: the drawing, and the same as a list."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from portal.models import Area, AreaKind

from .maps import map_context
from .models import CommunityPage


def grid_map_page(request: HttpRequest, community_id: int) -> HttpResponse:
    community = get_object_or_404(Area, pk=community_id, kind=AreaKind.COMMUNITY)
    grid_map = map_context(community)
    if grid_map is None:
        raise Http404
    return render(
        request,
        "cms/grid_map_page.html",
        {
            "community": community,
            "community_page": CommunityPage.objects.live().filter(area=community).first(),
            "grid_map": grid_map,
        },
    )
