from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Content")

    def ready(self) -> None:
        from portal.signals import role_assigned

        from . import live  # noqa: F401  (registers the notices topic and its signal handlers)
        from .community_setup import on_role_assigned

        role_assigned.connect(on_role_assigned, dispatch_uid="cms_role_assigned")
