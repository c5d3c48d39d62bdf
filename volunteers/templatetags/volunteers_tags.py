from django import template
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..models import Activity, Shift

register = template.Library()


@register.simple_tag
def community_activities(area_id, limit=5):
    """A community's activities with shifts still to come, soonest first.

    Two small queries whatever the number of shifts: the activities ordered by their
    next shift (a subquery), then those next shifts.
    """
    upcoming = Shift.objects.filter(
        activity=OuterRef("pk"), cancelled=False, starts_at__gt=timezone.now()
    ).order_by("starts_at", "pk")
    activities = list(
        Activity.objects.filter(community_id=area_id, cancelled=False)
        .annotate(
            next_shift_id=Subquery(upcoming.values("pk")[:1]),
            next_start=Subquery(upcoming.values("starts_at")[:1]),
        )
        .filter(next_shift_id__isnull=False)
        .select_related("theme")
        .order_by("next_start", "pk")[:limit]
    )
    shifts = Shift.objects.in_bulk([a.next_shift_id for a in activities])
    for activity in activities:
        activity.next_shift = shifts[activity.next_shift_id]
    return activities
