"""The `notices:<community id>` topic: a community's latest notices, live."""

from __future__ import annotations

from django.utils import formats
from wagtail.signals import page_published, page_unpublished

from portal import live
from portal.models import Area, AreaKind

from .models import LATEST_NOTICES, CommunityPage, NoticePage


def notices_topic(community_id: int) -> str:
    return f"notices:{community_id}"


def notice_data(notice: NoticePage) -> dict:
    published = notice.first_published_at or notice.last_published_at
    return {
        "id": notice.pk,
        "title": notice.title,
        "url": notice.get_url(),
        "category": notice.category,
        "category_label": str(notice.get_category_display()),
        "pinned": notice.pinned,
        "published_at": published.isoformat() if published else None,
        "published_label": formats.date_format(published, "Y-m-d") if published else "",
    }


def _authorize(user, key: str) -> bool:
    # Notices are public: anyone may follow any community's notices.
    return key.isdigit() and Area.objects.filter(pk=int(key), kind=AreaKind.COMMUNITY).exists()


def _snapshot(user, key: str) -> dict:
    page = CommunityPage.objects.filter(area_id=int(key)).first()
    notices = page.notices()[:LATEST_NOTICES] if page else []
    return {"notices": [notice_data(n) for n in notices]}


def _community_id(notice: NoticePage) -> int | None:
    page = notice.community_page()
    return page.area_id if page else None


def _on_published(sender, instance: NoticePage, **kwargs) -> None:
    community_id = _community_id(instance)
    if community_id is not None:
        live.publish(
            notices_topic(community_id), {"kind": "published", "notice": notice_data(instance)}
        )


def _on_unpublished(sender, instance: NoticePage, **kwargs) -> None:
    community_id = _community_id(instance)
    if community_id is not None:
        live.publish(notices_topic(community_id), {"kind": "removed", "id": instance.pk})


live.register("notices", authorize=_authorize, snapshot=_snapshot)
page_published.connect(_on_published, sender=NoticePage, dispatch_uid="cms_notice_published")
page_unpublished.connect(_on_unpublished, sender=NoticePage, dispatch_uid="cms_notice_unpublished")
