"""Edges where one unit's work ends while another's goes on: 销号 and 撤销 with cooperating units, stale
reports and extensions, milestones, and the cascade when the prefecture cancels."""

import datetime as dt

import pytest

from duban.core.errors import DomainError
from duban.supervision import services as s
from duban.supervision.models import Assignment, Light, Milestone, Report, Task

D = dt.date


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assigned(c, *, leads=None, helpers=(), **options) -> Task:
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=D(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]],
                         cooperating_unit_ids=[u.pk for u in helpers], **options)
    return s.task_assign(actor=c.supervisor, task=task)


def at(task, unit) -> Assignment:
    return Assignment.objects.exclude(state__in=["reassigned"]).filter(task=task, unit=unit).latest("pk")


def finish_lead(c, task):
    lead = at(task, c.pref_drc)
    if lead.state == "pending":
        s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    s.report_submit(actor=c.drc_head, assignment=lead, text="全部开工。", progress=100, is_final=True)
    s.assignment_verify(actor=c.supervisor, assignment=lead)


def county_subtask(c, *, deadline=None, leads) -> tuple[Task, Task]:
    """The prefecture assigns a task to 甲县; the county signs and passes it on to `leads` (层层分解)."""
    task = assigned(c, leads=[c.county], **({"deadline": deadline} if deadline else {}))
    s.assignment_sign(actor=c.county_liaison, assignment=at(task, c.county))
    sub = s.task_create(actor=c.county_supervisor, decision=task.decision, title="分解：城关镇项目",
                        lead_unit_ids=[u.pk for u in leads], parent_assignment=at(task, c.county))
    return task, s.task_assign(actor=c.county_supervisor, task=sub)


def go_to(frozen, day, hour=9):
    from duban.core import clock

    frozen.move_to(clock.at_local(day, hour))


def test_it_cancels_rather_than_credits_a_cooperating_unit_that_never_signed(cast, frozen):
    task = assigned(cast, helpers=[cast.pref_finance])
    finish_lead(cast, task)
    s.task_close(actor=cast.supervisor, task=task, note="核验通过。")
    helper = at(task, cast.pref_finance)
    assert (helper.state, helper.light) == ("cancelled", Light.NONE)


def test_it_judges_a_cooperating_unit_closed_along_by_its_own_dates(cast, frozen):
    task = assigned(cast, helpers=[cast.pref_finance], deadline=D(2026, 6, 10))
    s.assignment_sign(actor=cast.finance_head, assignment=at(task, cast.pref_finance))
    go_to(frozen, D(2026, 6, 20))
    s.report_submit(actor=cast.finance_head, assignment=at(task, cast.pref_finance), text="配合完成。",
                    progress=100, is_final=True)
    finish_lead(cast, task)
    s.task_close(actor=cast.supervisor, task=task, note="核验通过。")
    helper = at(task, cast.pref_finance)
    assert (helper.state, helper.light) == ("done", Light.DONE_LATE)


def test_it_withdraws_a_report_still_waiting_for_the_unit_head_when_the_task_closes(cast, frozen):
    task = assigned(cast, helpers=[cast.pref_finance])
    s.assignment_sign(actor=cast.finance_liaison, assignment=at(task, cast.pref_finance))
    report = s.report_submit(actor=cast.finance_liaison, assignment=at(task, cast.pref_finance),
                             text="已完成资金测算。", progress=30)
    finish_lead(cast, task)
    s.task_close(actor=cast.supervisor, task=task, note="核验通过。")
    assert fresh(report).state == "unit_returned"
    with pytest.raises(DomainError):
        s.report_unit_approve(actor=cast.finance_head, report=fresh(report), approve=True)
    assert fresh(at(task, cast.pref_finance)).progress == 0


def test_it_refuses_to_return_a_report_of_a_cancelled_assignment(cast, frozen):
    task = assigned(cast)
    lead = at(task, cast.pref_drc)
    s.assignment_sign(actor=cast.drc_liaison, assignment=lead)
    report = s.report_submit(actor=cast.drc_head, assignment=lead, text="进展顺利。", progress=30)
    s.task_cancel(actor=cast.supervisor, task=task, reason="决策已调整。")
    with pytest.raises(DomainError) as caught:
        s.report_review(actor=cast.supervisor, report=report, accept=False, comment="请重报。")
    assert caught.value.code == "assignment_not_open"
    assert fresh(lead).return_count == 0
    assert fresh(report).state == "submitted"
    assert Report.objects.filter(assignment=lead, state="returned").count() == 0


def test_it_keeps_reassignment_of_a_county_subtask_inside_the_county(cast, frozen):
    c = cast
    _, sub = county_subtask(c, leads=[c.county_drc])
    returned = s.assignment_return(actor=c.county_drc_liaison, assignment=at(sub, c.county_drc),
                                   reason="不属于本单位职责。")
    with pytest.raises(DomainError) as caught:
        s.assignment_reassign(actor=c.supervisor, assignment=returned, unit=c.pref_finance)
    assert caught.value.code == "task_unit_out_of_scope"
    new = s.assignment_reassign(actor=c.supervisor, assignment=returned, unit=c.township)
    assert new.unit_id == c.township.pk


def test_it_refuses_an_extension_whose_deadline_has_moved_since(cast, frozen):
    c = cast
    task = assigned(c, deadline=D(2026, 6, 30))
    lead = at(task, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    first = s.extension_request(actor=c.drc_liaison, assignment=lead, reason="资金未到位。",
                                requested_deadline=D(2026, 7, 10))
    s.extension_decide(actor=c.supervisor, extension=first, approve=True, granted_deadline=D(2026, 7, 20))
    stale = Assignment.objects.get(pk=lead.pk)
    stale_ext = type(first).objects.create(assignment=stale, requested_by=c.drc_liaison, reason="旧申请",
                                           old_deadline=D(2026, 6, 30), requested_deadline=D(2026, 7, 15),
                                           requested_at=first.requested_at)
    with pytest.raises(DomainError) as caught:
        s.extension_decide(actor=c.supervisor, extension=stale_ext, approve=True)
    assert caught.value.code == "extension_stale"
    assert fresh(lead).deadline == D(2026, 7, 20)


def test_it_turns_a_light_back_to_green_when_the_overdue_milestone_is_reached(cast, frozen):
    c = cast
    task = assigned(c, deadline=D(2026, 9, 30), milestones=[("制定实施方案", D(2026, 6, 5))])
    lead = at(task, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    go_to(frozen, D(2026, 6, 8))
    s.report_submit(actor=c.drc_head, assignment=lead, text="方案已印发。", progress=10)
    assert fresh(lead).light == Light.YELLOW
    milestone = Milestone.objects.get(task=task)
    with pytest.raises(DomainError):
        s.milestone_complete(actor=c.other_liaison, milestone=milestone)
    s.milestone_complete(actor=c.drc_liaison, milestone=milestone)
    assert fresh(milestone).done_at is not None
    assert fresh(lead).light == Light.GREEN
    with pytest.raises(DomainError) as caught:
        s.milestone_complete(actor=c.supervisor, milestone=milestone)
    assert caught.value.code == "milestone_already_done"


def test_it_cancels_the_countys_subtasks_with_the_prefecture_task(cast, frozen):
    c = cast
    task, sub = county_subtask(c, leads=[c.township])
    s.task_cancel(actor=c.supervisor, task=task, reason="决策已调整。")
    assert fresh(sub).state == "cancelled"
    assert at(sub, c.township).state == "cancelled"


def test_it_refuses_to_sign_an_assignment_awaiting_review(cast, frozen):
    task = assigned(cast)
    lead = at(task, cast.pref_drc)
    s.assignment_sign(actor=cast.drc_liaison, assignment=lead)
    s.report_submit(actor=cast.drc_head, assignment=lead, text="全部完成。", progress=100, is_final=True)
    with pytest.raises(DomainError) as caught:
        s.assignment_sign(actor=cast.drc_liaison, assignment=lead)
    assert caught.value.code == "assignment_not_pending"
    assert (fresh(lead).state, fresh(task).state) == ("review", "closing")


def test_it_keeps_a_subtask_extension_within_the_parents_deadline(cast, frozen):
    c = cast
    _, sub = county_subtask(c, leads=[c.county_drc], deadline=D(2026, 6, 30))
    part = at(sub, c.county_drc)
    s.assignment_sign(actor=c.county_drc_liaison, assignment=part)
    ext = s.extension_request(actor=c.county_drc_liaison, assignment=part, reason="征地未完成。",
                              requested_deadline=D(2026, 7, 31))
    with pytest.raises(DomainError) as caught:
        s.extension_decide(actor=c.county_supervisor, extension=ext, approve=True)
    assert caught.value.code == "cascade_deadline_late"
    assert fresh(part).deadline == D(2026, 6, 30)
    assert fresh(ext).state == "pending"
