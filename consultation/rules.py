"""Who may read, post in and moderate a hall. Services and templates both ask here."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from portal.permissions import Action, can, resident_unit_path

from .models import HallPage, Phase, Suspension


def may_moderate(user, hall: HallPage) -> bool:
    return hall.community is not None and can(user, Action.MANAGE_CONTENT, hall.community)


def may_read(user, hall: HallPage) -> bool:
    """May `user` read the posts of `hall`? The hall's own page is public either way."""
    if not hall.residents_only:
        return True
    if hall.community is None:
        return False
    return can(user, Action.PARTICIPATE, hall.community) or may_moderate(user, hall)


def in_scope(user, hall: HallPage) -> bool:
    unit_path = resident_unit_path(user)
    if unit_path is None:
        return False
    return any(unit_path.startswith(area.path) for area in hall.participation_areas())


def active_suspension(user, community_id: int | None, now: datetime | None = None):
    if not (user and user.is_authenticated) or community_id is None:
        return None
    return (
        Suspension.objects.filter(
            user=user, community_id=community_id, until__gt=now or timezone.now()
        )
        .order_by("-until")
        .first()
    )


class Refusal(NamedTuple):
    # login | verify | scope | suspended | phase
    code: str
    message: str


def participation_refusal(user, hall: HallPage, now: datetime | None = None) -> Refusal | None:
    """Why `user` may not post in or second posts of `hall` now; None when they may."""
    now = now or timezone.now()
    if not (user and user.is_authenticated and user.is_active):
        return Refusal("login", _("Log in to take part in the discussion."))
    profile = getattr(user, "resident_profile", None)
    if resident_unit_path(user) is None:
        if profile is None:
            return Refusal("verify", _("Choose and verify your household to take part."))
        return Refusal(
            "verify",
            _("Your household has to be verified by community staff before you take part."),
        )
    if not in_scope(user, hall):
        return Refusal(
            "scope", _("Your home lies outside this hall's scope, so you cannot take part here.")
        )
    suspension = active_suspension(user, hall.community_id, now)
    if suspension is not None:
        until = formats.date_format(timezone.localtime(suspension.until), "Y-m-d H:i")
        return Refusal(
            "suspended",
            _("You are suspended from posting in this community until %(date)s.") % {"date": until},
        )
    phase = hall.phase_at(now)
    if phase == Phase.UPCOMING:
        return Refusal("phase", _("The discussion has not opened yet."))
    if phase != Phase.DISCUSSION:
        return Refusal("phase", _("The discussion is closed."))
    return None
