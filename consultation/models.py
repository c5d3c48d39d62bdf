"""Deliberation halls (议事厅): one community matter, discussed by residents, then voted on."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import NoticeBodyBlock
from portal.models import Area, AreaKind


class Phase(models.TextChoices):
    UPCOMING = "upcoming", _("Not open yet")
    DISCUSSION = "discussion", _("Discussion")
    VOTING = "voting", _("Voting")
    CLOSED = "closed", _("Closed")
    RESULT = "result", _("Result published")


class HallPage(Page):
    """One community matter under deliberation (居民议事厅)."""

    summary = models.TextField(_("summary"), max_length=1000)
    background = StreamField(NoticeBodyBlock(), verbose_name=_("background"), blank=True)
    scope = ParentalManyToManyField(
        Area,
        blank=True,
        related_name="+",
        verbose_name=_("who takes part"),
        help_text=_("Grids or buildings whose residents take part. Empty: the whole community."),
        limit_choices_to={"kind__in": [AreaKind.GRID, AreaKind.BUILDING]},
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organiser"),
    )
    residents_only = models.BooleanField(
        _("only residents may read the posts"),
        default=False,
        help_text=_("When ticked, only verified residents of the community can read the posts."),
    )
    discussion_opens_at = models.DateTimeField(_("discussion opens"))
    voting_opens_at = models.DateTimeField(_("voting opens"))
    closes_at = models.DateTimeField(_("closes"))
    result_published_at = models.DateTimeField(_("result published"), null=True, blank=True)
    minutes = RichTextField(
        _("minutes"),
        blank=True,
        features=["bold", "italic", "ol", "ul", "link"],
        help_text=_("The record of the discussion (议事纪要), written before voting opens."),
    )
    # Copied from the parent community page on save, so posts can be scoped to
    # a community (staff queues, suspensions) without walking the page tree.
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="halls",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("background"),
        MultiFieldPanel(
            [FieldPanel("scope"), FieldPanel("organiser"), FieldPanel("residents_only")],
            heading=_("Who takes part"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("discussion_opens_at"), FieldPanel("voting_opens_at")]),
                FieldRowPanel([FieldPanel("closes_at"), FieldPanel("result_published_at")]),
            ],
            heading=_("Dates"),
        ),
        FieldPanel("minutes"),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary")]
    parent_page_types = ["cms.CommunityPage"]
    subpage_types: list[str] = []
    template = "consultation/hall_page.html"

    class Meta:
        verbose_name = _("deliberation hall")
        verbose_name_plural = _("deliberation halls")

    def clean(self):
        super().clean()
        dates = [self.discussion_opens_at, self.voting_opens_at, self.closes_at]
        if all(dates) and not (dates[0] < dates[1] < dates[2]):
            raise ValidationError(
                {"voting_opens_at": _("Discussion, voting and closing must follow one another.")}
            )
        if (
            self.result_published_at
            and self.closes_at
            and self.result_published_at < self.closes_at
        ):
            raise ValidationError(
                {"result_published_at": _("The result is published after voting closes.")}
            )

    def save(self, *args, **kwargs):
        if self.path and len(self.path) > self.steplen:
            from cms.models import CommunityPage

            area_id = (
                CommunityPage.objects.filter(path=self.path[: -self.steplen])
                .values_list("area_id", flat=True)
                .first()
            )
            if area_id:
                self.community_id = area_id
        return super().save(*args, **kwargs)

    # Phases follow from the dates alone, so nothing has to flip them on time.
    def phase_at(self, now: datetime | None = None) -> Phase:
        now = now or timezone.now()
        if self.result_published_at and now >= self.result_published_at:
            return Phase.RESULT
        if now >= self.closes_at:
            return Phase.CLOSED
        if now >= self.voting_opens_at:
            return Phase.VOTING
        if now >= self.discussion_opens_at:
            return Phase.DISCUSSION
        return Phase.UPCOMING

    @property
    def phase(self) -> Phase:
        return self.phase_at()

    def next_change(self, now: datetime | None = None) -> tuple[str, datetime] | None:
        """What happens next and when, e.g. ("Voting opens", <date>)."""
        phase = self.phase_at(now)
        if phase == Phase.UPCOMING:
            return _("Discussion opens"), self.discussion_opens_at
        if phase == Phase.DISCUSSION:
            return _("Voting opens"), self.voting_opens_at
        if phase == Phase.VOTING:
            return _("Voting closes"), self.closes_at
        if phase == Phase.CLOSED and self.result_published_at:
            return _("Result published"), self.result_published_at
        return None

    @cached_property
    def scope_areas(self) -> list[Area]:
        return list(self.scope.all())

    def participation_areas(self) -> list[Area]:
        """The areas whose residents take part: the scope, or the whole community."""
        if self.scope_areas:
            return self.scope_areas
        return [self.community] if self.community_id else []

    def get_context(self, request, *args, **kwargs):
        from .views import hall_context

        context = super().get_context(request, *args, **kwargs)
        context.update(hall_context(request, self))
        return context


class Stance(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    SUGGESTION = "suggestion", _("Suggestion")
    QUESTION = "question", _("Question")


class PostStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    HELD = "held", _("Held for review")


class PostQuerySet(models.QuerySet):
    def visible(self):
        """Posts readers see (hidden and deleted ones show as placeholders)."""
        return self.filter(status=PostStatus.PUBLISHED)

    def counted(self):
        """Posts that count in the stance summary."""
        return self.filter(status=PostStatus.PUBLISHED, hidden=False, deleted=False)


class Post(models.Model):
    """A resident's contribution (发言) in a hall, or a reply to one."""

    hall = models.ForeignKey(
        HallPage, on_delete=models.CASCADE, related_name="posts", verbose_name=_("hall")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="hall_posts",
        verbose_name=_("author"),
    )
    stance = models.CharField(_("stance"), max_length=12, choices=Stance.choices)
    body = models.TextField(_("text"), blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted = models.BooleanField(_("deleted by the author"), default=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PostStatus.choices, default=PostStatus.PUBLISHED
    )
    held_reason = models.CharField(_("reason held"), max_length=300, blank=True)
    seconds_count = models.PositiveIntegerField(_("seconds"), default=0)
    open_reports = models.PositiveIntegerField(_("open reports"), default=0)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["hall", "parent", "status", "-created_at"]),
            models.Index(fields=["hall", "parent", "status", "-seconds_count"]),
            models.Index(fields=["author", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.author_label}"

    @property
    def author_label(self) -> str:
        # Never the e-mail address: residents see each other's names only.
        return self.author.name or str(_("Resident"))

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None


class PostPhoto(models.Model):
    """A photo a resident attached to a post (e.g. the leaking roof).

    Stored only as the portal re-encoded it (no EXIF, at most 1600 px), under a
    random file name: the uploader's own file name can carry personal details.
    """

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="photos", verbose_name=_("post")
    )
    image = models.ImageField(
        _("photo"),
        upload_to="hall-photos/%Y/%m/",
        max_length=200,
    )
    # Filled by the service from the re-encoded picture, for the <img> size attributes;
    # not width_field/height_field, which would reopen the file when a row is loaded.
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("post photo")
        verbose_name_plural = _("post photos")
        # The order the resident chose them in.
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.post_id} · {self.image.name}"


class Second(models.Model):
    """A resident seconds (附议) a post: once per post, enforced by the database."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="seconds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("second")
        verbose_name_plural = _("seconds")
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="consultation_second_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} → #{self.post_id}"


class Report(models.Model):
    """A reader asks staff to look at a post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="consultation_report_once")
        ]

    def __str__(self) -> str:
        return f"#{self.post_id}: {self.reason}"


class Suspension(models.Model):
    """A user may not post in one community until a date."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hall_suspensions"
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
    )
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        indexes = [models.Index(fields=["user", "community", "until"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.community} · {self.until:%Y-%m-%d}"


class BlockedWord(models.Model):
    """A word or phrase that holds a post for review instead of publishing it."""

    word = models.CharField(_("word or phrase"), max_length=100)
    community = models.ForeignKey(
        Area,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
        verbose_name=_("community"),
        help_text=_("Leave empty to apply it everywhere."),
    )

    panels = [FieldPanel("word"), FieldPanel("community")]

    class Meta:
        verbose_name = _("blocked word")
        verbose_name_plural = _("blocked words")
        ordering = ["word"]
        constraints = [
            models.UniqueConstraint(fields=["word", "community"], name="consultation_word_once")
        ]

    def __str__(self) -> str:
        return self.word


class ModerationAction(models.TextChoices):
    HELD = "held", _("Held for review")
    PUBLISHED = "published", _("Published a held post")
    HIDDEN = "hidden", _("Hidden")
    RESTORED = "restored", _("Restored")
    DISMISSED = "dismissed", _("Dismissed reports")
    SUSPENDED = "suspended", _("Suspended a user")
    MINUTES = "minutes", _("Wrote the minutes")


class ModerationLog(models.Model):
    """Who did what to which post or person, when and why. Rows are never changed."""

    community = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    hall = models.ForeignKey(HallPage, on_delete=models.SET_NULL, null=True, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text=_("Empty when the portal itself acted, e.g. on a blocked word."),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=12, choices=ModerationAction.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class Follow(models.Model):
    """A resident follows a hall: phase changes reach them as notifications."""

    hall = models.ForeignKey(HallPage, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hall_follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "user"], name="consultation_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.hall}"


class NotificationKind(models.TextChoices):
    PHASE = "phase", _("Phase change")
    REPLY = "reply", _("Reply to your post")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hall_notifications"
    )
    hall = models.ForeignKey(HallPage, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    # The phase a PHASE notification announces; unique per hall and user below.
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "hall", "phase"],
                condition=Q(kind="phase"),
                name="consultation_phase_notice_once",
            )
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        """The text in the reader's language, built when shown rather than stored."""
        from django.utils.translation import gettext

        if self.kind == NotificationKind.REPLY and self.post is not None:
            return gettext("%(name)s replied to your post in “%(hall)s”.") % {
                "name": self.post.author_label,
                "hall": self.hall.title,
            }
        if self.kind == NotificationKind.PHASE and self.phase:
            return gettext("“%(hall)s” is now in the phase: %(phase)s.") % {
                "hall": self.hall.title,
                "phase": Phase(self.phase).label,
            }
        return self.text


class NotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
    )
    email = models.BooleanField(_("also send me e-mail"), default=True)

    def __str__(self) -> str:
        return f"{self.user}: e-mail {'on' if self.email else 'off'}"


from .polls import Ballot, BallotBox, Option, Participation, Poll  # noqa: E402,F401
