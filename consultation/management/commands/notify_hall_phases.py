from django.core.management.base import BaseCommand

from consultation.notify import phase_changes


class Command(BaseCommand):
    help = "Notify followers of halls whose phase has changed (run every few minutes)."

    def handle(self, *args, **options):
        made = phase_changes()
        self.stdout.write(f"{made} notification(s).")
