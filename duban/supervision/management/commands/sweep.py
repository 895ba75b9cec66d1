import time

from django.core.management.base import BaseCommand
from django.db import transaction

from duban.supervision.lights import lights_refresh


class Command(BaseCommand):
    help = "Recompute every active assignment's and task's light with set-based SQL."

    def handle(self, *args, **options):
        started = time.perf_counter()
        with transaction.atomic():
            assignments, tasks = lights_refresh()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"亮灯已更新：承办 {assignments} 条，事项 {tasks} 条，用时 {elapsed:.2f} 秒")
