"""Printed grid posters and household contact cards: who appears on them, who may print
them, and that the QR code on the paper leads to the grid's page."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core.files.images import ImageFile
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model

from cms.models import GridMap, GridOutline, GridWorker, GridWorkerRole
from portal.models import Area, AreaKind, Household, ResidentStatus, Role

from ..conftest import staff_of
from ..factories import UserFactory, resident
from ..helpers import build_site

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site():
    district, _index = build_site()
    return district


def make_image(title: str, size=(300, 400)):
    buffer = BytesIO()
    PILImage.new("RGB", size, (190, 200, 215)).save(buffer, "PNG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(BytesIO(buffer.getvalue()), name=f"{title}.png")
    )


def contact_card(community, name, role, areas, *, phone="13912345678", **fields) -> GridWorker:
    fields.setdefault("live", True)
    fields.setdefault("consent", True)
    card = GridWorker(community=community, name=name, role=role, phone=phone, **fields)
    card.areas.set(areas)
    card.save()
    return card


def second_building(grid: Area) -> Household:
    """Gives the grid another building with one household; returns that household."""
    building = grid.add_area(name="9号楼", kind=AreaKind.BUILDING, code=f"{grid.code}-b9")
    unit = building.add_area(name="1单元", kind=AreaKind.UNIT, code=f"{grid.code}-b9-u1")
    return Household.objects.create(unit=unit, label="501")


def positions(html: str, names: list[str]) -> list[int]:
    return [html.index(name) for name in names]


# ---- The poster ---------------------------------------------------------------------------


def test_poster_shows_published_consented_cards_in_role_order(site, client):
    community = site.community_a
    grid = site.grid(community, 1)
    building = grid.get_children().get()
    # Created out of order: the poster orders by role, then by the order staff set.
    contact_card(community, "志愿者赵", GridWorkerRole.VOLUNTEER, [grid])
    contact_card(community, "楼长钱", GridWorkerRole.BUILDING_LEADER, [building])
    contact_card(community, "网格员孙二", GridWorkerRole.GRID_WORKER, [grid], sort_order=2)
    contact_card(community, "网格员孙一", GridWorkerRole.GRID_WORKER, [grid], sort_order=1)
    contact_card(community, "网格长李", GridWorkerRole.GRID_LEADER, [grid], phone="024-72345678")
    contact_card(community, "草稿周", GridWorkerRole.GRID_WORKER, [grid], live=False)
    contact_card(community, "未同意吴", GridWorkerRole.GRID_WORKER, [grid], consent=False)
    contact_card(community, "隔壁郑", GridWorkerRole.GRID_LEADER, [site.grid(community, 2)])

    response = client.get(reverse("cms:grid_poster", args=[grid.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    order = ["网格长李", "网格员孙一", "网格员孙二", "楼长钱", "志愿者赵"]
    assert positions(html, order) == sorted(positions(html, order))
    for hidden in ("草稿周", "未同意吴", "隔壁郑"):
        assert hidden not in html
    # Mobile numbers in the groups people read aloud; landlines as staff typed them.
    assert "139 1234 5678" in html
    assert "024-72345678" in html
    assert 'href="tel:13912345678"' in html


def test_a_grid_of_many_buildings_lists_its_building_leaders_building_by_building(site, client):
    community = site.community_a
    grid = site.grid(community, 1)
    leaders = []
    for number in range(2, 10):
        building = Area.objects.get(pk=grid.pk).add_area(
            name=f"{number}号楼", kind=AreaKind.BUILDING, code=f"{grid.code}-x{number}"
        )
        leaders.append((building, f"楼长{number:02d}"))
    # Entered in no particular order; nobody set an order by hand.
    for building, name in reversed(leaders):
        contact_card(community, name, GridWorkerRole.BUILDING_LEADER, [building])

    html = client.get(reverse("cms:grid_poster", args=[grid.pk])).content.decode()

    names = [name for _building, name in leaders]
    assert positions(html, names) == sorted(positions(html, names))
    assert html.count('class="person-row"') == len(leaders)


def test_poster_carries_title_motto_photo_and_a_qr_code_big_enough_to_scan(site, client):
    community = site.community_a
    grid = site.grid(community, 1)
    contact_card(
        community,
        "网格长李",
        GridWorkerRole.GRID_LEADER,
        [grid],
        photo=make_image("li"),
        duties="统筹本网格事务",
        service_hours="周一至周五 8:30-17:00",
    )

    response = client.get(reverse("cms:grid_poster", args=[grid.pk]), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "甲社区 第1网格" in html
    assert "Small matters are settled inside the grid, big matters inside the community." in html
    assert re.search(r'<img[^>]+class="person-photo"', html)
    assert "统筹本网格事务" in html and "周一至周五 8:30-17:00" in html
    # The QR code and, under it, the same address in text for those who cannot scan.
    grid_url = f"http://testserver/grids/{grid.pk}/"
    assert f'<figcaption class="qr-url">{grid_url}</figcaption>' in html
    width = re.search(r'<svg width="([\d.]+)mm" height="([\d.]+)mm"[^>]*class="segno"', html)
    assert float(width.group(1)) >= 30 and float(width.group(2)) >= 30
    assert 'onclick="window.print()"' in html


def test_poster_loads_nothing_from_other_sites(site, client):
    grid = site.grid(site.community_a, 1)
    html = client.get(reverse("cms:grid_poster", args=[grid.pk])).content.decode()
    external = [
        url
        for url in re.findall(r'(?:src|href)="([^"]+)"', html)
        if url.startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert "@import" not in html and "fonts.googleapis" not in html


def test_poster_highlights_the_grid_on_the_community_map(site, client):
    community = site.community_a
    grid, other = site.grid(community, 1), site.grid(community, 2)
    grid_map = GridMap.objects.create(community=community, base_image=make_image("map", (800, 500)))
    for area, points in ((grid, [[0, 0], [0.5, 0], [0.5, 1]]), (other, [[0.5, 0], [1, 0], [1, 1]])):
        GridOutline.objects.create(grid_map=grid_map, grid=area, label=area.name, points=points)

    html = client.get(reverse("cms:grid_poster", args=[grid.pk])).content.decode()

    highlighted = re.findall(r'class="grid-outline is-highlighted" data-grid="(\d+)"', html)
    assert highlighted == [str(grid.pk)]
    assert f'data-grid="{other.pk}"' in html


def test_poster_without_map_or_cards_still_prints_with_a_way_to_reach_the_community(site, client):
    grid = site.grid(site.community_a, 2)
    response = client.get(reverse("cms:grid_poster", args=[grid.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "grid-map" not in html
    assert "Call the community office." in html


def test_poster_only_for_grids_whose_page_is_public(site, client):
    # 乙社区 has no community page, so its grid page (the QR code's target) is a 404.
    unpublished = site.grid(site.community_b, 1)
    assert client.get(reverse("cms:grid", args=[unpublished.pk])).status_code == 404
    assert client.get(reverse("cms:grid_poster", args=[unpublished.pk])).status_code == 404
    # A building is not a grid.
    building = site.grid(site.community_a, 1).get_children().get()
    assert client.get(reverse("cms:grid_poster", args=[building.pk])).status_code == 404


# ---- One household's card -------------------------------------------------------------------


@pytest.fixture
def card_people(site):
    """甲社区 第1网格 with two buildings, each with a building leader, and the grid's people."""
    community = site.community_a
    grid = site.grid(community, 1)
    building = grid.get_children().get()
    other_household = second_building(grid)
    contact_card(community, "网格长李", GridWorkerRole.GRID_LEADER, [grid], phone="13900000001")
    contact_card(
        community, "网格员孙", GridWorkerRole.GRID_WORKER, [grid], phone="13900000002", sort_order=1
    )
    contact_card(
        community, "网格员陈", GridWorkerRole.GRID_WORKER, [grid], phone="13900000009", sort_order=2
    )
    contact_card(
        community, "楼长钱", GridWorkerRole.BUILDING_LEADER, [building], phone="13900000003"
    )
    contact_card(
        community,
        "九号楼长冯",
        GridWorkerRole.BUILDING_LEADER,
        [other_household.unit.get_parent()],
        phone="13900000004",
    )
    contact_card(community, "志愿者赵", GridWorkerRole.VOLUNTEER, [grid], phone="13900000005")
    return site, grid, other_household


def card_url(household: Household) -> str:
    return reverse("cms:household_card", args=[household.pk])


def test_resident_prints_their_households_card_with_the_three_people_to_call(card_people):
    site, grid, _ = card_people
    household = site.household(site.community_a, 1, "101")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(resident(household))

    response = client.get(card_url(household))

    assert response.status_code == 200
    html = response.content.decode()
    assert "甲社区 1号楼 1单元, room 101" in html
    assert "第1网格" in html
    order = ["网格长李", "网格员孙", "楼长钱"]
    assert positions(html, order) == sorted(positions(html, order))
    assert "139 0000 0001" in html and "139 0000 0003" in html
    # First of each role only, and never another building's leader or a volunteer.
    for absent in ("网格员陈", "九号楼长冯", "志愿者赵"):
        assert absent not in html
    assert '<svg width="20.0mm"' in html
    assert reverse("portal:my_account") in html  # the way back
    assert "print-warning" not in html


def test_the_card_names_the_leader_of_the_households_own_building(card_people):
    site, _grid, household = card_people
    client = Client()
    client.force_login(staff_of(site.community_a))
    html = client.get(card_url(household)).content.decode()
    assert "九号楼长冯" in html
    assert "楼长钱" not in html
    assert "9号楼" in html and "501" in html


def test_who_may_see_a_households_card(card_people):
    site, _grid, _ = card_people
    household = site.household(site.community_a, 1, "101")
    neighbour_household = site.household(site.community_a, 1, "102")
    url = card_url(household)

    def status(user) -> int:
        client = Client()
        client.force_login(user)
        return client.get(url).status_code

    assert status(resident(household)) == 200
    assert status(staff_of(site.community_a)) == 200
    assert status(staff_of(site.street_a, role=Role.STREET_ADMIN)) == 200
    assert status(resident(neighbour_household)) == 403
    assert status(resident(household, status=ResidentStatus.PENDING)) == 403
    assert status(resident(household, status=ResidentStatus.REJECTED)) == 403
    assert status(staff_of(site.community_b)) == 403
    assert status(staff_of(site.grid(site.community_a, 1), role=Role.GRID_WORKER)) == 403
    assert status(UserFactory()) == 403

    response = Client().get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert f"next={url}" in response.url.replace("%2F", "/")


def test_staff_are_warned_before_printing_a_qr_code_that_leads_nowhere(site):
    # 乙社区 has no public community page yet, so its grid pages do not exist.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff_of(site.community_b))
    for url in (
        card_url(site.household(site.community_b, 1, "101")),
        reverse("cms:grid_cards", args=[site.grid(site.community_b, 1).pk]),
    ):
        html = client.get(url).content.decode()
        assert 'class="print-warning" role="alert"' in html
        assert "Publish the community page before printing." in html


def test_card_for_an_unknown_household_is_not_found(site):
    client = Client()
    client.force_login(staff_of(site.community_a))
    assert client.get(reverse("cms:household_card", args=[999999])).status_code == 404


# ---- A grid's cards on A4 sheets ------------------------------------------------------------


def test_staff_print_every_households_card_in_a_grid_ten_to_a_sheet(card_people):
    site, grid, other_household = card_people
    unit = site.household(site.community_a, 1, "101").unit
    for floor in range(2, 12):
        Household.objects.create(unit=unit, label=f"{floor}01")
    # 1号楼: 101, 102 and ten more; 9号楼: 501. Another grid's households stay out.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff_of(site.community_a))

    response = client.get(reverse("cms:grid_cards", args=[grid.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    sheets = html.split('<section class="sheet"')[1:]
    assert [sheet.count('class="contact-card"') for sheet in sheets] == [10, 3]
    rooms = re.findall(r"1单元, room (\d+)", html)
    assert rooms[:4] == ["101", "102", "201", "301"]  # numeric order: 1001 comes last
    assert "room 1101" in html and "9号楼 1单元, room 501" in html
    household_ids = {int(i) for i in re.findall(r'data-household="(\d+)"', html)}
    assert household_ids == set(Household.objects.within(grid).values_list("pk", flat=True))
    # Each card names its own building's leader.
    assert html.count("九号楼长冯") == 1 and html.count("楼长钱") == 12


def test_only_staff_over_the_grid_print_its_cards(card_people):
    site, grid, _ = card_people
    url = reverse("cms:grid_cards", args=[grid.pk])

    def status(user) -> int:
        client = Client()
        client.force_login(user)
        return client.get(url).status_code

    assert status(staff_of(site.community_b)) == 403
    assert status(resident(site.household(site.community_a, 1, "101"))) == 403
    assert Client().get(url).status_code == 302
