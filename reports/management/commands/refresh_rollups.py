from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.rollups import default_periods, every_period, oldest_day, recent_periods, rollups_refresh


class Command(BaseCommand):
    help = "Recompute the dashboard's rollups of the current periods (the default), of the last two years or of all."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--all", action="store_true", help="Every period since the oldest row (a backfill).")
        which.add_argument(
            "--recent", action="store_true", help="Every period of the last two years (the nightly backstop)."
        )

    def handle(self, *args, all=False, recent=False, **options):  # noqa: A002 - the option's name
        today = timezone.localdate()
        if all:
            periods = every_period(since=oldest_day(), today=today)
        elif recent:
            periods = recent_periods(today)
        else:
            periods = default_periods(today)
        result = rollups_refresh(periods=periods)
        self.stdout.write(f"{len(result.periods)} periods refreshed")
        if result.skipped:
            self.stdout.write(f"{len(result.skipped)} periods skipped (being refreshed by another run)")
