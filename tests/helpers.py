"""Shared builders for tests that need the Wagtail page tree."""

from __future__ import annotations

from wagtail.models import Page, Site

from cms.models import CommunityPage, HomePage, NoticeIndexPage, NoticePage

from .conftest import District, make_district


def build_site() -> tuple[District, NoticeIndexPage]:
    """A small district with a home page, 甲社区's community page and its notice list."""
    district = make_district()
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="test-home"))
    Site.objects.update(root_page=home)
    community = home.add_child(
        instance=CommunityPage(title="甲社区", slug="ca", area=district.community_a)
    )
    community.save_revision().publish()
    index = community.add_child(instance=NoticeIndexPage(title="通知公告", slug="notices"))
    index.save_revision().publish()
    return district, index


def publish_notice(index: NoticeIndexPage, title: str, **fields) -> NoticePage:
    notice = index.add_child(
        instance=NoticePage(title=title, slug=f"n{NoticePage.objects.count()}", **fields)
    )
    notice.save_revision().publish()
    return notice
