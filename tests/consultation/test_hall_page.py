"""The hall page over HTTP: what each reader sees, and the forms that work without JS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultation import services
from consultation.models import HallPage, Post, Second, Stance

from ..portal.test_sanitize import XSS_PAYLOADS

pytestmark = pytest.mark.django_db


def url(site):
    return site.hall.get_url()


def test_anonymous_reader_sees_phase_dates_and_is_told_to_log_in(client, site):
    response = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "83号楼楼顶漏雨维修方案" in html
    assert "Discussion" in html and "Voting opens" in html
    assert 'data-refusal="login"' in html and "Log in to take part" in html
    assert "/accounts/login/" in html


def test_resident_posts_through_the_form_and_sees_the_post(client, site):
    client.force_login(site.alice)
    response = client.post(
        f"/halls/{site.hall.pk}/posts/", {"stance": "against", "body": "先查漏点再定方案"}
    )
    p = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{p.pk}")
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "先查漏点再定方案" in html and "Alice" in html
    assert "Your post is published." in html
    assert 'data-count="against">1<' in html


def test_refused_post_keeps_what_the_resident_wrote(client, site):
    client.force_login(site.alice)
    text = "太长了" * 2000
    client.post(f"/halls/{site.hall.pk}/posts/", {"stance": "for", "body": text})
    assert not Post.objects.exists()
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "at most 5000 characters" in html
    assert text in html


@pytest.mark.parametrize(
    ("who", "code", "text"),
    [
        ("outsider", "scope", "outside this hall"),
        ("staff", "verify", "household"),
    ],
)
def test_people_who_cannot_post_see_why(client, site, who, code, text):
    client.force_login(getattr(site, who))
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-refusal="{code}"' in html and text in html
    assert 'name="body"' not in html


def test_suspended_resident_sees_until_when(client, site):
    services.suspend_user(
        actor=site.staff, user=site.alice, community=site.district.community_a, days=2, reason="x"
    )
    client.force_login(site.alice)
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-refusal="suspended"' in html and "suspended from posting" in html


def test_closed_hall_says_discussion_is_closed(client, site):
    now = timezone.now()
    HallPage.objects.filter(pk=site.hall.pk).update(
        discussion_opens_at=now - timedelta(days=9),
        voting_opens_at=now - timedelta(days=5),
        closes_at=now - timedelta(days=1),
    )
    client.force_login(site.alice)
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The discussion is closed." in html
    response = client.post(f"/halls/{site.hall.pk}/posts/", {"stance": "for", "body": "晚了"})
    assert response.status_code == 302 and not Post.objects.exists()


def test_second_button_works_without_javascript(client, site):
    p = services.publish_post(user=site.alice, hall=site.hall, body="x", stance=Stance.FOR)
    client.force_login(site.bob)
    html = client.get(url(site)).content.decode()
    assert f'action="/halls/posts/{p.pk}/second/"' in html
    client.post(f"/halls/posts/{p.pk}/second/")
    client.post(f"/halls/posts/{p.pk}/second/")
    p.refresh_from_db()
    assert p.seconds_count == 1
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "already seconded" in html


def test_hidden_post_shows_the_moderators_reason_not_the_text(client, site):
    p = services.publish_post(user=site.alice, hall=site.hall, body="难听的话", stance="for")
    services.hide_post(actor=site.staff, post_id=p.pk, reason="不文明用语")
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hidden by a moderator: 不文明用语" in html
    assert "难听的话" not in html


def test_residents_only_hall_hides_posts_from_outsiders(client, site):
    services.publish_post(user=site.alice, hall=site.hall, body="内部讨论", stance="for")
    HallPage.objects.filter(pk=site.hall.pk).update(residents_only=True)
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "内部讨论" not in html and "Only verified residents" in html
    assert client.get(f"/halls/{site.hall.pk}/posts/fragments/?ids=1").status_code == 403
    client.force_login(site.outsider)
    assert "内部讨论" not in client.get(url(site)).content.decode()
    client.force_login(site.bob)
    assert "内部讨论" in client.get(url(site)).content.decode()


def test_edit_and_delete_links_only_for_the_author_in_the_window(client, site):
    p = services.publish_post(user=site.alice, hall=site.hall, body="x", stance="for")
    client.force_login(site.alice)
    assert f"/halls/posts/{p.pk}/edit/" in client.get(url(site)).content.decode()
    response = client.post(f"/halls/posts/{p.pk}/edit/", {"body": "改过了", "stance": "question"})
    assert response.status_code == 302
    html = client.get(url(site), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "改过了" in html and "edited" in html
    Post.objects.filter(pk=p.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    assert f"/halls/posts/{p.pk}/edit/" not in client.get(url(site)).content.decode()
    client.force_login(site.bob)
    assert client.get(f"/halls/posts/{p.pk}/edit/").status_code == 403


def test_xss_payloads_come_out_harmless(client, site):
    for i, payload in enumerate(XSS_PAYLOADS):
        author = (site.alice, site.bob, site.carol)[i % 3]
        try:
            body = services.prepare_body(payload + "字")
        except ValidationError:
            continue  # nothing readable left: refused, and nothing stored
        Post.objects.create(hall=site.hall, author=author, stance="for", body=body)
    assert Post.objects.count() > len(XSS_PAYLOADS) // 2
    html = client.get(url(site) + "?page=1").content.decode()
    html += client.get(url(site) + "?page=2").content.decode()
    main = html.lower()
    assert "alert(1)" not in main and "onerror" not in main and "javascript:" not in main
    ids = ",".join(str(pk) for pk in Post.objects.values_list("pk", flat=True)[:50])
    fragment = client.get(f"/halls/{site.hall.pk}/posts/fragments/?ids={ids}").content.decode()
    assert "alert(1)" not in fragment.lower()


def test_fragments_render_posts_with_the_page_include(client, site):
    top = services.publish_post(user=site.alice, hall=site.hall, body="主贴", stance="for")
    reply = services.publish_post(user=site.bob, hall=site.hall, body="回复", parent=top)
    html = client.get(f"/halls/{site.hall.pk}/posts/fragments/?ids={top.pk},{reply.pk}")
    text = html.content.decode()
    assert f'id="post-{top.pk}"' in text and f'id="post-{reply.pk}"' in text
    assert 'data-parent="' in text and "主贴" in text and "回复" in text


def test_posts_sort_by_most_seconded(client, site):
    a = services.publish_post(user=site.alice, hall=site.hall, body="少附议", stance="for")
    b = services.publish_post(user=site.bob, hall=site.hall, body="多附议", stance="for")
    services.second_post(user=site.carol, post_id=a.pk)
    services.second_post(user=site.carol, post_id=b.pk)
    services.second_post(user=site.alice, post_id=b.pk)
    html = client.get(url(site) + "?sort=seconded").content.decode()
    assert html.index("多附议") < html.index("少附议")
    html = client.get(url(site) + "?sort=new").content.decode()
    assert html.index("多附议") < html.index("少附议")


def _fill(site, n: int) -> None:
    now = timezone.now()
    authors = [site.alice, site.bob, site.carol]
    tops = Post.objects.bulk_create(
        Post(
            hall=site.hall,
            author=authors[i % 3],
            stance=Stance.values[i % 4],
            body=f"<p>第{i}条</p>",
            created_at=now - timedelta(seconds=i),
        )
        for i in range(n)
    )
    Post.objects.bulk_create(
        Post(hall=site.hall, author=authors[(i + 1) % 3], stance="for", body="<p>回</p>", parent=p)
        for i, p in enumerate(tops)
    )
    Second.objects.bulk_create(
        Second(post=p, user=authors[(i + 2) % 3]) for i, p in enumerate(tops)
    )


def _count_queries(client, site) -> int:
    # A first request warms per-process caches (site roots, content types), which would
    # otherwise make whichever measurement comes first look one or two queries dearer.
    client.get(url(site))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(site))
    assert response.status_code == 200
    return len(queries)


def test_page_query_count_stays_flat_from_10_to_500_posts(client, site):
    client.force_login(site.bob)
    _fill(site, 10)
    few = _count_queries(client, site)
    _fill(site, 490)
    many = _count_queries(client, site)
    assert Post.objects.filter(parent__isnull=True).count() == 500
    assert many == few, (few, many)
