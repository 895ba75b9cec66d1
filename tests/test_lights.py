"""亮灯: green, yellow, red per rule, as time passes on the Chinese working-day calendar.

Time starts frozen at Monday 2026-06-01 09:00 (Shanghai); each test moves it and lets the sweep run.
"""

import datetime as dt
import io

from django.core.management import call_command

from duban.core import clock
from duban.supervision import services as s
from duban.supervision.lights import lights_refresh
from duban.supervision.models import Assignment, Light, Task

D = dt.date


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assigned(c, *, leads=None, helpers=(), title="推进重点项目开工", **options) -> Task:
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=D(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]],
                         cooperating_unit_ids=[u.pk for u in helpers], **options)
    return s.task_assign(actor=c.supervisor, task=task)


def at(task, unit) -> Assignment:
    return Assignment.objects.exclude(state__in=["reassigned", "cancelled"]).get(task=task, unit=unit)


def drc_work(c, *, progress: int | None = None, **options) -> tuple[Task, Assignment]:
    """州发改委 signs for a task and, if asked, its head reports `progress` at once."""
    task = assigned(c, **options)
    lead = at(task, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    if progress is not None:
        s.report_submit(actor=c.drc_head, assignment=fresh(lead), text="按计划推进。", progress=progress)
    return fresh(task), fresh(lead)


def later(frozen, day: dt.date, hour: int = 9, minute: int = 0) -> str:
    """Move the clock and run `duban sweep` as the worker would."""
    frozen.move_to(clock.at_local(day, hour, minute))
    out = io.StringIO()
    call_command("sweep", stdout=out)
    return out.getvalue()


def lights(*objs) -> tuple[str, ...]:
    return tuple(fresh(o).light for o in objs)


def test_it_shows_green_far_from_the_deadline(cast, frozen):
    task, lead = drc_work(cast, deadline=D(2026, 7, 31))
    assert lights(lead, task) == (Light.GREEN, Light.GREEN)


def test_it_shows_yellow_three_working_days_before_the_deadline_across_national_day(cast, frozen):
    frozen.move_to(clock.at_local(D(2026, 9, 29), 9))  # Tuesday; 10-01..07 off
    _, close = drc_work(cast, deadline=D(2026, 10, 9))  # 09-30, 10-08, 10-09: three working days
    _, far = drc_work(cast, deadline=D(2026, 10, 10))  # the Saturday make-up day is the fourth
    assert fresh(close).light == Light.YELLOW
    assert fresh(far).light == Light.GREEN


def test_it_turns_red_the_day_after_the_deadline(cast, frozen):
    task, lead = drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    later(frozen, D(2026, 6, 5), 23, 30)
    assert lights(lead, task) == (Light.YELLOW, Light.YELLOW)
    later(frozen, D(2026, 6, 6), 0, 30)
    assert lights(lead, task) == (Light.RED, Light.RED)


def test_it_turns_red_at_the_day_end_hour_when_one_is_set(cast, frozen, settings):
    settings.DUBAN_DAY_END_HOUR = 18
    task, lead = drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    later(frozen, D(2026, 6, 5), 17)
    assert fresh(lead).light == Light.YELLOW
    later(frozen, D(2026, 6, 5), 18)
    assert lights(lead, task) == (Light.RED, Light.RED)


def test_it_keeps_a_close_request_made_in_time_out_of_the_red(cast, frozen):
    _, lead = drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    frozen.move_to(clock.at_local(D(2026, 6, 5), 16))
    s.report_submit(actor=cast.drc_head, assignment=lead, text="全部开工。", progress=100, is_final=True)
    later(frozen, D(2026, 6, 9))
    assert fresh(lead).light == Light.GREEN


def test_it_shows_yellow_when_an_assignment_is_not_signed_in_a_working_day(cast, frozen):
    task = assigned(cast, deadline=D(2026, 7, 31))
    lead = at(task, cast.pref_drc)
    later(frozen, D(2026, 6, 2), 17)
    assert fresh(lead).light == Light.GREEN
    later(frozen, D(2026, 6, 3))
    assert lights(lead, task) == (Light.YELLOW, Light.YELLOW)
    s.assignment_sign(actor=cast.drc_liaison, assignment=lead)
    assert lights(lead, task) == (Light.GREEN, Light.GREEN)


def test_it_gives_a_friday_assignment_until_the_make_up_sunday_before_yellow(cast, frozen):
    frozen.move_to(clock.at_local(D(2026, 9, 18), 9))
    task = assigned(cast, deadline=D(2026, 11, 30))
    later(frozen, D(2026, 9, 20), 20)
    assert fresh(at(task, cast.pref_drc)).light == Light.GREEN
    later(frozen, D(2026, 9, 21))
    assert fresh(at(task, cast.pref_drc)).light == Light.YELLOW


def test_it_shows_yellow_when_a_milestone_is_overdue(cast, frozen):
    task, lead = drc_work(cast, deadline=D(2026, 7, 31), progress=50, milestones=[("完成项目选址", D(2026, 6, 10))])
    later(frozen, D(2026, 6, 10), 20)
    assert fresh(lead).light == Light.GREEN
    later(frozen, D(2026, 6, 11))
    assert lights(lead, task) == (Light.YELLOW, Light.YELLOW)


def test_it_shows_yellow_when_a_periodic_report_is_overdue(cast, frozen):
    task, lead = drc_work(cast, cadence="monthly", report_day=5)
    assert lead.next_report_due == D(2026, 7, 6)  # 07-05 is a Sunday
    later(frozen, D(2026, 7, 6), 20)
    assert fresh(lead).light == Light.GREEN
    later(frozen, D(2026, 7, 7))
    assert lights(lead, task) == (Light.YELLOW, Light.YELLOW)
    s.report_submit(actor=cast.drc_head, assignment=fresh(lead), text="六月进展。", progress=30)
    assert fresh(lead).next_report_due == D(2026, 8, 5)
    assert lights(lead, task) == (Light.GREEN, Light.GREEN)


def test_it_judges_progress_against_the_time_elapsed(cast, frozen):
    # 100 days from 06-01 to 09-09; on 07-21 half the time has gone, so 50% is expected.
    _, on_track = drc_work(cast, deadline=D(2026, 9, 9), progress=45)
    _, behind = drc_work(cast, deadline=D(2026, 9, 9), progress=35)
    _, far_behind = drc_work(cast, deadline=D(2026, 9, 9), progress=15)
    assert lights(on_track, behind, far_behind) == (Light.GREEN,) * 3
    later(frozen, D(2026, 7, 21))
    assert lights(on_track, behind, far_behind) == (Light.GREEN, Light.YELLOW, Light.RED)


def test_it_reports_what_the_sweep_changed(cast, frozen):
    drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    drc_work(cast, deadline=D(2026, 7, 31), progress=95)
    out = later(frozen, D(2026, 6, 8))
    assert "亮灯已更新：承办 1 条，事项 1 条" in out
    assert "亮灯已更新：承办 0 条，事项 0 条" in later(frozen, D(2026, 6, 8), 10)


def test_it_lights_a_task_with_its_worst_assignment(cast, frozen):
    c = cast
    task = assigned(c, leads=[c.pref_drc, c.pref_finance], helpers=[c.county], deadline=D(2026, 7, 31))
    s.assignment_sign(actor=c.drc_liaison, assignment=at(task, c.pref_drc))
    s.assignment_sign(actor=c.finance_liaison, assignment=at(task, c.pref_finance))
    later(frozen, D(2026, 6, 3))  # the county has not signed
    assert lights(at(task, c.pref_drc), at(task, c.pref_finance), at(task, c.county), task) == (
        Light.GREEN, Light.GREEN, Light.YELLOW, Light.YELLOW)
    for text in ("已完成选址。", "已完成设计。"):
        report = s.report_submit(actor=c.finance_head, assignment=at(task, c.pref_finance), text=text, progress=20)
        s.report_review(actor=c.supervisor, report=report, accept=False, comment="请写明实效。")
    assert fresh(at(task, c.pref_finance)).light == Light.RED
    assert fresh(task).light == Light.RED


def test_it_shows_a_returned_assignment_yellow_until_it_is_reassigned(cast, frozen):
    c = cast
    task = assigned(c, deadline=D(2026, 7, 31))
    returned = s.assignment_return(actor=c.drc_liaison, assignment=at(task, c.pref_drc), reason="不属于本单位职责。")
    assert lights(returned, task) == (Light.YELLOW, Light.YELLOW)
    new = s.assignment_reassign(actor=c.supervisor, assignment=returned, unit=c.pref_finance)
    assert lights(returned, new, task) == (Light.NONE, Light.GREEN, Light.GREEN)


def test_it_leaves_finished_work_alone(cast, frozen):
    task, lead = drc_work(cast, deadline=D(2026, 6, 5))
    s.report_submit(actor=cast.drc_head, assignment=lead, text="全部开工。", progress=100, is_final=True)
    s.assignment_verify(actor=cast.supervisor, assignment=lead)
    s.task_close(actor=cast.supervisor, task=task, note="已核验。")
    later(frozen, D(2026, 6, 30))
    assert lights(lead, task) == (Light.DONE_ON_TIME, Light.DONE_ON_TIME)


def test_it_refreshes_only_the_tasks_it_is_given(cast, frozen):
    first, first_lead = drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    second, second_lead = drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    frozen.move_to(clock.at_local(D(2026, 6, 8), 9))
    assert lights_refresh(task_ids=[first.pk]) == (1, 1)
    assert lights(first_lead, first) == (Light.RED, Light.RED)
    assert lights(second_lead, second) == (Light.GREEN, Light.GREEN)  # not touched, still stale
    assert lights_refresh() == (1, 1)
    assert lights(second_lead, second) == (Light.RED, Light.RED)


def test_it_clears_the_red_when_an_extension_is_approved(cast, frozen):
    task, lead = drc_work(cast, deadline=D(2026, 6, 5), progress=95)
    frozen.move_to(clock.at_local(D(2026, 6, 4), 9))
    ext = s.extension_request(actor=cast.drc_liaison, assignment=lead, reason="用地审批尚未完成。",
                              requested_deadline=D(2026, 7, 31))
    later(frozen, D(2026, 6, 8))
    assert lights(lead, task) == (Light.RED, Light.RED)
    s.extension_decide(actor=cast.supervisor, extension=ext, approve=True)
    assert lights(lead, task) == (Light.GREEN, Light.GREEN)
