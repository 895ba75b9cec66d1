import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.core.errors import DomainError
from duban.workdays import store
from duban.workdays.services import calendar_day_set, calendar_import_csv, calendar_seed

WEEKDAYS = "一二三四五六日"


class Command(BaseCommand):
    help = "The working-day calendar: show, seed, import, set, add."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="show a month: duban calendar show 2026-10")
        show.add_argument("month")
        sub.add_parser("seed", help="load the holidays the chinesecalendar package knows")
        sub.add_parser("years", help="list the years with published data")
        imp = sub.add_parser("import", help="import a CSV of 日期,班/休,说明 (replaces those years)")
        imp.add_argument("file")
        day = sub.add_parser("set", help="set one day: duban calendar set 2027-01-01 休 元旦")
        day.add_argument("date")
        day.add_argument("kind", choices=["班", "休", "workday", "holiday"])
        day.add_argument("name", nargs="?", default="")
        add = sub.add_parser("add", help="the date N working days after a date")
        add.add_argument("date")
        add.add_argument("n", type=int)

    def handle(self, *args, **options):
        try:
            getattr(self, "do_" + options["action"])(options)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except ValueError as exc:
            raise CommandError(f"参数有误：{exc}") from None

    def do_show(self, options):
        year, month = (int(x) for x in options["month"].split("-"))
        calendar = store.get_calendar()
        day = dt.date(year, month, 1)
        if calendar.is_estimated(day):
            self.stdout.write(f"注意：{year}年节假日安排尚未载入，按周一至周五计算。")
        while day.month == month:
            mark = "班" if calendar.is_workday(day) else "休"
            self.stdout.write(f"{day}  周{WEEKDAYS[day.weekday()]}  {mark}  {calendar.day_name(day)}".rstrip())
            day += dt.timedelta(days=1)

    def do_seed(self, options):
        written = calendar_seed(actor=None)
        self.stdout.write(f"已载入 {written} 个节假日与调休日。")

    def do_years(self, options):
        years = sorted(store.get_calendar().covered_years)
        self.stdout.write(f"已载入年份：{years[0]}–{years[-1]}" if years else "尚未载入任何年份。")

    def do_import(self, options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"找不到文件 {path}")
        result = calendar_import_csv(actor=None, text=path.read_text(encoding="utf-8-sig"))
        self.stdout.write(f"已导入 {result['days']} 天，年份：{', '.join(map(str, result['years']))}")

    def do_set(self, options):
        is_workday = options["kind"] in ("班", "workday")
        calendar_day_set(actor=None, date=dt.date.fromisoformat(options["date"]), is_workday=is_workday,
                         name=options["name"])
        self.stdout.write("已保存。")

    def do_add(self, options):
        calendar = store.get_calendar()
        start = dt.date.fromisoformat(options["date"])
        result = calendar.add_workdays(start, options["n"])
        note = "（该年度按周一至周五估算）" if calendar.is_estimated(result) else ""
        self.stdout.write(f"{result}{note}")
