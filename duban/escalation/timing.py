"""When a step fires and when a notice may go out: pure functions over the working-day calendar."""

import datetime as dt

from django.conf import settings

from duban.core import clock
from duban.workdays.calendar import WorkCalendar

ONE_DAY = dt.timedelta(days=1)


def fires_by(calendar: WorkCalendar, today: dt.date, offset: int) -> dt.date:
    """The latest cause date whose step at `offset` working days is due today.

    A step fires on the day `add_workdays(date, offset)`; that is monotone in the date, so
    "due by today" is one comparison `date <= fires_by(today, offset)` in SQL — no
    per-row calendar arithmetic.
    """
    if offset == 0:
        return today
    day = today
    if offset > 0:
        while calendar.add_workdays(day, offset) > today:
            day -= ONE_DAY
        return day
    while calendar.add_workdays(day + ONE_DAY, offset) <= today:
        day += ONE_DAY
    return day


def fire_date(calendar: WorkCalendar, date: dt.date, offset: int) -> dt.date:
    """The day a step at `offset` working days fires for a cause on `date`."""
    return calendar.add_workdays(date, offset)


def in_office_hours(calendar: WorkCalendar, moment: dt.datetime) -> bool:
    """Whether a routine notice may go out now: a working day, between the day's start and end hours."""
    local = clock.local(moment)
    if not calendar.is_workday(local.date()):
        return False
    return settings.DUBAN_NOTICE_DAY_START <= local.hour < settings.DUBAN_NOTICE_DAY_END


def next_working_morning(calendar: WorkCalendar, moment: dt.datetime) -> dt.datetime:
    """The next start of office hours at or after `moment` (免打扰: quiet hours and days off wait for it)."""
    local = clock.local(moment)
    day = local.date()
    if local.hour >= settings.DUBAN_NOTICE_DAY_START:
        day += ONE_DAY
    day = calendar.next_workday(day)
    return clock.at_local(day, settings.DUBAN_NOTICE_DAY_START)


def send_at(calendar: WorkCalendar, moment: dt.datetime, *, urgent: bool) -> dt.datetime:
    """Urgent notices go at once; routine ones go now in office hours, else the next working morning."""
    if urgent or in_office_hours(calendar, moment):
        return moment
    return next_working_morning(calendar, moment)
