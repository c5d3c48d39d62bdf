"""Wagtail admin screens for community staff: the moderation queue and its log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.errors import error_text
from portal.permissions import Action, areas_where, restrict

from . import services
from .models import ModerationLog, Post, PostStatus, Report

FILTERS = {
    "queue": Q(open_reports__gt=0) | Q(status=PostStatus.HELD),
    "hidden": Q(hidden=True),
}


def _require_staff(request: HttpRequest) -> None:
    if not areas_where(request.user, Action.MANAGE_CONTENT):
        raise PermissionDenied


def queue(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    show = request.GET.get("show", "queue")
    if show not in FILTERS:
        show = "queue"
    posts = (
        restrict(Post.objects.all(), request.user, Action.MANAGE_CONTENT, "hall__community__path")
        .filter(FILTERS[show])
        .select_related("author", "hall", "hall__community", "hidden_by")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=Report.objects.filter(resolved_at__isnull=True).select_related("reporter"),
                to_attr="open_report_list",
            )
        )
        .order_by("-created_at")
    )
    page = Paginator(posts, 30).get_page(request.GET.get("p"))
    return render(
        request,
        "consultation/admin/queue.html",
        {"page": page, "show": show, "max_days": services.MAX_SUSPENSION_DAYS},
    )


def log(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    entries = restrict(
        ModerationLog.objects.all(), request.user, Action.MANAGE_CONTENT, "community__path"
    ).select_related("actor", "subject", "hall", "post", "community")
    page = Paginator(entries, 50).get_page(request.GET.get("p"))
    return render(request, "consultation/admin/log.html", {"page": page})


ACTIONS = {
    "hide": (services.hide_post, gettext_lazy("The post is hidden.")),
    "restore": (services.restore_post, gettext_lazy("The post is restored.")),
    "publish": (services.publish_held_post, gettext_lazy("The post is published.")),
    "dismiss": (services.dismiss_reports, gettext_lazy("The reports are dismissed.")),
}


@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require_staff(request)
    target = request.POST.get("back", "")
    if not (
        target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()})
    ):
        target = "consultation_admin:queue"
    back = redirect(target)
    post = get_object_or_404(Post.objects.select_related("hall", "author"), pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if action == "suspend":
            services.suspend_user(
                actor=request.user,
                user=post.author,
                community=post.hall.community,
                days=request.POST.get("days", ""),
                reason=reason,
                hall=post.hall,
            )
            done = _("%(name)s may not post in this community for now.") % {
                "name": post.author_label
            }
        elif action in ACTIONS:
            service, done = ACTIONS[action]
            service(actor=request.user, post_id=post.pk, reason=reason)
        else:
            raise ValidationError(_("Unknown action."))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, str(done))
    return back
