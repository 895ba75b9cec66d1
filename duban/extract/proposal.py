"""From a document to proposed tasks: its items, who is to do each and by when, for a person to check.

Pure but for the unit tree and the calendar it is given: nothing is written. `propose` is what the review
page, the API and `duban extract` all call.
"""

import datetime as dt
import re
from dataclasses import dataclass

from duban.extract.deadlines import Deadline, read_deadline
from duban.extract.matching import UnitMatcher
from duban.extract.reading import Source
from duban.extract.responsibility import LABEL, Responsibility, names_of, read_clauses, responsibility_of
from duban.extract.structure import Item, items_of
from duban.workdays.calendar import WorkCalendar

DATE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DOC_YEAR = re.compile(r"[〔\[［(（](20\d{2})[〕\]］)）]\s*\d+\s*号")


@dataclass
class Proposal:
    section: list[str]
    text: str
    lead_units: list[str]
    other_units: list[str]
    matched_units: list[int | None]  # one per name, lead units first, then the others
    deadline_text: str | None
    deadline: dt.date | None
    cadence: str | None
    report_day: int | None
    span: tuple[int, int]

    def as_json(self) -> dict:
        return {
            "section": self.section, "text": self.text, "lead_units": self.lead_units,
            "other_units": self.other_units, "matched_units": self.matched_units,
            "deadline_text": self.deadline_text, "deadline": self.deadline.isoformat() if self.deadline else None,
            "cadence": self.cadence, "span": list(self.span),
        }


def document_date(source: Source) -> dt.date | None:
    """The date the document was issued: a line that is only a date (its 落款), or a date in brackets near its
    head (（2026年3月5日第十四届全国人民代表大会…）); else 1 January of the year in its number (〔2026〕6号)."""
    candidates = []
    for block in source.blocks:
        body = source.block_text(block).strip()
        m = DATE.search(body)
        if m and (len(body) <= 16 or body.startswith(("（", "(")) or re.search(r"(?:政府|办公室|办公厅|委员会)\s*20", body)):
            candidates.append(m)
    for m in candidates:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
    if m := DOC_YEAR.search(source.text[:2000]):
        return dt.date(int(m[1]), 1, 1)
    return None


def _row_fields(source: Source, item: Item) -> tuple[Responsibility, str | None]:
    block = item.block

    def cell(name: str) -> str:
        span = block.cell(source.text, name)
        return source.text[span[0]:span[1]] if span else ""

    lead, other = (re.sub(r"\s*\n\s*|\s{2,}|(?<=[）)])\s+", "、", cell(name).strip()) for name in ("lead", "cooperate"))
    if LABEL.search(lead):
        found = responsibility_of(lead)  # 牵头：A / 配合：B, one a line
    elif re.search(r"[（(]牵头[）)]", lead):
        found = responsibility_of(f"责任单位：{lead}")  # 州发改委（牵头）、各县市人民政府
    elif re.search(r"牵头|配合|负责|参与", lead):
        found = read_clauses(lead.replace("、牵头", "牵头"))  # 州工信局牵头，州自然资源局配合
    else:
        found = Responsibility(names_of(lead), [])
    found.other = [n for n in dict.fromkeys(found.other + names_of(other)) if n not in found.lead]
    return found, cell("deadline").strip() or None


def propose(source: Source, *, calendar: WorkCalendar, reference: dt.date, matcher: UnitMatcher | None = None
            ) -> list[Proposal]:
    """The proposed tasks of `source`, in document order. `reference` reads deadlines without a year."""
    out = []
    for item in items_of(source):
        text = source.text[item.start:item.end]
        deadline: Deadline | None = None
        if item.block is not None:
            found, written = _row_fields(source, item)
            if written:
                # The time phrase of the cell (“6月底前” of “6月底前全面开工”), or a short cell as a whole
                # (秋季学期开学前); “7月1日起执行” says when something starts, not when it is due.
                deadline = read_deadline(written, reference=reference, calendar=calendar)
                if deadline is None and len(written) <= 12 and not re.search(r"起|开始", written):
                    deadline = Deadline(written, (0, len(written)), None, None)
        else:
            found = responsibility_of(text)
            if not found:
                found = _enclosing(source, item)
            deadline = read_deadline(text, reference=reference, calendar=calendar)
        names = found.lead + found.other
        out.append(Proposal(
            section=item.section, text=text, lead_units=found.lead, other_units=found.other,
            matched_units=matcher.match_all(names) if matcher else [None] * len(names),
            deadline_text=deadline.text if deadline else None, deadline=deadline.date if deadline else None,
            cadence=deadline.cadence if deadline else None, report_day=deadline.report_day if deadline else None,
            span=(item.start, item.end),
        ))
    return out


def _enclosing(source: Source, item: Item) -> Responsibility:
    """An item split out of a paragraph (一是…) takes the paragraph's units when it names none itself."""
    for block in source.blocks:
        if block.start <= item.start and item.end <= block.end and (block.start, block.end) != (item.start, item.end):
            return responsibility_of(source.block_text(block))
    return Responsibility()
