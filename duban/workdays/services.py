"""Edits to the calendar: by an admin, one day at a time, or a whole year from CSV."""

import csv
import datetime as dt
import io

from django.db import transaction

from duban.audit.chain import event_append
from duban.core.errors import DomainError, PermissionDenied
from duban.org.models import Role
from duban.workdays import store
from duban.workdays.models import CalendarDay, CalendarSource, CalendarYear

TRUE_WORDS = {"1", "true", "yes", "班", "上班", "工作日", "workday"}
FALSE_WORDS = {"0", "false", "no", "休", "休息", "节假日", "holiday"}


def _check_calendar_admin(actor) -> None:
    # The CLI acts as the system (actor None); in the product only a sysadmin edits the calendar.
    if actor is not None and not actor.has_role(Role.SYSADMIN):
        raise PermissionDenied("只有系统管理员可以维护工作日历。")


@transaction.atomic
def calendar_day_set(*, actor, date: dt.date, is_workday: bool, name: str = "") -> CalendarDay:
    _check_calendar_admin(actor)
    day, _ = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "name": name[:50], "source": CalendarSource.ADMIN}
    )
    # One edited day does not make a year's arrangement known: only an import does.
    CalendarYear.objects.filter(year=date.year).update(source=CalendarSource.ADMIN)
    event_append(actor=actor, verb="calendar.day_set", object_type="calendar_day", object_id=None,
                 payload={"date": date.isoformat(), "is_workday": is_workday, "name": name})
    transaction.on_commit(store.invalidate)
    return day


@transaction.atomic
def calendar_seed(*, actor) -> int:
    """Load the holidays the chinesecalendar package knows, keeping days an admin or an import set."""
    _check_calendar_admin(actor)
    written = store.seed_from_package()
    event_append(actor=actor, verb="calendar.seed", object_type="calendar_year", object_id=None,
                 payload={"days": written})
    transaction.on_commit(store.invalidate)
    return written


def parse_calendar_csv(text: str) -> tuple[list[tuple[dt.date, bool, str]], list[str]]:
    """Rows `日期,是否工作日,说明` (header optional). Returns rows and Chinese error lines."""
    rows: list[tuple[dt.date, bool, str]] = []
    errors: list[str] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for lineno, record in enumerate(reader, start=1):
        if not record or not "".join(record).strip() or record[0].strip().startswith("#"):
            continue
        if lineno == 1 and record[0].strip() in {"date", "日期"}:
            continue
        if len(record) < 2:
            errors.append(f"第{lineno}行：至少需要“日期,是否工作日”两列。")
            continue
        raw_date, raw_flag = record[0].strip(), record[1].strip().lower()
        try:
            day = dt.date.fromisoformat(raw_date)
        except ValueError:
            errors.append(f"第{lineno}行：日期“{raw_date}”无法识别，应写作 2027-01-01。")
            continue
        if raw_flag in TRUE_WORDS:
            flag = True
        elif raw_flag in FALSE_WORDS:
            flag = False
        else:
            errors.append(f"第{lineno}行：“{record[1].strip()}”应为 班/休 或 1/0。")
            continue
        rows.append((day, flag, record[2].strip() if len(record) > 2 else ""))
    seen: set[dt.date] = set()
    for day, _, _ in rows:
        if day in seen:
            errors.append(f"日期 {day} 出现了不止一次。")
        seen.add(day)
    return rows, errors


@transaction.atomic
def calendar_import_csv(*, actor, text: str) -> dict:
    """Replace the arrangement of every year the CSV names; all rows land or none do."""
    _check_calendar_admin(actor)
    rows, errors = parse_calendar_csv(text)
    if errors:
        raise DomainError("calendar_csv_invalid", "日历文件有误：" + "；".join(errors[:20]), {"errors": errors})
    if not rows:
        raise DomainError("calendar_csv_empty", "日历文件中没有任何日期。")
    years = sorted({d.year for d, _, _ in rows})
    CalendarDay.objects.filter(date__year__in=years).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=w, name=n[:50], source=CalendarSource.IMPORT) for d, w, n in rows]
    )
    for year in years:
        CalendarYear.objects.update_or_create(year=year, defaults={"source": CalendarSource.IMPORT})
    event_append(actor=actor, verb="calendar.import", object_type="calendar_year", object_id=None,
                 payload={"years": years, "days": len(rows)})
    transaction.on_commit(store.invalidate)
    return {"years": years, "days": len(rows)}
