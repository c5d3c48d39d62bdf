"""Demo pages: the district home, a page per community, and a few notices."""

from __future__ import annotations

from wagtail.models import Page, Site

from portal.demo import DemoContext
from portal.models import Area, AreaKind

from .models import CommunityPage, HomePage, NoticeCategory, NoticeIndexPage, NoticePage

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
    home = _home_page(ctx)
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"):
        slug = community.code.rsplit("-", 1)[-1]
        page = CommunityPage.objects.filter(area=community).first()
        if page is None:
            page = home.add_child(
                instance=CommunityPage(title=community.name, slug=slug, area=community)
            )
            page.save_revision().publish()
        index = NoticeIndexPage.objects.child_of(page).first()
        if index is None:
            index = page.add_child(instance=NoticeIndexPage(title="通知公告", slug="notices"))
            index.save_revision().publish()
        existing = set(NoticePage.objects.child_of(index).values_list("slug", flat=True))
        for notice_slug, title, category, pinned, paragraphs in DEMO_NOTICES.get(slug, []):
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
    ctx.log(
        f"Pages: {CommunityPage.objects.count()} communities, {NoticePage.objects.count()} notices."
    )
