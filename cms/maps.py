"""Grid maps as data for templates: the base image and each grid's outline in its pixels."""

from __future__ import annotations

from django.urls import reverse

from portal.models import Area, AreaKind

from .models import GridMap


def map_context(community: Area, *, highlight: Area | None = None) -> dict | None:
    """What `cms/includes/grid_map.html` draws, or None when the community has no map.

    Outline points are stored relative to the image (0..1) so that replacing the base
    image with a larger scan of the same drawing keeps every outline in place.
    """
    grid_map = (
        GridMap.objects.select_related("base_image")
        .prefetch_related("outlines__grid")
        .filter(community=community)
        .first()
    )
    if grid_map is None:
        return None
    image = grid_map.base_image
    width, height = image.width, image.height
    outlines = []
    for outline in grid_map.outlines.all():
        pixels = [(round(x * width, 1), round(y * height, 1)) for x, y in outline.points]
        cx = sum(p[0] for p in pixels) / len(pixels)
        cy = sum(p[1] for p in pixels) / len(pixels)
        outlines.append(
            {
                "grid": outline.grid,
                "label": outline.label,
                "colour": outline.colour,
                "points": " ".join(f"{x},{y}" for x, y in pixels),
                "label_x": round(cx, 1),
                "label_y": round(cy, 1),
                "url": reverse("cms:grid", args=[outline.grid_id]),
                "highlighted": highlight is not None and outline.grid_id == highlight.pk,
            }
        )
    grids = Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path)
    buildings: dict[int, list[Area]] = {}
    for building in Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community.path):
        grid_path = building.path[: -Area.steplen]
        buildings.setdefault(grid_path, []).append(building)
    return {
        "map": grid_map,
        "image_url": image.file.url,
        "width": width,
        "height": height,
        "outlines": outlines,
        "grids": [(grid, buildings.get(grid.path, [])) for grid in grids],
        "highlight": highlight,
    }
