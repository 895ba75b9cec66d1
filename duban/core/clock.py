"""Time through one door.

Everything in the domain asks this module for "now" and for the office's local
date. UTC is stored; Asia/Shanghai is the office's day. The demo generator
replays a year of history by setting the clock for the duration of a block.
"""

import contextlib
import contextvars
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("duban_clock", default=None)


def now() -> dt.datetime:
    fixed = _override.get()
    return fixed if fixed is not None else timezone.now()


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    """Run a block as if it were `moment` (aware datetime). For replays, not for tests."""
    if timezone.is_naive(moment):
        raise ValueError("frozen() needs an aware datetime")
    token = _override.set(moment)
    try:
        yield
    finally:
        _override.reset(token)


def local(moment: dt.datetime | None = None) -> dt.datetime:
    return (moment or now()).astimezone(OFFICE_TZ)


def today() -> dt.date:
    """The office's calendar date now."""
    return local().date()


def passed_through(moment: dt.datetime | None = None) -> dt.date:
    """The last deadline date that has already ended at `moment`.

    A deadline D ends at DUBAN_DAY_END_HOUR on D (24 = midnight). So before the
    end hour today only yesterday's deadlines have passed; after it, today's too.
    """
    at = local(moment)
    end_hour = settings.DUBAN_DAY_END_HOUR
    if end_hour < 24 and at.hour >= end_hour:
        return at.date()
    return at.date() - dt.timedelta(days=1)


def at_local(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=OFFICE_TZ)
