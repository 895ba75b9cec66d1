from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from duban.org.models import Unit

# Kept beside the media so that `make run` can show the logins again on the next start.
LOGINS_FILE = Path(settings.MEDIA_ROOT).parent / "demo-logins.txt"


class Command(BaseCommand):
    help = "Build demo data: the 示范州 prefecture (default) or the province-size data set for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["prefecture", "province"], default="prefecture")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--password", default="Duban-Demo-2026",
                            help="the password of every demo login")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the database has units")

    def handle(self, *args, **options):
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("数据库中已有数据，跳过演示数据。")
                if LOGINS_FILE.exists():
                    self.stdout.write(LOGINS_FILE.read_text(encoding="utf-8"))
                return
            raise CommandError("数据库中已有单位数据；演示数据只能载入空数据库。")
        if options["size"] == "province":
            from duban.demo.province import build_province

            summary = build_province(seed=options["seed"], password=options["password"], out=self.stdout)
        else:
            from duban.demo.prefecture import build_prefecture

            summary = build_prefecture(seed=options["seed"], password=options["password"], out=self.stdout)
        text = summary.describe()
        self.stdout.write(text)
        if summary.logins:
            LOGINS_FILE.parent.mkdir(parents=True, exist_ok=True)
            LOGINS_FILE.write_text(text + "\n", encoding="utf-8")
