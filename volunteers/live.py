"""The public `activity:<id>` topic: free seats and waiting lists of an activity's shifts."""

from __future__ import annotations

from portal import live

from .models import Activity, Shift, Signup, SignupStatus


def activity_topic(activity_id: int) -> str:
    return f"activity:{activity_id}"


def shift_data(shift: Shift, waitlist: int | None = None) -> dict:
    """Numbers only: each page words them in its reader's language."""
    if waitlist is None:
        waitlist = Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).count()
    return {
        "id": shift.pk,
        "capacity": shift.capacity,
        "taken": shift.taken,
        "free": shift.free,
        "full": shift.is_full,
        "waitlist": waitlist,
        "cancelled": shift.cancelled,
    }


def publish_shift(shift: Shift) -> None:
    live.publish(activity_topic(shift.activity_id), {"kind": "shift", "shift": shift_data(shift)})


def _authorize(user, key: str) -> bool:
    # Seat counts are public, like the activity page itself.
    return key.isdigit() and Activity.objects.filter(pk=int(key)).exists()


def _snapshot(user, key: str) -> dict:
    shifts = Shift.objects.filter(activity_id=int(key))
    return {"shifts": [shift_data(s) for s in shifts]}


live.register("activity", authorize=_authorize, snapshot=_snapshot)
