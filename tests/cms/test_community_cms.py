"""Community staff work in their own community's corner of the CMS, and nowhere else."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site

from cms.community_setup import enable_moderation, make_secretary, set_up_community
from cms.models import (
    CommunityPage,
    GridWorker,
    GridWorkerRole,
    HomePage,
    NoticeIndexPage,
    NoticePage,
)
from portal.models import AreaKind, ResidentStatus

from ..conftest import staff_of
from ..factories import UserFactory, resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(district):
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="test-home"))
    Site.objects.update(root_page=home)
    page_a = set_up_community(actor=None, community=district.community_a, slug="ca")
    page_b = set_up_community(actor=None, community=district.community_b, slug="cb")
    return district, page_a, page_b


def index_of(page: CommunityPage) -> NoticeIndexPage:
    return NoticeIndexPage.objects.child_of(page).get()


def test_staff_edit_their_own_community_pages_but_not_another(site):
    district, page_a, page_b = site
    staff = staff_of(district.community_a)
    assert page_a.permissions_for_user(staff).can_edit()
    assert index_of(page_a).permissions_for_user(staff).can_add_subpage()
    assert not page_b.permissions_for_user(staff).can_edit()
    assert not index_of(page_b).permissions_for_user(staff).can_add_subpage()

    client = Client()
    client.force_login(staff)
    assert client.get(reverse("wagtailadmin_pages:edit", args=[page_a.pk])).status_code == 200
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page_b.pk]))
    assert response.status_code in (302, 403)


def test_a_community_set_up_later_gives_existing_street_admins_editing_rights(district):
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="test-home"))
    Site.objects.update(root_page=home)
    street_admin = staff_of(district.street_a, role="street_admin")
    page = set_up_community(actor=None, community=district.community_b, slug="cb")
    assert page.permissions_for_user(street_admin).can_edit()
    other = set_up_community(actor=None, community=district.community_c, slug="cc")
    assert not other.permissions_for_user(street_admin).can_edit()


def test_only_street_or_district_admins_add_communities(site):
    from django.core.exceptions import PermissionDenied

    district, _a, _b = site
    with pytest.raises(PermissionDenied):
        set_up_community(actor=staff_of(district.community_a), community=district.community_c)
    admin_b = staff_of(district.street_b, role="street_admin")
    page = set_up_community(actor=admin_b, community=district.community_c, slug="cc")
    assert page.live


def test_moderated_community_editor_submits_and_secretary_approves(site):
    district, page_a, _b = site
    editor = staff_of(district.community_a)
    secretary = UserFactory()
    workflow = enable_moderation(actor=None, community=district.community_a)
    make_secretary(actor=None, user=secretary, community=district.community_a)

    notice = index_of(page_a).add_child(
        instance=NoticePage(title="电梯停运检修", slug="lift", live=False)
    )
    assert notice.get_workflow() == workflow
    assert not notice.permissions_for_user(editor).can_publish()
    assert notice.permissions_for_user(secretary).can_publish()

    notice.save_revision(user=editor)
    state = workflow.start(notice, editor)
    task_state = state.current_task_state
    task = task_state.task.specific
    # Another community's staff cannot act on the task.
    outsider = staff_of(district.community_b)
    assert task.get_actions(notice, outsider) == []
    assert [a[0] for a in task.get_actions(notice, secretary)][:1] == ["reject"] or any(
        a[0] == "approve" for a in task.get_actions(notice, secretary)
    )
    task.on_action(task_state, secretary, "approve")
    notice.refresh_from_db()
    assert notice.live


def test_expired_notice_disappears_at_once_and_scheduled_one_waits(site):
    district, page_a, _b = site
    index = index_of(page_a)
    expired = index.add_child(instance=NoticePage(title="已过期通知", slug="old"))
    expired.save_revision().publish()
    NoticePage.objects.filter(pk=expired.pk).update(expire_at=timezone.now() - timedelta(minutes=1))

    later = index.add_child(instance=NoticePage(title="稍后发布的通知", slug="later", live=False))
    # A go-live time just ahead, so the scheduler can be seen to publish it.
    later.go_live_at = timezone.now() + timedelta(seconds=2)
    later.save_revision().publish()
    later.refresh_from_db()
    assert not later.live

    text = Client().get(page_a.url).text
    assert "已过期通知" not in text
    assert "稍后发布的通知" not in text

    call_command("publish_scheduled")
    assert "稍后发布的通知" not in Client().get(page_a.url).text
    time.sleep(2.2)
    call_command("publish_scheduled")
    assert "稍后发布的通知" in Client().get(page_a.url).text


def test_notice_must_expire_after_it_goes_live(site):
    from django.core.exceptions import ValidationError

    _district, page_a, _b = site
    now = timezone.now()
    with pytest.raises(ValidationError):
        index_of(page_a).add_child(
            instance=NoticePage(
                title="x", slug="x", go_live_at=now + timedelta(days=2), expire_at=now
            )
        )


def card(community, grid, role, name, consent=True, live=True, order=0):
    c = GridWorker(
        community=community,
        name=name,
        role=role,
        phone="13912345678",
        consent=consent,
        sort_order=order,
    )
    c.save()
    c.areas.set([grid])
    if live:
        c.save_revision().publish()
    else:
        GridWorker.objects.filter(pk=c.pk).update(live=False)
    return c


def test_grid_page_lists_people_in_role_order_and_hides_drafts_and_unconsented(site):
    district, _a, _b = site
    grid = district.grid(district.community_a)
    community = district.community_a
    card(community, grid, GridWorkerRole.VOLUNTEER, "志愿者甲")
    card(community, grid, GridWorkerRole.GRID_WORKER, "网格员乙")
    card(community, grid, GridWorkerRole.GRID_LEADER, "网格长丙")
    card(community, grid.get_children()[0], GridWorkerRole.BUILDING_LEADER, "楼长丁")
    card(community, grid, GridWorkerRole.GRID_WORKER, "草稿戊", live=False)
    GridWorker.objects.filter(name="网格员乙").update()
    no_consent = card(community, grid, GridWorkerRole.GRID_WORKER, "未同意己", live=False)
    GridWorker.objects.filter(pk=no_consent.pk).update(consent=False, live=True)

    text = Client().get(reverse("cms:grid", args=[grid.pk])).text
    positions = [text.index(n) for n in ["网格长丙", "网格员乙", "楼长丁", "志愿者甲"]]
    assert positions == sorted(positions)
    assert "草稿戊" not in text
    assert "未同意己" not in text
    assert 'href="tel:13912345678"' in text


def test_card_cannot_be_published_without_consent(site):
    from django.core.exceptions import ValidationError

    district, _a, _b = site
    c = GridWorker(
        community=district.community_a,
        name="某人",
        role=GridWorkerRole.GRID_WORKER,
        phone="13912345678",
        consent=False,
    )
    with pytest.raises(ValidationError) as error:
        c.full_clean()
    assert "consent" in error.value.message_dict


@pytest.mark.parametrize(
    "phone,ok",
    [
        ("13912345678", True),
        ("139 1234 5678", True),
        ("+86 139-1234-5678", True),
        ("024-72345678", True),
        ("0410-7234567", True),
        ("12345678901", False),
        ("1391234567", False),
        ("72345678", False),
        ("电话", False),
    ],
)
def test_phone_numbers_are_validated(phone, ok):
    from django.core.exceptions import ValidationError

    from cms.validators import validate_phone

    if ok:
        validate_phone(phone)
    else:
        with pytest.raises(ValidationError):
            validate_phone(phone)


def test_staff_see_and_edit_only_their_communitys_cards_in_admin(site):
    district, _a, _b = site
    mine = card(
        district.community_a,
        district.grid(district.community_a),
        GridWorkerRole.GRID_LEADER,
        "本社区网格长",
    )
    theirs = card(
        district.community_b,
        district.grid(district.community_b),
        GridWorkerRole.GRID_LEADER,
        "外社区网格长",
    )
    client = Client()
    client.force_login(staff_of(district.community_a))
    listing = client.get(reverse("wagtailsnippets_cms_gridworker:list"))
    assert listing.status_code == 200
    assert "本社区网格长" in listing.text and "外社区网格长" not in listing.text
    assert (
        client.get(reverse("wagtailsnippets_cms_gridworker:edit", args=[mine.pk])).status_code
        == 200
    )
    response = client.get(reverse("wagtailsnippets_cms_gridworker:edit", args=[theirs.pk]))
    assert response.status_code in (302, 403, 404)


def test_find_my_grid_by_typed_building_number(site):
    district, _a, _b = site
    url = reverse("cms:find_my_grid")
    response = Client().get(url, {"community": district.community_a.pk, "building": "2号楼"})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "cms:grid", args=[district.grid(district.community_a, 2).pk]
    )
    missing = Client().get(url, {"community": district.community_a.pk, "building": "99"})
    assert missing.status_code == 404
    assert "99" in missing.text
    # A building of another community is not found through this one.
    other = Client().get(
        url,
        {
            "community": district.community_a.pk,
            "building_id": district.grid(district.community_b).get_children()[0].pk,
        },
    )
    assert other.status_code == 404


def test_verified_resident_sees_their_grid_on_the_home_page(site):
    district, _a, _b = site
    grid = district.grid(district.community_a, 2)
    card(district.community_a, grid, GridWorkerRole.GRID_WORKER, "网格员庚")
    user = resident(district.household(district.community_a, grid=2))
    client = Client()
    client.force_login(user)
    text = client.get("/").text
    assert reverse("cms:grid", args=[grid.pk]) in text
    assert "网格员庚" in text
    pending = resident(
        district.household(district.community_a, grid=2, label="102"), ResidentStatus.PENDING
    )
    client.force_login(pending)
    assert "网格员庚" not in client.get("/").text


def test_urgent_notice_shows_as_banner(site):
    district, page_a, _b = site
    urgent = index_of(page_a).add_child(
        instance=NoticePage(title="燃气泄漏请撤离", slug="gas", category="urgent")
    )
    urgent.save_revision().publish()
    text = Client().get(page_a.url).text
    banner = text[
        text.index('id="urgent-banner"') : text.index("</div>", text.index('id="urgent-banner"'))
    ]
    assert "燃气泄漏请撤离" in banner
    assert "hidden" not in banner.split(">")[0]


def test_community_kind_is_checked(site):
    from django.core.exceptions import ValidationError

    district, _a, _b = site
    with pytest.raises(ValidationError):
        set_up_community(actor=None, community=district.grid(district.community_a))
    assert district.grid(district.community_a).kind == AreaKind.GRID


def test_add_community_command_creates_grids_pages_and_groups(site):
    from django.contrib.auth.models import Group

    district, _a, _b = site
    call_command(
        "add_community", street=district.street_b.code, name="新华社区", code="xinhua", grids=3
    )
    page = CommunityPage.objects.get(area__name="新华社区")
    assert page.live and page.slug == "xinhua"
    assert page.area.get_children().count() == 3
    assert NoticeIndexPage.objects.child_of(page).exists()
    assert Group.objects.filter(name__startswith="新华社区 editors").exists()
    # Running it again adds nothing.
    call_command(
        "add_community", street=district.street_b.code, name="新华社区", code="xinhua", grids=3
    )
    assert CommunityPage.objects.filter(area__name="新华社区").count() == 1
    assert page.area.get_children().count() == 3


def test_notice_body_blocks_render_and_feed_the_search_text(site):
    _district, page_a, _b = site
    notice = index_of(page_a).add_child(
        instance=NoticePage(
            title="供暖调试安排",
            slug="heating",
            body=[
                ("paragraph", "<p>本周开始<b>供暖调试</b>。</p>"),
                ("callout", {"tone": "warning", "text": "<p>调试期间请勿关闭阀门。</p>"}),
                (
                    "table",
                    {
                        "first_row_is_table_header": True,
                        "first_col_is_header": False,
                        "data": [["楼号", "日期"], ["12号楼", "11月28日"]],
                    },
                ),
            ],
        )
    )
    notice.save_revision().publish()
    notice.refresh_from_db()
    for text in ["供暖调试", "请勿关闭阀门", "11月28日"]:
        assert text in notice.search_text
    html = Client().get(notice.url).text
    assert "<b>供暖调试</b>" in html
    assert 'class="callout callout-warning"' in html
    assert '<th scope="col">楼号</th>' in html and "<td>11月28日</td>" in html
