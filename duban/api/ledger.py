"""台账: the task list as an .xlsx workbook, and an office's .xlsx 台账 read into tasks (preview, then import).

The API keeps nothing between the two import steps: the client sends the same file again to import it,
with the `sha256` (and, if it likes, the row count) the preview answered, so that what is imported is what
was previewed. A ledger with any problem imports nothing (duban/ledger/services.py).
"""

import datetime as dt
import hashlib
import json
import re
from pathlib import PurePath
from typing import Literal

from django.db import transaction
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from duban.api.common import caller, filters_of
from duban.api.errors import ERRORS
from duban.api.schemas import DecisionOut, TaskOut, text
from duban.api.tasks import TaskFilterFields
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.ledger.parsing import FIELDS, IMPORTED
from duban.ledger.services import LedgerProblems, Preview, Problem, ledger_import, ledger_preview
from duban.org.models import ADMIN_ROLES
from duban.supervision.models import DecisionKind
from duban.supervision.selectors import task_list_for
from duban.web.export import tasks_xlsx

router = Router(tags=["台账"])

UPLOAD_MAX = 5 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
LETTER = re.compile(r"^([A-Z]{1,3})列")
FIELD_KEYS = ", ".join(f"{key}（{FIELDS[key][0]}）" for key in IMPORTED)


# ---- shapes ---------------------------------------------------------------------------------------

class ProblemOut(Schema):
    row: int | None = Field(..., description="Excel 行号；null 表示整个文件")
    column: str | None = Field(..., description="列字母，如 E；null 表示整行或整个文件")
    column_label: str = Field(..., description="如 E列“牵头单位”")
    message: str
    text: str = Field(..., description="完整的问题说明，如 第5行E列“牵头单位”：找不到单位“发改局”……")


class UnitRefOut(Schema):
    id: int
    name: str


class LedgerRowOut(Schema):
    row: int
    decision_title: str
    doc_number: str
    title: str
    requirements: str
    lead_units: list[UnitRefOut]
    cooperating_units: list[UnitRefOut]
    leader_id: int | None
    leader_name: str | None
    deadline: dt.date | None
    cadence: str
    due_phrase: str
    problems: list[ProblemOut]


class ColumnOut(Schema):
    field: str = Field(..., description="字段：" + FIELD_KEYS)
    name: str
    column: str | None = Field(..., description="读取该字段的列字母；null 表示未找到")
    column_label: str | None


class LedgerPreviewOut(Schema):
    filename: str
    sha256: str = Field(..., description="文件的 SHA-256；导入时作为 expected_sha256 传回")
    sheet: str
    header_row: int | None
    ok: bool = Field(..., description="没有任何问题且至少一行：可以导入")
    columns: list[str] = Field(..., description="表头各列，如 D列“任务内容”")
    mapping: list[ColumnOut]
    rows: list[LedgerRowOut]
    decisions: int = Field(..., description="将登记的决策部署数（每个“任务来源 + 文号”一项）")
    skipped: list[int] = Field(..., description="跳过的空行和分类标题行的行号")
    problems: list[ProblemOut]


class LedgerImportOut(Schema):
    filename: str
    sha256: str
    assigned: bool
    decisions: list[DecisionOut]
    tasks: list[TaskOut]


class LedgerForm(Schema):
    mapping: text(2000) = Field("", description="可选：指定某字段读哪一列的JSON，如 {\"content\": \"D\", "
                                                "\"lead\": \"牵头单位\", \"note\": \"\"}（空值表示不读该字段）")


class LedgerImportForm(LedgerForm):
    kind: Literal[tuple(DecisionKind.values)] = Field(DecisionKind.DOCUMENT.value, description="登记的决策部署类型")
    assign: bool = Field(False, description="导入后立即交办")
    expected_sha256: text(64) = Field("", description="预览时得到的 sha256：文件不同则不导入")
    expected_rows: int | None = Field(None, ge=0, le=100000, description="预览时的行数：不同则不导入")


# ---- reading the request --------------------------------------------------------------------------

def _file(upload: UploadedFile) -> tuple[bytes, str]:
    name = PurePath(upload.name or "").name[:200]
    if not name.lower().endswith(".xlsx"):
        raise DomainError("ledger_file_type", "只能上传 .xlsx 格式的 Excel 台账（.xls 请先在 Excel 中另存为 .xlsx）。",
                          {"field": "file"})
    if upload.size > UPLOAD_MAX:
        raise DomainError("ledger_file_too_large", f"台账文件不能超过{UPLOAD_MAX // 2**20}MB。", {"field": "file"})
    data = upload.read()
    if not data.startswith(XLSX_MAGIC):
        raise DomainError("ledger_file_invalid", "该文件不是有效的 .xlsx 工作簿。", {"field": "file"})
    return data, name


def _mapping(raw: str) -> dict[str, str] | None:
    if not raw.strip():
        return None
    try:
        mapping = json.loads(raw)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str | None)
                                                for k, v in mapping.items()):
        raise DomainError("ledger_mapping_invalid", "列指定应为 {字段: 列字母或表头} 形式的JSON。",
                          {"field": "mapping"})
    unknown = sorted(set(mapping) - set(IMPORTED))
    if unknown:
        raise DomainError("ledger_mapping_invalid", f"未知的字段“{unknown[0]}”，可指定：{FIELD_KEYS}。",
                          {"field": "mapping"})
    return {k: (v or "") for k, v in mapping.items()}


# ---- answers --------------------------------------------------------------------------------------

def _problem(p: Problem) -> dict:
    letter = LETTER.match(p.column)
    return {"row": p.row, "column": letter[1] if letter else None, "column_label": p.column, "message": p.message,
            "text": str(p)}


def _units(units) -> list[dict]:
    return [{"id": u.pk, "name": u.name} for u in units]


def _column(preview: Preview, key: str) -> dict:
    index = preview.field_columns.get(key)
    label = preview.columns[index] if index is not None and index < len(preview.columns) else None
    letter = LETTER.match(label or "")
    return {"field": key, "name": FIELDS[key][0], "column": letter[1] if letter else None, "column_label": label}


def _preview(preview: Preview, sha256: str) -> dict:
    return {
        "filename": preview.filename, "sha256": sha256, "sheet": preview.sheet, "header_row": preview.header_row,
        "ok": preview.ok, "columns": preview.columns, "mapping": [_column(preview, key) for key in IMPORTED],
        "rows": [{
            "row": r.row, "decision_title": preview.decision_title(r), "doc_number": r.doc_number, "title": r.title,
            "requirements": r.requirements, "lead_units": _units(r.lead_units),
            "cooperating_units": _units(r.cooperating_units), "leader_id": r.leader.pk if r.leader else None,
            "leader_name": (r.leader.full_name or r.leader.username) if r.leader else None,
            "deadline": r.deadline, "cadence": r.cadence, "due_phrase": r.due_phrase,
            "problems": [_problem(p) for p in r.problems],
        } for r in preview.rows],
        "decisions": len(preview.decisions), "skipped": preview.skipped,
        "problems": [_problem(p) for p in preview.problems],
    }


def _problems(error: LedgerProblems) -> DomainError:
    return DomainError(error.code, error.message, {"problems": [_problem(p) for p in error.preview.problems]})


# ---- endpoints ------------------------------------------------------------------------------------

@router.get("/ledger/export", response={200: None, **ERRORS}, operation_id="ledger_export")
def ledger_export(request, params: Query[TaskFilterFields]):
    """The task list the caller sees, with the task list's filters, as the .xlsx 台账 offices keep.

    Columns: 序号, 任务来源, 文号, 任务内容, 牵头单位, 配合单位, 责任领导, 完成时限, 进展情况, 状态, 亮灯."""
    user = caller(request)
    if not (set(user.roles) - ADMIN_ROLES):
        raise PermissionDenied("管理员账号不查看业务内容（三员分立）。")
    queryset = task_list_for(user=user, filters=filters_of(params))
    return tasks_xlsx(user=user, queryset=queryset, today=clock.today())


@router.post("/ledger/preview", response={200: LedgerPreviewOut, **ERRORS}, operation_id="ledger_preview")
def ledger_preview_post(request, form: Form[LedgerForm], file: File[UploadedFile]):
    """Read an office's 台账 (.xlsx, at most 5 MB) as it would be imported; writes nothing. Supervisors.

    Every problem names its row and column; `ok` says whether it may be imported as it is."""
    data, name = _file(file)
    preview = ledger_preview(actor=caller(request), data=data, filename=name, mapping=_mapping(form.mapping))
    return _preview(preview, hashlib.sha256(data).hexdigest())


@router.post("/ledger/import", response={201: LedgerImportOut, **ERRORS}, operation_id="ledger_import")
def ledger_import_post(request, form: Form[LedgerImportForm], file: File[UploadedFile]):
    """Import the 台账: every row or none, in one transaction with its Events. Supervisors.

    Send the file again, with the preview's `sha256` as `expected_sha256` (and its row count as
    `expected_rows`): a different file, or a different number of rows, imports nothing. Any problem answers
    400 `ledger_problems` with every problem in `detail.problems`, by row and column."""
    user = caller(request)
    data, name = _file(file)
    sha256 = hashlib.sha256(data).hexdigest()
    if form.expected_sha256 and form.expected_sha256.lower() != sha256:
        raise DomainError("ledger_file_changed", "上传的文件与预览时的不同，未导入任何内容：请重新预览。",
                          {"field": "file", "sha256": sha256})
    try:
        with transaction.atomic():
            result = ledger_import(actor=user, data=data, filename=name, mapping=_mapping(form.mapping),
                                   kind=form.kind, assign=form.assign)
            if form.expected_rows is not None and len(result.tasks) != form.expected_rows:
                raise DomainError("ledger_rows_changed",
                                  f"台账现有{len(result.tasks)}行，与预览时的{form.expected_rows}行不同，"
                                  "未导入任何内容：请重新预览。", {"rows": len(result.tasks)})
    except LedgerProblems as error:
        raise _problems(error) from None
    tasks = list(task_list_for(user=user).filter(pk__in=[t.pk for t in result.tasks]).order_by("pk"))
    return Status(201, {"filename": name, "sha256": sha256, "assigned": result.assigned, "decisions": result.decisions,
                 "tasks": tasks})
