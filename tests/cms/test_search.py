"""Site search: residents find notices by any part of a Chinese phrase."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction
from wagtail.rich_text import RichText

from cms.models import CommunityPage, NoticeCategory, NoticePage
from cms.search import MAX_QUERY_LENGTH, MAX_TERMS, PER_PAGE, parse_query, search_site
from tests.helpers import build_site, publish_notice

pytestmark = pytest.mark.django_db


def paragraphs(*texts: str) -> list:
    return [("paragraph", RichText(f"<p>{text}</p>")) for text in texts]


def found_titles(query: str, **kwargs) -> list[str]:
    return [hit.page.title for hit in search_site(query=query, **kwargs).hits]


def search_page(client, query: str, **params) -> str:
    response = client.get(reverse("cms:search"), {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def set_published(notice: NoticePage, days_ago: int) -> None:
    NoticePage.objects.filter(pk=notice.pk).update(
        first_published_at=timezone.now() - timedelta(days=days_ago)
    )


@pytest.fixture
def site():
    district, index = build_site()
    return district, index


def test_part_of_a_chinese_word_finds_the_notice(client, site):
    _district, index = site
    publish_notice(
        index,
        "12号楼停水通知",
        body=paragraphs("12号楼2单元地下室自来水管漏水，物业维修班已到场抢修。"),
    )
    publish_notice(index, "周六环境清洁志愿活动", body=paragraphs("社区广场集合。"))

    assert found_titles("漏水") == ["12号楼停水通知"]
    text = search_page(client, "漏水")
    assert "12号楼停水通知" in text
    assert "周六环境清洁志愿活动" not in text
    assert "<mark>漏水</mark>" in text


def test_a_single_character_finds_titles_and_bodies(site):
    _district, index = site
    publish_notice(index, "停水通知")
    publish_notice(index, "活动招募", body=paragraphs("请自带饮用水。"))

    assert sorted(found_titles("水")) == ["停水通知", "活动招募"]


def test_every_term_must_match(site):
    _district, index = site
    publish_notice(index, "12号楼停水", body=paragraphs("自来水管漏水抢修"))
    publish_notice(index, "13号楼停水", body=paragraphs("二次供水水箱清洗"))

    assert found_titles("停水 漏水") == ["12号楼停水"]
    assert found_titles("停水 供水") == ["13号楼停水"]
    assert found_titles("漏水 水箱") == []


def test_the_ideographic_space_of_chinese_keyboards_separates_terms(site):
    _district, index = site
    publish_notice(index, "12号楼停水", body=paragraphs("自来水管漏水抢修"))

    assert found_titles("停水\u3000漏水") == ["12号楼停水"]


def test_latin_letters_match_regardless_of_case(site):
    _district, index = site
    publish_notice(index, "社区WiFi维护", body=paragraphs("Router will restart."))

    assert found_titles("wifi") == ["社区WiFi维护"]
    assert found_titles("ROUTER") == ["社区WiFi维护"]


def test_expired_notices_are_not_found(site):
    _district, index = site
    notice = publish_notice(index, "已过期的停水通知", body=paragraphs("自来水管漏水"))
    # Past its expiry, but the scheduler has not unpublished it yet.
    NoticePage.objects.filter(pk=notice.pk).update(expire_at=timezone.now() - timedelta(hours=1))

    assert found_titles("漏水") == []


def test_unpublished_and_draft_notices_are_not_found(site):
    _district, index = site
    withdrawn = publish_notice(index, "撤回的停水通知", body=paragraphs("自来水管漏水"))
    withdrawn.unpublish()
    draft = index.add_child(
        instance=NoticePage(title="草稿停水通知", slug="draft", live=False, body=paragraphs("漏水"))
    )
    draft.save_revision()

    assert found_titles("漏水") == []
    assert found_titles("停水通知") == []


def test_unpublished_changes_to_a_live_notice_are_not_found(site):
    _district, index = site
    notice = publish_notice(index, "停水通知", body=paragraphs("今日停水"))
    notice.body = paragraphs("草稿中的漏水说明")
    notice.save_revision()

    assert found_titles("漏水") == []
    assert found_titles("今日停水") == ["停水通知"]


def test_notices_restricted_to_logged_in_users_are_not_found(site):
    _district, index = site
    notice = publish_notice(index, "内部通知", body=paragraphs("自来水管漏水"))
    PageViewRestriction.objects.create(page=notice, restriction_type=PageViewRestriction.LOGIN)

    assert found_titles("漏水") == []


def test_empty_or_blank_query_finds_nothing_without_error(client, site):
    _district, index = site
    publish_notice(index, "停水通知")

    for query in ["", "   ", "\u3000\t"]:
        assert search_site(query=query).count == 0
        text = search_page(client, query)
        assert "停水通知" not in text
    response = client.get(reverse("cms:search"))
    assert response.status_code == 200
    assert "停水通知" not in response.content.decode()


def test_a_very_long_query_is_cut_not_an_error(client, site):
    _district, index = site
    publish_notice(index, "停水通知", body=paragraphs("自来水管漏水"))
    long_query = "漏水" + "水" * 5000

    text = search_page(client, long_query)
    value = re.search(r'name="q" value="([^"]*)"', text).group(1)
    assert len(value) == MAX_QUERY_LENGTH
    assert f'maxlength="{MAX_QUERY_LENGTH}"' in text


def test_only_the_first_terms_are_used(site):
    _district, index = site
    publish_notice(index, "停水通知", body=paragraphs("自来水管漏水"))

    parsed = parse_query(" ".join(["水"] + [f"词{n}" for n in range(50)]))
    assert len(parsed.terms) == MAX_TERMS
    assert parsed.truncated
    assert parse_query("漏水 漏水 漏水").terms == ("漏水",)
    assert found_titles("漏水 " * 50) == ["停水通知"]


def test_control_characters_in_the_query_are_not_an_error(client, site):
    _district, index = site
    notice = publish_notice(index, "停水通知", body=paragraphs("自来水管漏水"))

    # PostgreSQL refuses NUL in a query parameter; the search must not turn it into a 500.
    assert f'href="{notice.url}"' in search_page(client, "漏\x00水 停水")
    assert found_titles("漏水\x00") == ["停水通知"]


def test_html_in_the_query_is_escaped_and_only_mark_is_markup(client, site):
    _district, index = site
    publish_notice(
        index,
        "网络安全提醒",
        body=paragraphs("请勿点击含有 &lt;script&gt;alert(1)&lt;/script&gt; 的链接。"),
    )
    query = "<script>alert(1)</script>"

    text = search_page(client, query)
    assert "<script>alert(1)" not in text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in text
    snippet = re.search(r'<p class="snippet">(.*?)</p>', text, re.S).group(1)
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in snippet
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


def test_no_results_message_repeats_the_query_escaped(site):
    english = Client(headers={"accept-language": "en"})
    text = search_page(english, '<img src=x onerror="alert(1)">')
    assert "<img src=x" not in text
    assert "No results for “&lt;img src=x onerror=&quot;alert(1)&quot;&gt;”" in text


def test_title_matches_come_first_then_newer_notices(site):
    _district, index = site
    body_old = publish_notice(index, "旧的维修通知", body=paragraphs("地下室漏水"))
    body_new = publish_notice(index, "新的维修通知", body=paragraphs("屋顶漏水"))
    title_old = publish_notice(index, "漏水抢修（旧）")
    set_published(body_old, 3)
    set_published(body_new, 1)
    set_published(title_old, 10)

    assert found_titles("漏水") == ["漏水抢修（旧）", "新的维修通知", "旧的维修通知"]


def test_results_show_category_community_date_and_snippet(client, site):
    _district, index = site
    publish_notice(
        index,
        "紧急停水",
        category=NoticeCategory.URGENT,
        body=paragraphs("自来水管漏水，请储水。"),
    )

    text = search_page(client, "漏水")
    assert 'class="badge badge-urgent"' in text
    assert ">甲社区</a>" in text
    assert timezone.localdate().isoformat() in text
    assert "自来水管<mark>漏水</mark>，请储水。" in text
    assert 'type="search"' in text
    assert re.search(r'<label for="search-page-q"', text)


def test_community_pages_are_found_by_their_introduction_text_not_its_markup(site):
    _district, _index = site
    community = CommunityPage.objects.get()
    community.intro = "<p>我们社区有<strong>八个网格</strong>。</p>"
    community.save_revision().publish()

    assert found_titles("八个网格") == ["甲社区"]
    assert found_titles("strong") == []


def test_other_pages_are_found_by_title(site):
    assert found_titles("通知公告") == ["通知公告"]


def test_results_are_paginated_and_keep_the_query(client, site):
    _district, index = site
    for number in range(PER_PAGE + 5):
        publish_notice(index, f"停水通知{number}")

    first = search_site(query="停水")
    assert first.count == PER_PAGE + 5
    assert len(first.hits) == PER_PAGE
    assert len(search_site(query="停水", page_number=2).hits) == 5
    assert len(search_site(query="停水", page_number="nonsense").hits) == PER_PAGE

    text = search_page(client, "停水")
    assert "?q=%E5%81%9C%E6%B0%B4&amp;page=2" in text
    # Same title score, so newest first: the oldest notice is on the second page.
    assert "</mark>通知0</a>" not in text
    assert "</mark>通知0</a>" in search_page(client, "停水", page="2")


def test_the_embeddable_search_form_labels_its_field_and_submits_to_search(db):
    html = render_to_string("cms/includes/search_form.html", {"hide_label": True})
    assert f'action="{reverse("cms:search")}"' in html
    assert 'role="search"' in html
    assert '<label for="site-search-q" class="visually-hidden">' in html
    assert '<input type="search" id="site-search-q" name="q" value=""' in html
