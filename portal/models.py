"""The community tree, households, residents and role assignments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


class User(AbstractUser):
    """A person with an account. E-mail is the login; `name` is what others see."""

    name = models.CharField(_("name"), max_length=60, blank=True)

    def __str__(self) -> str:
        return self.name or self.email or self.username

    @property
    def display_name(self) -> str:
        return str(self)


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Sub-district")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Unit")


# Which kind of area may sit directly under which.
CHILD_KIND = {
    AreaKind.DISTRICT: AreaKind.STREET,
    AreaKind.STREET: AreaKind.COMMUNITY,
    AreaKind.COMMUNITY: AreaKind.GRID,
    AreaKind.GRID: AreaKind.BUILDING,
    AreaKind.BUILDING: AreaKind.UNIT,
}


class AreaQuerySet(MP_NodeQuerySet):
    def within(self, area: Area) -> AreaQuerySet:
        """The area itself and everything below it."""
        return self.filter(path__startswith=area.path)


class AreaManager(MP_NodeManager):
    def get_queryset(self) -> AreaQuerySet:
        return AreaQuerySet(self.model, using=self._db).order_by("path")

    def within(self, area: Area) -> AreaQuerySet:
        return self.get_queryset().within(area)


class Area(MP_Node):
    """One place in the district → street → community → grid → building → unit tree."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=AreaKind.choices)
    code = models.SlugField(
        _("code"),
        max_length=120,
        unique=True,
        help_text=_("Stable identifier, e.g. for imports and the demo data."),
    )

    objects = AreaManager()

    # treebeard keeps insertion order among siblings; buildings are added in number order.
    node_order_by: list[str] = []

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return self.name

    def full_name(self) -> str:
        """Names from the community down, e.g. '居然社区 第3网格 12号楼 2单元'."""
        names = [a.name for a in self.get_ancestors() if a.depth >= 3] + [self.name]
        return " ".join(names)

    def ancestor_of_kind(self, kind: str) -> Area | None:
        if self.kind == kind:
            return self
        return self.get_ancestors().filter(kind=kind).first()

    def contains(self, other: Area) -> bool:
        """True when `other` is this area or lies below it."""
        return other.path.startswith(self.path)

    def add_area(self, *, name: str, kind: str, code: str) -> Area:
        if CHILD_KIND.get(self.kind) != kind:
            raise ValueError(f"A {kind} cannot be placed under a {self.kind}.")
        return self.add_child(name=name, kind=kind, code=code)


class HouseholdQuerySet(models.QuerySet):
    def within(self, area: Area) -> HouseholdQuerySet:
        return self.filter(unit__path__startswith=area.path)


class Household(models.Model):
    """A home in a unit. Floor area matters for owners' double-majority decisions."""

    unit = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"kind": AreaKind.UNIT},
        verbose_name=_("unit"),
    )
    label = models.CharField(_("room"), max_length=40, help_text=_("Room number, e.g. 501"))
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit__path", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "label"], name="household_unique_label_in_unit"
            ),
            models.CheckConstraint(
                condition=Q(floor_area__isnull=True) | Q(floor_area__gt=0),
                name="household_floor_area_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.full_name()} {self.label}"


class ResidentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class ResidentProfile(models.Model):
    """A user's claim to live in a household, and the staff decision on it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_profile"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ResidentStatus.choices, default=ResidentStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.household}"

    @property
    def is_verified(self) -> bool:
        return self.status == ResidentStatus.VERIFIED


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_ADMIN = "street_admin", _("Sub-district administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")


# The kind of area each role is assigned to.
ROLE_AREA_KIND = {
    Role.GRID_WORKER: AreaKind.GRID,
    Role.COMMUNITY_STAFF: AreaKind.COMMUNITY,
    Role.STREET_ADMIN: AreaKind.STREET,
    Role.DISTRICT_ADMIN: AreaKind.DISTRICT,
}


class RoleAssignment(models.Model):
    """A user answers for an area in a role: a grid worker for a grid, staff for a community."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("area")
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area"], name="role_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"
