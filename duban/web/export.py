"""Lists as .xlsx 台账, the form offices keep and exchange.

The workbook is written row by row (openpyxl's write-only mode) into a
temporary file and streamed back, and the rows are read in chunks with their
related rows prefetched per chunk: memory stays flat for 100,000 rows, and the
number of queries grows with the chunks, never with the rows.
"""

import datetime as dt
import tempfile

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from duban.supervision.models import Assignment, AssignmentRole, Cadence, Light, TaskPlan, TaskState
from duban.supervision.selectors import assignment_list_for, report_list_for
from duban.supervision.selectors.scope import LIVE_ASSIGNMENT

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
CELL_MAX = 32000  # Excel holds at most 32,767 characters in a cell
LIGHT_WORDS = {**dict(Light.choices), Light.NONE: "未亮灯"}

TASK_COLUMNS = [  # (header, width)
    ("序号", 6), ("任务来源", 28), ("文号", 18), ("任务内容", 50), ("牵头单位", 20), ("配合单位", 20),
    ("责任领导", 10), ("完成时限", 13), ("进展情况", 50), ("状态", 9), ("亮灯", 10),
]
ASSIGNMENT_COLUMNS = [
    ("序号", 6), ("编号", 15), ("督办事项", 44), ("承办单位", 22), ("承办角色", 9), ("状态", 9), ("亮灯", 10),
    ("完成时限", 13), ("进度(%)", 8), ("下次报送", 13),
]


class Sheet:
    """One write-only worksheet with a bold, frozen header row."""

    def __init__(self, title: str, columns: list[tuple[str, int]]):
        self.book = Workbook(write_only=True)
        self.ws = self.book.create_sheet(title)
        for index, (_, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for title, _ in columns:
            cell = WriteOnlyCell(self.ws, value=title)
            cell.font = bold
            header.append(cell)
        self.ws.append(header)
        self._wrap = Alignment(wrap_text=True, vertical="top")

    def text(self, value: str, *, wrap: bool = False):
        """A text cell: control characters Excel refuses are dropped, and text is never read as a formula."""
        value = ILLEGAL_CHARACTERS_RE.sub("", value or "")[:CELL_MAX]
        if not (wrap or value.startswith("=")):
            return value
        cell = WriteOnlyCell(self.ws, value=value)
        cell.data_type = "s"
        if wrap:
            cell.alignment = self._wrap
        return cell

    def append(self, row: list) -> None:
        self.ws.append(row)

    def response(self, filename: str) -> FileResponse:
        stream = tempfile.TemporaryFile(suffix=".xlsx")
        self.book.save(stream)
        stream.seek(0)
        return FileResponse(stream, as_attachment=True, filename=filename, content_type=XLSX)


def _due(day: dt.date | None, cadence: str):
    """A deadline as a real date cell, or a standing task's reporting cadence as text."""
    if day is not None:
        return day
    return f"{Cadence(cadence).label}报送" if cadence != Cadence.NONE else ""


def _names(units) -> str:
    return "、".join(unit.name for unit in units)


# ---- tasks ---------------------------------------------------------------------------------------


def _task_rows(user, queryset: QuerySet) -> QuerySet:
    # Which units lead and cooperate is part of the task; how far each lead unit has got, and what it last
    # reported, is the unit's work and is read through the person's scope.
    latest_text = (report_list_for(user=user).prefetch_related(None).filter(assignment_id=OuterRef("pk"))
                   .order_by("-submitted_at", "-id").values("text")[:1])
    lead_work = (assignment_list_for(user=user).filter(LIVE_ASSIGNMENT, role=AssignmentRole.LEAD)
                 .select_related(None).select_related("unit")
                 .annotate(latest_text=Subquery(latest_text)).order_by("id"))
    return queryset.prefetch_related(
        Prefetch("assignments", to_attr="live_assignments",
                 queryset=Assignment.objects.filter(LIVE_ASSIGNMENT).select_related("unit").order_by("id")),
        # A draft has no assignments yet: its plan names the units.
        Prefetch("plan", to_attr="planned", queryset=TaskPlan.objects.filter(task__state=TaskState.DRAFT)
                 .select_related("unit").order_by("id")),
        Prefetch("assignments", to_attr="lead_work", queryset=lead_work),
    )


def _progress(task) -> str:
    lines = []
    for work in task.lead_work:
        lines.append(f"{work.unit.name}：{work.progress}%")
        if work.latest_text:
            lines.append(work.latest_text.strip())
    return "\n".join(lines)


def tasks_xlsx(*, user, queryset: QuerySet, today: dt.date) -> FileResponse:
    sheet = Sheet("督办事项台账", TASK_COLUMNS)
    for number, task in enumerate(_task_rows(user, queryset).iterator(chunk_size=CHUNK), start=1):
        units = task.live_assignments or task.planned
        leader = task.responsible_leader
        content = task.title + (f"\n{task.requirements.strip()}" if task.requirements.strip() else "")
        sheet.append([
            number,
            sheet.text(task.decision.title),
            sheet.text(task.decision.doc_number),
            sheet.text(content, wrap=True),
            sheet.text(_names(a.unit for a in units if a.role == AssignmentRole.LEAD)),
            sheet.text(_names(a.unit for a in units if a.role == AssignmentRole.COOPERATE)),
            sheet.text((leader.full_name or leader.username) if leader else ""),
            _due(task.deadline, task.cadence),
            sheet.text(_progress(task), wrap=True),
            task.get_state_display(),
            LIGHT_WORDS.get(task.light, task.light),
        ])
    return sheet.response(f"督办事项台账-{today:%Y-%m-%d}.xlsx")


# ---- assignments ---------------------------------------------------------------------------------


def assignments_xlsx(*, user, queryset: QuerySet, today: dt.date) -> FileResponse:
    sheet = Sheet("承办情况", ASSIGNMENT_COLUMNS)
    # The selector already joins the task and the unit: one query per chunk, nothing per row.
    for number, work in enumerate(queryset.iterator(chunk_size=CHUNK), start=1):
        sheet.append([
            number,
            sheet.text(work.task.code),
            sheet.text(work.task.title),
            sheet.text(work.unit.name),
            work.get_role_display(),
            work.get_state_display(),
            LIGHT_WORDS.get(work.light, work.light),
            _due(work.deadline, work.task.cadence),
            work.progress,
            work.next_report_due,
        ])
    return sheet.response(f"承办情况-{today:%Y-%m-%d}.xlsx")
