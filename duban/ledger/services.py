"""Importing an office's 台账: preview it without writing, then commit it whole or not at all.

Every row becomes one draft task (task_create) under a decision registered per
任务来源 + 文号 (decision_create), and is assigned (task_assign) when asked: the
tasks' own services check scope, write and leave their Events; one
`ledger.import` Event records the file and the counts. A ledger with any
problem imports nothing, and every problem names its row and column.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.ledger.dates import DateUnreadable, read_due
from duban.ledger.parsing import (
    CARRIED,
    FIELDS,
    IMPORTED,
    Layout,
    Sheet,
    WorkbookUnreadable,
    cell_text,
    column_label,
    find_layout,
    read_sheet,
)
from duban.org.models import Role, Unit, User
from duban.org.selectors import leader_above_list_for, person_list_for, unit_list_for
from duban.supervision.models import Cadence, DecisionKind
from duban.supervision.services import decision_create, task_assign, task_create
from duban.workdays.store import get_calendar

TITLE_MAX = 300
DECISION_TITLE_MAX = 200
UNIT_SEPARATORS = re.compile(r"[、，,；;/／\\|\s]+")
SECTION = re.compile(r"^[（(]?[一二三四五六七八九十]+[）)、．.]")


@dataclass(frozen=True)
class Problem:
    row: int | None  # Excel row number; None for the file as a whole
    column: str  # e.g. E列“牵头单位”; "" for the row or file as a whole
    message: str

    def __str__(self) -> str:
        where = "".join(part for part in (f"第{self.row}行" if self.row else "", self.column) if part)
        return f"{where}：{self.message}" if where else self.message


@dataclass
class LedgerRow:
    row: int
    source: str
    doc_number: str
    title: str = ""
    requirements: str = ""
    lead_units: list[Unit] = field(default_factory=list)
    cooperating_units: list[Unit] = field(default_factory=list)
    leader: User | None = None
    deadline: dt.date | None = None
    cadence: str = Cadence.NONE
    due_phrase: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def cadence_label(self) -> str:
        return Cadence(self.cadence).label if self.cadence != Cadence.NONE else ""


@dataclass
class Preview:
    filename: str
    sheet: str = ""
    header_row: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # Chinese field name -> column label
    columns: list[str] = field(default_factory=list)  # every column's label (B列“任务来源”), for choosing
    field_columns: dict[str, int] = field(default_factory=dict)  # field key -> 0-based column
    rows: list[LedgerRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # blank and section rows
    fallback_title: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    def decision_title(self, row: LedgerRow) -> str:
        return row.source or self.fallback_title

    @property
    def decisions(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((self.decision_title(r), r.doc_number) for r in self.rows))

    @property
    def general_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.row is None]


@dataclass
class ImportResult:
    decisions: list
    tasks: list
    assigned: bool


class LedgerProblems(DomainError):
    """The ledger has problems: nothing was imported. `.preview` holds every problem."""

    def __init__(self, preview: Preview):
        count = len(preview.problems)
        message = f"台账有{count}处问题，未导入任何内容。" if count else "台账中没有可导入的督办事项。"
        super().__init__("ledger_problems", message, {"problems": [str(p) for p in preview.problems]})
        self.preview = preview


def _require_supervisor(actor) -> None:
    if actor is None or not actor.is_active or not actor.has_role(Role.SUPERVISOR) or actor.unit_id is None:
        raise PermissionDenied("只有督查员可以导入台账。")


# ---- units and leaders ----------------------------------------------------------------------------


def _name_key(text: str) -> str:
    text = re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")")
    return re.sub(r"\(.*?\)", "", text)


class UnitFinder:
    """The units a supervisor may hand work to (their unit's subtree, below the unit itself), by name."""

    def __init__(self, actor):
        self.units = list(unit_list_for(user=actor).filter(path__startswith=actor.unit.path)
                          .exclude(pk=actor.unit_id).select_related(None))
        self.tables: list[dict[str, list[Unit]]] = [defaultdict(list), defaultdict(list), defaultdict(list)]
        # Each full name's key, made once: a name that is no unit's own is looked for inside all of them.
        self.keys: list[tuple[str, Unit]] = [(_name_key(unit.name), unit) for unit in self.units]
        for unit in self.units:
            self.tables[0][_name_key(unit.name)].append(unit)
            if unit.short_name:
                self.tables[1][_name_key(unit.short_name)].append(unit)
            for alias in unit.aliases or []:
                self.tables[2][_name_key(str(alias))].append(unit)

    def one(self, name: str) -> Unit | str | None:
        """The unit `name` means; a message when it means several; None when it means none.

        Full name first, then short name, then alias; only then a unit whose full name contains it, if just one.
        """
        key = _name_key(name)
        if not key:
            return None
        for table in self.tables:
            found = list(dict.fromkeys(table.get(key, [])))
            if len(found) == 1:
                return found[0]
            if found:
                return self._ambiguous(name, found)
        if len(key) >= 2:
            found = [u for name_key, u in self.keys if key in name_key]
            if len(found) == 1:
                return found[0]
            if found:
                return self._ambiguous(name, found)
        return None

    @staticmethod
    def _ambiguous(name: str, units: list[Unit]) -> str:
        names = "、".join(u.name for u in units[:5])
        return f"“{name}”可能指多个单位（{names}），请填写单位全称。"

    def many(self, cell: str) -> tuple[list[Unit], list[str]]:
        """Every unit a cell names (split on 、，,；;/ and spaces, and on 和 when the whole is no unit)."""
        units, messages = [], []
        for piece in (p for p in UNIT_SEPARATORS.split(cell) if p):
            found = self.one(piece)
            if found is None and "和" in piece:
                parts = [self.one(p) for p in piece.split("和") if p]
                if parts and all(isinstance(p, Unit) for p in parts):
                    units.extend(parts)
                    continue
            if isinstance(found, Unit):
                units.append(found)
            elif isinstance(found, str):
                messages.append(found)
            else:
                messages.append(f"找不到单位“{piece}”（须是本单位下属单位的全称、简称或别称）。")
        return list(dict.fromkeys(units)), messages


class LeaderFinder:
    """People with the leader role in the supervisor's scope, or above their unit, by name."""

    def __init__(self, actor):
        people = list(person_list_for(user=actor, filters={"role": Role.LEADER})) + list(
            leader_above_list_for(user=actor))
        self.by_name: dict[str, list[User]] = defaultdict(list)
        for person in dict.fromkeys(people):
            for name in {person.full_name, person.username} - {""}:
                self.by_name[_name_key(name)].append(person)

    def one(self, name: str) -> User | str:
        found = list(dict.fromkeys(self.by_name.get(_name_key(name), [])))
        if len(found) == 1:
            return found[0]
        if found:
            return f"有多位领导名为“{name}”，无法确定是哪一位：请清空该单元格，导入后在事项中指定责任领导。"
        return f"找不到领导“{name}”（须是本单位或上级单位具有领导角色的人员）。"


# ---- rows -------------------------------------------------------------------------------------------


def _split_content(text: str) -> tuple[str, str]:
    """The first line is the task's name; the rest is its requirements."""
    first, _, rest = text.partition("\n")
    first = first.strip()
    if len(first) <= TITLE_MAX:
        return first, rest.strip()
    return first[:TITLE_MAX - 1] + "…", text


def _read_row(preview: Preview, layout: Layout, values: dict, row: LedgerRow, *, units: UnitFinder,
              leaders: LeaderFinder, reference: dt.date, calendar, today: dt.date) -> None:
    def problem(key: str | None, message: str) -> None:
        found = Problem(row.row, layout.column_name(key) if key else "", message)
        row.problems.append(found)
        preview.problems.append(found)

    notes = []
    row.title, rest = _split_content(cell_text(values.get("content")))
    if rest:
        notes.append(rest)
    if not row.title:
        problem("content", "缺少任务内容。")
    if requirements := cell_text(values.get("requirements")):
        notes.append(requirements)
    if len(row.source) > DECISION_TITLE_MAX:
        problem("source", f"任务来源过长（不超过{DECISION_TITLE_MAX}字）。")

    unreadable = False
    for key, attr in (("lead", "lead_units"), ("cooperate", "cooperating_units")):
        found, messages = units.many(cell_text(values.get(key)))
        setattr(row, attr, found)
        for message in messages:
            problem(key, message)
        unreadable = unreadable or (key == "lead" and bool(messages))
    if not row.lead_units and not unreadable:
        problem("lead" if "lead" in layout.mapping else None, "缺少牵头单位。")
    both = {u.pk for u in row.lead_units} & {u.pk for u in row.cooperating_units}
    if both:
        names = "、".join(u.name for u in row.lead_units if u.pk in both)
        problem("cooperate", f"“{names}”既是牵头单位又是配合单位。")

    if leader_cell := cell_text(values.get("leader")):
        names = [n for n in UNIT_SEPARATORS.split(leader_cell) if n]
        found = leaders.one(names[0])
        if isinstance(found, str):
            problem("leader", found)
        else:
            row.leader = found
        if len(names) > 1:
            notes.append(f"责任领导（原文）：{leader_cell}")

    raw_due = values.get("deadline")
    try:
        due = read_due(raw_due, reference=reference, calendar=calendar)
    except DateUnreadable:
        problem("deadline", f"无法识别完成时限“{cell_text(raw_due)}”，可写作 2026-06-30、2026年6月30日、"
                            "6月底前、年底前、第三季度末或长期。")
    else:
        row.deadline, row.cadence, row.due_phrase = due.deadline, due.cadence, due.phrase
        if not due.written:
            notes.append(f"完成时限（原文）：{due.phrase}")
        if due.deadline is not None and due.deadline < today:
            problem("deadline", f"完成时限“{due.phrase}”即{due.deadline:%Y年%-m月%-d日}，早于今天。")
    if note := cell_text(values.get("note")):
        notes.append(f"备注：{note}")
    row.requirements = "\n".join(notes)


def _rows(sheet: Sheet, layout: Layout):
    """(Excel row number, {field: value}) for each row below the header. In a streamed sheet (no merges known)
    a row with a blank 任务来源 continues the source and 文号 of the row above, as a merged cell would."""
    width = len(sheet.rows[0]) if sheet.rows else 0
    carried: dict[str, object] = {}
    for index in range(layout.first_data_row - 1, len(sheet.rows)):
        values = {key: sheet.data_value(index, c) for key, c in layout.mapping.items() if c < width}
        if sheet.streamed and cell_text(values.get("content")):
            if cell_text(values.get(CARRIED[0])):
                carried = {key: values.get(key) for key in CARRIED}
            else:
                values.update(carried)
        yield index + 1, values


def _is_blank_or_section(values: dict) -> bool:
    rest = [cell_text(values.get(k)) for k in IMPORTED if k not in ("source", "doc_number", "content")]
    if any(rest):
        return False
    content = cell_text(values.get("content"))
    return not content or bool(SECTION.match(content))


def ledger_preview(*, actor, data: bytes, filename: str, mapping: dict[str, str] | None = None,
                   reference: dt.date | None = None) -> Preview:
    """The ledger's rows as they would be imported, and every problem with its row and column. Writes nothing."""
    _require_supervisor(actor)
    preview = Preview(filename=filename, fallback_title=f"台账导入：{PurePath(filename).stem}"[:DECISION_TITLE_MAX])
    try:
        sheet = read_sheet(data)
        layout = find_layout(sheet, mapping)
    except WorkbookUnreadable as error:
        preview.problems.append(Problem(None, "", str(error)))
        return preview
    preview.sheet, preview.header_row = sheet.title, layout.header_row
    preview.mapping = {FIELDS[key][0]: layout.column_name(key)
                       for key in sorted(layout.mapping, key=layout.mapping.get) if key in IMPORTED}
    preview.columns = [column_label(c, text) for c, text in enumerate(layout.headers)]
    preview.field_columns = {key: c for key, c in layout.mapping.items() if key in IMPORTED}
    if "content" not in layout.mapping:
        preview.problems.append(Problem(None, "", "找不到“任务内容”列：请指定哪一列是任务内容。"))
        return preview
    units, leaders = UnitFinder(actor), LeaderFinder(actor)
    today = clock.today()
    reference = reference or today
    calendar = get_calendar()
    for number, values in _rows(sheet, layout):
        if _is_blank_or_section(values):
            if any(cell_text(v) for v in sheet.rows[number - 1]):
                preview.skipped.append(number)
            continue
        row = LedgerRow(row=number, source=cell_text(values.get("source")),
                        doc_number=cell_text(values.get("doc_number"))[:100])
        _read_row(preview, layout, values, row, units=units, leaders=leaders, reference=reference,
                  calendar=calendar, today=today)
        preview.rows.append(row)
    if not preview.rows and not preview.problems:
        preview.problems.append(Problem(None, column_label(layout.mapping["content"]),
                                        "表头下没有任何督办事项。"))
    return preview


@transaction.atomic
def ledger_import(*, actor, data: bytes, filename: str, mapping: dict[str, str] | None = None,
                  kind: str = DecisionKind.DOCUMENT, assign: bool = False,
                  reference: dt.date | None = None) -> ImportResult:
    """Import the ledger: every row or none. Raises LedgerProblems (nothing written) when the preview has any."""
    preview = ledger_preview(actor=actor, data=data, filename=filename, mapping=mapping, reference=reference)
    if not preview.ok:
        raise LedgerProblems(preview)
    issued_on = reference or clock.today()
    decisions, tasks = {}, []
    for row in preview.rows:
        try:
            key = (preview.decision_title(row), row.doc_number)
            if key not in decisions:
                decisions[key] = decision_create(actor=actor, kind=kind, title=key[0], doc_number=row.doc_number,
                                                 issued_on=issued_on)
            task = task_create(actor=actor, decision=decisions[key], title=row.title,
                               requirements=row.requirements, lead_unit_ids=[u.pk for u in row.lead_units],
                               cooperating_unit_ids=[u.pk for u in row.cooperating_units],
                               deadline=row.deadline, cadence=row.cadence, responsible_leader=row.leader)
            if assign:
                task = task_assign(actor=actor, task=task)
        except DomainError as error:
            raise DomainError(error.code, f"第{row.row}行：{error.message}",
                              {**error.detail, "row": row.row}) from error
        tasks.append(task)
    event_append(actor=actor, verb="ledger.import", object_type="ledger", object_id=None, unit_id=actor.unit_id,
                 payload={"file": filename, "rows": len(preview.rows), "decisions": len(decisions),
                          "tasks": len(tasks), "assigned": assign,
                          "decision_ids": [d.pk for d in decisions.values()]})
    return ImportResult(decisions=list(decisions.values()), tasks=tasks, assigned=assign)
