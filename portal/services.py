"""State changes of the core. Views, admin screens, consumers and commands call these.

Each function is keyword-only, checks who may act, and runs in one transaction.
Rule violations raise ``ValidationError``; missing rights raise ``PermissionDenied``.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import live
from .models import (
    ROLE_AREA_KIND,
    Area,
    AreaKind,
    Household,
    ResidentProfile,
    ResidentStatus,
    Role,
    RoleAssignment,
    User,
)
from .permissions import Action, can
from .signals import role_assigned
from .topics import account_snapshot, account_topic, verification_snapshot, verification_topic

STAFF_GROUP = "Portal staff"


def _publish_status(profile: ResidentProfile) -> None:
    community = profile.household.unit.ancestor_of_kind(AreaKind.COMMUNITY)
    live.publish(
        account_topic(profile.user_id),
        {"kind": "status", **account_snapshot(profile.user, str(profile.user_id))},
    )
    key = str(community.pk)
    live.publish(
        verification_topic(community.pk),
        {"kind": "queue", **verification_snapshot(None, key)},
    )


@transaction.atomic
def choose_household(*, user: User, household: Household, community: Area) -> ResidentProfile:
    """A user says which household they live in; staff of its community then decide.

    Choosing again (moving house, or after a rejection) starts a new request.
    """
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Log in to choose your household."))
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError(_("Choose a community first."))
    if not household.unit.path.startswith(community.path):
        raise ValidationError(
            _("That household is not in %(community)s.") % {"community": community}
        )
    profile = ResidentProfile.objects.select_for_update().filter(user=user).first()
    if (
        profile
        and profile.household_id == household.pk
        and profile.status != ResidentStatus.REJECTED
    ):
        return profile
    if profile is None:
        profile = ResidentProfile(user=user)
    profile.household = household
    profile.status = ResidentStatus.PENDING
    profile.requested_at = timezone.now()
    profile.decided_by = None
    profile.decided_at = None
    profile.rejection_reason = ""
    profile.save()
    _publish_status(profile)
    return profile


def _decide(*, actor: User, profile_id: int) -> ResidentProfile:
    profile = (
        ResidentProfile.objects.select_for_update()
        .select_related("household__unit", "user")
        .get(pk=profile_id)
    )
    if not can(actor, Action.VERIFY_RESIDENTS, profile.household.unit):
        raise PermissionDenied(_("You may only verify residents of your own community."))
    if profile.status != ResidentStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return profile


@transaction.atomic
def verify_resident(*, actor: User, profile_id: int) -> ResidentProfile:
    profile = _decide(actor=actor, profile_id=profile_id)
    profile.status = ResidentStatus.VERIFIED
    profile.decided_by = actor
    profile.decided_at = timezone.now()
    profile.save(update_fields=["status", "decided_by", "decided_at"])
    _publish_status(profile)
    return profile


@transaction.atomic
def reject_resident(*, actor: User, profile_id: int, reason: str) -> ResidentProfile:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the resident a reason, so they know what to correct."))
    profile = _decide(actor=actor, profile_id=profile_id)
    profile.status = ResidentStatus.REJECTED
    profile.decided_by = actor
    profile.decided_at = timezone.now()
    profile.rejection_reason = reason[:1000]
    profile.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    _publish_status(profile)
    return profile


def staff_group() -> Group:
    """The group that opens the Wagtail admin; scope inside it comes from role assignments."""
    group, created = Group.objects.get_or_create(name=STAFF_GROUP)
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return group


@transaction.atomic
def assign_role(*, actor: User | None, user: User, role: str, area: Area) -> RoleAssignment:
    """Give `user` a role over `area`. `actor=None` is the system (demo data, shell)."""
    role = Role(role)
    if area.kind != ROLE_AREA_KIND[role]:
        raise ValidationError(
            _("A %(role)s is assigned to a %(kind)s.")
            % {"role": role.label, "kind": AreaKind(ROLE_AREA_KIND[role]).label}
        )
    if actor is not None:
        if role == Role.DISTRICT_ADMIN and not actor.is_superuser:
            raise PermissionDenied(_("Only a superuser appoints district administrators."))
        if not can(actor, Action.ASSIGN_ROLES, area):
            raise PermissionDenied(_("You may only assign roles inside your own area."))
    assignment, _created = RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
    user.groups.add(staff_group())
    # Apps that give roles meaning elsewhere (e.g. CMS editing rights) listen for this.
    role_assigned.send(sender=RoleAssignment, assignment=assignment)
    return assignment


@transaction.atomic
def add_household(
    *, actor: User, unit: Area, label: str, floor_area: Decimal | None = None
) -> Household:
    """Staff record a home in one of their units."""
    if unit.kind != AreaKind.UNIT:
        raise ValidationError(_("Households belong to a unit."))
    if not can(actor, Action.MANAGE_AREAS, unit):
        raise PermissionDenied(_("You may only manage places in your own area."))
    label = (label or "").strip()
    if not label:
        raise ValidationError(_("Give the room number."))
    if floor_area is not None and floor_area <= 0:
        raise ValidationError(_("The floor area must be more than zero."))
    if Household.objects.filter(unit=unit, label=label).exists():
        raise ValidationError(_("Room %(label)s already exists in this unit.") % {"label": label})
    return Household.objects.create(unit=unit, label=label, floor_area=floor_area)
