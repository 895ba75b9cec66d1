"""The period a bulletin covers: a calendar month ("2026-11") or a range of office dates, both inclusive."""

import datetime as dt
import re
from dataclasses import dataclass

from duban.core import clock
from duban.core.errors import DomainError

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.|~|/)(\d{4}-\d{2}-\d{2})$")


def _invalid(text: str) -> DomainError:
    return DomainError("bulletin_period_invalid",
                       f"通报期间“{text}”无效：请写月份（如 2026-11）或起止日期（如 2026-11-01..2026-11-15）。",
                       {"field": "period"})


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.start)

    @property
    def key(self) -> str:
        """Stable text for the period: "2026-11" for a month, "2026-11-01..2026-11-15" otherwise."""
        if self.is_month:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """How the bulletin names it: 2026年11月, or 2026年11月1日至11月15日."""
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月"
        end = (f"{self.end.month}月{self.end.day}日" if self.end.year == self.start.year
               else f"{self.end.year}年{self.end.month}月{self.end.day}日")
        return f"{self.start.year}年{self.start.month}月{self.start.day}日至{end}"

    @property
    def since(self) -> dt.datetime:
        """The first instant of the period in office time."""
        return clock.at_local(self.start, 0)

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period in office time."""
        return clock.at_local(self.end + dt.timedelta(days=1), 0)

    def as_of(self) -> dt.date:
        """The day the figures stand at: the period's last day, or today while the period runs."""
        return min(self.end, clock.today())


def month_end(first: dt.date) -> dt.date:
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def month_period(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    return Period(first, month_end(first))


def last_month(today: dt.date | None = None) -> Period:
    first_this = (today or clock.today()).replace(day=1)
    return month_period((first_this - dt.timedelta(days=1)).year, (first_this - dt.timedelta(days=1)).month)


def period_parse(text: str | None = None, *, start: dt.date | None = None, end: dt.date | None = None) -> Period:
    """A period from "2026-11", from "2026-11-01..2026-11-15", or from `start` and `end`."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise DomainError("bulletin_period_invalid", "请同时填写起止日期。", {"field": "period"})
        period = Period(start, end)
    else:
        raw = (text or "").strip()
        if m := MONTH.match(raw):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise _invalid(raw)
            period = month_period(year, month)
        elif m := RANGE.match(raw):
            try:
                period = Period(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
            except ValueError:
                raise _invalid(raw) from None
        else:
            raise _invalid(raw)
    if period.end < period.start:
        raise DomainError("bulletin_period_reversed", "结束日期不能早于开始日期。", {"field": "period"})
    if period.start > clock.today():
        raise DomainError("bulletin_period_future", "通报期间尚未开始，不能生成通报。", {"field": "period"})
    if (period.end - period.start).days > 366:
        raise DomainError("bulletin_period_too_long", "通报期间不能超过一年。", {"field": "period"})
    return period
