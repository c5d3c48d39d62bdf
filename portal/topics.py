"""Live topics owned by the core: a resident's own status and a verification queue."""

from __future__ import annotations

from . import live
from .models import Area, AreaKind, ResidentProfile, ResidentStatus
from .permissions import Action, can


def account_topic(user_id: int) -> str:
    return f"account:{user_id}"


def verification_topic(community_id: int) -> str:
    return f"verification:{community_id}"


def _authorize_account(user, key: str) -> bool:
    return bool(user.is_authenticated and str(user.pk) == key)


def account_snapshot(user, key: str) -> dict:
    profile = ResidentProfile.objects.select_related("household__unit").filter(user_id=key).first()
    if profile is None:
        return {"status": None}
    return {
        "status": profile.status,
        "status_label": str(profile.get_status_display()),
        "household": str(profile.household),
        "rejection_reason": profile.rejection_reason,
    }


def _community(key: str) -> Area | None:
    if not key.isdigit():
        return None
    return Area.objects.filter(pk=int(key), kind=AreaKind.COMMUNITY).first()


def _authorize_verification(user, key: str) -> bool:
    community = _community(key)
    return community is not None and can(user, Action.VERIFY_RESIDENTS, community)


def verification_snapshot(user, key: str) -> dict:
    community = _community(key)
    pending = ResidentProfile.objects.filter(
        status=ResidentStatus.PENDING, household__unit__path__startswith=community.path
    ).count()
    return {"pending": pending}


live.register("account", authorize=_authorize_account, snapshot=account_snapshot)
live.register("verification", authorize=_authorize_verification, snapshot=verification_snapshot)
