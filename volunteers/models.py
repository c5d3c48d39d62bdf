"""Five-colour volunteer service: themes, activities, shifts, sign-ups and hours."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cms.validators import validate_hex_colour, validate_phone
from portal.models import Area, AreaKind

MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class ServiceTheme(models.Model):
    """One of the five colours, each a service theme."""

    slug = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=30)
    name_en = models.CharField(_("name (English)"), max_length=60)
    colour_name_zh = models.CharField(_("colour (Chinese)"), max_length=4)
    colour_name_en = models.CharField(_("colour (English)"), max_length=20)
    colour = models.CharField(
        _("colour"), max_length=7, validators=[validate_hex_colour], help_text=_("e.g. #c8102e")
    )
    text_colour = models.CharField(
        _("text colour"),
        max_length=7,
        validators=[validate_hex_colour],
        help_text=_("Text shown on the colour; must contrast at least 4.5:1 with it."),
    )
    icon = models.CharField(_("icon name"), max_length=40, default="tag")
    meaning = models.TextField(_("meaning"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("service theme")
        verbose_name_plural = _("service themes")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.colour_label} · {self.name}"

    def _zh(self) -> bool:
        return (translation.get_language() or "").startswith("zh")

    @property
    def name(self) -> str:
        return self.name_zh if self._zh() else self.name_en

    @property
    def colour_label(self) -> str:
        return self.colour_name_zh if self._zh() else self.colour_name_en

    def clean(self) -> None:
        super().clean()
        try:
            validate_hex_colour(self.colour)
            validate_hex_colour(self.text_colour)
        except ValidationError:
            return  # the field validators report it
        ratio = contrast_ratio(self.colour, self.text_colour)
        if ratio < MIN_CONTRAST:
            raise ValidationError(
                {
                    "text_colour": _(
                        "Text on this colour is hard to read (contrast %(ratio).1f:1). "
                        "Choose a text colour with at least 4.5:1, e.g. #ffffff or #000000."
                    )
                    % {"ratio": ratio}
                }
            )


class Activity(models.Model):
    """A volunteering activity of one community, optionally for one grid."""

    theme = models.ForeignKey(
        ServiceTheme, on_delete=models.PROTECT, related_name="activities", verbose_name=_("colour")
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="volunteer_activities",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
        verbose_name=_("community"),
    )
    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": AreaKind.GRID},
        verbose_name=_("grid"),
        help_text=_("Leave empty when residents of the whole community may take part."),
    )
    title = models.CharField(_("title"), max_length=120)
    place = models.CharField(_("place"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    skills_wanted = models.CharField(_("skills wanted"), max_length=200, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organised_activities",
        verbose_name=_("organiser"),
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def scope(self) -> Area:
        """Where residents must live to take part."""
        return self.grid or self.community

    def clean(self) -> None:
        super().clean()
        if self.grid_id and self.community_id and not self.community.contains(self.grid):
            raise ValidationError({"grid": _("Choose a grid of this community.")})


class Shift(models.Model):
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("activity")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("seats"), default=10)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    # Kept under the shift's row lock, so the seat count never drifts from the sign-ups.
    taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    waitlist_counter = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="shift_capacity_positive"),
            models.CheckConstraint(
                condition=Q(taken__lte=F("capacity")), name="shift_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.UniqueConstraint(fields=["activity", "starts_at"], name="shift_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.capacity

    @property
    def hours(self) -> Decimal:
        seconds = (self.ends_at - self.starts_at).total_seconds()
        return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE = [SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]


class Signup(models.Model):
    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="signups", verbose_name=_("shift")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="volunteer_signups",
        verbose_name=_("volunteer"),
    )
    status = models.CharField(_("status"), max_length=12, choices=SignupStatus.choices)
    waitlist_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["shift__starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "user"],
                condition=Q(status__in=["confirmed", "waitlisted"]),
                name="signup_one_active_per_shift",
            ),
        ]
        indexes = [models.Index(fields=["shift", "status", "waitlist_number"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.shift}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def waitlist_position(self) -> int | None:
        if self.status != SignupStatus.WAITLISTED:
            return None
        return Signup.objects.filter(
            shift_id=self.shift_id,
            status=SignupStatus.WAITLISTED,
            waitlist_number__lte=self.waitlist_number,
        ).count()


def _calendar_token() -> str:
    return secrets.token_urlsafe(24)


class VolunteerProfile(models.Model):
    """A resident who has joined the volunteer service."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer_profile"
    )
    themes = models.ManyToManyField(
        ServiceTheme, blank=True, related_name="volunteers", verbose_name=_("colours I like")
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(
        _("when I am free"), max_length=200, blank=True, help_text=_("e.g. weekday evenings")
    )
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        validators=[validate_phone],
        help_text=_("Shown only to the organisers of your shifts."),
    )
    on_leaderboard = models.BooleanField(
        _("show my name and hours on the community's leaderboard"), default=False
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=_calendar_token)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return str(self.user)
