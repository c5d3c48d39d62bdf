"""In-portal notifications, and e-mail for those who have not turned it off."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Follow, HallPage, Notification, NotificationKind, NotificationSettings, Post

logger = logging.getLogger(__name__)


def wants_email(user) -> bool:
    prefs = NotificationSettings.objects.filter(user=user).first()
    return bool(user.email) and (prefs is None or prefs.email)


def _email_later(user, subject: str, body: str) -> None:
    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception:
            # The notification is stored; a mail server outage must not undo it.
            logger.exception("Could not e-mail user %s", user.pk)

    transaction.on_commit(send)


def _link(hall: HallPage) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return base + (hall.get_url() or "")


def reply(post: Post) -> None:
    """Tell the author of the post replied to, unless they replied themselves."""
    parent = post.parent
    if parent is None or parent.author_id == post.author_id or parent.deleted:
        return
    hall = post.hall
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(name)s replied to your post in “%(hall)s”.") % {
            "name": post.author_label,
            "hall": hall.title,
        }
        Notification.objects.create(
            user=parent.author, hall=hall, post=post, kind=NotificationKind.REPLY, text=text
        )
        if wants_email(parent.author):
            _email_later(parent.author, text, f"{text}\n\n{_link(hall)}#post-{post.pk}")


def phase_changes(now=None) -> int:
    """Tell followers of every hall whose phase changed; returns notifications made.

    Run every few minutes (``manage.py notify_hall_phases``); a phase is
    announced once per follower, however often this runs.
    """
    from .models import Phase

    now = now or timezone.now()
    made = 0
    followed = HallPage.objects.live().filter(follows__isnull=False).distinct()
    for hall in followed:
        phase = hall.phase_at(now)
        if phase == Phase.UPCOMING:
            continue
        followers = Follow.objects.filter(hall=hall).select_related("user")
        for follow in followers:
            with translation.override(settings.LANGUAGE_CODE):
                text = _("“%(hall)s” is now in the phase: %(phase)s.") % {
                    "hall": hall.title,
                    "phase": phase.label,
                }
                try:
                    with transaction.atomic():
                        Notification.objects.create(
                            user=follow.user,
                            hall=hall,
                            kind=NotificationKind.PHASE,
                            phase=phase,
                            text=text,
                        )
                except IntegrityError:
                    continue  # already told
                made += 1
                if wants_email(follow.user):
                    _email_later(follow.user, text, f"{text}\n\n{_link(hall)}")
    return made
