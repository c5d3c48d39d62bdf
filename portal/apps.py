from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        # Topics are registered at import time; importing here makes them known
        # to the WebSocket consumer in every process.
        from . import topics  # noqa: F401
