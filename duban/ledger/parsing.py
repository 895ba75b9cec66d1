"""Reading an office's 台账 workbook: where its header is, which column is which, and its rows.

Offices' ledgers differ in the details but share a shape: a title or two above
the header, a header that may take two rows (“责任单位” merged over
“牵头单位 | 配合单位”), one row per task, blank rows and section rows
(“一、重点项目”) between them, and a “任务来源” cell merged down the rows of
one document. The header is found by its known names; the person can override
which column holds what.
"""

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

# A workbook up to this size is read whole, with its merged cells; a larger one is streamed (read-only mode
# knows no merged cells: a blank 任务来源 or 文号 then carries down from the row above).
FULL_READ_MAX = 8 * 1024 * 1024
HEADER_SCAN_ROWS = 20

# field -> (Chinese name, the header names offices use for it)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "seq": ("序号", ("序号", "编号", "序")),
    "source": ("任务来源", ("任务来源", "来源", "文件名称", "事项来源", "文件来源", "决策部署", "会议名称",
                         "文件(会议)名称", "部署来源")),
    "doc_number": ("文号", ("文号", "文件文号", "发文字号", "发文文号")),
    "content": ("任务内容", ("任务内容", "工作任务", "重点任务", "具体事项", "督办事项", "工作内容", "任务事项",
                          "事项内容", "主要任务", "具体任务", "重点工作", "工作事项", "督办内容")),
    "requirements": ("工作要求", ("工作要求", "目标要求", "具体要求", "工作目标", "完成标准", "目标任务")),
    "lead": ("牵头单位", ("牵头单位", "责任单位", "牵头部门", "主办单位", "责任部门", "承办单位", "主责单位")),
    "cooperate": ("配合单位", ("配合单位", "协办单位", "参与单位", "配合部门", "协助单位", "协办部门")),
    "leader": ("责任领导", ("责任领导", "分管领导", "牵头领导", "包保领导", "领衔领导")),
    "deadline": ("完成时限", ("完成时限", "时间节点", "完成时间", "办结时限", "时限要求", "完成期限", "时限",
                           "截止时间")),
    "progress": ("进展情况", ("进展情况", "推进情况", "完成情况", "工作进展")),
    "state": ("状态", ("状态", "办理状态", "办理情况")),
    "light": ("亮灯", ("亮灯", "亮灯情况", "预警", "亮灯预警")),
    "note": ("备注", ("备注",)),
}
# What is read into a task; the rest (progress, state, light) describes work done elsewhere and is not imported.
IMPORTED = ("source", "doc_number", "content", "requirements", "lead", "cooperate", "leader", "deadline", "note")
# Cells a merge carries down in streamed workbooks, where merges are not known.
CARRIED = ("source", "doc_number")


class WorkbookUnreadable(ValueError):
    pass


def header_key(value) -> str:
    """A header cell as compared: no spaces or line breaks, no asterisks, no remark in brackets."""
    text = re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")").strip("*＊:：")
    return re.sub(r"\(.*?\)", "", text) if not text.startswith("(") else text


SYNONYMS = {header_key(name): key for key, (_, names) in FIELDS.items() for name in names}


def field_of(value) -> str | None:
    return SYNONYMS.get(header_key(value))


@dataclass
class Sheet:
    """The cells of the first worksheet, with merged ranges filled in from their top-left cell."""

    title: str
    rows: list[list]  # values, 0-based; row i is Excel row i + 1
    across: set[tuple[int, int]] = field(default_factory=set)  # cells filled from a merge to their left
    streamed: bool = False

    def data_value(self, row: int, col: int):
        """A cell below the header: a merge down its column carries its value, a merge across does not (a
        section title over the whole row is no column's value)."""
        return None if (row, col) in self.across else self.rows[row][col]


@dataclass
class Layout:
    """Where the header is and which column (0-based) holds which field."""

    header_row: int  # 1-based, the last header row
    first_data_row: int  # 1-based
    headers: list[str]  # header text per column
    mapping: dict[str, int]

    def column_name(self, key: str) -> str:
        index = self.mapping[key]
        return column_label(index, self.headers[index] if index < len(self.headers) else "")


def column_label(index: int, header: str = "") -> str:
    letter = get_column_letter(index + 1)
    return f"{letter}列“{header}”" if header else f"{letter}列"


def read_sheet(data: bytes) -> Sheet:
    """The first worksheet of an .xlsx file."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookUnreadable("文件不是 .xlsx 格式的 Excel 工作簿。")
    streamed = len(data) > FULL_READ_MAX
    try:
        book = load_workbook(io.BytesIO(data), read_only=streamed, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise WorkbookUnreadable("无法读取该工作簿，请确认是 Excel 保存的 .xlsx 文件。") from error
    try:
        ws = book.worksheets[0]
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
        width = max((len(r) for r in rows), default=0)
        rows = [r + [None] * (width - len(r)) for r in rows]
        sheet = Sheet(title=ws.title, rows=rows, streamed=streamed)
        for merged in [] if streamed else ws.merged_cells.ranges:
            top, left = merged.min_row - 1, merged.min_col - 1
            if top >= len(rows) or left >= width:
                continue
            value = rows[top][left]
            for r in range(top, min(merged.max_row, len(rows))):
                for c in range(left, min(merged.max_col, width)):
                    rows[r][c] = value
                    if c != left:
                        sheet.across.add((r, c))
        return sheet
    finally:
        book.close()


def _score(row: list) -> int:
    return len({f for f in (field_of(v) for v in row) if f is not None})


def find_layout(sheet: Sheet, override: dict[str, str] | None = None) -> Layout:
    """The header row (the row naming most known fields among the first rows) and the column mapping.

    The row below the header is the header's second row (责任单位 merged over 牵头单位 | 配合单位) when it
    names a field and holds nothing else but the header cells merged down into it.
    """
    best, best_score = None, 0
    for index, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        score = _score(row)
        if score > best_score:
            best, best_score = index, score
    if best_score < (1 if override else 2):
        if not override:
            raise WorkbookUnreadable("找不到表头：前20行中没有一行同时含有“任务内容”“牵头单位”等列名。")
        best = best or 0
    if best is None:
        raise WorkbookUnreadable("找不到表头：前20行中没有一行同时含有“任务内容”“牵头单位”等列名。")
    headers = [header_key(v) for v in sheet.rows[best]]
    last = best
    if best + 1 < len(sheet.rows):
        below = [header_key(v) for v in sheet.rows[best + 1]]
        named = [c for c, text in enumerate(below) if text in SYNONYMS]
        if named and all(not text or text in SYNONYMS or text == headers[c] for c, text in enumerate(below)):
            for c in named:
                headers[c] = below[c]
            last = best + 1
    mapping: dict[str, int] = {}
    for c, text in enumerate(headers):
        key = SYNONYMS.get(text)
        if key is not None and key not in mapping:
            mapping[key] = c
    for key, spec in (override or {}).items():
        if key not in FIELDS:
            raise WorkbookUnreadable(f"未知的字段“{key}”，可指定：{'、'.join(FIELDS)}。")
        if spec in ("", "-", None):
            mapping.pop(key, None)
            continue
        mapping[key] = _column_of(spec, headers)
    return Layout(header_row=last + 1, first_data_row=last + 2, headers=headers, mapping=mapping)


def _column_of(spec: str, headers: list[str]) -> int:
    spec = str(spec).strip()
    if re.fullmatch(r"[A-Za-z]{1,3}", spec):
        return column_index_from_string(spec.upper()) - 1
    if spec.isdigit() and int(spec) > 0:
        return int(spec) - 1
    key = header_key(spec)
    if key in headers:
        return headers.index(key)
    raise WorkbookUnreadable(f"找不到列“{spec}”：请用列字母（如 D）或表头文字指定。")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()
