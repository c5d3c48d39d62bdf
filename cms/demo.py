"""Demo pages: the district home, a page per community, and a few notices."""

from __future__ import annotations

from wagtail.models import Page, Site

from portal.demo import DemoContext, demo_account
from portal.models import Area, AreaKind

from .community_setup import enable_moderation, make_secretary, set_up_community
from .demo_maps import seed_maps
from .models import (
    CommunityPage,
    GridWorker,
    GridWorkerRole,
    HomePage,
    NoticeCategory,
    NoticeIndexPage,
    NoticePage,
)

JURAN_CODE = "yinzhou-tiexi-juran"

# Invented people for 居然社区's contact cards, one set per grid.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
GIVEN = [
    "秀英",
    "建华",
    "桂芝",
    "志强",
    "玉兰",
    "国庆",
    "丽娟",
    "德明",
    "春燕",
    "海涛",
    "淑珍",
    "宏伟",
]

# (slug, title, category, pinned, paragraphs): written for the demo, all invented.
DEMO_NOTICES = {
    "juran": [
        (
            "b12-water-stop",
            "12号楼自来水管漏水抢修，今日14时至18时停水",
            NoticeCategory.NOTICE,
            True,
            [
                "12号楼2单元地下室自来水管漏水，物业维修班已到场抢修。",
                "抢修期间12号楼、13号楼暂停供水，请居民提前储水。如有老人独居需要帮助送水，请联系第1网格网格员。",
            ],
        ),
        (
            "saturday-cleanup",
            "周六上午“绿色家园”环境清洁志愿活动招募",
            NoticeCategory.EVENT,
            False,
            [
                "本周六上午8点半在社区广场集合，清理楼道杂物和绿化带垃圾。",
                "社区提供手套和工具，欢迎居民带孩子一起参加。",
            ],
        ),
        (
            "hall-b83-roof",
            "居民议事厅：83号楼楼顶漏雨维修方案征求意见",
            NoticeCategory.NOTICE,
            False,
            [
                "83号楼顶层多户反映雨天漏雨。社区拟定了两套维修方案，请本楼居民在议事厅发表意见。",
            ],
        ),
    ],
    "guangming": [
        (
            "health-check",
            "社区卫生服务站下周二为老人免费测血压",
            NoticeCategory.EVENT,
            False,
            ["下周二上午9点至11点，在社区活动室为60岁以上老人免费测量血压、血糖。"],
        ),
    ],
}


def _home_page(ctx: DemoContext) -> HomePage:
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    home = root.add_child(
        instance=HomePage(
            title="银州区居民服务平台",
            slug="yinzhou",
            intro="<p>查通知、找网格员、进议事厅、报名五色志愿服务。</p>",
        )
    )
    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="银州区"
        )
    else:
        site.root_page = home
        site.site_name = "银州区"
        site.save()
    # Wagtail's placeholder welcome page has no use once the portal's home exists.
    if old_root is not None and old_root.specific_class is Page and old_root.pk != home.pk:
        old_root.delete()
    ctx.log("Created the district home page.")
    return home


def seed(ctx: DemoContext) -> None:
    _home_page(ctx)
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"):
        page = set_up_community(actor=None, community=community)
        index = NoticeIndexPage.objects.child_of(page).first()
        existing = set(NoticePage.objects.child_of(index).values_list("slug", flat=True))
        for notice_slug, title, category, pinned, paragraphs in DEMO_NOTICES.get(page.slug, []):
            if notice_slug in existing:
                continue
            notice = index.add_child(
                instance=NoticePage(
                    title=title,
                    slug=notice_slug,
                    category=category,
                    pinned=pinned,
                    body=[("paragraph", "".join(f"<p>{p}</p>" for p in paragraphs))],
                )
            )
            notice.save_revision().publish()
    juran = Area.objects.get(code=JURAN_CODE)
    enable_moderation(actor=None, community=juran)
    secretary = demo_account(
        ctx,
        label="community secretary (居然社区, approves)",
        email="secretary@demo.example",
        password="demo-secretary-2026",
        name="韩淑英",
    )
    make_secretary(actor=None, user=secretary, community=juran)
    _contact_cards(juran)
    ctx.log(
        f"Pages: {CommunityPage.objects.count()} communities, {NoticePage.objects.count()} notices."
    )
    seed_maps(ctx)


def _person(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]


def _contact_cards(community: Area) -> None:
    """Each grid: a grid leader, a grid worker, building and unit leaders, a volunteer."""
    if GridWorker.objects.filter(community=community).exists():
        return
    from portal.models import User

    grid_worker_account = User.objects.filter(email="gridworker@demo.example").first()
    n = 0
    for number, grid in enumerate(
        Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path), start=1
    ):
        buildings = list(grid.get_children()[:2])
        people = [
            (
                GridWorkerRole.GRID_LEADER,
                [grid],
                "统筹本网格事务，协调物业和社区解决居民反映的问题。",
                "周一至周五 8:30-17:00",
            ),
            (
                GridWorkerRole.GRID_WORKER,
                [grid],
                "日常巡查、入户走访、信息采集，收集居民诉求。",
                "每天 8:00-18:00",
            ),
            (
                GridWorkerRole.BUILDING_LEADER,
                buildings[:1],
                "本楼公共设施报修、邻里矛盾调解。",
                "随时",
            ),
            (
                GridWorkerRole.BUILDING_LEADER,
                buildings[1:2],
                "本楼公共设施报修、通知传达。",
                "随时",
            ),
            (GridWorkerRole.UNIT_LEADER, buildings[:1], "单元内独居老人关照、楼道卫生。", "晚间"),
            (GridWorkerRole.VOLUNTEER, [grid], "平安巡逻、帮老人代买代办。", "周末"),
        ]
        for order, (role, areas, duties, hours) in enumerate(people):
            n += 1
            card = GridWorker(
                community=community,
                name=_person(n),
                role=role,
                phone=f"139{number:02d}{order:02d}{n:04d}",
                duties=duties,
                service_hours=hours,
                consent=True,
                sort_order=order,
            )
            if number == 3 and role == GridWorkerRole.GRID_WORKER and grid_worker_account:
                card.name = grid_worker_account.name
                card.user = grid_worker_account
            card.save()
            card.areas.set(areas)
            card.save_revision().publish()
