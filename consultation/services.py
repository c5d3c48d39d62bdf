"""State changes of deliberation halls. Views, admin screens and commands call these.

Each function is keyword-only, checks who may act, and runs in one transaction.
Rule violations raise ``ValidationError``; missing rights raise ``PermissionDenied``.
Live events and notifications leave only after the change commits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import live
from portal.models import Area, AreaKind, User
from portal.sanitize import clean_html, plain_text

from . import notify
from .live import hall_topic, post_event
from .models import (
    BlockedWord,
    HallPage,
    ModerationAction,
    ModerationLog,
    Phase,
    Post,
    PostPhoto,
    PostStatus,
    Report,
    Second,
    Stance,
    Suspension,
)
from .photos import prepare_photos
from .rules import may_moderate, may_read, participation_refusal

logger = logging.getLogger(__name__)

MAX_POST_CHARS = 5000
# Raw input above this is refused before sanitising: nobody types 50,000 characters of markup.
MAX_RAW_CHARS = 50_000
EDIT_WINDOW = timedelta(minutes=15)
RATE_LIMIT_POSTS = 10
RATE_LIMIT_WINDOW = timedelta(minutes=10)
MAX_REASON_CHARS = 300
MAX_SUSPENSION_DAYS = 365

_BLOCK_TAG = re.compile(r"<(p|ul|ol|li)\b", re.IGNORECASE)


def prepare_body(raw: str) -> str:
    """Sanitise what a resident typed; plain text becomes paragraphs.

    Residents mostly type plain text into a text box, so blank lines start new
    paragraphs and single line breaks are kept; HTML they paste is reduced to the
    portal's allow-list.
    """
    raw = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(raw) > MAX_RAW_CHARS:
        raise ValidationError(
            _("Posts can be at most %(n)s characters long.") % {"n": MAX_POST_CHARS}
        )
    cleaned = clean_html(raw).strip()
    if not _BLOCK_TAG.search(cleaned):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cleaned) if p.strip()]
        cleaned = "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)
        # The segments came out of the sanitiser; clean once more so the result is
        # exactly what the allow-list produces.
        cleaned = clean_html(cleaned)
    text = plain_text(cleaned)
    if not text:
        raise ValidationError(_("Write something before you post."))
    if len(text) > MAX_POST_CHARS:
        raise ValidationError(
            _("Posts can be at most %(n)s characters long (yours has %(count)s).")
            % {"n": MAX_POST_CHARS, "count": len(text)}
        )
    return cleaned


def blocked_word_in(text: str, community_id: int | None) -> str | None:
    words = BlockedWord.objects.filter(Q(community__isnull=True) | Q(community_id=community_id))
    lowered = text.casefold()
    for word in words.values_list("word", flat=True):
        if word.strip() and word.strip().casefold() in lowered:
            return word.strip()
    return None


def _log(
    *,
    hall: HallPage,
    action: str,
    actor: User | None,
    post: Post | None = None,
    subject: User | None = None,
    reason: str = "",
) -> ModerationLog:
    return ModerationLog.objects.create(
        community_id=hall.community_id,
        hall=hall,
        post=post,
        actor=actor,
        subject=subject if subject is not None else (post.author if post else None),
        action=action,
        reason=reason[:MAX_REASON_CHARS],
    )


def _check_participation(user: User, hall: HallPage) -> None:
    refusal = participation_refusal(user, hall)
    if refusal is None:
        return
    # A closed hall is a rule of the hall; the rest are about who is asking.
    if refusal.code == "phase":
        raise ValidationError(refusal.message)
    raise PermissionDenied(refusal.message)


def _check_rate(user: User, now) -> None:
    # Lock the author's row so two simultaneous posts cannot both pass the count.
    User.objects.select_for_update().filter(pk=user.pk).first()
    recent = Post.objects.filter(author=user, created_at__gt=now - RATE_LIMIT_WINDOW).count()
    if recent >= RATE_LIMIT_POSTS:
        raise ValidationError(
            _(
                "You have posted %(n)s times in the last %(minutes)s minutes. "
                "Please wait a few minutes before posting again."
            )
            % {"n": recent, "minutes": int(RATE_LIMIT_WINDOW.total_seconds() // 60)}
        )


def _publish_post_event(post: Post, kind: str) -> None:
    live.publish(hall_topic(post.hall_id), post_event(post, kind))


def publish_post(
    *,
    user: User,
    hall: HallPage,
    body: str,
    stance: str = "",
    parent: Post | None = None,
    photos: Iterable[UploadedFile] = (),
) -> Post:
    """A resident speaks in a hall, or replies to a post, with up to three photos.

    A reply to a reply attaches to the top post: there is one level of replies.
    A post containing a blocked word is held for staff review instead of published.
    """
    written: list[str] = []
    try:
        return _publish_post(
            user=user,
            hall=hall,
            body=body,
            stance=stance,
            parent=parent,
            photos=photos,
            written=written,
        )
    except BaseException:
        # The transaction rolled back (or failed to commit), so no row points at the
        # files written for it: remove them rather than leave strays in MEDIA_ROOT.
        _delete_files(written)
        raise


def _delete_files(names: Iterable[str]) -> None:
    storage = PostPhoto._meta.get_field("image").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete photo file %s", name, exc_info=True)


@transaction.atomic
def _publish_post(
    *,
    user: User,
    hall: HallPage,
    body: str,
    stance: str,
    parent: Post | None,
    photos: Iterable[UploadedFile],
    written: list[str],
) -> Post:
    _check_participation(user, hall)
    if parent is not None:
        if parent.hall_id != hall.pk:
            raise ValidationError(_("That post belongs to another hall."))
        if parent.parent_id is not None:
            parent = parent.parent
        if parent.status != PostStatus.PUBLISHED:
            raise ValidationError(_("You can only reply to published posts."))
    if stance not in Stance.values:
        if parent is None:
            raise ValidationError(_("Choose whether you are for, against, suggesting or asking."))
        stance = Stance.SUGGESTION
    cleaned = prepare_body(body)
    # Every photo is checked and re-encoded in memory before anything is saved.
    clean_photos = prepare_photos(photos)
    now = timezone.now()
    _check_rate(user, now)
    post = Post(hall=hall, author=user, stance=stance, body=cleaned, parent=parent, created_at=now)
    word = blocked_word_in(plain_text(cleaned), hall.community_id)
    if word:
        post.status = PostStatus.HELD
        post.held_reason = _("Contains “%(word)s”") % {"word": word}
    post.save()
    for clean in clean_photos:
        photo = PostPhoto(post=post, uploaded_at=now, width=clean.width, height=clean.height)
        # save=False writes the file only; record its name before the row is saved so
        # the caller can remove it if anything after this point fails.
        photo.image.save(clean.name, ContentFile(clean.content), save=False)
        written.append(photo.image.name)
        photo.save()
    if word:
        _log(
            hall=hall, action=ModerationAction.HELD, actor=None, post=post, reason=post.held_reason
        )
    else:
        _announce_new(post)
    return post


def _announce_new(post: Post) -> None:
    _publish_post_event(post, "reply" if post.parent_id else "post")
    if post.parent_id:
        notify.reply(post)


def _own_post(user: User, post_id: int) -> Post:
    post = Post.objects.select_for_update().select_related("hall").filter(pk=post_id).first()
    if post is None:
        raise ValidationError(_("That post no longer exists."))
    if not (user and user.is_authenticated) or post.author_id != user.pk:
        raise PermissionDenied(_("You can only change your own posts."))
    if post.deleted:
        raise ValidationError(_("This post has been deleted."))
    return post


@transaction.atomic
def edit_post(*, user: User, post_id: int, body: str, stance: str | None = None) -> Post:
    """The author corrects a post within 15 minutes of writing it."""
    post = _own_post(user, post_id)
    if post.hidden:
        raise ValidationError(_("A moderator has hidden this post; it cannot be edited."))
    if timezone.now() - post.created_at > EDIT_WINDOW:
        raise ValidationError(
            _("Posts can only be edited within %(minutes)s minutes of writing them.")
            % {"minutes": int(EDIT_WINDOW.total_seconds() // 60)}
        )
    _check_participation(user, post.hall)
    post.body = prepare_body(body)
    if stance and post.parent_id is None:
        if stance not in Stance.values:
            raise ValidationError(_("Choose whether you are for, against, suggesting or asking."))
        post.stance = stance
    post.edited_at = timezone.now()
    word = blocked_word_in(plain_text(post.body), post.hall.community_id)
    was_published = post.status == PostStatus.PUBLISHED
    if word:
        post.status = PostStatus.HELD
        post.held_reason = _("Contains “%(word)s”") % {"word": word}
    post.save()
    if word:
        _log(
            hall=post.hall,
            action=ModerationAction.HELD,
            actor=None,
            post=post,
            reason=post.held_reason,
        )
    if was_published:
        _publish_post_event(post, "changed")
    return post


@transaction.atomic
def delete_post(*, user: User, post_id: int) -> Post:
    """The author withdraws a post. Its place stays, so replies keep their context."""
    post = _own_post(user, post_id)
    post.deleted = True
    post.body = ""
    post.save(update_fields=["deleted", "body"])
    # The photos go with the words. Files are removed only once the deletion has
    # committed, so a rolled-back deletion still has its photos.
    names = list(post.photos.values_list("image", flat=True))
    post.photos.all().delete()
    if names:
        transaction.on_commit(lambda: _delete_files(names))
    if post.status == PostStatus.PUBLISHED:
        _publish_post_event(post, "changed")
    return post


@transaction.atomic
def second_post(*, user: User, post_id: int) -> Post:
    """A resident seconds (附议) someone else's post, once."""
    post = Post.objects.select_for_update().select_related("hall").filter(pk=post_id).first()
    if post is None:
        raise ValidationError(_("That post no longer exists."))
    _check_participation(user, post.hall)
    if post.status != PostStatus.PUBLISHED or post.hidden or post.deleted:
        raise ValidationError(_("This post cannot be seconded."))
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot second your own post."))
    try:
        # The unique constraint decides under concurrent clicks; the savepoint keeps
        # the surrounding transaction usable after a refused duplicate.
        with transaction.atomic():
            Second.objects.create(post=post, user=user)
    except IntegrityError:
        raise ValidationError(_("You have already seconded this post.")) from None
    Post.objects.filter(pk=post.pk).update(seconds_count=F("seconds_count") + 1)
    post.refresh_from_db(fields=["seconds_count"])
    live.publish(
        hall_topic(post.hall_id),
        {"kind": "seconds", "id": post.pk, "seconds": post.seconds_count},
    )
    return post


@transaction.atomic
def report_post(*, user: User, post_id: int, reason: str) -> Report:
    """A reader asks staff to look at a post."""
    if not (user and user.is_authenticated):
        raise PermissionDenied(_("Log in to report a post."))
    post = Post.objects.select_for_update().select_related("hall").filter(pk=post_id).first()
    if post is None or not may_read(user, post.hall):
        raise ValidationError(_("That post no longer exists."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say what is wrong with the post, so staff can judge it."))
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot report your own post."))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                post=post, reporter=user, reason=reason[:MAX_REASON_CHARS]
            )
    except IntegrityError:
        raise ValidationError(_("You have already reported this post.")) from None
    Post.objects.filter(pk=post.pk).update(open_reports=F("open_reports") + 1)
    return report


def _moderated_post(actor: User, post_id: int) -> Post:
    post = Post.objects.select_for_update().select_related("hall").filter(pk=post_id).first()
    if post is None:
        raise ValidationError(_("That post no longer exists."))
    if not may_moderate(actor, post.hall):
        raise PermissionDenied(_("You may only moderate halls of your own community."))
    return post


def _resolve_reports(post: Post) -> None:
    Report.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=timezone.now())
    post.open_reports = 0


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(message)
    return reason[:MAX_REASON_CHARS]


@transaction.atomic
def hide_post(*, actor: User, post_id: int, reason: str) -> Post:
    """Staff hide a post; readers see that a moderator hid it, and why."""
    post = _moderated_post(actor, post_id)
    reason = _reason(reason, _("Give a reason; readers and the author will see it."))
    if post.hidden:
        raise ValidationError(_("This post is already hidden."))
    post.hidden = True
    post.hidden_reason = reason
    post.hidden_by = actor
    _resolve_reports(post)
    post.save(update_fields=["hidden", "hidden_reason", "hidden_by", "open_reports"])
    _log(hall=post.hall, action=ModerationAction.HIDDEN, actor=actor, post=post, reason=reason)
    if post.status == PostStatus.PUBLISHED:
        _publish_post_event(post, "changed")
    return post


@transaction.atomic
def restore_post(*, actor: User, post_id: int, reason: str = "") -> Post:
    post = _moderated_post(actor, post_id)
    if not post.hidden:
        raise ValidationError(_("This post is not hidden."))
    post.hidden = False
    post.hidden_reason = ""
    post.hidden_by = None
    post.save(update_fields=["hidden", "hidden_reason", "hidden_by"])
    _log(
        hall=post.hall,
        action=ModerationAction.RESTORED,
        actor=actor,
        post=post,
        reason=(reason or "").strip(),
    )
    if post.status == PostStatus.PUBLISHED:
        _publish_post_event(post, "changed")
    return post


@transaction.atomic
def publish_held_post(*, actor: User, post_id: int, reason: str = "") -> Post:
    """Staff find nothing wrong with a held post and publish it."""
    post = _moderated_post(actor, post_id)
    if post.status != PostStatus.HELD:
        raise ValidationError(_("This post is not held for review."))
    post.status = PostStatus.PUBLISHED
    post.save(update_fields=["status"])
    _log(
        hall=post.hall,
        action=ModerationAction.PUBLISHED,
        actor=actor,
        post=post,
        reason=(reason or "").strip(),
    )
    _announce_new(post)
    return post


@transaction.atomic
def dismiss_reports(*, actor: User, post_id: int, reason: str = "") -> Post:
    """Staff looked at the reports of a post and leave it as it is."""
    post = _moderated_post(actor, post_id)
    if not post.open_reports:
        raise ValidationError(_("This post has no open reports."))
    _resolve_reports(post)
    post.save(update_fields=["open_reports"])
    _log(
        hall=post.hall,
        action=ModerationAction.DISMISSED,
        actor=actor,
        post=post,
        reason=(reason or "").strip(),
    )
    return post


@transaction.atomic
def suspend_user(
    *,
    actor: User,
    user: User,
    community: Area,
    days: int,
    reason: str,
    hall: HallPage | None = None,
) -> Suspension:
    """Staff stop someone posting in their community for a number of days."""
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError(_("Suspensions apply to a community."))
    from portal.permissions import Action, can

    if not can(actor, Action.MANAGE_CONTENT, community):
        raise PermissionDenied(_("You may only suspend users in your own community."))
    if actor.pk == user.pk:
        raise ValidationError(_("You cannot suspend yourself."))
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise ValidationError(_("Suspend for 1 to %(max)s days.") % {"max": MAX_SUSPENSION_DAYS})
    reason = _reason(reason, _("Give a reason for the suspension."))
    suspension = Suspension.objects.create(
        user=user,
        community=community,
        until=timezone.now() + timedelta(days=days),
        reason=reason,
        created_by=actor,
    )
    ModerationLog.objects.create(
        community=community,
        hall=hall,
        actor=actor,
        subject=user,
        action=ModerationAction.SUSPENDED,
        reason=_("%(days)s days: %(reason)s") % {"days": days, "reason": reason},
    )
    return suspension


@transaction.atomic
def write_minutes(*, actor: User, hall: HallPage, minutes: str) -> HallPage:
    """The organiser (or community staff) records the discussion before voting opens."""
    if not (
        actor
        and actor.is_authenticated
        and (hall.organiser_id == actor.pk or may_moderate(actor, hall))
    ):
        raise PermissionDenied(_("Only the organiser or community staff write the minutes."))
    if hall.phase not in (Phase.UPCOMING, Phase.DISCUSSION):
        raise ValidationError(_("The minutes are written before voting opens."))
    cleaned = clean_html(minutes or "").strip()
    if not plain_text(cleaned):
        raise ValidationError(_("The minutes are empty."))
    if len(plain_text(cleaned)) > 20_000:
        raise ValidationError(_("The minutes are too long."))
    hall = HallPage.objects.select_for_update().get(pk=hall.pk)
    hall.minutes = cleaned
    # A new revision, so a later edit in the admin starts from these minutes. The
    # organiser need not be a Wagtail editor: the rule above is the permission check.
    revision = hall.save_revision(user=actor, log_action=True)
    revision.publish(user=actor, skip_permission_checks=True)
    _log(hall=hall, action=ModerationAction.MINUTES, actor=actor, subject=actor)
    live.publish(hall_topic(hall.pk), {"kind": "minutes"})
    return hall


@transaction.atomic
def follow_hall(*, user: User, hall: HallPage, follow: bool = True) -> bool:
    from .models import Follow

    if not (user and user.is_authenticated):
        raise PermissionDenied(_("Log in to follow a hall."))
    if not may_read(user, hall):
        raise PermissionDenied(_("Only residents of this community may follow this hall."))
    if follow:
        Follow.objects.get_or_create(hall=hall, user=user)
    else:
        Follow.objects.filter(hall=hall, user=user).delete()
    return follow
