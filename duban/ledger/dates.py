"""Deadlines as offices write them in a 台账, read into a date or a reporting cadence.

A written date (2026-06-30, 2026/6/30, 2026.6.30, 2026年6月30日, an Excel date
cell) is kept as written. A period (6月底前, 年底前, 第三季度末, 上半年) ends on
its last working day on the calendar, since work is handed in on a working day.
A year left out is the reference date's year (the day of the import). Standing
work (长期, 持续推进, 常态化) has no deadline: it reports monthly.
"""

import datetime as dt
import re
from dataclasses import dataclass

from duban.workdays.calendar import WorkCalendar

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
            "十一": 11, "十二": 12}
NUMBER = r"(\d{1,2}|十[一二]?|[一二三四五六七八九])"
BEFORE = r"(?:前|之前|以前|内|止)?"
STANDING = ("长期", "长期坚持", "持续推进", "持续", "常态化", "常态化推进", "长期推进", "持续开展", "常态长效",
            "长期开展")
CADENCE_WORDS = {"每周报送": "weekly", "每月报送": "monthly", "每季度报送": "quarterly"}

FULL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + BEFORE + "$")
MONTH_DAY = re.compile(r"^(?:(\d{4})年)?" + NUMBER + r"月" + NUMBER + r"日" + BEFORE + "$")
MONTH = re.compile(r"^(?:(\d{4})年)?" + NUMBER + r"月(份|底|末|上旬|中旬|下旬)?" + BEFORE + "$")
QUARTER = re.compile(r"^(?:(\d{4})年)?第?([1-4一二三四])季度(?:末|底)?" + BEFORE + "$")
HALF = re.compile(r"^(?:(\d{4})年)?([上下])半年(?:末|底)?" + BEFORE + "$")
YEAR = re.compile(r"^(?:(\d{4})年|今年|本年|本年度|年)(?:底|末|内|度)?" + BEFORE + "$")
YEAR_END = re.compile(r"^(?:(\d{4})年)?(?:年底|年末|年内|全年)" + BEFORE + "$")


@dataclass(frozen=True)
class Due:
    deadline: dt.date | None
    cadence: str  # a Cadence value: "none" unless the work is standing
    phrase: str  # what the ledger said
    written: bool  # True when the cell was a date as such, not a phrase to be read


class DateUnreadable(ValueError):
    pass


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMERALS[text]


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateUnreadable from None


def _month_end(year: int, month: int) -> dt.date:
    if not 1 <= month <= 12:
        raise DateUnreadable
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def last_workday(calendar: WorkCalendar, day: dt.date) -> dt.date:
    """`day` if it is a working day, else the working day before it."""
    return day if calendar.is_workday(day) else calendar.add_workdays(day, -1)


def read_due(value, *, reference: dt.date, calendar: WorkCalendar) -> Due:
    """A deadline cell read against `reference`; raises DateUnreadable when it is none of the known forms."""
    if isinstance(value, dt.datetime):
        return Due(value.date(), "none", value.date().isoformat(), True)
    if isinstance(value, dt.date):
        return Due(value, "none", value.isoformat(), True)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date typed into a cell without a date format is Excel's day number.
        if 20000 < value < 80000:
            day = dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
            return Due(day, "none", day.isoformat(), True)
        raise DateUnreadable
    phrase = str(value or "").strip()
    text = re.sub(r"\s+", "", phrase).replace("（", "(").replace("）", ")")
    text = re.sub(r"\(.*?\)", "", text).rstrip("。.")
    text = re.sub(r"(?<=.)(完成|办结|完成任务)$", "", text)  # 6月底前完成
    if not text:
        return Due(None, "none", "", True)
    if text in STANDING or text.startswith(("长期", "持续", "常态")):
        return Due(None, "monthly", phrase, False)
    if text in CADENCE_WORDS:
        return Due(None, CADENCE_WORDS[text], phrase, True)  # as duban's own 台账 writes it
    year = reference.year
    if m := FULL_DATE.match(text):
        return Due(_date(int(m[1]), int(m[2]), int(m[3])), "none", phrase, True)
    if m := MONTH_DAY.match(text):
        return Due(_date(int(m[1] or year), _number(m[2]), _number(m[3])), "none", phrase, False)
    if m := MONTH.match(text):
        y, month = int(m[1] or year), _number(m[2])
        if m[3] in ("上旬", "中旬"):
            day = _date(y, month, 10 if m[3] == "上旬" else 20)
        else:
            day = _month_end(y, month)
        return Due(last_workday(calendar, day), "none", phrase, False)
    if m := QUARTER.match(text):
        q = _number(m[2])
        return Due(last_workday(calendar, _month_end(int(m[1] or year), q * 3)), "none", phrase, False)
    if m := HALF.match(text):
        month = 6 if m[2] == "上" else 12
        return Due(last_workday(calendar, _month_end(int(m[1] or year), month)), "none", phrase, False)
    if m := (YEAR_END.match(text) or YEAR.match(text)):
        return Due(last_workday(calendar, dt.date(int(m[1] or year), 12, 31)), "none", phrase, False)
    raise DateUnreadable
