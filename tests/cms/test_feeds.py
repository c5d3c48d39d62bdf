"""RSS and Atom feeds of a community's notices, for feed readers."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.rich_text import RichText

from cms.feeds import FEED_LENGTH, SUMMARY_LENGTH
from cms.models import NoticeCategory, NoticePage
from portal.models import Area, AreaKind
from tests.helpers import build_site, publish_notice

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def paragraphs(*texts: str) -> list:
    return [("paragraph", RichText(f"<p>{text}</p>")) for text in texts]


def published(notice: NoticePage, days_ago: int) -> NoticePage:
    NoticePage.objects.filter(pk=notice.pk).update(
        first_published_at=timezone.now() - timedelta(days=days_ago)
    )
    return notice


def fetch(client, name: str, community: Area):
    response = client.get(reverse(f"cms:{name}", kwargs={"community_id": community.pk}))
    assert response.status_code == 200
    return response, ET.fromstring(response.content)


@pytest.fixture
def site_with_notices():
    district, index = build_site()
    published(publish_notice(index, "三天前的活动", category=NoticeCategory.EVENT), 3)
    published(
        publish_notice(
            index,
            "今天的停水通知",
            body=paragraphs("12号楼自来水管漏水，今日14时至18时停水。"),
        ),
        0,
    )
    # Pinned on the community page, but a feed reader orders by date.
    published(publish_notice(index, "置顶的旧通知", pinned=True), 10)
    return district, index


def test_rss_lists_current_notices_newest_first_with_absolute_links(client, site_with_notices):
    district, _index = site_with_notices
    response, rss = fetch(client, "notices_rss", district.community_a)

    assert response["Content-Type"].startswith("application/rss+xml")
    channel = rss.find("channel")
    assert "甲社区" in channel.findtext("title")
    assert channel.findtext("link").startswith("http://testserver/")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [
        "今天的停水通知",
        "三天前的活动",
        "置顶的旧通知",
    ]
    for item in items:
        assert item.findtext("link").startswith("http://testserver/")
        assert item.findtext("pubDate")
    notice = NoticePage.objects.get(title="今天的停水通知")
    assert items[0].findtext("link") == "http://testserver" + notice.url
    assert items[1].findtext("category") == "活动"  # the category label, in the reader's language


def test_rss_description_is_a_plain_text_summary_of_the_body(client, site_with_notices):
    district, _index = site_with_notices
    _response, rss = fetch(client, "notices_rss", district.community_a)

    first = rss.find("channel").findall("item")[0]
    assert first.findtext("description") == "12号楼自来水管漏水，今日14时至18时停水。"


def test_summary_is_truncated_and_text_that_looks_like_html_stays_text(client):
    district, index = build_site()
    publish_notice(
        index,
        "安全提醒",
        body=paragraphs("不要运行 &lt;script&gt;alert(1)&lt;/script&gt; 这样的代码。" + "长" * 500),
    )
    _response, rss = fetch(client, "notices_rss", district.community_a)

    description = rss.find("channel/item").findtext("description")
    # Readers render the description as HTML: the angle brackets arrive escaped for it.
    assert description.startswith("不要运行 &lt;script&gt;alert(1)&lt;/script&gt;")
    assert "<script" not in description
    assert len(html.unescape(description)) <= SUMMARY_LENGTH
    assert description.endswith(("…", "..."))  # Django's Chinese catalogue uses "..."


def test_atom_lists_the_same_entries_with_absolute_links(client, site_with_notices):
    district, _index = site_with_notices
    response, feed = fetch(client, "notices_atom", district.community_a)

    assert response["Content-Type"].startswith("application/atom+xml")
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "今天的停水通知",
        "三天前的活动",
        "置顶的旧通知",
    ]
    for entry in entries:
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/")
        assert entry.findtext(f"{ATOM}published")
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == "http://testserver" + reverse(
        "cms:notices_atom", kwargs={"community_id": district.community_a.pk}
    )


def test_feeds_leave_out_expired_unpublished_and_other_communities_notices(client):
    district, index = build_site()
    publish_notice(index, "有效通知")
    expired = publish_notice(index, "过期通知")
    NoticePage.objects.filter(pk=expired.pk).update(expire_at=timezone.now() - timedelta(hours=1))
    publish_notice(index, "撤回通知").unpublish()

    _response, rss = fetch(client, "notices_rss", district.community_a)
    assert [item.findtext("title") for item in rss.iter("item")] == ["有效通知"]


def test_feed_holds_only_the_latest_notices(client):
    district, index = build_site()
    for number in range(FEED_LENGTH + 3):
        published(publish_notice(index, f"通知{number}"), FEED_LENGTH + 3 - number)

    _response, rss = fetch(client, "notices_rss", district.community_a)
    titles = [item.findtext("title") for item in rss.iter("item")]
    assert len(titles) == FEED_LENGTH
    assert titles[0] == f"通知{FEED_LENGTH + 2}"
    assert "通知0" not in titles


@pytest.mark.parametrize("name", ["notices_rss", "notices_atom"])
def test_unknown_community_or_one_without_a_page_is_not_found(client, name):
    district, _index = build_site()
    missing = Area.objects.order_by("-pk").first().pk + 1000
    street = Area.objects.filter(kind=AreaKind.STREET).first()
    for community_id in [missing, district.community_b.pk, street.pk]:
        response = client.get(reverse(f"cms:{name}", kwargs={"community_id": community_id}))
        assert response.status_code == 404


def test_community_whose_page_is_unpublished_has_no_feed(client):
    district, index = build_site()
    index.get_parent().unpublish()
    response = client.get(
        reverse("cms:notices_rss", kwargs={"community_id": district.community_a.pk})
    )
    assert response.status_code == 404
