from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.permissions import Action
from portal.wagtail_hooks import ScopedMenuItem

from . import admin_views, poll_admin
from .models import BlockedWord


@hooks.register("register_admin_urls")
def register_admin_urls():
    patterns = [
        path("", admin_views.queue, name="queue"),
        path("log/", admin_views.log, name="log"),
        path("posts/<int:pk>/<slug:action>/", admin_views.act, name="act"),
    ]
    polls = [
        path("", poll_admin.poll_list, name="list"),
        path("new/", poll_admin.poll_create, name="create"),
        path("<int:pk>/", poll_admin.poll_detail, name="detail"),
        path("<int:pk>/paper/", poll_admin.paper_ballot, name="paper"),
        path("<int:pk>/close/", poll_admin.close, name="close"),
        path("<int:pk>/end-early/", poll_admin.close_confirm, name="close_confirm"),
        path("<int:pk>/export.csv", poll_admin.export, name="export"),
        path("<int:pk>/publish/", poll_admin.publish, name="publish"),
    ]
    return [
        path("hall-moderation/", include((patterns, "consultation_admin"))),
        path("polls/", include((polls, "poll_admin"))),
    ]


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ScopedMenuItem(
        _("Hall moderation"),
        reverse("consultation_admin:queue"),
        icon_name="warning",
        order=170,
        action=Action.MANAGE_CONTENT,
    )


@hooks.register("register_admin_menu_item")
def register_polls_menu_item():
    # Polls are managed here only, through the services; no snippet or model admin
    # offers them, which would let rows be edited past the rules and the counters.
    return ScopedMenuItem(
        _("Polls"),
        reverse("poll_admin:list"),
        icon_name="tasks",
        order=175,
        action=Action.MANAGE_CONTENT,
    )


class BlockedWordViewSet(SnippetViewSet):
    model = BlockedWord
    icon = "cross"
    menu_label = _("Blocked words")
    list_display = ["word", "community"]
    search_fields = ["word"]


register_snippet(BlockedWordViewSet)
