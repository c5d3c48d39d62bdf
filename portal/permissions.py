"""Who may do what, where. Every app asks here; none keeps its own rules.

Roles are assigned to one area and reach everything below it: community staff of
居然社区 manage its grids, buildings and households, and nothing in 光明社区.
Residents act (post, vote, sign up) inside the areas that contain their verified
household.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet

from .models import Area, ResidentStatus, Role, RoleAssignment


class Action(StrEnum):
    VIEW_RESIDENTS = "view_residents"
    VERIFY_RESIDENTS = "verify_residents"
    MANAGE_CONTENT = "manage_content"
    MANAGE_AREAS = "manage_areas"
    ASSIGN_ROLES = "assign_roles"
    PARTICIPATE = "participate"


_STAFF_ACTIONS = frozenset(
    {
        Action.VIEW_RESIDENTS,
        Action.VERIFY_RESIDENTS,
        Action.MANAGE_CONTENT,
        Action.MANAGE_AREAS,
        Action.ASSIGN_ROLES,
    }
)

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.GRID_WORKER: frozenset({Action.VIEW_RESIDENTS}),
    Role.COMMUNITY_STAFF: _STAFF_ACTIONS,
    Role.STREET_ADMIN: _STAFF_ACTIONS,
    Role.DISTRICT_ADMIN: _STAFF_ACTIONS,
}


def ancestor_paths(path: str) -> list[str]:
    """Paths of the area at `path` and of every area above it."""
    return [path[:i] for i in range(Area.steplen, len(path) + 1, Area.steplen)]


def _roles_granting(action: Action) -> list[str]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def resident_unit_path(user) -> str | None:
    """Path of the unit a verified resident lives in, or None."""
    if not _active(user):
        return None
    profile = getattr(user, "resident_profile", None)
    if profile is None or profile.status != ResidentStatus.VERIFIED:
        return None
    return profile.household.unit.path


def areas_where(user, action: Action) -> list[Area]:
    """The topmost areas in which `user` may perform `action` (empty when nowhere)."""
    if not _active(user):
        return []
    if action == Action.PARTICIPATE:
        profile = getattr(user, "resident_profile", None)
        if profile is None or profile.status != ResidentStatus.VERIFIED:
            return []
        return [profile.household.unit]
    if user.is_superuser:
        return list(Area.get_root_nodes())
    assignments = RoleAssignment.objects.filter(
        user=user, role__in=_roles_granting(action)
    ).select_related("area")
    return [a.area for a in assignments]


def can(user, action: Action, area: Area) -> bool:
    """May `user` perform `action` in `area`?"""
    if not _active(user) or area is None:
        return False
    if action == Action.PARTICIPATE:
        unit_path = resident_unit_path(user)
        # A resident takes part in every area that contains their home.
        return unit_path is not None and unit_path.startswith(area.path)
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(
        user=user, role__in=_roles_granting(action), area__path__in=ancestor_paths(area.path)
    ).exists()


def scope_filter(user, action: Action, path_field: str = "path") -> Q:
    """A Q object limiting a queryset to rows whose area lies where `user` may act.

    `path_field` names the Area path seen from the queried model, e.g.
    ``"household__unit__path"`` for resident profiles. Staff actions reach the
    areas below an assignment; PARTICIPATE reaches the areas above a home.
    """
    if not _active(user):
        return Q(pk__in=[])
    if action == Action.PARTICIPATE:
        # Residents act in the areas that contain their home, i.e. above their unit.
        unit_path = resident_unit_path(user)
        if unit_path is None:
            return Q(pk__in=[])
        return Q(**{f"{path_field}__in": ancestor_paths(unit_path)})
    if user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for area in areas_where(user, action):
        q |= Q(**{f"{path_field}__startswith": area.path})
    return q


def restrict(queryset: QuerySet, user, action: Action, path_field: str = "path") -> QuerySet:
    return queryset.filter(scope_filter(user, action, path_field))


def is_portal_staff(user) -> bool:
    """Has any staff role at all (used to show staff entry points)."""
    if not _active(user):
        return False
    return user.is_superuser or RoleAssignment.objects.filter(user=user).exists()
