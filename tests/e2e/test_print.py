"""In real Chromium, as the printer gets it: the grid poster fills exactly one A4 page, the
screen-only controls disappear, photos arrive, and the QR codes on the poster and on a
household's contact card decode to the grid page's address on this server."""

from __future__ import annotations

import re
import shutil
import tempfile
from io import BytesIO
from pathlib import Path

import zxingcpp
from django.conf import settings
from django.core.files.images import ImageFile
from django.test import Client, override_settings
from PIL import Image as PILImage
from playwright.sync_api import expect
from wagtail.images import get_image_model

from cms.models import GridMap, GridOutline, GridWorker, GridWorkerRole
from portal.models import Area, AreaKind, Household

from ..factories import resident
from ..helpers import build_site
from .base import ARTIFACTS, BrowserTestCase

MM_PER_CSS_PX = 25.4 / 96
BUILDING_LEADERS = (
    "赵国强 钱淑芬 孙立新 李桂英 周志刚 吴秀兰 郑海军 "
    "王玉梅 冯建华 陈丽华 褚红军 卫金凤 蒋文斌 沈秋菊"
).split()


def pdf_page_count(pdf: bytes) -> int:
    # Chromium writes each page dictionary uncompressed; "/Type /Pages" is the page tree.
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def decode_qr(png: Path) -> list[str]:
    results = zxingcpp.read_barcodes(PILImage.open(png))
    return [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]


def make_image(title: str, size: tuple[int, int], colour: tuple[int, int, int]):
    buffer = BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(BytesIO(buffer.getvalue()), name=f"{title}.png")
    )


def contact_card(community, name, role, areas, phone, **fields) -> GridWorker:
    card = GridWorker(
        community=community, name=name, role=role, phone=phone, live=True, consent=True, **fields
    )
    card.areas.set(areas)
    card.save()
    return card


class PrintBrowserTest(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        # Uploads go to a throwaway folder that the server process reads too.
        # No cache: Wagtail caches renditions by image id, and ids come round again after
        # each test's flush, so a cached rendition could name another test's file.
        cls._media_root = Path(tempfile.mkdtemp(prefix="print-media-"))
        cls._media = override_settings(
            MEDIA_ROOT=cls._media_root,
            CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        )
        cls._media.enable()
        super().setUpClass()

    @classmethod
    def server_environment(cls) -> dict[str, str]:
        return {"MEDIA_ROOT": str(cls._media_root)}

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._media.disable()
        shutil.rmtree(cls._media_root, ignore_errors=True)

    def setUp(self):
        self.district, _index = build_site()
        community = self.district.community_a
        self.grid = self.district.grid(community, 1)
        building = self.grid.get_children().get()
        contact_card(
            community,
            "李秀梅",
            GridWorkerRole.GRID_LEADER,
            [self.grid],
            "13904100001",
            photo=make_image("li", (300, 400), (200, 170, 150)),
            duties="统筹本网格事务，协调物业和社区解决居民反映的问题。",
            service_hours="周一至周五 8:30-17:00",
        )
        contact_card(
            community,
            "王建国",
            GridWorkerRole.GRID_WORKER,
            [self.grid],
            "13904100002",
            photo=make_image("wang", (300, 400), (150, 170, 200)),
            duties="日常巡查、入户走访，收集居民诉求。",
            service_hours="每天 8:00-18:00",
        )
        contact_card(community, "张桂兰", GridWorkerRole.BUILDING_LEADER, [building], "13904100003")
        contact_card(community, "刘志强", GridWorkerRole.VOLUNTEER, [self.grid], "13904100004")
        grid_map = GridMap.objects.create(
            community=community, base_image=make_image("map", (1200, 800), (236, 232, 222))
        )
        for number, points in (
            (1, [[0.05, 0.05], [0.5, 0.05], [0.5, 0.95], [0.05, 0.95]]),
            (2, [[0.5, 0.05], [0.95, 0.05], [0.95, 0.95], [0.5, 0.95]]),
        ):
            area = self.district.grid(community, number)
            GridOutline.objects.create(
                grid_map=grid_map, grid=area, label=area.name, points=points, colour="#1f77b4"
            )
        self.grid_url = f"{self.live_server_url}/grids/{self.grid.pk}/"
        ARTIFACTS.mkdir(exist_ok=True)

    def new_page(self, **options):
        context = self.browser.new_context(locale="zh-CN", device_scale_factor=2, **options)
        self.addCleanup(context.close)
        # The live server serves static files but not uploads; hand the browser the files
        # the server wrote, so photos and the map print as they would in production.
        media_url = self.live_server_url + settings.MEDIA_URL

        def serve_media(route):
            path = self._media_root / route.request.url.removeprefix(media_url).split("?")[0]
            if path.is_file():
                route.fulfill(path=str(path))
            else:
                route.fulfill(status=404)

        context.route(media_url + "**", serve_media)
        return context.new_page()

    def add_a_full_grids_people(self):
        """A grid at full size: three grid workers, fifteen buildings each with a leader."""
        community = self.district.community_a
        contact_card(
            community,
            "陈晓燕",
            GridWorkerRole.GRID_WORKER,
            [self.grid],
            "13904100005",
            duties="专职网格员：独居老人走访、邻里矛盾调解。",
            service_hours="每天 8:00-18:00",
        )
        for number, name in enumerate(BUILDING_LEADERS, start=2):
            grid = Area.objects.get(pk=self.grid.pk)
            building = grid.add_area(
                name=f"{number}号楼", kind=AreaKind.BUILDING, code=f"{grid.code}-x{number}"
            )
            contact_card(
                community,
                name,
                GridWorkerRole.BUILDING_LEADER,
                [building],
                f"139041002{number:02d}",
            )
        return 1 + len(BUILDING_LEADERS) + 1  # with 张桂兰 and the volunteer

    def test_poster_prints_on_one_a4_page_with_a_qr_code_to_the_grid_page(self):
        listed = self.add_a_full_grids_people()
        # 190 mm: the width of A4 inside the poster's 10 mm page margins.
        page = self.new_page(viewport={"width": 718, "height": 1050})
        page.goto(f"{self.live_server_url}/grids/{self.grid.pk}/poster/")
        print_button = page.locator(".print-button")
        expect(print_button).to_be_visible()
        expect(page.get_by_text("李秀梅")).to_be_visible()
        expect(page.locator(".person-row")).to_have_count(listed)

        page.emulate_media(media="print")
        expect(print_button).to_be_hidden()
        expect(page.locator(".print-back")).to_be_hidden()
        photos = page.locator("img.person-photo")
        expect(photos).to_have_count(2)
        for i in range(2):
            assert photos.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        expect(page.locator(".grid-outline.is-highlighted")).to_have_attribute(
            "data-grid", str(self.grid.pk)
        )

        qr_box = page.locator(".poster-qr svg").bounding_box()
        assert qr_box["width"] * MM_PER_CSS_PX >= 30
        assert qr_box["height"] * MM_PER_CSS_PX >= 30
        expect(page.locator(".qr-url")).to_have_text(self.grid_url)

        shot = ARTIFACTS / "grid-poster-print.png"
        page.screenshot(path=str(shot), full_page=True)
        assert decode_qr(shot) == [self.grid_url]

        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        (ARTIFACTS / "grid-poster.pdf").write_bytes(pdf)
        assert pdf_page_count(pdf) == 1

    def test_resident_prints_a_business_card_size_contact_card_that_scans(self):
        household = Household.objects.get(
            unit__kind=AreaKind.UNIT,
            unit__code=f"{self.district.community_a.code}-b1-u1",
            label="101",
        )
        client = Client()
        client.force_login(resident(household))
        page = self.new_page(viewport={"width": 800, "height": 600})
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": self.live_server_url,
                }
            ]
        )
        page.goto(f"{self.live_server_url}/households/{household.pk}/card/")
        card = page.locator(".contact-card")
        expect(card).to_contain_text("李秀梅")
        expect(card).to_contain_text("139 0410 0003")

        page.emulate_media(media="print")
        expect(page.locator(".print-button")).to_be_hidden()
        box = card.bounding_box()
        assert round(box["width"] * MM_PER_CSS_PX) == 90
        assert round(box["height"] * MM_PER_CSS_PX) == 54

        shot = ARTIFACTS / "household-card-print.png"
        card.screenshot(path=str(shot))
        assert decode_qr(shot) == [self.grid_url]

        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        assert pdf_page_count(pdf) == 1
