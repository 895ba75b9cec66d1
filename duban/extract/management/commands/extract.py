"""duban extract FILE [--json]: the tasks a document proposes, for a person to check (nothing is written)."""

import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from duban.core import clock
from duban.extract.matching import UnitMatcher
from duban.extract.proposal import document_date, propose
from duban.extract.reading import DocumentUnreadable, read_document, read_text
from duban.org.models import Unit
from duban.workdays.store import get_calendar


class Command(BaseCommand):
    help = ("Propose the tasks of a policy document (.docx, text .pdf, .txt; '-' reads text from stdin): "
            "section, text, lead and other units as written and matched to the unit tree, deadline, cadence, span.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the document, or - for text on stdin")
        parser.add_argument("--json", action="store_true", help="print a JSON array (one object per task)")
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None,
                            help="the document's date (YYYY-MM-DD), for deadlines written without a year; "
                                 "default: the date it carries, else today")
        parser.add_argument("--unit", default=None,
                            help="match units only below this unit (its name or id); default: the whole tree")

    def handle(self, *args, **options):
        try:
            if options["file"] == "-":
                source = read_text(sys.stdin.read())
            else:
                path = Path(options["file"])
                if not path.is_file():
                    raise CommandError(f"找不到文件：{path}")
                source = read_document(path.name, path.read_bytes())
        except DocumentUnreadable as error:
            raise CommandError(str(error)) from error
        units = Unit.objects.filter(is_active=True)
        if options["unit"]:
            root = (Unit.objects.filter(pk=int(options["unit"])).first() if options["unit"].isdigit()
                    else Unit.objects.filter(name=options["unit"]).first())
            if root is None:
                raise CommandError(f"找不到单位：{options['unit']}")
            units = units.filter(path__startswith=root.path)
        reference = options["date"] or document_date(source) or clock.today()
        try:
            proposals = propose(source, calendar=get_calendar(), reference=reference,
                                matcher=UnitMatcher(units.only("pk", "name", "short_name", "aliases")))
        except DatabaseError as error:
            raise CommandError("数据库尚未初始化（读不到工作日历和单位）：请先运行 duban migrate。") from error
        if options["json"]:
            self.stdout.write(json.dumps([p.as_json() for p in proposals], ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"文档日期：{reference.isoformat()}，拟分解事项{len(proposals)}项")
        for number, p in enumerate(proposals, start=1):
            section = " / ".join(p.section)
            self.stdout.write(f"\n{number}. {p.text[:80]}{'…' if len(p.text) > 80 else ''}")
            if section:
                self.stdout.write(f"   所属：{section}")
            self.stdout.write(f"   牵头：{'、'.join(p.lead_units) or '（未写明）'}  配合：{'、'.join(p.other_units) or '—'}")
            if p.deadline_text:
                self.stdout.write(f"   时限：{p.deadline_text} → {p.deadline or p.cadence or '待定'}")
