"""In real Chromium: community staff draw a grid on the map in Wagtail admin, and residents
find it on the public map as a link to that grid's page."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from io import BytesIO

from django.core.files.images import ImageFile
from django.test import override_settings
from PIL import Image as PillowImage
from playwright.sync_api import expect
from wagtail.images import get_image_model

from cms.models import GridMap, GridOutline
from portal import services
from portal.models import Role

from ..factories import UserFactory
from ..helpers import build_site
from .base import BrowserTestCase

PASSWORD = "correct horse battery"


def base_image():
    buffer = BytesIO()
    PillowImage.new("RGB", (800, 500), (239, 233, 220)).save(buffer, format="PNG")
    image = get_image_model()(title="甲社区示意图", file=ImageFile(buffer, name="plan.png"))
    image.save()
    return image


class GridMapEditorBrowserTest(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        # Uploaded images stay out of the working tree, for this process and the server's.
        cls._media = tempfile.mkdtemp(prefix="grid-map-media-")
        cls._previous_media = os.environ.get("MEDIA_ROOT")
        os.environ["MEDIA_ROOT"] = cls._media
        cls._media_override = override_settings(MEDIA_ROOT=cls._media)
        cls._media_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._media_override.disable()
        if cls._previous_media is None:
            os.environ.pop("MEDIA_ROOT", None)
        else:
            os.environ["MEDIA_ROOT"] = cls._previous_media
        shutil.rmtree(cls._media, ignore_errors=True)

    def setUp(self):
        self.district, _index = build_site()
        self.community = self.district.community_a
        self.grid_map = GridMap.objects.create(
            community=self.community, base_image=base_image(), title="甲社区网格示意图"
        )
        self.staff = UserFactory()
        services.assign_role(
            actor=None, user=self.staff, role=Role.COMMUNITY_STAFF, area=self.community
        )

    def open_editor(self):
        context = self.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        self.log_in(page, self.staff.email, PASSWORD)
        page.goto(f"{self.live_server_url}/admin/grid-maps/{self.grid_map.pk}/")
        return context, page, errors

    def test_staff_draw_a_grid_and_the_public_map_links_it(self):
        context, page, errors = self.open_editor()
        grid = self.district.grid(self.community, 2)
        page.get_by_label("Grid to draw").select_option(str(grid.pk))
        expect(page.locator("[data-editor-grid-name]")).to_have_text(grid.name)
        expect(page.get_by_label("Label on the map")).to_have_value(grid.name)

        svg = page.locator("[data-editor-svg]")
        box = svg.bounding_box()

        def at(x: float, y: float) -> tuple[float, float]:
            return box["x"] + x * box["width"], box["y"] + y * box["height"]

        def points() -> list[list[float]]:
            return json.loads(page.locator("input[name=points]").input_value())

        for x, y in [(0.2, 0.2), (0.6, 0.2), (0.6, 0.7), (0.2, 0.7)]:
            page.mouse.click(*at(x, y))
        assert len(points()) == 4
        handles = svg.locator(".handle")
        expect(handles).to_have_count(4)
        expect(svg.locator("[data-current] polygon")).not_to_have_attribute("points", "")

        # Drag the third corner further out.
        page.mouse.move(*at(0.6, 0.7))
        page.mouse.down()
        page.mouse.move(*at(0.7, 0.75), steps=4)
        page.mouse.move(*at(0.8, 0.8), steps=4)
        page.mouse.up()
        moved = points()[2]
        assert abs(moved[0] - 0.8) < 0.01 and abs(moved[1] - 0.8) < 0.01, moved

        # Undo takes it back, and only that.
        page.keyboard.press("Control+z")
        restored = points()
        assert len(restored) == 4
        assert abs(restored[2][0] - 0.6) < 0.01 and abs(restored[2][1] - 0.7) < 0.01, restored

        page.mouse.click(*at(0.1, 0.45))
        drawn = points()
        assert len(drawn) == 5
        assert abs(drawn[4][0] - 0.1) < 0.01 and abs(drawn[4][1] - 0.45) < 0.01, drawn
        expect(page.locator("[data-editor-status]")).to_contain_text("Points: 5.")

        self.screenshot(page, "grid-map-editor.png")
        page.get_by_role("button", name="Save and publish").click()
        expect(page.get_by_text("is saved and shown on the public map")).to_be_visible()

        outline = GridOutline.objects.get(grid=grid)
        assert outline.updated_by == self.staff
        assert len(outline.points) == 5

        page.goto(f"{self.live_server_url}/maps/{self.community.pk}/")
        link = page.locator("svg a.grid-outline")
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", f"/grids/{grid.pk}/")
        self.screenshot(page, "grid-map-public.png")
        link.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text(grid.name)
        assert errors == []
        context.close()

    def test_an_outline_can_be_drawn_with_the_keyboard_alone(self):
        context, page, errors = self.open_editor()
        grid = self.district.grid(self.community, 1)  # the first grid not drawn yet

        def points() -> list[list[float]]:
            return json.loads(page.locator("input[name=points]").input_value())

        add = page.get_by_role("button", name="Add point")
        add.focus()
        page.keyboard.press("Enter")
        # The new point takes the focus, so the arrows move it straight away.
        page.keyboard.press("Shift+ArrowLeft")
        page.keyboard.press("Shift+ArrowUp")
        assert points() == [[0.475, 0.475]]
        for _ in range(3):
            add.focus()
            page.keyboard.press("Enter")
        assert len(points()) == 4

        page.keyboard.press("Delete")
        assert len(points()) == 3
        page.get_by_role("button", name="Undo").press("Enter")
        assert len(points()) == 4

        page.get_by_role("button", name="Save and publish").press("Enter")
        expect(page.get_by_text("is saved and shown on the public map")).to_be_visible()
        assert len(GridOutline.objects.get(grid=grid).points) == 4
        assert errors == []
        context.close()
