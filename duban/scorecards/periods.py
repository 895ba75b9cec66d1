"""The period a scorecard covers: a month (2026-11), a quarter (2026-Q4) or a date range. Pure."""

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    start: dt.date
    last: dt.date  # inclusive
    key: str  # as written in the URL: 2026-11, 2026-Q4, or 2026-06-01~2026-06-30
    label: str

    @property
    def after(self) -> dt.date:
        """The first day after the period."""
        return self.last + dt.timedelta(days=1)


def month(year: int, number: int) -> Period:
    start = dt.date(year, number, 1)
    nxt = dt.date(year + (number == 12), number % 12 + 1, 1)
    return Period(start, nxt - dt.timedelta(days=1), f"{year}-{number:02d}", f"{year}年{number}月")


def quarter(year: int, number: int) -> Period:
    first = month(year, 3 * number - 2)
    last = month(year, 3 * number)
    return Period(first.start, last.last, f"{year}-Q{number}", f"{year}年第{'一二三四'[number - 1]}季度")


def date_range(start: dt.date, last: dt.date) -> Period:
    if last < start:
        start, last = last, start
    return Period(start, last, f"{start.isoformat()}~{last.isoformat()}",
                  f"{start.year}年{start.month}月{start.day}日至{last.year}年{last.month}月{last.day}日")


def period_parse(text: str | None, today: dt.date) -> Period:
    """A period from its URL form; the current month when empty or not understood."""
    text = (text or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            if 1 <= int(m[2]) <= 12:
                return month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            return quarter(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})~(\d{4}-\d{2}-\d{2})", text):
            return date_range(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
    except ValueError:
        pass
    return month(today.year, today.month)


def recent_periods(today: dt.date, months: int = 12) -> list[Period]:
    """The picker's choices: the last `months` months and the quarters they touch, newest first."""
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
