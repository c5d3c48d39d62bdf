from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.permissions import Action
from portal.wagtail_hooks import ScopedMenuItem

from . import admin_views
from .models import ServiceTheme


class ServiceThemeViewSet(SnippetViewSet):
    model = ServiceTheme
    icon = "tag"
    menu_label = _("Volunteer colours")
    list_display = ["colour_name_zh", "name_zh", "name_en", "colour", "sort_order"]
    ordering = ["sort_order"]


register_snippet(ServiceThemeViewSet)


@hooks.register("register_admin_urls")
def register_admin_urls():
    patterns = [
        path("", admin_views.activities, name="activities"),
        path("add/", admin_views.edit_activity, name="add"),
        path("<int:pk>/", admin_views.edit_activity, name="edit"),
        path("<int:pk>/shifts/", admin_views.shifts, name="shifts"),
        path("shifts/<int:pk>/cancel/", admin_views.cancel_shift, name="cancel_shift"),
        path("report/", admin_views.report, name="report"),
    ]
    return [path("volunteering/", include((patterns, "volunteers_admin")))]


@hooks.register("register_admin_menu_item")
def register_volunteering_menu_item():
    return ScopedMenuItem(
        _("Volunteering"),
        reverse("volunteers_admin:activities"),
        icon_name="group",
        order=180,
        action=Action.MANAGE_CONTENT,
    )
