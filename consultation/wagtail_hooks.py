from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.permissions import Action
from portal.wagtail_hooks import ScopedMenuItem

from . import admin_views
from .models import BlockedWord


@hooks.register("register_admin_urls")
def register_admin_urls():
    patterns = [
        path("", admin_views.queue, name="queue"),
        path("log/", admin_views.log, name="log"),
        path("posts/<int:pk>/<slug:action>/", admin_views.act, name="act"),
    ]
    return [path("hall-moderation/", include((patterns, "consultation_admin")))]


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ScopedMenuItem(
        _("Hall moderation"),
        reverse("consultation_admin:queue"),
        icon_name="warning",
        order=170,
        action=Action.MANAGE_CONTENT,
    )


class BlockedWordViewSet(SnippetViewSet):
    model = BlockedWord
    icon = "cross"
    menu_label = _("Blocked words")
    list_display = ["word", "community"]
    search_fields = ["word"]


register_snippet(BlockedWordViewSet)
