"""The calendar tables, loaded into a WorkCalendar and cached briefly per process."""

import datetime as dt
import threading
import time

from duban.workdays.calendar import WorkCalendar
from duban.workdays.models import CalendarDay, CalendarSource, CalendarYear

# Edits made in this process invalidate at once; other processes (the worker,
# other app servers) see an edit within this many seconds.
CACHE_SECONDS = 30.0

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}

_lock = threading.Lock()
_cached: tuple[float, WorkCalendar] | None = None


def get_calendar() -> WorkCalendar:
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    calendar = load_calendar()
    with _lock:
        _cached = (time.monotonic(), calendar)
    return calendar


def invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def load_calendar() -> WorkCalendar:
    days: dict[dt.date, bool] = {}
    names: dict[dt.date, str] = {}
    for day, is_workday, name in CalendarDay.objects.values_list("date", "is_workday", "name"):
        days[day] = is_workday
        if name:
            names[day] = name
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return WorkCalendar(days=days, covered_years=years, names=names)


def package_rows() -> tuple[list[tuple[dt.date, bool, str]], set[int]]:
    """The holidays and 调休 workdays the chinesecalendar package knows, as explicit days."""
    from chinese_calendar import constants

    rows: list[tuple[dt.date, bool, str]] = []
    for day, holiday in constants.holidays.items():
        name = HOLIDAY_NAMES_ZH.get(str(holiday), str(holiday))
        rows.append((day, False, name))
    for day, holiday in constants.workdays.items():
        rows.append((day, True, f"{HOLIDAY_NAMES_ZH.get(str(holiday), str(holiday))}调休上班"))
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return rows, years


def seed_from_package(day_model=CalendarDay, year_model=CalendarYear) -> int:
    """Load the package's years, keeping days an admin or an import has set. Returns days written."""
    rows, years = package_rows()
    protected_years = set(
        year_model.objects.exclude(source=CalendarSource.PACKAGE).values_list("year", flat=True)
    )
    existing = set(day_model.objects.values_list("date", flat=True))
    new_days = [
        day_model(date=d, is_workday=w, name=n, source=CalendarSource.PACKAGE)
        for d, w, n in rows
        if d not in existing and d.year not in protected_years
    ]
    day_model.objects.bulk_create(new_days, batch_size=500)
    known = set(year_model.objects.values_list("year", flat=True))
    year_model.objects.bulk_create(
        [year_model(year=y, source=CalendarSource.PACKAGE) for y in sorted(years - known)]
    )
    invalidate()
    return len(new_days)
