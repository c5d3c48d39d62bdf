from django.core.management.base import BaseCommand

from consultation.poll_services import close_due_polls


class Command(BaseCommand):
    help = "Close polls whose voting time is over and store their outcome (run every minute)."

    def handle(self, *args, **options):
        closed = close_due_polls()
        for poll in closed:
            self.stdout.write(f"Closed poll {poll.pk}: {poll.outcome}")
        self.stdout.write(f"{len(closed)} poll(s) closed.")
