"""The public pages: district home, one page per community, its notices."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from portal.models import Area, AreaKind

from .blocks import NoticeBodyBlock

LATEST_NOTICES = 10


class HomePage(Page):
    """The district portal: communities by sub-district and the latest notices."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CommunityPage"]
    max_count = 1

    class Meta:
        verbose_name = _("district home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        pages = {
            p.area_id: p for p in CommunityPage.objects.live().child_of(self).select_related("area")
        }
        streets = []
        for street in Area.objects.filter(kind=AreaKind.STREET).order_by("path"):
            communities = [
                (community, pages.get(community.pk))
                for community in Area.objects.filter(
                    kind=AreaKind.COMMUNITY, path__startswith=street.path
                ).order_by("path")
            ]
            streets.append((street, communities))
        context["streets"] = streets
        context["latest_notices"] = (
            NoticePage.objects.live().descendant_of(self).order_by("-first_published_at")
        )[:LATEST_NOTICES]
        return context


class CommunityPage(Page):
    """One community (社区): its notices now; halls, activities and grid map later."""

    area = models.OneToOneField(
        Area,
        on_delete=models.PROTECT,
        related_name="community_page",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
        verbose_name=_("community"),
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("area"), FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NoticeIndexPage"]

    class Meta:
        verbose_name = _("community page")

    def notices(self):
        return (
            NoticePage.objects.live().descendant_of(self).order_by("-pinned", "-first_published_at")
        )

    def get_context(self, request, *args, **kwargs):
        from .live import notices_topic

        context = super().get_context(request, *args, **kwargs)
        context["notices"] = self.notices()[:LATEST_NOTICES]
        context["notices_topic"] = notices_topic(self.area_id)
        context["notice_index"] = NoticeIndexPage.objects.live().child_of(self).first()
        return context


class NoticeIndexPage(Page):
    parent_page_types = ["cms.CommunityPage"]
    subpage_types = ["cms.NoticePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("notice list")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["notices"] = (
            NoticePage.objects.live().child_of(self).order_by("-pinned", "-first_published_at")
        )
        return context


class NoticeCategory(models.TextChoices):
    NOTICE = "notice", _("Notice")
    EVENT = "event", _("Event")
    RESULT = "result", _("Result")
    URGENT = "urgent", _("Urgent")


class NoticePage(Page):
    """A staff announcement (公告) to the residents of one community."""

    category = models.CharField(
        _("category"), max_length=10, choices=NoticeCategory.choices, default=NoticeCategory.NOTICE
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    body = StreamField(NoticeBodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("category"),
        FieldPanel("pinned"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("body")]
    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("notice")

    def community_page(self) -> CommunityPage | None:
        return CommunityPage.objects.ancestor_of(self).first()
