"""Lists as .xlsx 台账, the form offices keep and exchange.

The workbook is written row by row (openpyxl's write-only mode) into a
temporary file and streamed back, and the rows are read in chunks, each chunk's
related rows in one query per kind: memory stays flat for 100,000 rows, and the
number of queries grows with the chunks, never with the rows.
"""

import datetime as dt
import tempfile
from collections import defaultdict
from copy import copy
from itertools import islice

from django.db.models import OuterRef, QuerySet, Subquery
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
        # The wrapped cells' style, made once: setting a cell's alignment looks the style up afresh each time.
        wrapped = WriteOnlyCell(self.ws)
        wrapped.alignment = Alignment(wrap_text=True, vertical="top")
        self._wrap_style = wrapped._style

    def text(self, value: str, *, wrap: bool = False):
        """A text cell: control characters Excel refuses are dropped, and text is never read as a formula."""
        value = ILLEGAL_CHARACTERS_RE.sub("", value or "")[:CELL_MAX]
        if not (wrap or value.startswith("=")):
            return value
        cell = WriteOnlyCell(self.ws, value=value)
        cell.data_type = "s"
        if wrap:
            cell._style = copy(self._wrap_style)
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


# ---- tasks ---------------------------------------------------------------------------------------

# The columns a row is written from: plain values, not model instances, which cost more to build than the
# row costs to write.
TASK_FIELDS = ("pk", "title", "requirements", "deadline", "cadence", "state", "light", "decision__title",
               "decision__doc_number", "responsible_leader__full_name", "responsible_leader__username")
TASK_STATE_WORDS = dict(TaskState.choices)


def _task_chunks(user, queryset: QuerySet):
    """The task rows CHUNK at a time, each chunk with its units (live assignments, or a draft's plan) and its
    lead units' work, read in one query each."""
    rows = queryset.values_list(*TASK_FIELDS).iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        ids = [row[0] for row in chunk]
        units: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for task_id, role, name in (Assignment.objects.filter(LIVE_ASSIGNMENT, task_id__in=ids).order_by("id")
                                    .values_list("task_id", "role", "unit__name")):
            units[task_id].append((role, name))
        # A draft has no assignments yet: its plan names the units.
        planned: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for task_id, role, name in (TaskPlan.objects.filter(task__state=TaskState.DRAFT, task_id__in=ids)
                                    .order_by("id").values_list("task_id", "role", "unit__name")):
            planned[task_id].append((role, name))
        # Which units lead and cooperate is part of the task; how far each lead unit has got, and what it
        # last reported, is the unit's work and is read through the person's scope.
        latest_text = (report_list_for(user=user).prefetch_related(None).filter(assignment_id=OuterRef("pk"))
                       .order_by("-submitted_at", "-id").values("text")[:1])
        work: dict[int, list[tuple[str, int, str | None]]] = defaultdict(list)
        for task_id, name, progress, text in (
                assignment_list_for(user=user).filter(LIVE_ASSIGNMENT, role=AssignmentRole.LEAD, task_id__in=ids)
                .annotate(latest_text=Subquery(latest_text)).order_by("id")
                .values_list("task_id", "unit__name", "progress", "latest_text")):
            work[task_id].append((name, progress, text))
        yield chunk, units, planned, work


def _progress(work: list[tuple[str, int, str | None]]) -> str:
    lines = []
    for name, progress, text in work:
        lines.append(f"{name}：{progress}%")
        if text:
            lines.append(text.strip())
    return "\n".join(lines)


def tasks_xlsx(*, user, queryset: QuerySet, today: dt.date) -> FileResponse:
    sheet = Sheet("督办事项台账", TASK_COLUMNS)
    number = 0
    for chunk, units, planned, work in _task_chunks(user, queryset):
        for (pk, title, requirements, deadline, cadence, state, light, source, doc_number, leader_name,
             leader_username) in chunk:
            number += 1
            held = units.get(pk) or planned.get(pk, ())
            content = title + (f"\n{requirements.strip()}" if requirements.strip() else "")
            sheet.append([
                number,
                sheet.text(source),
                sheet.text(doc_number),
                sheet.text(content, wrap=True),
                sheet.text("、".join(name for role, name in held if role == AssignmentRole.LEAD)),
                sheet.text("、".join(name for role, name in held if role == AssignmentRole.COOPERATE)),
                sheet.text(leader_name or leader_username or ""),
                _due(deadline, cadence),
                sheet.text(_progress(work.get(pk, ())), wrap=True),
                TASK_STATE_WORDS.get(state, state),
                LIGHT_WORDS.get(light, light),
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
