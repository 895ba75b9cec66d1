from django.core.management.base import BaseCommand

from duban.core.worker import Worker


class Command(BaseCommand):
    help = "Run the background worker (lights sweep; claims work with conditional updates)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run each step once and exit")
        parser.add_argument("--idle", type=float, default=2.0, help="seconds to wait when there is no work")

    def handle(self, *args, **options):
        Worker(idle_seconds=options["idle"]).run(once=options["once"])
