"""`duban ledger export|import`: the task list as a 台账 workbook, and an office's 台账 read into tasks."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.core import clock
from duban.core.errors import DomainError
from duban.ledger.services import LedgerProblems, Preview, ledger_import, ledger_preview
from duban.org.models import User
from duban.supervision.models import DecisionKind
from duban.supervision.selectors import task_list_for
from duban.web.export import tasks_xlsx


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"{what}应写作 键=值：{item}")
        pairs[key.strip()] = value.strip()
    return pairs


class Command(BaseCommand):
    help = ("台账: `duban ledger export --out FILE.xlsx --as USERNAME [--filter key=value …]` writes the tasks "
            "the person sees as a 台账; `duban ledger import FILE.xlsx --as USERNAME [--assign] [--dry-run]` "
            "reads an office's 台账 into draft tasks, every row or none.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the task list as .xlsx")
        export.add_argument("--out", required=True, help="the .xlsx file to write")
        export.add_argument("--as", dest="username", required=True, help="whose scope the list is read in")
        export.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                            help="a task list filter (state, light, unit, decision, deadline_from, q …)")
        imp = sub.add_parser("import", help="import an office's 台账 (.xlsx)")
        imp.add_argument("file", help="the .xlsx file")
        imp.add_argument("--as", dest="username", required=True, help="the supervisor importing it")
        imp.add_argument("--assign", action="store_true", help="assign (交办) every task once created")
        imp.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
        imp.add_argument("--kind", default=DecisionKind.DOCUMENT, choices=DecisionKind.values,
                         help="the kind of the decisions registered (default: document)")
        imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                         help="which column holds a field, by letter or header (content=D, lead=牵头单位; "
                              "an empty column ignores the field)")
        imp.add_argument("--reference-date", type=dt.date.fromisoformat,
                         help="the date that 6月底前, 年底前 … are read against (default: today)")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"找不到用户“{options['username']}”。") from None
        if options["action"] == "export":
            self._export(user, options)
        else:
            self._import(user, options)

    def _export(self, user, options):
        filters = _pairs(options["filter"], "筛选条件")
        try:
            queryset = task_list_for(user=user, filters=filters)
        except TypeError as error:
            raise CommandError(f"未知的筛选条件：{error}") from None
        except DomainError as error:
            raise CommandError(error.message) from None
        response = tasks_xlsx(user=user, queryset=queryset, today=clock.today())
        out = Path(options["out"])
        with out.open("wb") as handle:
            for chunk in response.streaming_content:
                handle.write(chunk)
        # Not response.close(): that signals the end of a web request, which closes the database connection.
        response.file_to_stream.close()
        self.stdout.write(f"已导出 {queryset.count()} 项督办事项到 {out}。")

    def _import(self, user, options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError:
            raise CommandError(f"无法读取文件“{path}”。") from None
        mapping = _pairs(options["map"], "列指定")
        try:
            if options["dry_run"]:
                preview = ledger_preview(actor=user, data=data, filename=path.name, mapping=mapping,
                                         reference=options["reference_date"])
                self._show(preview)
                if not preview.ok:
                    raise LedgerProblems(preview)
                self.stdout.write(f"试导入：{len(preview.rows)} 项督办事项、{len(preview.decisions)} 项决策部署，"
                                  "未写入任何内容。")
                return
            result = ledger_import(actor=user, data=data, filename=path.name, mapping=mapping,
                                   kind=options["kind"], assign=options["assign"],
                                   reference=options["reference_date"])
        except LedgerProblems as error:
            if not options["dry_run"]:
                self._show(error.preview)
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(error.message) from None
        done = "并已交办" if result.assigned else "（草稿，待交办）"
        self.stdout.write(f"已导入 {len(result.tasks)} 项督办事项{done}，登记决策部署 {len(result.decisions)} 项。")

    def _show(self, preview: Preview):
        if preview.header_row:
            columns = "，".join(f"{name}={column}" for name, column in preview.mapping.items())
            self.stdout.write(f"工作表“{preview.sheet}”，表头在第{preview.header_row}行；列：{columns}")
        for row in preview.rows:
            units = "、".join(u.name for u in row.lead_units)
            cooperating = "、".join(u.name for u in row.cooperating_units)
            due = f"{row.deadline:%Y-%m-%d}" if row.deadline else (f"{row.cadence_label}报送" if row.cadence_label
                                                                     else "按默认时限")
            line = f"第{row.row}行 [{preview.decision_title(row)}] {row.title} | 牵头：{units or '—'}"
            if cooperating:
                line += f" | 配合：{cooperating}"
            if row.leader:
                line += f" | 责任领导：{row.leader}"
            self.stdout.write(f"{line} | 时限：{due}")
        if preview.skipped:
            self.stdout.write(f"跳过的空行或分类标题行：{'、'.join(map(str, preview.skipped))}")
        for problem in preview.problems:
            self.stderr.write(f"问题 {problem}")
