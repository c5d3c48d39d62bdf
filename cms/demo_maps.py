"""The demo grid map of 居然社区: a schematic drawing and its eight grids outlined on it.

The drawing is generated (streets, blocks of residential buildings, a park) so the demo
needs no image files and no fonts. Seeding is idempotent: a community that has a map
keeps it, and a grid that is drawn keeps its outline, even if staff changed them since.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from io import BytesIO

from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from PIL import ImageDraw
from wagtail.images import get_image_model

from portal.demo import DemoContext
from portal.models import Area, AreaKind

from . import map_services
from .maps import OUTLINE_PALETTE
from .models import GridMap, GridOutline

JURAN_CODE = "yinzhou-tiexi-juran"
MAP_TITLE = "居然社区网格示意图"
WIDTH, HEIGHT = 1200, 800

# Streets as (x0, y0, x1, y1) in pixels: a ring road, one avenue across, three side streets.
ROADS = [
    (0, 22, WIDTH, 58),
    (0, 752, WIDTH, 788),
    (14, 0, 48, HEIGHT),
    (1152, 0, 1186, HEIGHT),
    (0, 388, WIDTH, 424),
    (328, 58, 356, 752),
    (618, 58, 646, 752),
    (898, 58, 926, 752),
]
TOP = (58, 388)
BOTTOM = (424, 752)
COLUMNS = [(48, 328), (356, 618), (646, 898), (926, 1152)]
PARK = (1078, 560, 1152, 752)
INSET = 7


@dataclass(frozen=True)
class Block:
    """One city block; grid `number` covers it, except where the park lies."""

    number: int
    box: tuple[int, int, int, int]
    rows: int = 5
    columns: int = 3

    def outline(self) -> list[tuple[int, int]]:
        x0, y0, x1, y1 = (
            self.box[0] + INSET,
            self.box[1] + INSET,
            self.box[2] - INSET,
            self.box[3] - INSET,
        )
        if not self._touches_park():
            return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        # The park takes the block's south-east corner: the grid goes round it.
        px, py = PARK[0] - INSET, PARK[1] - INSET
        return [(x0, y0), (x1, y0), (x1, py), (px, py), (px, y1), (x0, y1)]

    def _touches_park(self) -> bool:
        return self.box[2] > PARK[0] and self.box[3] > PARK[1]


BLOCKS = [
    Block(1, (COLUMNS[0][0], TOP[0], COLUMNS[0][1], TOP[1])),
    Block(2, (COLUMNS[1][0], TOP[0], COLUMNS[1][1], TOP[1])),
    Block(3, (COLUMNS[2][0], TOP[0], COLUMNS[2][1], TOP[1])),
    Block(4, (COLUMNS[3][0], TOP[0], COLUMNS[3][1], TOP[1])),
    Block(5, (COLUMNS[0][0], BOTTOM[0], COLUMNS[0][1], BOTTOM[1])),
    Block(6, (COLUMNS[1][0], BOTTOM[0], COLUMNS[1][1], BOTTOM[1])),
    Block(7, (COLUMNS[2][0], BOTTOM[0], COLUMNS[2][1], BOTTOM[1])),
    Block(8, (COLUMNS[3][0], BOTTOM[0], COLUMNS[3][1], BOTTOM[1]), rows=6),
]

LAND = (239, 233, 220)
ROAD = (255, 255, 255)
ROAD_EDGE = (196, 188, 172)
CENTRE_LINE = (226, 190, 120)
BUILDING = (190, 180, 165)
BUILDING_EDGE = (128, 118, 104)
GREEN = (184, 214, 166)
TREE = (122, 168, 104)
WATER = (160, 200, 228)
PLAYGROUND = (236, 214, 170)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _building_slots(block: Block) -> list[tuple[float, float, float, float]]:
    """Where the block's buildings may stand: rows of east-west slabs, clear of the park."""
    margin, gap_x, gap_y = 18, 14, 16
    x0, y0, x1, y1 = block.box
    width = (x1 - x0 - 2 * margin - (block.columns - 1) * gap_x) / block.columns
    height = (y1 - y0 - 2 * margin - (block.rows - 1) * gap_y) / block.rows
    park = (PARK[0] - INSET, PARK[1] - INSET, PARK[2], PARK[3])
    slots = []
    for row in range(block.rows):
        for column in range(block.columns):
            left = x0 + margin + column * (width + gap_x)
            top = y0 + margin + row * (height + gap_y)
            slot = (left, top, left + width, top + height)
            if not _overlaps(slot, park):
                slots.append(slot)
    return slots


def draw_juran_map(buildings_per_grid: list[int]) -> bytes:
    """A schematic PNG of the community; the same input always gives the same picture."""
    rng = random.Random(2718)
    picture = PillowImage.new("RGB", (WIDTH, HEIGHT), LAND)
    draw = ImageDraw.Draw(picture)

    for x0, y0, x1, y1 in ROADS:
        draw.rectangle((x0, y0, x1, y1), fill=ROAD, outline=ROAD_EDGE, width=2)
    # A second pass without edges opens up the crossings.
    for x0, y0, x1, y1 in ROADS:
        draw.rectangle((x0 + 2, y0 + 2, x1 - 2, y1 - 2), fill=ROAD)
    # Dashed centre lines on the ring road and the avenue.
    for y in (40, 406, 770):
        for x in range(0, WIDTH, 36):
            draw.line((x, y, x + 18, y), fill=CENTRE_LINE, width=3)
    # Street trees inside each block's edge.
    for block in BLOCKS:
        x0, y0, x1, y1 = block.box
        for x in range(x0 + 14, x1 - 8, 26):
            for y in (y0 + 8, y1 - 8):
                draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=TREE)

    draw.rectangle(PARK, fill=GREEN)
    pond = (1090, 630, 1140, 690)
    draw.ellipse(pond, fill=WATER, outline=(120, 165, 200), width=2)
    draw.line((1078, 580, 1100, 612, 1086, 700, 1110, 752), fill=PLAYGROUND, width=5)
    for _ in range(18):
        x = rng.randrange(PARK[0] + 8, PARK[2] - 8)
        y = rng.randrange(PARK[1] + 8, PARK[3] - 8)
        if pond[0] - 8 < x < pond[2] + 8 and pond[1] - 8 < y < pond[3] + 8:
            continue
        draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=TREE)

    for block, count in zip(BLOCKS, buildings_per_grid, strict=False):
        slots = _building_slots(block)
        for index, (x0, y0, x1, y1) in enumerate(slots):
            if index < count:
                draw.rectangle((x0, y0, x1, y1), fill=BUILDING, outline=BUILDING_EDGE, width=2)
                # Stairwell marks: one per unit, as on the printed maps in the stairways.
                for unit in (1, 2):
                    ux = x0 + (x1 - x0) * unit / 3
                    draw.line((ux, y0 + 3, ux, y1 - 3), fill=BUILDING_EDGE, width=1)
            else:
                # An empty slot becomes a playground.
                draw.rounded_rectangle((x0, y0, x1, y1), radius=6, fill=PLAYGROUND)
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                draw.ellipse((cx - 9, cy - 9, cx + 9, cy + 9), outline=BUILDING_EDGE, width=2)

    buffer = BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def relative_outline(block: Block) -> list[list[float]]:
    return [[round(x / WIDTH, 5), round(y / HEIGHT, 5)] for x, y in block.outline()]


def seed_maps(ctx: DemoContext) -> None:
    community = Area.objects.filter(code=JURAN_CODE, kind=AreaKind.COMMUNITY).first()
    if community is None:
        return
    grids = {
        grid.code: grid
        for grid in Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path)
    }
    grid_map = GridMap.objects.filter(community=community).first()
    if grid_map is None:
        counts = [
            Area.objects.filter(
                kind=AreaKind.BUILDING, path__startswith=grids[f"{JURAN_CODE}-g{n}"].path
            ).count()
            if f"{JURAN_CODE}-g{n}" in grids
            else 0
            for n in range(1, len(BLOCKS) + 1)
        ]
        image = get_image_model()(
            title=MAP_TITLE,
            file=ImageFile(BytesIO(draw_juran_map(counts)), name="juran-map.png"),
        )
        image.save()
        grid_map = map_services.save_grid_map(
            actor=None, community=community, title=MAP_TITLE, base_image=image
        )
    drawn = set(GridOutline.objects.filter(grid__in=grids.values()).values_list("grid", flat=True))
    added = 0
    for block in BLOCKS:
        grid = grids.get(f"{JURAN_CODE}-g{block.number}")
        if grid is None or grid.pk in drawn:
            continue
        map_services.save_grid_outline(
            actor=None,
            grid_map=grid_map,
            grid=grid,
            points=relative_outline(block),
            label=f"第{block.number}网格",
            colour=OUTLINE_PALETTE[(block.number - 1) % len(OUTLINE_PALETTE)],
        )
        added += 1
    ctx.log(f"Grid map of {community.name}: {grid_map.outlines.count()} grids drawn ({added} new).")
