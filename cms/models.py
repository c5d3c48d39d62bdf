"""The public pages: district home, one page per community, its notices."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import DraftStateMixin, Page, PageManager, RevisionMixin
from wagtail.query import PageQuerySet
from wagtail.search import index

from portal.models import Area, AreaKind
from portal.sanitize import plain_text

from .blocks import NoticeBodyBlock
from .validators import normalise_phone, validate_hex_colour, validate_phone, validate_polygon

LATEST_NOTICES = 10


def your_grid(user) -> dict | None:
    """A verified resident's own grid and the first people to call there."""
    from portal.permissions import resident_unit_path

    unit_path = resident_unit_path(user)
    if unit_path is None:
        return None
    grid = Area.objects.filter(kind=AreaKind.GRID, path=unit_path[: 4 * Area.steplen]).first()
    if grid is None:
        return None
    from .views import grid_people

    return {"grid": grid, "community": grid.get_parent(), "people": list(grid_people(grid)[:3])}


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
            NoticePage.objects.current().descendant_of(self).order_by("-first_published_at")
        )[:LATEST_NOTICES]
        context["your_grid"] = your_grid(request.user)
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
    subpage_types = ["cms.NoticeIndexPage", "consultation.HallPage"]

    class Meta:
        verbose_name = _("community page")

    def notices(self):
        return (
            NoticePage.objects.current()
            .descendant_of(self)
            .order_by("-pinned", "-first_published_at")
        )

    def get_context(self, request, *args, **kwargs):
        from .live import notices_topic
        from .maps import map_context

        context = super().get_context(request, *args, **kwargs)
        notices = list(self.notices()[:LATEST_NOTICES])
        context["notices"] = notices
        context["urgent_notices"] = [n for n in notices if n.category == NoticeCategory.URGENT]
        context["notices_topic"] = notices_topic(self.area_id)
        context["notice_index"] = NoticeIndexPage.objects.live().child_of(self).first()
        context["grids"] = Area.objects.filter(kind=AreaKind.GRID, path__startswith=self.area.path)
        context["grid_map"] = map_context(self.area)
        context["your_grid"] = your_grid(request.user)
        context["polls"] = community_polls(self.area)
        return context


def community_polls(area: Area) -> list:
    """Community-wide polls (those of a hall show on the hall) still open or just closed."""
    from consultation.polls import Poll

    recent = timezone.now() - timedelta(days=30)
    return list(
        Poll.objects.filter(community=area, hall__isnull=True)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=recent))
        .order_by("closes_at", "id")[:10]
    )


class NoticeIndexPage(Page):
    parent_page_types = ["cms.CommunityPage"]
    subpage_types = ["cms.NoticePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("notice list")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["notices"] = (
            NoticePage.objects.current().child_of(self).order_by("-pinned", "-first_published_at")
        )
        return context


class NoticeCategory(models.TextChoices):
    NOTICE = "notice", _("Notice")
    EVENT = "event", _("Event")
    RESULT = "result", _("Result")
    URGENT = "urgent", _("Urgent")


class NoticeQuerySet(PageQuerySet):
    def current(self):
        """Live and not past expiry, even before the scheduler has unpublished it."""
        return self.live().filter(Q(expire_at__isnull=True) | Q(expire_at__gt=timezone.now()))


class NoticePage(Page):
    """A staff announcement (公告) to the residents of one community."""

    category = models.CharField(
        _("category"), max_length=10, choices=NoticeCategory.choices, default=NoticeCategory.NOTICE
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    body = StreamField(NoticeBodyBlock(), verbose_name=_("body"), blank=True)
    scope_areas = ParentalManyToManyField(
        Area,
        blank=True,
        related_name="+",
        verbose_name=_("only for these grids or buildings"),
        help_text=_("Leave empty for the whole community."),
        limit_choices_to={"kind__in": [AreaKind.GRID, AreaKind.BUILDING]},
    )
    # Title and body as plain text, kept on save: Chinese has no spaces between words,
    # so search matches substrings of this instead of relying on word tokenisers.
    search_text = models.TextField(editable=False, blank=True, default="")

    objects = PageManager.from_queryset(NoticeQuerySet)()

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("category"), FieldPanel("pinned"), FieldPanel("scope_areas")],
            heading=_("Notice"),
        ),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("search_text")]
    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("notice")

    def community_page(self) -> CommunityPage | None:
        return CommunityPage.objects.ancestor_of(self).first()

    def full_clean(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        super().full_clean(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.go_live_at and self.expire_at and self.expire_at <= self.go_live_at:
            raise ValidationError({"expire_at": _("The notice must expire after it goes live.")})

    def build_search_text(self) -> str:
        parts = [self.title]
        for block in self.body or []:
            if block.block_type == "paragraph":
                parts.append(plain_text(block.value.source))
            elif block.block_type == "callout":
                parts.append(plain_text(block.value["text"].source))
            elif block.block_type == "image":
                parts.append(block.value.get("caption") or "")
            elif block.block_type == "table":
                for row in (block.value or {}).get("data") or []:
                    parts.extend(str(cell) for cell in row if cell)
        return "\n".join(p for p in parts if p)


class GridWorkerRole(models.TextChoices):
    # Declared in the order cards are listed on a grid page.
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    BUILDING_LEADER = "building_leader", _("Building leader")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    VOLUNTEER = "volunteer", _("Volunteer")


ROLE_ORDER = {role.value: index for index, role in enumerate(GridWorkerRole)}


class GridWorkerQuerySet(models.QuerySet):
    def published(self):
        """Cards residents may see: live and with the person's consent."""
        return self.filter(live=True, consent=True)

    def for_area(self, area: Area):
        """Cards covering `area` or any area above it up to its grid (a building's
        people include the grid's)."""
        from portal.permissions import ancestor_paths

        return self.filter(areas__path__in=ancestor_paths(area.path)).distinct()

    def in_role_order(self):
        return self.order_by(
            models.Case(
                *[models.When(role=role, then=order) for role, order in ROLE_ORDER.items()],
                output_field=models.IntegerField(),
            ),
            "sort_order",
            "name",
        )


class GridWorker(DraftStateMixin, RevisionMixin, index.Indexed, ClusterableModel):
    """A published contact card (服务联系卡): who answers for a grid or building."""

    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="grid_workers",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=40)
    role = models.CharField(_("role"), max_length=20, choices=GridWorkerRole.choices)
    phone = models.CharField(_("phone"), max_length=30, validators=[validate_phone])
    photo = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    duties = models.TextField(_("duties"), blank=True, max_length=500)
    service_hours = models.CharField(_("service hours"), max_length=100, blank=True)
    areas = ParentalManyToManyField(
        Area,
        related_name="contact_cards",
        verbose_name=_("grids and buildings covered"),
        limit_choices_to={"kind__in": [AreaKind.GRID, AreaKind.BUILDING]},
    )
    consent = models.BooleanField(
        _("consent to publish"),
        default=False,
        help_text=_(
            "The person agreed that their photo, name and phone are shown to residents. "
            "Without it the card is never published."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("order within the role"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_cards",
        verbose_name=_("portal account"),
    )
    revisions = GenericRelation("wagtailcore.Revision", related_query_name="grid_worker")

    objects = GridWorkerQuerySet.as_manager()

    panels = [
        FieldPanel("community"),
        FieldPanel("name"),
        FieldPanel("role"),
        FieldPanel("phone"),
        FieldPanel("photo"),
        FieldPanel("duties"),
        FieldPanel("service_hours"),
        FieldPanel("areas"),
        FieldPanel("sort_order"),
        FieldPanel("consent"),
        FieldPanel("user"),
    ]
    search_fields = [index.SearchField("name"), index.FilterField("community")]

    class Meta:
        verbose_name = _("contact card")
        verbose_name_plural = _("contact cards")

    def __str__(self) -> str:
        return f"{self.name} · {self.get_role_display()}"

    @property
    def tel_href(self) -> str:
        return "tel:" + normalise_phone(self.phone)

    def clean(self):
        super().clean()
        if self.live and not self.consent:
            raise ValidationError(
                {"consent": _("Without the person's consent the card cannot be published.")}
            )


class GridMap(models.Model):
    """A community's schematic (网格示意图): a base image with each grid outlined on it."""

    community = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="grid_map",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
        verbose_name=_("community"),
    )
    base_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("base image"),
        help_text=_("A schematic drawing or aerial photo of the community."),
    )
    title = models.CharField(_("title"), max_length=100, blank=True)

    panels = [FieldPanel("community"), FieldPanel("title"), FieldPanel("base_image")]

    class Meta:
        verbose_name = _("grid map")
        verbose_name_plural = _("grid maps")

    def __str__(self) -> str:
        return self.title or str(self.community)


class GridOutline(models.Model):
    """One grid drawn on a map, as a polygon in coordinates relative to the image (0..1)."""

    grid_map = models.ForeignKey(GridMap, on_delete=models.CASCADE, related_name="outlines")
    grid = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="outline",
        limit_choices_to={"kind": AreaKind.GRID},
        verbose_name=_("grid"),
    )
    label = models.CharField(_("label"), max_length=40)
    colour = models.CharField(
        _("colour"), max_length=7, default="#1f77b4", validators=[validate_hex_colour]
    )
    points = models.JSONField(_("outline points"), validators=[validate_polygon])
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("grid outline")
        verbose_name_plural = _("grid outlines")
        ordering = ["grid__path"]

    def __str__(self) -> str:
        return self.label

    def clean(self):
        super().clean()
        if (
            self.grid_id
            and self.grid_map_id
            and not self.grid.path.startswith(self.grid_map.community.path)
        ):
            raise ValidationError({"grid": _("This grid belongs to another community.")})
