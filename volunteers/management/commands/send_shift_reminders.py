from django.core.management.base import BaseCommand

from volunteers.services import send_reminders


class Command(BaseCommand):
    help = "E-mail each confirmed volunteer once, within a day before their shift (run from cron)."

    def handle(self, *args, **options):
        sent = send_reminders()
        self.stdout.write(f"Reminders sent: {sent}")
