"""The working-day calendar: 国庆节 and its 调休 days, a year not yet published, an admin's import."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from duban.audit.models import Event
from duban.core.errors import DomainError, PermissionDenied
from duban.workdays import store
from duban.workdays.calendar import WorkCalendar, month_add, next_report_due
from duban.workdays.models import CalendarDay, CalendarYear
from duban.workdays.services import calendar_day_set, calendar_import_csv

D = dt.date

# What the State Council published for 2026's National Day: 10-01..07 off, two 调休 weekend workdays.
NATIONAL_DAY_2026 = WorkCalendar(
    days={
        **{D(2026, 10, day): False for day in range(1, 8)},
        D(2026, 9, 20): True,
        D(2026, 10, 10): True,
    },
    covered_years=frozenset({2026}),
)

# An arrangement for 2027 as an office would type it in November (illustrative, not the real one).
ARRANGEMENT_2027 = """日期,是否工作日,说明
2027-01-01,休,元旦
2027-02-08,休,春节
2027-02-09,休,春节
2027-02-20,班,春节调休上班
"""


def run(*args) -> str:
    out = io.StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


# ---- pure arithmetic -------------------------------------------------------------------------


def test_it_counts_the_day_after_national_day_as_the_first_working_day():
    assert NATIONAL_DAY_2026.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)


def test_it_counts_the_saturday_make_up_day_as_a_working_day():
    # 10-08 Thu, 10-09 Fri, 10-10 Sat (调休上班)
    assert NATIONAL_DAY_2026.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_it_counts_zero_working_days_as_the_start_itself():
    assert NATIONAL_DAY_2026.add_workdays(D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_it_counts_backwards_over_the_holiday():
    assert NATIONAL_DAY_2026.add_workdays(D(2026, 10, 8), -1) == D(2026, 9, 30)
    # the Sunday before is a make-up workday, so one working day before Monday 09-21 is Sunday 09-20
    assert NATIONAL_DAY_2026.add_workdays(D(2026, 9, 21), -1) == D(2026, 9, 20)


def test_it_counts_working_days_between_two_dates_excluding_the_start():
    assert NATIONAL_DAY_2026.workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert NATIONAL_DAY_2026.workdays_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert NATIONAL_DAY_2026.workdays_between(D(2026, 10, 10), D(2026, 9, 30)) == -3
    assert NATIONAL_DAY_2026.workdays_between(D(2026, 10, 4), D(2026, 10, 4)) == 0


def test_it_finds_the_next_working_day():
    assert NATIONAL_DAY_2026.next_workday(D(2026, 10, 3)) == D(2026, 10, 8)
    assert NATIONAL_DAY_2026.next_workday(D(2026, 10, 10)) == D(2026, 10, 10)
    assert NATIONAL_DAY_2026.next_workday(D(2026, 10, 10), include_self=False) == D(2026, 10, 12)


def test_it_falls_back_to_monday_to_friday_in_a_year_without_data():
    assert NATIONAL_DAY_2026.is_estimated(D(2027, 1, 1))
    assert not NATIONAL_DAY_2026.is_estimated(D(2026, 12, 31))
    assert NATIONAL_DAY_2026.is_workday(D(2027, 1, 1))  # a Friday; 元旦 unknown yet
    assert not NATIONAL_DAY_2026.is_workday(D(2027, 1, 2))
    assert NATIONAL_DAY_2026.estimated_years(D(2026, 5, 1), D(2027, 3, 1), None) == [2027]


@pytest.mark.parametrize(
    ("start", "months", "on_day", "expected"),
    [
        (D(2026, 1, 31), 1, None, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, None, D(2028, 2, 29)),
        (D(2026, 12, 15), 1, None, D(2027, 1, 15)),
        (D(2026, 3, 31), -1, None, D(2026, 2, 28)),
        (D(2026, 11, 30), 3, None, D(2027, 2, 28)),
        (D(2026, 5, 31), 1, 5, D(2026, 6, 5)),
    ],
)
def test_it_adds_months_clamped_to_the_month_end(start, months, on_day, expected):
    assert month_add(start, months, on_day) == expected


def test_it_sets_a_monthly_report_on_the_fifth_of_next_month_moved_off_the_weekend():
    # 2026-07-05 is a Sunday
    assert next_report_due(NATIONAL_DAY_2026, "monthly", D(2026, 6, 10), 5) == D(2026, 7, 6)
    assert next_report_due(NATIONAL_DAY_2026, "monthly", D(2026, 6, 10), None) == D(2026, 7, 6)
    assert next_report_due(NATIONAL_DAY_2026, "monthly", D(2026, 6, 10), 20) == D(2026, 7, 20)


def test_it_moves_a_report_due_on_national_day_to_the_next_working_day():
    assert next_report_due(NATIONAL_DAY_2026, "monthly", D(2026, 9, 10), 5) == D(2026, 10, 8)


def test_it_sets_a_quarterly_report_after_the_quarter_ends():
    assert next_report_due(NATIONAL_DAY_2026, "quarterly", D(2026, 8, 15), 5) == D(2026, 10, 8)
    assert next_report_due(NATIONAL_DAY_2026, "quarterly", D(2026, 5, 3), 5) == D(2026, 7, 6)


def test_it_sets_a_weekly_report_seven_days_on():
    assert next_report_due(NATIONAL_DAY_2026, "weekly", D(2026, 6, 2), None) == D(2026, 6, 9)
    # seven days after 09-24 is 10-01, a holiday
    assert next_report_due(NATIONAL_DAY_2026, "weekly", D(2026, 9, 24), None) == D(2026, 10, 8)
    # seven days after 09-13 is Sunday 09-20, a make-up workday
    assert next_report_due(NATIONAL_DAY_2026, "weekly", D(2026, 9, 13), None) == D(2026, 9, 20)


def test_it_sets_no_report_date_without_a_cadence():
    assert next_report_due(NATIONAL_DAY_2026, "none", D(2026, 6, 2), None) is None


# ---- the seeded table ------------------------------------------------------------------------


def test_it_seeds_national_day_2026_from_the_package(db):
    calendar = store.get_calendar()
    assert calendar.is_workday(D(2026, 9, 20))  # Sunday, 国庆节调休
    assert all(not calendar.is_workday(D(2026, 10, day)) for day in range(1, 8))
    assert calendar.is_workday(D(2026, 10, 10))  # Saturday, 国庆节调休
    assert calendar.day_name(D(2026, 10, 1)) == "国庆节"
    assert calendar.day_name(D(2026, 10, 10)) == "国庆节调休上班"
    assert calendar.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert calendar.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert not calendar.is_workday(D(2026, 9, 25))  # 中秋节, a Friday
    # 09-20 Sun, 09-21..24, 09-28..30, 10-08..10
    assert calendar.workdays_between(D(2026, 9, 18), D(2026, 10, 10)) == 11


def test_it_does_not_know_2027_yet(db):
    calendar = store.get_calendar()
    assert 2026 in calendar.covered_years
    assert calendar.is_estimated(D(2027, 1, 1))
    assert calendar.is_workday(D(2027, 1, 1))  # Mon–Fri fallback


def test_it_crosses_into_the_estimated_year(db):
    calendar = store.get_calendar()
    # 12-31 Thu, 2027-01-01 Fri (fallback), then the weekend, then Monday
    assert calendar.add_workdays(D(2026, 12, 30), 2) == D(2027, 1, 1)
    assert calendar.add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 4)
    assert calendar.is_estimated(calendar.add_workdays(D(2026, 12, 30), 2))
    assert not calendar.is_estimated(calendar.add_workdays(D(2026, 12, 30), 1))


def test_it_imports_next_years_arrangement_from_csv(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = calendar_import_csv(actor=cast.sysadmin, text=ARRANGEMENT_2027)
    assert result == {"years": [2027], "days": 4}
    calendar = store.get_calendar()
    assert not calendar.is_estimated(D(2027, 1, 1))
    assert not calendar.is_workday(D(2027, 1, 1))
    assert calendar.is_workday(D(2027, 2, 20))  # a Saturday make-up day
    assert calendar.day_name(D(2027, 1, 1)) == "元旦"
    assert calendar.add_workdays(D(2026, 12, 30), 2) == D(2027, 1, 4)


def test_it_records_an_import_as_one_audit_event(cast):
    before = Event.objects.count()
    calendar_import_csv(actor=cast.sysadmin, text=ARRANGEMENT_2027)
    events = list(Event.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.verb for e in events] == ["calendar.import"]
    assert events[0].actor_id == cast.sysadmin.pk
    assert events[0].payload == {"years": [2027], "days": 4}


def test_it_rejects_a_csv_with_bad_rows_naming_each_line_and_writes_nothing(cast):
    text = (
        "日期,是否工作日,说明\n"
        "2027-01-01,休,元旦\n"
        "2027-13-01,休,不存在的日期\n"
        "2027-02-20,也许,春节调休\n"
    )
    events_before = Event.objects.count()
    with pytest.raises(DomainError) as caught:
        calendar_import_csv(actor=cast.sysadmin, text=text)
    assert caught.value.code == "calendar_csv_invalid"
    assert "第3行" in caught.value.message
    assert "第4行" in caught.value.message
    assert "2027-13-01" in caught.value.message
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert Event.objects.count() == events_before


def test_it_rejects_a_date_given_twice(cast):
    with pytest.raises(DomainError) as caught:
        calendar_import_csv(actor=cast.sysadmin, text="2027-01-01,休,元旦\n2027-01-01,班,\n")
    assert caught.value.code == "calendar_csv_invalid"
    assert "2027-01-01" in caught.value.message
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_it_rejects_an_empty_csv(cast):
    with pytest.raises(DomainError) as caught:
        calendar_import_csv(actor=cast.sysadmin, text="日期,是否工作日,说明\n")
    assert caught.value.code == "calendar_csv_empty"


def test_it_refuses_a_calendar_edit_by_someone_who_is_not_a_sysadmin(cast):
    for outsider in (cast.supervisor, cast.leader, cast.drc_liaison):
        with pytest.raises(PermissionDenied):
            calendar_day_set(actor=outsider, date=D(2026, 10, 8), is_workday=False, name="临时放假")
        with pytest.raises(PermissionDenied):
            calendar_import_csv(actor=outsider, text=ARRANGEMENT_2027)
    assert CalendarDay.objects.filter(date=D(2026, 10, 8)).count() == 0
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_it_lets_the_sysadmin_set_one_day(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(actor=cast.sysadmin, date=D(2026, 10, 8), is_workday=False, name="临时放假")
    assert not store.get_calendar().is_workday(D(2026, 10, 8))
    assert Event.objects.order_by("-seq").first().verb == "calendar.day_set"


def test_it_forgets_the_cached_calendar_after_an_edit(cast, django_capture_on_commit_callbacks):
    assert store.get_calendar().is_workday(D(2026, 10, 9))  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(actor=cast.sysadmin, date=D(2026, 10, 9), is_workday=False, name="临时放假")
    assert not store.get_calendar().is_workday(D(2026, 10, 9))
    assert store.get_calendar().add_workdays(D(2026, 9, 30), 2) == D(2026, 10, 10)


def test_it_keeps_an_admins_edit_when_the_package_is_seeded_again(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(actor=cast.sysadmin, date=D(2026, 10, 9), is_workday=False, name="临时放假")
    events = Event.objects.count()
    assert "已载入 0 个" in run("seed")
    assert not store.get_calendar().is_workday(D(2026, 10, 9))
    assert Event.objects.order_by("-seq").values_list("verb", flat=True)[0] == "calendar.seed"
    assert Event.objects.count() == events + 1


# ---- the `duban calendar` command ------------------------------------------------------------


def test_it_shows_october_2026_with_its_holidays_and_make_up_day(db):
    out = run("show", "2026-10")
    lines = out.splitlines()
    assert len(lines) == 31
    assert "2026-10-01  周四  休  国庆节" in lines
    assert "2026-10-08  周四  班" in lines
    assert "2026-10-10  周六  班  国庆节调休上班" in lines
    assert "注意" not in out


def test_it_warns_that_a_2027_month_is_estimated(db):
    out = run("show", "2027-01")
    assert "注意：2027年节假日安排尚未载入，按周一至周五计算。" in out
    assert "2027-01-01  周五  班" in out


def test_it_adds_working_days_from_the_command_line(db):
    assert run("add", "2026-09-30", "3").strip() == "2026-10-10"
    assert run("add", "2026-12-30", "2").strip() == "2027-01-01（该年度按周一至周五估算）"


def test_it_imports_a_csv_file_from_the_command_line(db, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "2027.csv"
    path.write_text("\ufeff" + ARRANGEMENT_2027, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("import", str(path))
    assert "已导入 4 天，年份：2027" in out
    assert run("add", "2026-12-30", "2").strip() == "2027-01-04"
    assert "注意" not in run("show", "2027-01")


def test_it_refuses_a_bad_csv_file_from_the_command_line(db, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("2027-01-01,休,元旦\n2027-02-30,休,\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run("import", str(path))
    assert "第2行" in str(caught.value)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_it_refuses_a_missing_file_in_chinese(db, tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        run("import", str(tmp_path / "nope.csv"))
