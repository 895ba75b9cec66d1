"""Working-day arithmetic on the Chinese calendar: pure functions over a WorkCalendar.

Nothing here touches the database; `duban.workdays.store` builds the calendar
from the tables. A year the data does not cover falls back to Mon–Fri and
`is_estimated()` says so, so that every page showing such a date can warn.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    # date -> is_workday, for days that are set explicitly
    days: Mapping[dt.date, bool] = field(default_factory=dict)
    # years whose arrangement is known
    covered_years: frozenset[int] = frozenset()
    names: Mapping[dt.date, str] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        explicit = self.days.get(day)
        if explicit is not None:
            return explicit
        return day.weekday() < 5

    def is_estimated(self, day: dt.date) -> bool:
        """True when `day` lies in a year without published holiday data (Mon–Fri assumed)."""
        return day.year not in self.covered_years

    def day_name(self, day: dt.date) -> str:
        return self.names.get(day, "")

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself not counted); n may be negative."""
        if n == 0:
            return start
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end == start:
            return 0
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_workday(day):
                count += 1
        return count

    def next_workday(self, day: dt.date, include_self: bool = True) -> dt.date:
        """`day` if it is a working day (and include_self), else the next one."""
        if include_self and self.is_workday(day):
            return day
        return self.add_workdays(day, 1)

    def estimated_years(self, *days: dt.date | None) -> list[int]:
        return sorted({d.year for d in days if d is not None and self.is_estimated(d)})


def month_add(day: dt.date, months: int, on_day: int | None = None) -> dt.date:
    """The same (or `on_day`) day `months` later, clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    target = on_day or day.day
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - ONE_DAY).day
    return dt.date(year, month, min(target, last))


def next_report_due(calendar: WorkCalendar, cadence: str, after: dt.date, report_day: int | None) -> dt.date | None:
    """The next date a report is due for a reporting cadence, after `after`.

    weekly: 7 days on; monthly: the `report_day` (default 5) of the next month;
    quarterly: the `report_day` of the month after the quarter ends.
    A due date on a non-working day moves to the next working day (遇节假日顺延).
    """
    if cadence == "weekly":
        due = after + dt.timedelta(days=7)
    elif cadence == "monthly":
        due = month_add(after.replace(day=1), 1, report_day or 5)
        if due <= after:
            due = month_add(due, 1, report_day or 5)
    elif cadence == "quarterly":
        quarter_end_month = ((after.month - 1) // 3 + 1) * 3
        due = month_add(dt.date(after.year, quarter_end_month, 1), 1, report_day or 5)
        if due <= after:
            due = month_add(due, 3, report_day or 5)
    else:
        return None
    return calendar.next_workday(due)
