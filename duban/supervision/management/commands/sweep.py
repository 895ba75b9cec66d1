import time

from django.core.management.base import BaseCommand
from django.db import transaction

from duban.escalation.sweep import escalation_sweep
from duban.supervision.lights import lights_refresh


class Command(BaseCommand):
    help = "Recompute lights, then write the urges and notices of every cause now due (set-based SQL)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        with transaction.atomic():
            assignments, tasks = lights_refresh()
        lit = time.perf_counter()
        self.stdout.write(f"亮灯已更新：承办 {assignments} 条，事项 {tasks} 条，用时 {lit - started:.2f} 秒")
        with transaction.atomic():
            result = escalation_sweep()
        elapsed = time.perf_counter() - lit
        self.stdout.write(f"催办已生成：催办 {result.urges} 条，通知 {result.notices} 条，待投递 {result.deliveries} 条，"
                          f"新列挂牌督办 {result.listed} 项，用时 {elapsed:.2f} 秒")
