"""Hall pages and the plain form POSTs behind them. Every change goes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.errors import error_text

from . import photos, services
from .live import hall_topic, stance_counts
from .models import (
    Follow,
    HallPage,
    Notification,
    NotificationSettings,
    Post,
    PostStatus,
    Second,
    Stance,
)
from .poll_views import polls_of_hall
from .rules import may_moderate, may_read, participation_refusal

PAGE_SIZE = 20
SORTS = {"new": ("-created_at", "-id"), "seconded": ("-seconds_count", "-created_at", "-id")}
MAX_FRAGMENT_IDS = 50


def _draft_key(hall_id: int) -> str:
    return f"hall-draft-{hall_id}"


def _replies_prefetch() -> Prefetch:
    return Prefetch(
        "replies",
        queryset=Post.objects.visible()
        .select_related("author")
        .prefetch_related("photos")
        .order_by("created_at", "id"),
    )


def _post_context(request: HttpRequest, hall: HallPage, post_ids: list[int]) -> dict:
    """What the post include needs to know about the reader, for the posts on screen."""
    user = request.user
    refusal = participation_refusal(user, hall)
    seconded: set[int] = set()
    if user.is_authenticated and post_ids:
        seconded = set(
            Second.objects.filter(user=user, post_id__in=post_ids).values_list("post_id", flat=True)
        )
    return {
        "hall": hall,
        "refusal": refusal,
        "may_post": refusal is None,
        "seconded": seconded,
        "edit_after": timezone.now() - services.EDIT_WINDOW,
        "is_moderator": may_moderate(user, hall),
        "stances": Stance.choices,
        "max_photos": photos.MAX_PHOTOS,
        "max_photo_mb": photos.MAX_PHOTO_BYTES // (1024 * 1024),
    }


def hall_context(request: HttpRequest, hall: HallPage) -> dict:
    sort = request.GET.get("sort", "new")
    if sort not in SORTS:
        sort = "new"
    readable = may_read(request.user, hall)
    context: dict = {
        "readable": readable,
        "sort": sort,
        "phase": hall.phase,
        "next_change": hall.next_change(),
        "hall_topic": hall_topic(hall.pk),
        "counts": stance_counts(hall.pk) if readable else None,
        "scope_areas": hall.scope_areas,
        "polls": polls_of_hall(hall),
    }
    if readable:
        context["stance_rows"] = [
            (value, label, context["counts"][value]) for value, label in Stance.choices
        ]
    if not readable:
        context.update(_post_context(request, hall, []))
        return context
    top = (
        Post.objects.visible()
        .filter(hall=hall, parent__isnull=True)
        .select_related("author")
        .prefetch_related("photos", _replies_prefetch())
        .order_by(*SORTS[sort])
    )
    page = Paginator(top, PAGE_SIZE).get_page(request.GET.get("page"))
    posts = list(page.object_list)
    ids = [p.pk for p in posts] + [r.pk for p in posts for r in p.replies.all()]
    context.update(_post_context(request, hall, ids))
    user = request.user
    context.update(
        {
            "posts": posts,
            "page_obj": page,
            "held_posts": list(
                Post.objects.filter(hall=hall, author=user, status=PostStatus.HELD).order_by(
                    "-created_at"
                )
            )
            if user.is_authenticated
            else [],
            "following": user.is_authenticated
            and Follow.objects.filter(hall=hall, user=user).exists(),
            "draft": request.session.pop(_draft_key(hall.pk), None)
            if hasattr(request, "session")
            else None,
            "may_write_minutes": user.is_authenticated
            and (hall.organiser_id == user.pk or context.get("is_moderator")),
        }
    )
    return context


def _hall(hall_id: int) -> HallPage:
    return get_object_or_404(HallPage.objects.live().select_related("community"), pk=hall_id)


def _post(pk: int) -> Post:
    post = get_object_or_404(
        Post.objects.select_related("hall", "hall__community", "author"), pk=pk
    )
    if not post.hall.live:
        raise Http404
    return post


def _back(request: HttpRequest, hall: HallPage, anchor: str = "") -> HttpResponseRedirect:
    url = hall.get_url(request) or "/"
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}) and nxt.startswith("/"):
        url = nxt.split("#")[0]
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


@require_POST
def publish(request: HttpRequest, hall_id: int) -> HttpResponse:
    hall = _hall(hall_id)
    parent = None
    raw_parent = request.POST.get("parent", "")
    if raw_parent.isdigit():
        parent = Post.objects.filter(pk=int(raw_parent), hall=hall).first()
        if parent is None:
            messages.error(request, _("That post no longer exists."))
            return _back(request, hall)
    body = request.POST.get("body", "")
    try:
        post = services.publish_post(
            user=request.user,
            hall=hall,
            body=body,
            stance=request.POST.get("stance", ""),
            parent=parent,
            photos=request.FILES.getlist("photos"),
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
        # Keep what they wrote, so a refused post is not lost.
        request.session[_draft_key(hall.pk)] = {
            "body": body[: services.MAX_RAW_CHARS],
            "stance": request.POST.get("stance", ""),
            "parent": parent.pk if parent else None,
        }
        return _back(request, hall, f"post-{parent.pk}" if parent else "write")
    if post.status == PostStatus.HELD:
        messages.warning(
            request, _("Your post is held for review by community staff before it appears.")
        )
    else:
        messages.success(request, _("Your post is published."))
    return _back(request, hall, f"post-{post.pk}")


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    if post.author_id != request.user.pk:
        raise PermissionDenied(_("You can only change your own posts."))
    body = post.body
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            services.edit_post(
                user=request.user,
                post_id=post.pk,
                body=body,
                stance=request.POST.get("stance") or None,
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Your post is updated."))
            return _back(request, post.hall, f"post-{post.pk}")
    return render(
        request,
        "consultation/edit_post.html",
        {"post": post, "hall": post.hall, "body": body, "stances": Stance.choices},
    )


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    try:
        services.delete_post(user=request.user, post_id=post.pk)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Your post is deleted."))
    return _back(request, post.hall, f"post-{post.pk}")


@require_POST
def second(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    try:
        services.second_post(user=request.user, post_id=post.pk)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("You seconded this post."))
    return _back(request, post.hall, f"post-{post.pk}")


@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    try:
        services.report_post(
            user=request.user, post_id=post.pk, reason=request.POST.get("reason", "")
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Thank you. Community staff will look at this post."))
    return _back(request, post.hall, f"post-{post.pk}")


@require_POST
def follow(request: HttpRequest, hall_id: int) -> HttpResponse:
    hall = _hall(hall_id)
    on = request.POST.get("follow", "1") == "1"
    try:
        services.follow_hall(user=request.user, hall=hall, follow=on)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("You follow this hall.") if on else _("You no longer follow this hall."),
        )
    return _back(request, hall)


@login_required
def minutes(request: HttpRequest, hall_id: int) -> HttpResponse:
    hall = _hall(hall_id)
    text = hall.minutes
    if request.method == "POST":
        text = request.POST.get("minutes", "")
        try:
            services.write_minutes(actor=request.user, hall=hall, minutes=text)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The minutes are published."))
            return _back(request, hall, "minutes")
    elif not (hall.organiser_id == request.user.pk or may_moderate(request.user, hall)):
        raise PermissionDenied(_("Only the organiser or community staff write the minutes."))
    return render(request, "consultation/minutes_form.html", {"hall": hall, "text": text})


@require_GET
def fragments(request: HttpRequest, hall_id: int) -> HttpResponse:
    """Posts rendered by the page's own include, for the live script to insert."""
    hall = _hall(hall_id)
    if not may_read(request.user, hall):
        raise PermissionDenied
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
    ids = ids[:MAX_FRAGMENT_IDS]
    posts = list(
        Post.objects.visible()
        .filter(hall=hall, pk__in=ids)
        .select_related("author")
        .prefetch_related("photos", _replies_prefetch())
        .order_by("-created_at", "-id")
    )
    all_ids = [p.pk for p in posts] + [r.pk for p in posts for r in p.replies.all()]
    context = _post_context(request, hall, all_ids)
    context["posts"] = posts
    return render(request, "consultation/fragments.html", context)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    prefs, _created = NotificationSettings.objects.get_or_create(user=request.user)
    if request.method == "POST":
        if "email" in request.POST:
            prefs.email = request.POST.get("email") == "1"
            prefs.save(update_fields=["email"])
            messages.success(request, _("Your e-mail setting is saved."))
        if "read" in request.POST:
            Notification.objects.filter(user=request.user, read_at__isnull=True).update(
                read_at=timezone.now()
            )
        return HttpResponseRedirect(request.path)
    items = Paginator(
        Notification.objects.filter(user=request.user).select_related("hall", "post__author"),
        30,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "consultation/notifications.html",
        {
            "items": items,
            "prefs": prefs,
            "unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count(),
        },
    )
