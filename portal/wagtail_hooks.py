from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views
from .permissions import Action, areas_where


class ScopedMenuItem(MenuItem):
    """Shown only to users who hold `action` somewhere in the tree."""

    def __init__(self, *args, action: Action, **kwargs):
        self.action = action
        super().__init__(*args, **kwargs)

    def is_shown(self, request) -> bool:
        return bool(areas_where(request.user, self.action))


@hooks.register("register_admin_urls")
def register_admin_urls():
    patterns = [
        path("", admin_views.residents, name="residents"),
        path("<int:pk>/verify/", admin_views.verify, name="verify"),
        path("<int:pk>/reject/", admin_views.reject, name="reject"),
    ]
    return [
        path("residents/", include((patterns, "portal_admin"))),
        path("places/", admin_views.places, name="portal_places"),
    ]


@hooks.register("register_admin_menu_item")
def register_residents_menu_item():
    return ScopedMenuItem(
        _("Residents"),
        reverse("portal_admin:residents"),
        icon_name="group",
        order=150,
        action=Action.VIEW_RESIDENTS,
    )


@hooks.register("register_admin_menu_item")
def register_places_menu_item():
    return ScopedMenuItem(
        _("Places"),
        reverse("portal_places"),
        icon_name="site",
        order=160,
        action=Action.MANAGE_AREAS,
    )
