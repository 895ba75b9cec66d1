"""The lifecycle, one rule per test: 交办, 签收, 退办/改派, 二级审核, 审核, 办结, 销号, 撤销, 延期, 批示, 阅示, 堵点, 分解.

The cast: 州委督查室的督查员 周督查 (supervisor), 李州长 (leader), 州发改委 (pref_drc) with 王联络 and
赵主任, 州财政局 (pref_finance), 甲县 with its own 督查室 and 发改局, and 乙县 — an outsider that sees
nothing of 甲县. Time is frozen at Monday 2026-06-01 09:00 unless a test moves it.
"""

import datetime as dt
import re

import pytest

from duban.audit.models import Event
from duban.core import clock
from duban.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from duban.supervision import services as s
from duban.supervision.models import (
    Assignment,
    Blocker,
    Extension,
    Instruction,
    Light,
    Report,
    Task,
)
from duban.supervision.selectors import task_list_for
from duban.supervision.states import state_label

D = dt.date
CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- a few words of the product ---------------------------------------------------------------


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def decision(c, kind="meeting"):
    return s.decision_create(actor=c.supervisor, kind=kind, title="州政府第12次常务会议纪要",
                             issued_on=D(2026, 5, 28))


def draft(c, *, kind="meeting", leads=None, helpers=(), **options):
    return s.task_create(actor=c.supervisor, decision=decision(c, kind), title="推进重点项目开工",
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]],
                         cooperating_unit_ids=[u.pk for u in helpers], **options)


def assigned(c, **options) -> Task:
    return s.task_assign(actor=c.supervisor, task=draft(c, **options))


def at(task, unit) -> Assignment:
    """The live assignment of `task` at `unit`."""
    return Assignment.objects.exclude(state__in=["reassigned", "cancelled"]).get(task=task, unit=unit)


def signed(c, **options) -> tuple[Task, Assignment]:
    task = assigned(c, **options)
    s.assignment_sign(actor=c.drc_liaison, assignment=at(task, c.pref_drc))
    return fresh(task), at(task, c.pref_drc)


def close_requested(c, **options) -> tuple[Task, Assignment]:
    task, lead = signed(c, **options)
    s.report_submit(actor=c.drc_head, assignment=lead, text="12个项目全部开工。", progress=100, is_final=True)
    return fresh(task), fresh(lead)


def closed(c, **options) -> Task:
    task, lead = close_requested(c, **options)
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    return s.task_close(actor=c.supervisor, task=task, note="现场核验，佐证齐全。")


def go_to(frozen, day: dt.date, hour: int = 9) -> None:
    frozen.move_to(clock.at_local(day, hour))


# ---- 交办 -------------------------------------------------------------------------------------------


def test_it_creates_one_assignment_per_lead_and_cooperating_unit(cast, frozen):
    c = cast
    task = assigned(c, leads=[c.pref_drc], helpers=[c.pref_finance, c.county])
    assignments = {a.unit: a for a in Assignment.objects.filter(task=task)}
    assert set(assignments) == {c.pref_drc, c.pref_finance, c.county}
    assert assignments[c.pref_drc].role == "lead"
    assert assignments[c.pref_finance].role == assignments[c.county].role == "cooperate"
    for a in assignments.values():
        assert (a.state, a.assigned_on, a.sign_due, a.deadline) == ("pending", D(2026, 6, 1), D(2026, 6, 2),
                                                                     task.deadline)
    assert task.state == "assigned"


def test_it_gives_a_friday_assignment_until_the_sunday_make_up_day_to_sign(cast, frozen):
    go_to(frozen, D(2026, 9, 18))  # Friday; Sunday 09-20 is a 国庆节调休 workday
    task = assigned(cast)
    assert at(task, cast.pref_drc).sign_due == D(2026, 9, 20)


@pytest.mark.parametrize(
    ("kind", "urgency", "deadline"),
    [
        ("document", "normal", D(2026, 7, 14)),  # 30 working days (端午节 06-19 off)
        ("meeting", "normal", D(2026, 6, 30)),  # 20
        ("instruction", "urgent", D(2026, 6, 8)),  # 5
        ("instruction", "normal", D(2026, 6, 23)),  # 15
        ("instruction", "routine", D(2026, 7, 14)),  # 30
        ("clue", "normal", D(2026, 6, 23)),  # anything else: 15
        ("inspection", "urgent", D(2026, 6, 23)),
        ("plan", "routine", D(2026, 6, 23)),
    ],
)
def test_it_sets_the_default_deadline_by_kind_of_decision(cast, frozen, kind, urgency, deadline):
    task = assigned(cast, kind=kind, urgency=urgency)
    assert task.deadline == deadline
    assert at(task, cast.pref_drc).deadline == deadline


def test_it_keeps_a_deadline_the_supervisor_set(cast, frozen):
    task = assigned(cast, deadline=D(2026, 8, 31))
    assert task.deadline == at(task, cast.pref_drc).deadline == D(2026, 8, 31)


def test_it_refuses_to_assign_a_task_twice(cast, frozen):
    task = assigned(cast)
    with pytest.raises(DomainError) as caught:
        s.task_assign(actor=cast.supervisor, task=task)
    assert caught.value.code == "task_already_assigned"
    assert Assignment.objects.filter(task=task).count() == 1


@pytest.mark.parametrize("stage", ["in_progress", "closing", "closed"])
def test_it_refuses_to_assign_a_task_already_under_way(cast, frozen, stage):
    task, lead = signed(cast)
    if stage != "in_progress":
        task, lead = fresh(task), fresh(lead)
        s.report_submit(actor=cast.drc_head, assignment=lead, text="全部开工。", progress=100, is_final=True)
    if stage == "closed":
        s.assignment_verify(actor=cast.supervisor, assignment=lead)
        s.task_close(actor=cast.supervisor, task=task, note="已核验。")
    assert fresh(task).state == stage
    with pytest.raises(DomainError) as caught:
        s.task_assign(actor=cast.supervisor, task=task)
    assert CJK.search(caught.value.message)
    assert fresh(task).state == stage
    assert Assignment.objects.filter(task=task).count() == 1


def test_it_hides_a_task_from_another_countys_supervisor(cast, frozen):
    task = draft(cast)
    with pytest.raises(NotFound):
        s.task_assign(actor=cast.other_supervisor, task=task)
    assert fresh(task).state == "draft"


# ---- 签收 -------------------------------------------------------------------------------------------


def test_it_lets_the_units_liaison_sign(cast, frozen):
    task = assigned(cast)
    a = s.assignment_sign(actor=cast.drc_liaison, assignment=at(task, cast.pref_drc))
    a = fresh(a)
    assert (a.state, a.signed_by) == ("in_progress", cast.drc_liaison)
    assert a.signed_at is not None


def test_it_lets_the_unit_head_sign(cast, frozen):
    task = assigned(cast)
    s.assignment_sign(actor=cast.drc_head, assignment=at(task, cast.pref_drc))
    assert at(task, cast.pref_drc).state == "in_progress"


def test_it_hides_an_assignment_from_an_outsider(cast, frozen):
    task = assigned(cast)
    with pytest.raises(NotFound) as caught:
        s.assignment_sign(actor=cast.other_liaison, assignment=at(task, cast.pref_drc))
    assert caught.value.code.endswith("_not_found")
    assert at(task, cast.pref_drc).state == "pending"


def test_it_refuses_the_supervisor_signing_for_the_unit(cast, frozen):
    task = assigned(cast)
    with pytest.raises(PermissionDenied):
        s.assignment_sign(actor=cast.supervisor, assignment=at(task, cast.pref_drc))
    assert at(task, cast.pref_drc).state == "pending"


def test_it_refuses_a_cooperating_unit_signing_for_the_lead(cast, frozen):
    task = assigned(cast, helpers=[cast.pref_finance])
    with pytest.raises(PermissionDenied):
        s.assignment_sign(actor=cast.finance_liaison, assignment=at(task, cast.pref_drc))


def test_it_refuses_to_sign_twice(cast, frozen):
    task, lead = signed(cast)
    with pytest.raises(DomainError) as caught:
        s.assignment_sign(actor=cast.drc_liaison, assignment=lead)
    assert caught.value.code == "assignment_not_pending"


def test_it_starts_the_task_only_when_every_lead_has_signed(cast, frozen):
    c = cast
    task = assigned(c, leads=[c.pref_drc, c.pref_finance], helpers=[c.county])
    s.assignment_sign(actor=c.drc_liaison, assignment=at(task, c.pref_drc))
    assert fresh(task).state == "assigned"
    s.assignment_sign(actor=c.finance_liaison, assignment=at(task, c.pref_finance))
    assert fresh(task).state == "in_progress"  # the cooperating county has not signed; it does not hold the task


# ---- 退办 and 改派 -------------------------------------------------------------------------------


def test_it_needs_a_reason_to_return_an_assignment(cast, frozen):
    task = assigned(cast)
    with pytest.raises(DomainError) as caught:
        s.assignment_return(actor=cast.drc_liaison, assignment=at(task, cast.pref_drc), reason="  ")
    assert caught.value.code == "assignment_return_reason_required"
    assert at(task, cast.pref_drc).state == "pending"


def test_it_reassigns_a_returned_assignment_to_the_right_unit(cast, frozen):
    c = cast
    task = assigned(c)
    returned = s.assignment_return(actor=c.drc_liaison, assignment=at(task, c.pref_drc),
                                   reason="不属于本单位职责，建议由财政局牵头。")
    go_to(frozen, D(2026, 6, 2))
    new = s.assignment_reassign(actor=c.supervisor, assignment=returned, unit=c.pref_finance)
    returned = fresh(returned)
    assert (returned.state, returned.reassigned_to) == ("reassigned", new)
    assert returned.returned_reason == "不属于本单位职责，建议由财政局牵头。"
    new = fresh(new)
    assert (new.unit, new.role, new.state) == (c.pref_finance, "lead", "pending")
    assert (new.assigned_on, new.sign_due, new.deadline) == (D(2026, 6, 2), D(2026, 6, 3), task.deadline)
    s.assignment_sign(actor=c.finance_liaison, assignment=new)
    assert fresh(task).state == "in_progress"


def test_it_reassigns_only_a_returned_assignment(cast, frozen):
    task = assigned(cast)
    with pytest.raises(DomainError) as caught:
        s.assignment_reassign(actor=cast.supervisor, assignment=at(task, cast.pref_drc), unit=cast.pref_finance)
    assert caught.value.code == "assignment_not_returned"


def test_it_reassigns_only_within_the_supervisors_scope(cast, frozen):
    task = assigned(cast)
    returned = s.assignment_return(actor=cast.drc_liaison, assignment=at(task, cast.pref_drc), reason="不属于本单位。")
    with pytest.raises(DomainError) as caught:
        s.assignment_reassign(actor=cast.supervisor, assignment=returned, unit=cast.province)
    assert caught.value.code == "task_unit_out_of_scope"
    assert fresh(returned).state == "returned"


def test_it_refuses_to_return_work_already_signed_for(cast, frozen):
    _, lead = signed(cast)
    with pytest.raises(DomainError) as caught:
        s.assignment_return(actor=cast.drc_liaison, assignment=lead, reason="不属于本单位。")
    assert caught.value.code == "assignment_illegal_transition"


# ---- 二级审核: the unit head lets a report go out --------------------------------------------------


def test_it_holds_a_liaisons_report_for_the_unit_head(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_liaison, assignment=lead, text="已完成选址。", progress=40)
    assert report.state == "unit_review"
    assert fresh(lead).progress == 0
    s.report_unit_approve(actor=cast.drc_head, report=report, approve=True)
    assert fresh(report).state == "submitted"
    assert fresh(report).unit_reviewed_by == cast.drc_head
    assert fresh(lead).progress == 40


def test_it_sends_the_unit_heads_own_report_straight_out(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_head, assignment=lead, text="已完成选址。", progress=40)
    assert report.state == "submitted"
    assert fresh(lead).progress == 40


def test_it_lets_the_unit_head_send_a_report_back_with_a_comment(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_liaison, assignment=lead, text="已完成选址。", progress=40)
    with pytest.raises(DomainError) as caught:
        s.report_unit_approve(actor=cast.drc_head, report=report, approve=False)
    assert caught.value.code == "review_comment_required"
    s.report_unit_approve(actor=cast.drc_head, report=report, approve=False, comment="数据不准，请核实。")
    assert fresh(report).state == "unit_returned"
    assert fresh(lead).progress == 0


def test_it_refuses_the_liaison_approving_their_own_report(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_liaison, assignment=lead, text="已完成选址。", progress=40)
    with pytest.raises(PermissionDenied):
        s.report_unit_approve(actor=cast.drc_liaison, report=report, approve=True)
    assert fresh(report).state == "unit_review"


def test_it_waits_for_the_unit_head_before_another_report(cast, frozen):
    _, lead = signed(cast)
    s.report_submit(actor=cast.drc_liaison, assignment=lead, text="已完成选址。", progress=40)
    with pytest.raises(DomainError) as caught:
        s.report_submit(actor=cast.drc_liaison, assignment=lead, text="已完成设计。", progress=60)
    assert caught.value.code == "report_awaiting_unit"


def test_it_takes_reports_only_after_signing(cast, frozen):
    task = assigned(cast)
    with pytest.raises(DomainError) as caught:
        s.report_submit(actor=cast.drc_head, assignment=at(task, cast.pref_drc), text="已完成选址。", progress=40)
    assert caught.value.code == "assignment_not_in_progress"


# ---- the supervisor reviews a report -------------------------------------------------------------


def test_it_needs_a_comment_to_return_a_report_and_counts_the_return(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_head, assignment=lead, text="已完成选址。", progress=40)
    with pytest.raises(DomainError) as caught:
        s.report_review(actor=cast.supervisor, report=report, accept=False, comment="")
    assert caught.value.code == "review_comment_required"
    assert fresh(lead).return_count == 0
    s.report_review(actor=cast.supervisor, report=report, accept=False, comment="请补充项目清单。")
    assert fresh(report).state == "returned"
    assert fresh(report).review_comment == "请补充项目清单。"
    assert fresh(lead).return_count == 1


def test_it_accepts_a_report_without_counting_a_return(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_head, assignment=lead, text="已完成选址。", progress=40)
    s.report_review(actor=cast.supervisor, report=report, accept=True)
    assert (fresh(report).state, fresh(report).reviewed_by) == ("accepted", cast.supervisor)
    assert fresh(lead).return_count == 0


def test_it_turns_red_when_returned_twice(cast, frozen):
    task, lead = signed(cast, deadline=D(2026, 8, 31))
    for text in ("已完成选址。", "已完成设计。"):
        report = s.report_submit(actor=cast.drc_head, assignment=lead, text=text, progress=10)
        assert fresh(lead).light == Light.GREEN
        s.report_review(actor=cast.supervisor, report=report, accept=False, comment="内容空泛，请写明实效。")
    assert fresh(lead).light == Light.RED
    assert fresh(task).light == Light.RED


def test_it_refuses_a_report_review_by_the_unit(cast, frozen):
    _, lead = signed(cast)
    report = s.report_submit(actor=cast.drc_head, assignment=lead, text="已完成选址。", progress=40)
    with pytest.raises(PermissionDenied):
        s.report_review(actor=cast.drc_head, report=report, accept=True)


# ---- 申请办结, 审核通过, 退回 ----------------------------------------------------------------------


def test_it_needs_full_progress_to_ask_to_close(cast, frozen):
    _, lead = signed(cast)
    with pytest.raises(DomainError) as caught:
        s.report_submit(actor=cast.drc_head, assignment=lead, text="基本完成。", progress=95, is_final=True)
    assert caught.value.code == "report_final_needs_100"
    assert fresh(lead).state == "in_progress"


def test_it_puts_the_task_up_for_closing_when_the_lead_asks_to_close(cast, frozen):
    task, lead = close_requested(cast)
    assert (lead.state, lead.submitted_on) == ("review", D(2026, 6, 1))
    assert task.state == "closing"


def test_it_verifies_work_submitted_by_the_deadline_as_on_time(cast, frozen):
    task, lead = close_requested(cast, deadline=D(2026, 6, 5))
    go_to(frozen, D(2026, 6, 9))  # verified after the deadline; submitted before it
    s.assignment_verify(actor=cast.supervisor, assignment=lead)
    lead = fresh(lead)
    assert (lead.state, lead.light, lead.progress) == ("done", Light.DONE_ON_TIME, 100)
    assert Report.objects.get(assignment=lead, is_final=True).state == "accepted"


def test_it_verifies_work_submitted_after_the_deadline_as_late(cast, frozen):
    task, lead = signed(cast, deadline=D(2026, 6, 5))
    go_to(frozen, D(2026, 6, 8))
    s.report_submit(actor=cast.drc_head, assignment=lead, text="全部开工。", progress=100, is_final=True)
    s.assignment_verify(actor=cast.supervisor, assignment=lead)
    assert fresh(lead).light == Light.DONE_LATE
    task = s.task_close(actor=cast.supervisor, task=task, note="已核验。")
    assert task.light == Light.DONE_LATE


def test_it_sends_rejected_work_back_and_reopens_the_task(cast, frozen):
    task, lead = close_requested(cast)
    with pytest.raises(DomainError) as caught:
        s.assignment_reject(actor=cast.supervisor, assignment=lead, comment="")
    assert caught.value.code == "review_comment_required"
    s.assignment_reject(actor=cast.supervisor, assignment=lead, comment="缺少开工证明。")
    lead = fresh(lead)
    assert (lead.state, lead.return_count, lead.submitted_on) == ("in_progress", 1, None)
    assert fresh(task).state == "in_progress"
    assert Report.objects.get(assignment=lead, is_final=True).state == "returned"


def test_it_verifies_only_work_in_review(cast, frozen):
    _, lead = signed(cast)
    with pytest.raises(DomainError) as caught:
        s.assignment_verify(actor=cast.supervisor, assignment=lead)
    assert caught.value.code == "assignment_not_in_review"


def test_it_refuses_the_unit_verifying_its_own_work(cast, frozen):
    _, lead = close_requested(cast)
    with pytest.raises(PermissionDenied):
        s.assignment_verify(actor=cast.drc_head, assignment=lead)
    assert fresh(lead).state == "review"


# ---- 销号 -------------------------------------------------------------------------------------------


def test_it_refuses_to_close_until_every_lead_is_verified(cast, frozen):
    c = cast
    task = assigned(c, leads=[c.pref_drc, c.pref_finance])
    for unit, liaison, head in ((c.pref_drc, c.drc_liaison, c.drc_head),
                                (c.pref_finance, c.finance_liaison, c.finance_head)):
        s.assignment_sign(actor=liaison, assignment=at(task, unit))
        s.report_submit(actor=head, assignment=at(task, unit), text="已完成。", progress=100, is_final=True)
    s.assignment_verify(actor=c.supervisor, assignment=at(task, c.pref_drc))
    with pytest.raises(DomainError) as caught:
        s.task_close(actor=c.supervisor, task=task, note="现场核验。")
    assert caught.value.code == "task_close_not_ready"
    assert fresh(task).state == "closing"


def test_it_needs_a_note_to_close(cast, frozen):
    task, lead = close_requested(cast)
    s.assignment_verify(actor=cast.supervisor, assignment=lead)
    with pytest.raises(DomainError) as caught:
        s.task_close(actor=cast.supervisor, task=task, note="")
    assert caught.value.code == "task_close_note_required"
    assert fresh(task).state == "closing"


def test_it_closes_the_cooperating_units_along_with_the_task(cast, frozen):
    c = cast
    task, lead = close_requested(c, helpers=[c.pref_finance])
    s.assignment_sign(actor=c.finance_liaison, assignment=at(task, c.pref_finance))
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    task = s.task_close(actor=c.supervisor, task=task, note="现场核验，佐证齐全。")
    task = fresh(task)
    assert (task.state, task.light, task.close_note) == ("closed", Light.DONE_ON_TIME, "现场核验，佐证齐全。")
    assert task.closed_at is not None
    helper = Assignment.objects.get(task=task, unit=c.pref_finance)
    assert helper.state == "done"
    assert helper.done_at is not None


# ---- 撤销 -------------------------------------------------------------------------------------------


def test_it_cancels_every_open_assignment_with_the_task(cast, frozen):
    c = cast
    task = assigned(c, helpers=[c.pref_finance])
    s.assignment_sign(actor=c.drc_liaison, assignment=at(task, c.pref_drc))
    with pytest.raises(DomainError) as caught:
        s.task_cancel(actor=c.supervisor, task=task, reason="")
    assert caught.value.code == "task_cancel_reason_required"
    s.task_cancel(actor=c.supervisor, task=task, reason="决策已调整。")
    assert fresh(task).state == "cancelled"
    assert set(Assignment.objects.filter(task=task).values_list("state", flat=True)) == {"cancelled"}
    with pytest.raises(DomainError):
        s.assignment_sign(actor=c.finance_liaison, assignment=Assignment.objects.get(task=task, unit=c.pref_finance))


def test_it_refuses_to_cancel_a_closed_task(cast, frozen):
    task = closed(cast)
    with pytest.raises(DomainError) as caught:
        s.task_cancel(actor=cast.supervisor, task=task, reason="决策已调整。")
    assert caught.value.code == "task_cancel_not_open"


# ---- 延期 -------------------------------------------------------------------------------------------


END_OF_JULY = D(2026, 7, 31)


def ask_for_time(c, lead, until=END_OF_JULY, who=None):
    return s.extension_request(actor=who or c.drc_liaison, assignment=lead, reason="用地审批尚未完成。",
                               requested_deadline=until)


def test_it_takes_an_extension_request_on_the_last_day(cast, frozen):
    _, lead = signed(cast, deadline=D(2026, 6, 5))
    go_to(frozen, D(2026, 6, 5), 16)
    assert ask_for_time(cast, lead).state == "pending"


def test_it_refuses_an_extension_asked_for_after_the_deadline(cast, frozen):
    _, lead = signed(cast, deadline=D(2026, 6, 5))
    go_to(frozen, D(2026, 6, 8))
    with pytest.raises(DomainError) as caught:
        ask_for_time(cast, lead)
    assert caught.value.code == "extension_too_late"
    assert not Extension.objects.exists()


def test_it_refuses_an_extension_that_is_not_later(cast, frozen):
    _, lead = signed(cast, deadline=D(2026, 6, 30))
    with pytest.raises(DomainError) as caught:
        ask_for_time(cast, lead, until=D(2026, 6, 30))
    assert caught.value.code == "extension_not_later"


def test_it_takes_one_pending_extension_at_a_time(cast, frozen):
    _, lead = signed(cast, deadline=D(2026, 6, 30))
    ask_for_time(cast, lead)
    with pytest.raises(DomainError) as caught:
        ask_for_time(cast, lead, until=D(2026, 8, 31))
    assert caught.value.code == "extension_pending_exists"


def test_it_moves_the_deadlines_when_the_supervisor_approves(cast, frozen):
    task, lead = signed(cast, deadline=D(2026, 6, 30))
    ext = s.extension_decide(actor=cast.supervisor, extension=ask_for_time(cast, lead), approve=True)
    assert (ext.state, ext.granted_deadline, ext.decided_by) == ("approved", D(2026, 7, 31), cast.supervisor)
    assert fresh(lead).deadline == D(2026, 7, 31)
    assert fresh(task).deadline == D(2026, 7, 31)


def test_it_moves_only_the_cooperating_units_deadline_for_its_extension(cast, frozen):
    c = cast
    task, _ = signed(c, deadline=D(2026, 6, 30), helpers=[c.pref_finance])
    helper = at(task, c.pref_finance)
    ext = ask_for_time(c, helper, who=c.finance_liaison)
    s.extension_decide(actor=c.supervisor, extension=ext, approve=True, granted_deadline=D(2026, 7, 15))
    assert fresh(helper).deadline == D(2026, 7, 15)
    assert fresh(task).deadline == D(2026, 6, 30)


def test_it_needs_a_reason_to_deny_an_extension(cast, frozen):
    _, lead = signed(cast, deadline=D(2026, 6, 30))
    ext = ask_for_time(cast, lead)
    with pytest.raises(DomainError) as caught:
        s.extension_decide(actor=cast.supervisor, extension=ext, approve=False)
    assert caught.value.code == "extension_comment_required"
    s.extension_decide(actor=cast.supervisor, extension=ext, approve=False, comment="理由不充分。")
    assert fresh(ext).state == "denied"
    assert fresh(lead).deadline == D(2026, 6, 30)


def test_it_refuses_the_unit_deciding_its_own_extension(cast, frozen):
    _, lead = signed(cast, deadline=D(2026, 6, 30))
    ext = ask_for_time(cast, lead)
    with pytest.raises(PermissionDenied):
        s.extension_decide(actor=cast.drc_head, extension=ext, approve=True)
    assert fresh(ext).state == "pending"


def test_it_leaves_a_key_tasks_extension_to_a_leader(cast, frozen):
    task, lead = signed(cast, deadline=D(2026, 6, 30), is_key=True, responsible_leader=cast.leader)
    ext = ask_for_time(cast, lead)
    with pytest.raises(PermissionDenied):
        s.extension_decide(actor=cast.supervisor, extension=ext, approve=True)
    assert fresh(ext).state == "pending"
    s.extension_decide(actor=cast.leader, extension=ext, approve=True)
    assert (fresh(ext).state, fresh(ext).decided_by) == ("approved", cast.leader)
    assert fresh(task).deadline == D(2026, 7, 31)


# ---- 批示 and 领导阅示 ----------------------------------------------------------------------------


def test_it_opens_a_new_round_when_a_leader_instructs_on_a_closed_task(cast, frozen):
    c = cast
    task = closed(c, helpers=[c.pref_finance], responsible_leader=c.leader)
    go_to(frozen, D(2026, 6, 10))
    instruction = s.instruction_write(actor=c.leader, task=task, text="请持续跟踪项目投产情况，月底前再报。")
    task = fresh(task)
    assert (task.state, task.round, task.closed_at) == ("assigned", 2, None)
    assert task.deadline == D(2026, 7, 2)  # 15 working days from 06-10 for a normal 批示
    assert instruction.round == 2
    # 州财政局 never signed in round 1, so its part was cancelled at 销号; the new round asks it again.
    live = Assignment.objects.filter(task=task).exclude(state="cancelled")
    assert sorted(a.unit_id for a in live) == sorted([c.pref_drc.pk, c.pref_finance.pk])
    for a in live:
        assert (a.state, a.assigned_on, a.sign_due, a.deadline, a.progress) == (
            "pending", D(2026, 6, 10), D(2026, 6, 11), D(2026, 7, 2), 0)
    assert task.light == Light.GREEN
    s.assignment_sign(actor=c.drc_liaison, assignment=at(task, c.pref_drc))
    assert fresh(task).state == "in_progress"


def test_it_keeps_the_round_when_a_leader_instructs_on_open_work(cast, frozen):
    task, _ = signed(cast, responsible_leader=cast.leader)
    s.instruction_write(actor=cast.leader, task=task, text="要加快进度。")
    assert (fresh(task).state, fresh(task).round) == ("in_progress", 1)
    assert Instruction.objects.get(task=task).round == 1


def test_it_refuses_an_instruction_from_a_supervisor(cast, frozen):
    task = closed(cast)
    with pytest.raises(PermissionDenied):
        s.instruction_write(actor=cast.supervisor, task=task, text="请再报一次。")
    assert fresh(task).state == "closed"


def test_it_lets_the_leader_mark_a_closed_result_read_once(cast, frozen):
    task = closed(cast, responsible_leader=cast.leader)
    s.task_leader_read(actor=cast.leader, task=task)
    assert fresh(task).leader_read_at is not None
    with pytest.raises(DomainError) as caught:
        s.task_leader_read(actor=cast.leader, task=task)
    assert caught.value.code == "task_already_read"


def test_it_has_nothing_to_read_before_the_task_closes(cast, frozen):
    task, _ = signed(cast, responsible_leader=cast.leader)
    with pytest.raises(DomainError) as caught:
        s.task_leader_read(actor=cast.leader, task=task)
    assert caught.value.code == "task_not_closed"


# ---- 堵点难点 ---------------------------------------------------------------------------------------


def test_it_takes_a_blocker_up_to_a_leader_and_back(cast, frozen):
    c = cast
    _, lead = signed(c)
    blocker = s.blocker_raise(actor=c.drc_liaison, assignment=lead, text="用地指标不足。")
    assert blocker.state == "open"
    s.blocker_escalate(actor=c.supervisor, blocker=blocker, leader=c.leader)
    assert (fresh(blocker).state, fresh(blocker).escalated_to) == ("escalated", c.leader)
    with pytest.raises(DomainError) as caught:
        s.blocker_answer(actor=c.leader, blocker=blocker, answer=" ")
    assert caught.value.code == "blocker_answer_required"
    s.blocker_answer(actor=c.leader, blocker=blocker, answer="请自然资源局统筹调剂。")
    blocker = fresh(blocker)
    assert (blocker.state, blocker.answered_by, blocker.answer) == ("answered", c.leader, "请自然资源局统筹调剂。")


def test_it_escalates_a_blocker_only_to_a_leader(cast, frozen):
    _, lead = signed(cast)
    blocker = s.blocker_raise(actor=cast.drc_liaison, assignment=lead, text="用地指标不足。")
    with pytest.raises(DomainError) as caught:
        s.blocker_escalate(actor=cast.supervisor, blocker=blocker, leader=cast.drc_head)
    assert caught.value.code == "blocker_leader_invalid"
    assert fresh(blocker).state == "open"


def test_it_hides_an_assignment_from_an_outsider_raising_a_blocker(cast, frozen):
    _, lead = signed(cast)
    with pytest.raises(NotFound):
        s.blocker_raise(actor=cast.other_liaison, assignment=lead, text="用地指标不足。")
    assert not Blocker.objects.exists()


def test_it_refuses_to_answer_an_answered_blocker(cast, frozen):
    _, lead = signed(cast)
    blocker = s.blocker_raise(actor=cast.drc_liaison, assignment=lead, text="用地指标不足。")
    s.blocker_answer(actor=cast.supervisor, blocker=blocker, answer="已协调。")
    with pytest.raises(DomainError) as caught:
        s.blocker_answer(actor=cast.supervisor, blocker=blocker, answer="再协调。")
    assert caught.value.code == "blocker_illegal_transition"


# ---- 层层分解: the county passes the prefecture's task on ------------------------------------------


def county_work(c, deadline=END_OF_JULY) -> Assignment:
    task = assigned(c, leads=[c.county], deadline=deadline)
    s.assignment_sign(actor=c.county_liaison, assignment=at(task, c.county))
    return at(task, c.county)


def decompose(c, parent: Assignment, actor=None, **options) -> Task:
    return s.task_create(actor=actor or c.county_supervisor, decision=parent.task.decision,
                         title="甲县推进重点项目开工", lead_unit_ids=[c.county_drc.pk],
                         cooperating_unit_ids=[c.township.pk], parent_assignment=parent, **options)


def test_it_lets_the_county_decompose_its_signed_assignment(cast, frozen):
    c = cast
    parent = county_work(c)
    sub = s.task_assign(actor=c.county_supervisor, task=decompose(c, parent))
    sub = fresh(sub)
    assert (sub.parent_assignment, sub.parent, sub.owner_unit) == (parent, parent.task, c.county)
    assert sub.deadline == parent.deadline == D(2026, 7, 31)
    assert at(sub, c.county_drc).state == "pending"
    s.assignment_sign(actor=c.county_drc_liaison, assignment=at(sub, c.county_drc))
    assert fresh(sub).state == "in_progress"


def test_it_keeps_a_sub_task_within_the_parents_deadline(cast, frozen):
    parent = county_work(cast)
    with pytest.raises(DomainError) as caught:
        decompose(cast, parent, deadline=D(2026, 8, 3))
    assert caught.value.code == "cascade_deadline_late"
    assert decompose(cast, parent, deadline=D(2026, 7, 20)).deadline == D(2026, 7, 20)


def test_it_decomposes_only_after_signing(cast, frozen):
    task = assigned(cast, leads=[cast.county])
    with pytest.raises(DomainError) as caught:
        decompose(cast, at(task, cast.county))
    assert caught.value.code == "cascade_needs_signed"


def test_it_hides_a_countys_assignment_from_another_county(cast, frozen):
    parent = county_work(cast)
    with pytest.raises(NotFound):
        s.task_create(actor=cast.other_supervisor, decision=parent.task.decision, title="乙县分解",
                      lead_unit_ids=[cast.other_drc.pk], parent_assignment=parent)
    assert not Task.objects.filter(parent_assignment=parent).exists()


def test_it_shows_the_sub_task_up_the_chain_but_not_to_the_other_county(cast, frozen):
    c = cast
    sub = s.task_assign(actor=c.county_supervisor, task=decompose(c, county_work(c)))
    assert sub in task_list_for(user=c.supervisor)
    assert sub in task_list_for(user=c.county_supervisor)
    assert sub in task_list_for(user=c.county_drc_liaison)
    assert sub not in task_list_for(user=c.other_supervisor)
    assert sub not in task_list_for(user=c.other_liaison)
    assert sub not in task_list_for(user=c.drc_liaison)


# ---- errors, labels, conflicts ---------------------------------------------------------------------


def test_it_explains_every_refusal_with_a_stable_code_and_chinese_words(cast, frozen):
    c = cast
    task, lead = signed(c, deadline=D(2026, 6, 30))
    waiting = assigned(c)
    attempts = [
        lambda: s.decision_create(actor=c.supervisor, kind="rumour", title="x", issued_on=D(2026, 6, 1)),
        lambda: s.decision_create(actor=c.drc_liaison, kind="document", title="x", issued_on=D(2026, 6, 1)),
        lambda: s.task_create(actor=c.supervisor, decision=task.decision, title="无人牵头", lead_unit_ids=[]),
        lambda: draft(c, leads=[c.pref_drc], helpers=[c.pref_drc]),
        lambda: draft(c, deadline=D(2026, 5, 1)),
        lambda: s.task_assign(actor=c.supervisor, task=waiting),
        lambda: s.task_assign(actor=c.other_supervisor, task=task),
        lambda: s.task_assign(actor=c.supervisor, task=task, expected_version=1),
        lambda: s.assignment_sign(actor=c.drc_liaison, assignment=lead),
        lambda: s.assignment_sign(actor=c.other_liaison, assignment=lead),
        lambda: s.report_submit(actor=c.drc_head, assignment=lead, text="", progress=10),
        lambda: s.report_submit(actor=c.drc_head, assignment=lead, text="好", progress=120),
        lambda: s.report_submit(actor=c.drc_head, assignment=lead, text="好", progress=10,
                                files=[("病毒.exe", b"MZ")]),
        lambda: s.extension_request(actor=c.drc_liaison, assignment=lead, reason="", requested_deadline=D(2026, 7, 1)),
        lambda: s.task_close(actor=c.supervisor, task=task, note="好"),
        lambda: s.task_leader_read(actor=c.leader, task=task),
    ]
    codes = []
    for attempt in attempts:
        with pytest.raises(DomainError) as caught:
            attempt()
        error = caught.value
        assert re.fullmatch(r"[a-z][a-z0-9_]*", error.code), error.code
        assert CJK.search(error.message), (error.code, error.message)
        codes.append(error.code)
    assert "version_conflict" in codes
    assert "assignment_not_found" in codes


def test_it_names_a_state_in_each_audiences_own_words(cast, frozen):
    c = cast
    assert state_label("task", "assigned", c.drc_liaison) == "待签收"
    assert state_label("task", "assigned", c.supervisor) == "已交办"
    assert state_label("task", "assigned", c.leader) == "已交办"
    assert state_label("assignment", "review", c.drc_head) == "已申请办结"
    assert state_label("assignment", "review", c.supervisor) == "待审核"
    assert state_label("assignment", "in_progress", c.leader) == "推进中"
    assert state_label("report", "returned", c.drc_liaison) == "被退回重报"
    assert state_label("task", "cancelled", c.leader) == "已撤销"  # falls back to the common name


def test_it_refuses_a_stale_assign_and_changes_nothing(cast, frozen):
    task = draft(cast)
    events = Event.objects.count()
    with pytest.raises(Conflict) as caught:
        s.task_assign(actor=cast.supervisor, task=task, expected_version=task.version + 1)
    assert caught.value.code == "version_conflict"
    task = fresh(task)
    assert (task.state, task.version) == ("draft", 1)
    assert not Assignment.objects.filter(task=task).exists()
    assert Event.objects.count() == events


def test_it_refuses_a_stale_sign_and_changes_nothing(cast, frozen):
    task = assigned(cast)
    lead = at(task, cast.pref_drc)
    with pytest.raises(Conflict):
        s.assignment_sign(actor=cast.drc_liaison, assignment=lead, expected_version=lead.version - 1)
    assert fresh(lead).state == "pending"
    assert s.assignment_sign(actor=cast.drc_liaison, assignment=lead, expected_version=lead.version).state == "in_progress"
