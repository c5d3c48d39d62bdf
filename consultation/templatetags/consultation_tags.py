from django import template

from ..models import HallPage, Notification

register = template.Library()


@register.simple_tag
def community_halls(community_page):
    """The live halls of a community, newest discussion first."""
    return list(
        HallPage.objects.live().child_of(community_page).order_by("-discussion_opens_at")[:10]
    )


@register.simple_tag
def unread_notifications(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
