from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "consultation"
    verbose_name = _("Deliberation halls")

    def ready(self) -> None:
        from . import (
            live,  # noqa: F401  (registers the hall topic)
            poll_results,
        )

        # Connected at start-up, not with the admin hooks, so a result notice approved
        # from anywhere (admin, shell, scheduled publishing) marks its hall.
        poll_results.connect_signals()
