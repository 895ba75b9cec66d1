"""duban quality index: check and index the reports submitted before duban checked reports (an upgrade, an import),
oldest first, so that each is compared with those before it — the same as if each had been checked as it came."""

from django.core.management.base import BaseCommand
from django.db import transaction

from duban.quality.services import report_quality_record
from duban.supervision.models import Report


class Command(BaseCommand):
    help = "Check and index (for near-copies) every report not yet checked, oldest first, in batches."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["index"])
        parser.add_argument("--batch", type=int, default=500, help="reports per transaction (default 500)")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many reports")

    def handle(self, *args, **options):
        done = 0
        while options["limit"] is None or done < options["limit"]:
            size = options["batch"] if options["limit"] is None else min(options["batch"], options["limit"] - done)
            pending = list(Report.objects.filter(quality__isnull=True).select_related("assignment__unit")
                           .order_by("submitted_at", "id")[:size])
            if not pending:
                break
            with transaction.atomic():
                for report in pending:  # each compared with those indexed before it, as on submission
                    report_quality_record(report)
            done += len(pending)
            self.stdout.write(f"已检查 {done} 份反馈")
        self.stdout.write(self.style.SUCCESS(f"完成：本次检查并建立索引 {done} 份反馈。"))
