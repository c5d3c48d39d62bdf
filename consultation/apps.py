from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "consultation"
    verbose_name = _("Deliberation halls")

    def ready(self) -> None:
        from . import live  # noqa: F401  (registers the hall topic)
