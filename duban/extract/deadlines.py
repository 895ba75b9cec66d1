"""When an item is due: the phrase as the document writes it, and the date it means on the working-day calendar.

Phrases are found in the item's text (the ledger's reader, duban.ledger.dates, then reads them):
- dates and periods that close: 2026年6月底前, 6月30日前, 9月底, 年底前, 2025年前, 第三季度, 上半年, 年内;
- a reporting cadence: 每月5日前报送 (monthly, on the 5th), 每季度末报送, 每周五报送 — standing work, no deadline;
- standing work: 长期坚持, 长期, 持续推进 / 常态化推进 when they stand as the time of the item (in its bracket,
  after 时限, or as a clause of their own), not as a verb inside a sentence; 年内持续推进 is due at the year's end.
A year left out is the document's; a month already past at the document's date is next year's.
"""

import datetime as dt
import re
from dataclasses import dataclass

from duban.extract.text import bracket_groups
from duban.ledger.dates import DateUnreadable, read_due
from duban.workdays.calendar import WorkCalendar

YEAR = r"(?:20\d{2}\s*年|今年|本年|明年)?"
NUM = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
BEFORE = r"(?:前|之前|以前)"
EVERY = (r"每(?:个)?(?:月|季度|季|周|半年|旬)(?:末|初|底)?(?:" + NUM + r"日|周[一二三四五六日]|(?<=周)[一二三四五六日](?![次个]))?"
         + BEFORE + r"?")
EVERY_YEAR = r"每年(?:" + NUM + r"\s*月\s*(?:" + NUM + r"\s*日|底|末)?)" + BEFORE + r"?"
CADENCE = re.compile(r"(?:" + EVERY_YEAR + "|" + EVERY + r")(?:报送|上报)?|按(?:月|季度|季|周|半年)(?=[报向对进调开上统]|$)")
SINCE = (r"(?:(?:本|该)(?:办法|规定|方案|通知|意见|细则|条例)(?:施行|印发|实施|发布)之日起|自[^，。；]{2,20}?之日起|"
         r"收到[^，。；]{0,20}?(?:后|之日起))?")
RELATIVE = re.compile(SINCE + r"(?:\d{1,3}|[一二三四五六七八九十两]{1,3})\s*个?(?:工作日|日|天|月|年)(?:内|以内)")
PATTERNS = [
    ("cadence", CADENCE),
    ("relative", RELATIVE),
    ("date", re.compile(YEAR + NUM + r"\s*月\s*" + NUM + r"\s*日" + BEFORE + r"?")),
    ("date", re.compile(YEAR + NUM + r"\s*月(?:底|末|上旬|中旬|下旬)" + BEFORE + r"?")),
    ("date", re.compile(YEAR + NUM + r"\s*月(?:份)?" + BEFORE)),
    ("date", re.compile(YEAR + r"第?[一二三四1-4]季度(?:末|底)?" + BEFORE + r"?")),
    ("date", re.compile(YEAR + r"[上下]半年(?:末|底)?" + BEFORE + r"?")),
    ("date", re.compile(r"(?:20\d{2}\s*年?|今|明|本)?年(?:底|末)" + BEFORE + r"?")),  # 2026年底, 2026年年底
    ("date", re.compile(r"20\d{2}\s*年(?:底|末)?" + BEFORE)),
    ("ongoing", re.compile(r"(?:20\d{2}\s*年)?年内持续推进")),
    ("date", re.compile(r"(?:20\d{2}\s*年|今年|(?<![\d一二三四五六七八九十两半个]))年内(?:完成)?")),
    ("standing", re.compile(r"长期坚持|长期推进|长期|持续推进|常态化推进|常态化开展|常态长效|持续开展")),
]
# A standing phrase counts only where it stands for the time: after these, and before the clause ends.
STANDING_BEFORE = ("", "（", "(", "，", "：", ":", "；", "\t", "〔")
STANDING_AFTER = ("", "）", ")", "。", "；", "，", "\t", "〕", "\n")
CADENCES = {"月": "monthly", "季": "quarterly", "季度": "quarterly", "周": "weekly", "旬": "weekly",
            "半年": "quarterly", "年": "quarterly"}


@dataclass(frozen=True)
class Deadline:
    text: str  # as written
    span: tuple[int, int]
    date: dt.date | None
    cadence: str | None  # weekly | monthly | quarterly, for standing work
    report_day: int | None = None


def _standing_here(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return before in STANDING_BEFORE and after in STANDING_AFTER


def find_deadline(text: str) -> tuple[str, str, tuple[int, int]] | None:
    """The item's time phrase (kind, phrase, span): in its own bracket or after 时限 first, else the first."""
    found = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if kind == "standing" and not _standing_here(text, m.start(), m.end()):
                continue
            if any(m.start() < e and s < m.end() for _, _, (s, e) in found):
                continue  # a longer phrase already holds these characters
            found.append((kind, m.group().strip(), (m.start(), m.end())))
    labelled = re.search(r"(?:完成时限|时间节点|完成时间|时限要求|时限|办结时限)\s*[:：]\s*([^；;。）)\n]{2,30})", text)
    if labelled:
        start, end = labelled.start(1), labelled.start(1) + len(labelled[1].strip())
        inside = [f for f in found if start <= f[2][0] and f[2][1] <= end]
        if inside:  # 完成时限：9月底前完成首批入库 — the phrase in the label, not the whole line
            inside = _ranges(text, inside)
            return inside[-1 if _all_dates(inside) else 0]
        return "date", text[start:end], (start, end)
    if not found:
        return None
    found = _ranges(text, found)
    # A time in the bracket that names who is responsible: （州投资促进局负责，长期坚持）.
    for start, end in bracket_groups(text):
        inside = [f for f in found if start < f[2][0] and f[2][1] < end]
        if inside and re.search(r"牵头|负责|责任单位|配合", text[start:end]):
            return inside[-1]
    return found[-1] if len(found) > 1 and _all_dates(found) else min(found, key=lambda f: f[2][0])


def _all_dates(found) -> bool:
    """Several dates in one item (①3月底前…②6月底前…③11月底前…): the last one closes it."""
    return all(kind == "date" for kind, _, _ in found)


def _ranges(text: str, found: list) -> list:
    """“5月下旬至6月中旬” is one phrase: two dates joined by 至, 到 or a dash."""
    found = sorted(found, key=lambda f: f[2][0])
    out = []
    for hit in found:
        if out and out[-1][0] == hit[0] == "date" and text[out[-1][2][1]:hit[2][0]] in ("至", "到", "—", "－", "-", "~"):
            start = out[-1][2][0]
            out[-1] = ("date", text[start:hit[2][1]], (start, hit[2][1]))
            continue
        out.append(hit)
    return out


def _cadence(phrase: str) -> tuple[str, int | None]:
    unit = re.match(r"[每按](?:个)?(月|季度|季|周|半年|年|旬)", phrase)[1]
    day = re.search(r"(\d{1,2})日", phrase)
    return CADENCES[unit], int(day[1]) if day and unit == "月" else None


def read_deadline(text: str, *, reference: dt.date, calendar: WorkCalendar) -> Deadline | None:
    """The deadline `text` names, read against the document's date `reference`."""
    hit = find_deadline(text)
    if hit is None:
        return None
    kind, phrase, span = hit
    if kind == "cadence":
        cadence, day = _cadence(phrase)
        return Deadline(phrase, span, None, cadence, day)
    if kind == "standing":
        return Deadline(phrase, span, None, "monthly")
    if kind == "relative":
        return Deadline(phrase, span, None, None)  # counted from an event the document cannot date
    core = re.sub(r"\s+", "", phrase)
    if kind == "ongoing":
        core = core.replace("持续推进", "")
    core = core.replace("今年", f"{reference.year}年").replace("本年", f"{reference.year}年")
    core = core.replace("明年", f"{reference.year + 1}年")
    core = re.sub(r"年内完成$", "年内", core)
    core = re.split(r"[至到—－~]", core)[-1] if kind == "date" else core
    try:
        due = read_due(core, reference=reference, calendar=calendar)
    except (DateUnreadable, KeyError):
        return Deadline(phrase, span, None, None)
    day = due.deadline
    if day is not None and day < reference and not re.match(r"20\d{2}", core):
        # “3月底前” written in November means next March.
        try:
            due = read_due(f"{reference.year + 1}年{core}", reference=reference, calendar=calendar)
            day = due.deadline
        except DateUnreadable:
            pass
    return Deadline(phrase, span, day, None if kind != "ongoing" else "monthly")
