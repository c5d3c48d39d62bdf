from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import ServiceTheme


class ServiceThemeViewSet(SnippetViewSet):
    model = ServiceTheme
    icon = "tag"
    menu_label = _("Volunteer colours")
    list_display = ["colour_name_zh", "name_zh", "name_en", "colour", "sort_order"]
    ordering = ["sort_order"]


register_snippet(ServiceThemeViewSet)
