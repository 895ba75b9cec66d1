"""Periods offices report on: a month (2026-11), a quarter (2026-Q4) or a range of office dates, inclusive.

One Period for bulletins and scorecards alike, with its stable key (as written in URLs, the CLI and the
API), its label (as printed in a document), and its instants in office time. Parsing is pure; what a
period may be for (not in the future, not longer than a year) is for its user to say.
"""

import datetime as dt
import re
from dataclasses import dataclass

from duban.core import clock

MONTH = re.compile(r"(\d{4})-(\d{1,2})")
QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\.\.|~|/)(\d{4}-\d{2}-\d{2})")
QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self.end == _month_end(self.start)

    @property
    def quarter(self) -> int | None:
        """1–4 when the period is exactly a calendar quarter."""
        if self.start.day == 1 and self.start.month % 3 == 1:
            number = self.start.month // 3 + 1
            if self.end == _month_end(dt.date(self.start.year, 3 * number, 1)):
                return number
        return None

    @property
    def key(self) -> str:
        """Stable text: "2026-11", "2026-Q4", or "2026-11-01..2026-11-15"."""
        if self.is_month:
            return f"{self.start:%Y-%m}"
        if self.quarter:
            return f"{self.start.year}-Q{self.quarter}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """As a document names it: 2026年11月, 2026年第四季度, 2026年11月1日至11月15日."""
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月"
        if self.quarter:
            return f"{self.start.year}年第{QUARTER_NAMES[self.quarter - 1]}季度"
        end = (f"{self.end.month}月{self.end.day}日" if self.end.year == self.start.year
               else f"{self.end.year}年{self.end.month}月{self.end.day}日")
        return f"{self.start.year}年{self.start.month}月{self.start.day}日至{end}"

    @property
    def after(self) -> dt.date:
        """The first day after the period."""
        return self.end + dt.timedelta(days=1)

    @property
    def since(self) -> dt.datetime:
        """The first instant of the period in office time."""
        return clock.at_local(self.start, 0)

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period in office time."""
        return clock.at_local(self.after, 0)

    def as_of(self) -> dt.date:
        """The day the figures stand at: the period's last day, or today while the period runs."""
        return min(self.end, clock.today())


def _month_end(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1) - dt.timedelta(days=1)


def month(year: int, number: int) -> Period:
    first = dt.date(year, number, 1)
    return Period(first, _month_end(first))


def quarter(year: int, number: int) -> Period:
    return Period(month(year, 3 * number - 2).start, month(year, 3 * number).end)


def last_month(today: dt.date) -> Period:
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return month(previous.year, previous.month)


def period_read(text: str | None) -> Period | None:
    """The period `text` writes (a month, a quarter or a range, whose ends may be reversed), or None."""
    text = (text or "").strip()
    try:
        if m := MONTH.fullmatch(text):
            return month(int(m[1]), int(m[2])) if 1 <= int(m[2]) <= 12 else None
        if m := QUARTER.fullmatch(text):
            return quarter(int(m[1]), int(m[2]))
        if m := RANGE.fullmatch(text):
            return Period(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
    except ValueError:
        return None
    return None


def period_or_this_month(text: str | None, today: dt.date) -> Period:
    """For a page's period picker: the period written (a reversed range put right), else this month."""
    period = period_read(text)
    if period is None:
        return month(today.year, today.month)
    if period.end < period.start:
        return Period(period.end, period.start)
    return period


def recent_periods(today: dt.date, months: int = 12) -> list[Period]:
    """A picker's choices: the last `months` months and the quarters they touch, newest first."""
    out, seen = [], set()
    year, number = today.year, today.month
    for _ in range(months):
        q = quarter(year, (number - 1) // 3 + 1)
        if q.key not in seen:
            seen.add(q.key)
            out.append(q)
        out.append(month(year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return out
