"""Grid maps: staff draw each grid on a community's map; residents tap it to find their grid."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image as PillowImage
from wagtail.images import get_image_model

from cms import map_services
from cms.demo_maps import JURAN_CODE, seed_maps
from cms.models import GridMap, GridOutline
from portal.demo import DemoContext
from portal.models import Area, Role

from ..conftest import staff_of
from ..factories import UserFactory
from ..helpers import build_site

pytestmark = pytest.mark.django_db

SQUARE = [[0.1, 0.1], [0.45, 0.1], [0.45, 0.9], [0.1, 0.9]]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def png_bytes(width: int = 200, height: int = 100) -> bytes:
    buffer = BytesIO()
    PillowImage.new("RGB", (width, height), (230, 225, 210)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(title: str = "map"):
    image = get_image_model()(
        title=title, file=ImageFile(BytesIO(png_bytes()), name=f"{title}.png")
    )
    image.save()
    return image


def make_map(community: Area) -> GridMap:
    return GridMap.objects.create(community=community, base_image=make_image(), title="示意图")


def svg_of(html: str) -> str:
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "the page has no map drawing"
    return match.group(0)


def english(user=None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


# ---- the service ----


@pytest.fixture
def drawing(district):
    """甲社区 with a map, and one of its staff."""
    return district, make_map(district.community_a), staff_of(district.community_a)


def test_staff_draw_an_outline_and_redrawing_replaces_it(drawing):
    district, grid_map, staff = drawing
    grid = district.grid(district.community_a, 1)
    outline = map_services.save_grid_outline(
        actor=staff, grid_map=grid_map, grid=grid, points=SQUARE, label="", colour="#C62828"
    )
    assert outline.label == "第1网格"  # an empty label falls back to the grid's name
    assert outline.colour == "#c62828"
    assert outline.updated_by == staff

    moved = [[0.2, 0.2], [0.6, 0.2], [0.4, 0.7]]
    again = map_services.save_grid_outline(
        actor=staff, grid_map=grid_map, grid=grid, points=moved, label="一网格", colour="#1565c0"
    )
    assert again.pk == outline.pk
    assert GridOutline.objects.get().points == moved


def test_outline_with_fewer_than_three_points_is_refused(drawing):
    district, grid_map, staff = drawing
    with pytest.raises(ValidationError) as refused:
        map_services.save_grid_outline(
            actor=staff,
            grid_map=grid_map,
            grid=district.grid(district.community_a, 1),
            points=[[0.1, 0.1], [0.5, 0.5]],
            label="第1网格",
            colour="#c62828",
        )
    assert "points" in refused.value.message_dict
    assert not GridOutline.objects.exists()


def test_outline_with_a_point_outside_the_image_is_refused(drawing):
    district, grid_map, staff = drawing
    with pytest.raises(ValidationError) as refused:
        map_services.save_grid_outline(
            actor=staff,
            grid_map=grid_map,
            grid=district.grid(district.community_a, 1),
            points=[[0.1, 0.1], [1.2, 0.5], [0.5, 0.9]],
            label="第1网格",
            colour="#c62828",
        )
    assert "points" in refused.value.message_dict
    assert not GridOutline.objects.exists()


def test_outline_of_another_communitys_grid_is_refused(drawing):
    district, grid_map, staff = drawing
    with pytest.raises(ValidationError) as refused:
        map_services.save_grid_outline(
            actor=staff,
            grid_map=grid_map,
            grid=district.grid(district.community_b, 1),
            points=SQUARE,
            label="乙社区第1网格",
            colour="#c62828",
        )
    assert "grid" in refused.value.message_dict
    assert not GridOutline.objects.exists()


def test_outline_with_a_malformed_colour_is_refused(drawing):
    district, grid_map, staff = drawing
    with pytest.raises(ValidationError) as refused:
        map_services.save_grid_outline(
            actor=staff,
            grid_map=grid_map,
            grid=district.grid(district.community_a, 1),
            points=SQUARE,
            label="第1网格",
            colour="red",
        )
    assert "colour" in refused.value.message_dict
    assert not GridOutline.objects.exists()


def test_staff_of_another_community_may_not_draw_on_the_map(drawing):
    district, grid_map, _staff = drawing
    outsider = staff_of(district.community_b)
    with pytest.raises(PermissionDenied):
        map_services.save_grid_outline(
            actor=outsider,
            grid_map=grid_map,
            grid=district.grid(district.community_a, 1),
            points=SQUARE,
            label="第1网格",
            colour="#c62828",
        )
    assert not GridOutline.objects.exists()


def test_sub_district_admin_above_the_community_may_draw(drawing):
    district, grid_map, _staff = drawing
    street_admin = staff_of(district.street_a, role=Role.STREET_ADMIN)
    map_services.save_grid_outline(
        actor=street_admin,
        grid_map=grid_map,
        grid=district.grid(district.community_a, 2),
        points=SQUARE,
        label="第2网格",
        colour="#2e7d32",
    )
    assert GridOutline.objects.get().updated_by == street_admin


def test_only_staff_of_the_community_take_a_grid_off_the_map(drawing):
    district, grid_map, staff = drawing
    outline = map_services.save_grid_outline(
        actor=staff,
        grid_map=grid_map,
        grid=district.grid(district.community_a, 1),
        points=SQUARE,
        label="第1网格",
        colour="#c62828",
    )
    with pytest.raises(PermissionDenied):
        map_services.delete_grid_outline(actor=staff_of(district.community_c), outline=outline)
    assert GridOutline.objects.filter(pk=outline.pk).exists()
    map_services.delete_grid_outline(actor=staff, outline=outline)
    assert not GridOutline.objects.exists()
    assert Area.objects.filter(pk=outline.grid_id).exists()


# ---- the public map ----


@pytest.fixture
def site():
    """甲社区 with a live community page and a map on which grid 1 of 2 is drawn."""
    district, _index = build_site()
    grid_map = make_map(district.community_a)
    map_services.save_grid_outline(
        actor=None,
        grid_map=grid_map,
        grid=district.grid(district.community_a, 1),
        points=SQUARE,
        label="东区",
        colour="#c62828",
    )
    return district, grid_map


def test_public_map_links_each_drawn_grid_once_to_its_page(site):
    district, _grid_map = site
    drawn = district.grid(district.community_a, 1)
    not_drawn = district.grid(district.community_a, 2)
    response = english().get(reverse("cms:grid_map", args=[district.community_a.pk]))
    assert response.status_code == 200
    svg = svg_of(response.text)
    links = re.findall(r'<a href="([^"]+)"', svg)
    assert links == [reverse("cms:grid", args=[drawn.pk])]
    assert reverse("cms:grid", args=[not_drawn.pk]) not in svg
    # The link leads somewhere real: the grid's own page.
    assert english().get(links[0]).status_code == 200


def test_public_map_lists_every_grid_with_its_buildings(site):
    district, _grid_map = site
    response = english().get(reverse("cms:grid_map", args=[district.community_a.pk]))
    listing = response.text.split('class="grid-map-list"', 1)[1]
    for number in (1, 2):
        grid = district.grid(district.community_a, number)
        assert f'href="{reverse("cms:grid", args=[grid.pk])}"' in listing
        assert f"第{number}网格" in listing
        assert f"{number}号楼" in listing
    # A label that differs from the grid's name is explained in words, not colour.
    assert "“东区” on the map" in listing
    assert "not drawn on the map yet" in listing


def test_grid_page_marks_its_own_grid_on_the_map(site):
    district, _grid_map = site
    grid = district.grid(district.community_a, 1)
    svg = svg_of(english().get(reverse("cms:grid", args=[grid.pk])).text)
    assert 'aria-current="page"' in svg


def test_a_saved_outline_is_on_the_public_map_at_once(site):
    district, grid_map = site
    second = district.grid(district.community_a, 2)
    map_services.save_grid_outline(
        actor=staff_of(district.community_a),
        grid_map=grid_map,
        grid=second,
        points=[[0.55, 0.1], [0.9, 0.1], [0.9, 0.9]],
        label="第2网格",
        colour="#1565c0",
    )
    svg = svg_of(english().get(reverse("cms:grid_map", args=[district.community_a.pk])).text)
    assert svg.count(f'href="{reverse("cms:grid", args=[second.pk])}"') == 1


def test_map_page_of_a_community_without_a_map_is_not_found(site):
    district, _grid_map = site
    assert english().get(reverse("cms:grid_map", args=[district.community_b.pk])).status_code == 404
    grid = district.grid(district.community_a, 1)
    assert english().get(reverse("cms:grid_map", args=[grid.pk])).status_code == 404


# ---- the admin editor ----


def test_editor_opens_for_staff_of_the_community(site):
    district, grid_map = site
    staff = staff_of(district.community_a)
    response = english(staff).get(reverse("cms_grid_maps:edit", args=[grid_map.pk]))
    assert response.status_code == 200
    assert "data-grid-editor" in response.text
    assert "Save and publish" in response.text
    assert "第2网格 (not drawn yet)" in response.text
    data = json.loads(
        re.search(
            r'<script id="grid-editor-data" type="application/json">(.*?)</script>',
            response.text,
            re.S,
        ).group(1)
    )
    # The first grid not yet drawn is opened; the drawn one is there for reference.
    assert data["grid"] == district.grid(district.community_a, 2).pk
    assert [g["outline"] is not None for g in data["grids"]] == [True, False]


def test_editor_refuses_staff_of_another_community(site):
    district, grid_map = site
    outsider = staff_of(district.community_b)
    response = english(outsider).get(reverse("cms_grid_maps:edit", args=[grid_map.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_editor_refuses_residents_without_admin_access(site):
    response = english(UserFactory()).get(reverse("cms_grid_maps:edit", args=[site[1].pk]))
    assert response.status_code == 302
    assert "data-grid-editor" not in response.text


def test_grid_maps_menu_shows_only_to_content_managers(site):
    district, _grid_map = site
    staff = staff_of(district.community_a)
    grid_worker = staff_of(district.grid(district.community_a, 1), role=Role.GRID_WORKER)
    menu_link = reverse("cms_grid_maps:index")
    assert menu_link in english(staff).get(reverse("wagtailadmin_home")).text
    assert menu_link not in english(grid_worker).get(reverse("wagtailadmin_home")).text


def post_outline(client: Client, grid_map: GridMap, grid: Area, points, **extra):
    data = {
        "grid": grid.pk,
        "points": json.dumps(points),
        "label": "",
        "colour": "#1565c0",
        **extra,
    }
    return client.post(reverse("cms_grid_maps:edit", args=[grid_map.pk]), data)


def test_saving_in_the_editor_publishes_the_outline(site):
    district, grid_map = site
    grid = district.grid(district.community_a, 2)
    client = english(staff_of(district.community_a))
    response = post_outline(client, grid_map, grid, [[0.5, 0.1], [0.9, 0.1], [0.7, 0.8]])
    assert response.status_code == 302
    assert response["Location"].endswith(f"?grid={grid.pk}")
    outline = GridOutline.objects.get(grid=grid)
    assert outline.label == "第2网格"
    svg = svg_of(english().get(reverse("cms:grid_map", args=[district.community_a.pk])).text)
    assert f'href="{reverse("cms:grid", args=[grid.pk])}"' in svg


def test_editor_explains_too_few_points_and_keeps_what_was_drawn(site):
    district, grid_map = site
    grid = district.grid(district.community_a, 2)
    client = english(staff_of(district.community_a))
    response = post_outline(client, grid_map, grid, [[0.5, 0.1], [0.9, 0.1]])
    assert response.status_code == 400
    assert "An outline needs at least 3 points" in response.text
    assert "[[0.5, 0.1], [0.9, 0.1]]" in response.text  # the two points come back
    assert not GridOutline.objects.filter(grid=grid).exists()


def test_editor_explains_a_point_outside_the_image(site):
    district, grid_map = site
    grid = district.grid(district.community_a, 2)
    client = english(staff_of(district.community_a))
    response = post_outline(client, grid_map, grid, [[0.5, 0.1], [1.2, 0.1], [0.7, 0.8]])
    assert response.status_code == 400
    assert "Every point must lie on the map image." in response.text
    assert not GridOutline.objects.filter(grid=grid).exists()


def test_editor_explains_a_grid_of_another_community(site):
    district, grid_map = site
    foreign = district.grid(district.community_b, 1)
    client = english(staff_of(district.community_a))
    response = post_outline(client, grid_map, foreign, SQUARE)
    assert response.status_code == 400
    assert "This grid belongs to another community." in response.text
    assert not GridOutline.objects.filter(grid=foreign).exists()


def test_editor_explains_damaged_outline_data(site):
    district, grid_map = site
    grid = district.grid(district.community_a, 2)
    client = english(staff_of(district.community_a))
    url = reverse("cms_grid_maps:edit", args=[grid_map.pk])
    response = client.post(
        url, {"grid": grid.pk, "points": "[[0.1,", "label": "", "colour": "#1565c0"}
    )
    assert response.status_code == 400
    assert "The outline data is damaged. Draw it again." in response.text


def test_editor_post_by_staff_of_another_community_saves_nothing(site):
    district, grid_map = site
    grid = district.grid(district.community_a, 2)
    response = post_outline(english(staff_of(district.community_b)), grid_map, grid, SQUARE)
    assert response.status_code == 302
    assert not GridOutline.objects.filter(grid=grid).exists()


def test_taking_a_grid_off_the_map_in_the_editor(site):
    district, grid_map = site
    grid = district.grid(district.community_a, 1)
    client = english(staff_of(district.community_a))
    response = client.post(reverse("cms_grid_maps:remove", args=[grid_map.pk]), {"grid": grid.pk})
    assert response.status_code == 302
    assert not GridOutline.objects.filter(grid=grid).exists()


# ---- creating a map ----


def test_staff_create_a_map_by_uploading_an_image(district):
    staff = staff_of(district.community_a)
    client = english(staff)
    index = client.get(reverse("cms_grid_maps:index"))
    assert "Create a grid map" in index.text
    response = client.post(
        reverse("cms_grid_maps:index"),
        {
            "community": district.community_a.pk,
            "title": "甲社区网格示意图",
            "upload": SimpleUploadedFile("plan.png", png_bytes(), content_type="image/png"),
        },
    )
    grid_map = GridMap.objects.get(community=district.community_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("cms_grid_maps:edit", args=[grid_map.pk])
    assert grid_map.base_image.uploaded_by_user == staff
    assert (grid_map.base_image.width, grid_map.base_image.height) == (200, 100)


def test_a_file_that_is_not_an_image_is_refused_with_a_reason(district):
    client = english(staff_of(district.community_a))
    images_before = get_image_model().objects.count()
    response = client.post(
        reverse("cms_grid_maps:index"),
        {
            "community": district.community_a.pk,
            "upload": SimpleUploadedFile("plan.png", b"not a picture", content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert "Upload a valid image" in response.text
    assert not GridMap.objects.exists()
    assert get_image_model().objects.count() == images_before


def test_a_file_that_is_too_large_is_refused_with_a_reason(district, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 100
    client = english(staff_of(district.community_a))
    response = client.post(
        reverse("cms_grid_maps:index"),
        {
            "community": district.community_a.pk,
            "upload": SimpleUploadedFile("plan.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert "This file is too big" in response.text
    assert not GridMap.objects.exists()


def test_creating_a_map_needs_an_image(district):
    client = english(staff_of(district.community_a))
    response = client.post(reverse("cms_grid_maps:index"), {"community": district.community_a.pk})
    assert "Choose an image from the library or upload one." in response.text
    assert not GridMap.objects.exists()


def test_staff_may_not_create_a_map_for_another_community(district):
    client = english(staff_of(district.community_a))
    response = client.post(
        reverse("cms_grid_maps:index"),
        {
            "community": district.community_b.pk,
            "upload": SimpleUploadedFile("plan.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert not GridMap.objects.exists()
    with pytest.raises(PermissionDenied):
        map_services.save_grid_map(
            actor=staff_of(district.community_a),
            community=district.community_b,
            base_image=make_image(),
        )


def test_replacing_the_base_image_keeps_the_outlines(site):
    district, grid_map = site
    client = english(staff_of(district.community_a))
    new = SimpleUploadedFile("bigger.png", png_bytes(400, 200), content_type="image/png")
    response = client.post(
        reverse("cms_grid_maps:settings", args=[grid_map.pk]), {"title": "新图", "upload": new}
    )
    assert response.status_code == 302
    grid_map.refresh_from_db()
    assert (grid_map.base_image.width, grid_map.title) == (400, "新图")
    assert GridOutline.objects.get(grid_map=grid_map).points == SQUARE


# ---- the demo map ----


def test_demo_map_draws_all_eight_grids_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo")
    capsys.readouterr()

    def state():
        return (
            GridMap.objects.count(),
            get_image_model().objects.count(),
            sorted(GridOutline.objects.values_list("grid__code", "label", "colour", "points")),
        )

    first = state()
    juran = Area.objects.get(code=JURAN_CODE)
    grid_map = GridMap.objects.get(community=juran)
    outlines = GridOutline.objects.filter(grid_map=grid_map)
    assert outlines.count() == 8
    assert sorted(o.grid.code for o in outlines) == [f"{JURAN_CODE}-g{n}" for n in range(1, 9)]
    assert len({o.colour for o in outlines}) == 8
    assert {o.label for o in outlines} == {f"第{n}网格" for n in range(1, 9)}

    # Staff change one outline; seeding again must keep their work.
    staff_label = GridOutline.objects.get(grid__code=f"{JURAN_CODE}-g1")
    staff_label.label = "一网格"
    staff_label.save()
    first = state()
    for _ in range(2):
        seed_maps(DemoContext(lines=[], accounts=[]))
    assert state() == first
