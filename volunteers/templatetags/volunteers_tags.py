from django import template
from django.utils import timezone

from ..models import Shift

register = template.Library()


@register.simple_tag
def community_activities(area_id, limit=5):
    """A community's activities with shifts still to come, soonest first."""
    upcoming = Shift.objects.filter(
        activity__community_id=area_id,
        activity__cancelled=False,
        cancelled=False,
        starts_at__gt=timezone.now(),
    ).select_related("activity__theme")
    seen, activities = set(), []
    for shift in upcoming.order_by("starts_at")[:200]:
        if shift.activity_id not in seen:
            seen.add(shift.activity_id)
            shift.activity.next_shift = shift
            activities.append(shift.activity)
        if len(activities) >= limit:
            break
    return activities
