from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Five-colour volunteer service")

    def ready(self) -> None:
        from . import live  # noqa: F401  (registers the activity topic)
