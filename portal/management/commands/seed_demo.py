"""Load the demo district. Running it again adds only what is missing."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.demo import DEMO_PASSWORD_NOTE, DemoContext

# Apps seed in this order: each may rely on what the ones before it made.
SEEDING_APPS = ["portal", "cms", "consultation", "volunteers"]


class Command(BaseCommand):
    help = "Load the demo district 铁岭市银州区 with fictional people (development only)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo data has public passwords and is refused here. "
                "Set DEMO_DATA_ALLOWED=1 only on a development or test site."
            )
        ctx = DemoContext(lines=[], accounts=[])
        with transaction.atomic():
            for label in SEEDING_APPS:
                app = apps.get_app_config(label)
                try:
                    module = import_module(f"{app.name}.demo")
                except ModuleNotFoundError:
                    continue
                if hasattr(module, "seed"):
                    module.seed(ctx)
        for line in ctx.lines:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write("Demo logins (development only):")
        width = max(len(label) for label, _e, _p in ctx.accounts)
        for label, email, password in ctx.accounts:
            self.stdout.write(f"  {label.ljust(width)}  {email:32}  {password}")
        self.stdout.write(DEMO_PASSWORD_NOTE)
