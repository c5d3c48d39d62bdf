"""Grid maps as data for templates: the base image and each grid's outline in its pixels."""

from __future__ import annotations

import logging

from django.urls import reverse

from portal.models import Area, AreaKind

from .models import GridMap

logger = logging.getLogger(__name__)

# Phones download the map on every visit: a scan of several megabytes is served
# scaled down to this box. Outlines are relative, so the scale does not matter.
MAP_RENDITION = "max-1600x1600"

# Default outline colours: distinct hues, each at least 3:1 against white (the contrast
# a non-text mark needs), so an outline stays visible over a light drawing.
OUTLINE_PALETTE = [
    "#c62828",
    "#1565c0",
    "#2e7d32",
    "#6a1b9a",
    "#d84315",
    "#00838f",
    "#ad1457",
    "#5d4037",
    "#283593",
    "#827717",
]


def map_image(image) -> tuple[str, int, int]:
    """URL, width and height of the picture to draw a map on."""
    try:
        rendition = image.get_rendition(MAP_RENDITION)
    except OSError:
        # A missing or unreadable source file must not take the page down with it.
        logger.warning("No rendition for grid map image %s", image.pk, exc_info=True)
        return image.file.url, image.width, image.height
    return rendition.url, rendition.width, rendition.height


def label_position(pixels: list[tuple[float, float]]) -> tuple[float, float]:
    """Where a polygon's label goes: its area centroid, which stays inside an L-shaped
    grid where the plain average of the corners can fall on the edge."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(pixels, pixels[1:] + pixels[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-9:
        return (
            round(sum(p[0] for p in pixels) / len(pixels), 1),
            round(sum(p[1] for p in pixels) / len(pixels), 1),
        )
    return round(cx / (3 * area), 1), round(cy / (3 * area), 1)


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
    image_url, width, height = map_image(grid_map.base_image)
    outlines = []
    for outline in grid_map.outlines.all():
        pixels = [(round(x * width, 1), round(y * height, 1)) for x, y in outline.points]
        label_x, label_y = label_position(pixels)
        outlines.append(
            {
                "grid": outline.grid,
                "label": outline.label,
                "colour": outline.colour,
                "points": " ".join(f"{x},{y}" for x, y in pixels),
                "label_x": label_x,
                "label_y": label_y,
                "url": reverse("cms:grid", args=[outline.grid_id]),
                "highlighted": highlight is not None and outline.grid_id == highlight.pk,
            }
        )
    grids = list(Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path))
    buildings: dict[str, list[Area]] = {}
    for building in Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community.path):
        grid_path = building.path[: -Area.steplen]
        buildings.setdefault(grid_path, []).append(building)
    outlined = {o["grid"].pk: o for o in outlines}
    return {
        "map": grid_map,
        "image_url": image_url,
        "width": width,
        "height": height,
        # In image pixels: labels scale with the drawing, sized to stay readable when
        # the map is shrunk to a phone's width.
        "font_size": max(12, round(max(width, height) / 34)),
        "outlines": outlines,
        "grids": [(grid, buildings.get(grid.path, [])) for grid in grids],
        "grid_rows": [
            {
                "grid": grid,
                "buildings": buildings.get(grid.path, []),
                "outline": outlined.get(grid.pk),
            }
            for grid in grids
        ],
        "highlight": highlight,
    }
