"""RSS and Atom feeds of a community's current notices, for feed readers and other sites."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from portal.models import AreaKind

from .models import CommunityPage, NoticePage
from .search import notice_body_text

FEED_LENGTH = 30
SUMMARY_LENGTH = 200


class NoticesRssFeed(Feed):
    """The latest current notices of one community, newest first.

    One instance serves every request, so nothing request-specific is kept on it:
    relative links are made absolute by the syndication framework from the request.
    """

    def get_object(self, request: HttpRequest, community_id: int) -> CommunityPage:
        page = (
            CommunityPage.objects.live()
            .public()
            .filter(area_id=community_id, area__kind=AreaKind.COMMUNITY)
            .first()
        )
        if page is None:
            raise Http404(_("There is no such community."))
        return page

    def title(self, obj: CommunityPage) -> str:
        return _("%(community)s · Notices") % {"community": obj.title}

    def link(self, obj: CommunityPage) -> str:
        return obj.get_url()

    def description(self, obj: CommunityPage) -> str:
        return _("Current notices from %(community)s.") % {"community": obj.title}

    def items(self, obj: CommunityPage) -> QuerySet[NoticePage]:
        # Readers sort by date, so pinned notices are not put first here.
        return obj.notices().public().order_by("-first_published_at", "-pk")[:FEED_LENGTH]

    def item_title(self, item: NoticePage) -> str:
        return item.title

    def item_link(self, item: NoticePage) -> str:
        return item.get_url()

    def item_description(self, item: NoticePage) -> str:
        # Feed readers treat the description as HTML: the plain text is escaped for it.
        return escape(notice_summary(item))

    def item_pubdate(self, item: NoticePage) -> datetime | None:
        return item.first_published_at

    def item_updateddate(self, item: NoticePage) -> datetime | None:
        return item.last_published_at or item.first_published_at

    def item_categories(self, item: NoticePage) -> tuple[str]:
        return (str(item.get_category_display()),)


class NoticesAtomFeed(NoticesRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj: CommunityPage) -> str:
        return self.description(obj)


def notice_summary(notice: NoticePage, length: int = SUMMARY_LENGTH) -> str:
    """The notice's text without its title, on one line, cut to `length` characters."""
    return Truncator(" ".join(notice_body_text(notice).split())).chars(length)
