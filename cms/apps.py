from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Content")

    def ready(self) -> None:
        from . import live  # noqa: F401  (registers the notices topic and its signal handlers)
