"""The public `activity:<id>` topic: free seats and waiting lists of an activity's shifts."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal import live

from .models import Activity, Shift, Signup, SignupStatus


def activity_topic(activity_id: int) -> str:
    return f"activity:{activity_id}"


def shift_data(shift: Shift, waitlist: int | None = None) -> dict:
    if waitlist is None:
        waitlist = Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).count()
    if shift.cancelled:
        label = _("Cancelled")
    elif shift.is_full:
        label = _("full — join waitlist")
    else:
        label = _("%(free)s of %(capacity)s seats free") % {
            "free": shift.free,
            "capacity": shift.capacity,
        }
    return {
        "id": shift.pk,
        "capacity": shift.capacity,
        "taken": shift.taken,
        "free": shift.free,
        "full": shift.is_full,
        "waitlist": waitlist,
        "cancelled": shift.cancelled,
        "label": label,
        "waitlist_label": _("%(count)s waiting") % {"count": waitlist} if waitlist else "",
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
