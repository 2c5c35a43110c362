from django.core.management.base import BaseCommand

from accountability.models import EscalationRule
from accountability.services import escalations_sweep


class Command(BaseCommand):
    help = "Run one overdue sweep now and print how many items it escalated at each rung."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Re-read every overdue item instead of starting from the watermarks (the nightly backstop).",
        )

    def handle(self, *args, full=False, **options):
        result = escalations_sweep(full=full)
        names = dict(EscalationRule.objects.values_list("code", "name"))
        for code, count in result.created.items():
            self.stdout.write(f"{code}: {count}  ({names.get(code, '')})")
        if result.total:
            self.stdout.write(self.style.SUCCESS(f"{result.total} escalated"))
        else:
            self.stdout.write("nothing new")
