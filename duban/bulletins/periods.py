"""The period a bulletin covers (duban/core/periods.py): a month, a quarter or a range of office dates that
has begun and spans at most a year."""

import datetime as dt

from duban.core import clock
from duban.core.errors import DomainError
from duban.core.periods import Period, period_read


def period_parse(text: str | None = None, *, start: dt.date | None = None, end: dt.date | None = None) -> Period:
    """A bulletin's period from "2026-11", "2026-Q4", "2026-11-01..2026-11-15", or from `start` and `end`."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise DomainError("bulletin_period_invalid", "请同时填写起止日期。", {"field": "period"})
        period = Period(start, end)
    else:
        period = period_read(text)
        if period is None:
            raise DomainError("bulletin_period_invalid",
                              f"通报期间“{(text or '').strip()}”无效：请写月份（如 2026-11）、季度（如 2026-Q4）"
                              "或起止日期（如 2026-11-01..2026-11-15）。", {"field": "period"})
    if period.end < period.start:
        raise DomainError("bulletin_period_reversed", "结束日期不能早于开始日期。", {"field": "period"})
    if period.start > clock.today():
        raise DomainError("bulletin_period_future", "通报期间尚未开始，不能生成通报。", {"field": "period"})
    if (period.end - period.start).days > 366:
        raise DomainError("bulletin_period_too_long", "通报期间不能超过一年。", {"field": "period"})
    return period
