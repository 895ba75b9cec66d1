"""The unit's side of an assignment: 签收, 退办 and 改派, 审核通过/退回, 延期申请/批复."""

import datetime as dt

from django.conf import settings
from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.escalation.services import assignments_notify
from duban.org.models import Role, Unit
from duban.supervision.access import access_act_for_unit, access_supervise_task, in_subtree
from duban.supervision.models import (
    Assignment,
    AssignmentState,
    Extension,
    ExtensionState,
    Light,
    Report,
    ReportState,
    Task,
    TaskState,
)
from duban.supervision.services.common import (
    check_version,
    done_light,
    lock,
    move,
    record,
    require_text,
    save_versioned,
    sign_due_from,
    sync_task,
)
from duban.workdays.calendar import next_report_due
from duban.workdays.store import get_calendar


def _load(assignment: Assignment) -> Assignment:
    assignment = lock(Assignment, assignment.pk, "assignment")
    assignment.task = Task.objects.select_related("owner_unit", "decision").get(pk=assignment.task_id)
    return assignment


@transaction.atomic
def assignment_sign(*, actor, assignment: Assignment, expected_version: int | None = None) -> Assignment:
    """签收."""
    a = _load(assignment)
    access_act_for_unit(actor, a)
    check_version(a, expected_version, "assignment")
    if a.state != AssignmentState.PENDING:
        raise DomainError("assignment_not_pending", "该事项已签收或已不在待签收状态。")
    move(a, "assignment", AssignmentState.IN_PROGRESS)
    a.signed_at, a.signed_by = clock.now(), actor
    if a.task.cadence != "none":
        a.next_report_due = next_report_due(get_calendar(), a.task.cadence, clock.today(), a.task.report_day)
    save_versioned(a, ["state", "signed_at", "signed_by", "next_report_due"], "assignment")
    late = clock.passed_through() >= a.sign_due
    record(actor=actor, verb="assignment.sign", obj=a, task=a.task, unit_id=a.unit_id, late=late)
    sync_task(a.task)
    return a


@transaction.atomic
def assignment_return(*, actor, assignment: Assignment, reason: str,
                      expected_version: int | None = None) -> Assignment:
    """退办: the assignment is not this unit's business; the supervisor must reassign it."""
    a = _load(assignment)
    access_act_for_unit(actor, a)
    check_version(a, expected_version, "assignment")
    reason = require_text(reason, "assignment_return_reason_required", "退办须写明理由（如：不属于本单位职责）。")
    move(a, "assignment", AssignmentState.RETURNED)
    a.returned_reason = reason
    save_versioned(a, ["state", "returned_reason"], "assignment")
    record(actor=actor, verb="assignment.return", obj=a, task=a.task, unit_id=a.unit_id, reason=reason)
    sync_task(a.task)
    return a


@transaction.atomic
def assignment_reassign(*, actor, assignment: Assignment, unit: Unit,
                        expected_version: int | None = None) -> Assignment:
    """改派: hand a returned assignment to the right unit. Returns the new assignment."""
    a = _load(assignment)
    access_supervise_task(actor, a.task)
    check_version(a, expected_version, "assignment")
    if a.state != AssignmentState.RETURNED:
        raise DomainError("assignment_not_returned", "只有被退办的事项才能改派。")
    owner = a.task.owner_unit
    if not in_subtree(unit, owner) or unit.pk == owner.pk or not unit.is_active:
        raise DomainError("task_unit_out_of_scope", f"“{unit.name}”不在本单位的交办范围内。")
    if Assignment.objects.filter(task=a.task, unit=unit).exclude(state__in=["reassigned", "cancelled"]).exists():
        raise DomainError("assignment_unit_already", f"“{unit.name}”已承办该事项。")
    today = clock.today()
    new = Assignment.objects.create(task=a.task, unit=unit, role=a.role, assigned_on=today,
                                    sign_due=sign_due_from(today), deadline=a.deadline)
    move(a, "assignment", AssignmentState.REASSIGNED)
    a.reassigned_to = new
    a.light = Light.NONE
    save_versioned(a, ["state", "reassigned_to", "light"], "assignment")
    record(actor=actor, verb="assignment.reassign", obj=a, task=a.task, unit_id=unit.pk,
           from_unit=a.unit_id, to_unit=unit.pk, new_assignment=new.pk)
    sync_task(a.task)
    assignments_notify(assignments=[new], actor=actor)
    return new


def _supervisor_review(actor, assignment: Assignment, expected_version: int | None) -> Assignment:
    a = _load(assignment)
    access_supervise_task(actor, a.task)
    check_version(a, expected_version, "assignment")
    if a.state != AssignmentState.REVIEW:
        raise DomainError("assignment_not_in_review", "该单位尚未申请办结。")
    return a


def _final_report(a: Assignment) -> Report | None:
    return a.reports.filter(is_final=True, state=ReportState.SUBMITTED).order_by("-submitted_at").first()


@transaction.atomic
def assignment_verify(*, actor, assignment: Assignment, comment: str = "",
                      expected_version: int | None = None) -> Assignment:
    """审核通过: the unit's work is done."""
    a = _supervisor_review(actor, assignment, expected_version)
    move(a, "assignment", AssignmentState.DONE)
    a.done_at = clock.now()
    a.light = done_light(a)
    on_time = a.light == Light.DONE_ON_TIME
    a.progress = 100
    save_versioned(a, ["state", "done_at", "light", "progress"], "assignment")
    report = _final_report(a)
    if report is not None:
        Report.objects.filter(pk=report.pk).update(state=ReportState.ACCEPTED, reviewed_by=actor,
                                                  reviewed_at=clock.now(), review_comment=comment)
    record(actor=actor, verb="assignment.verify", obj=a, task=a.task, unit_id=a.unit_id, comment=comment,
           on_time=on_time)
    sync_task(a.task)
    return a


@transaction.atomic
def assignment_reject(*, actor, assignment: Assignment, comment: str,
                      expected_version: int | None = None) -> Assignment:
    """退回: not done yet; back to work, and the return counts toward a red light."""
    a = _supervisor_review(actor, assignment, expected_version)
    comment = require_text(comment, "review_comment_required", "退回须写明意见，告诉单位还差什么。")
    move(a, "assignment", AssignmentState.IN_PROGRESS)
    a.return_count += 1
    a.submitted_at = a.submitted_on = None
    save_versioned(a, ["state", "return_count", "submitted_at", "submitted_on"], "assignment")
    report = _final_report(a)
    if report is not None:
        Report.objects.filter(pk=report.pk).update(state=ReportState.RETURNED, reviewed_by=actor,
                                                  reviewed_at=clock.now(), review_comment=comment)
    record(actor=actor, verb="assignment.reject", obj=a, task=a.task, unit_id=a.unit_id, comment=comment)
    sync_task(a.task)
    return a


@transaction.atomic
def extension_request(*, actor, assignment: Assignment, reason: str, requested_deadline: dt.date) -> Extension:
    """延期申请, before the deadline passes."""
    a = _load(assignment)
    access_act_for_unit(actor, a)
    reason = require_text(reason, "extension_reason_required", "请写明延期理由。")
    if a.state not in (AssignmentState.PENDING, AssignmentState.IN_PROGRESS):
        raise DomainError("extension_not_open", "该事项当前不能申请延期。")
    if a.deadline is None:
        raise DomainError("extension_no_deadline", "长期事项没有完成时限，无需延期。")
    if requested_deadline <= a.deadline:
        raise DomainError("extension_not_later", "申请延至的日期应晚于现有时限。")
    if settings.DUBAN_EXTENSION_BEFORE_DEADLINE and clock.passed_through() >= a.deadline:
        raise DomainError("extension_too_late", "已超过完成时限，不能再申请延期。")
    if a.extensions.filter(state=ExtensionState.PENDING).exists():
        raise DomainError("extension_pending_exists", "已有一份延期申请在等待批复。")
    ext = Extension.objects.create(assignment=a, requested_by=actor, reason=reason, old_deadline=a.deadline,
                                   requested_deadline=requested_deadline, requested_at=clock.now())
    record(actor=actor, verb="extension.request", obj=ext, task=a.task, unit_id=a.unit_id, reason=reason,
           requested_deadline=requested_deadline)
    return ext


@transaction.atomic
def extension_decide(*, actor, extension: Extension, approve: bool, comment: str = "",
                     granted_deadline: dt.date | None = None) -> Extension:
    """延期批复. Extensions of key (挂牌) tasks are decided by a leader."""
    ext = lock(Extension, extension.pk, "extension")
    a = _load(ext.assignment)
    task = a.task
    if task.is_key:
        if actor is None or not actor.has_role(Role.LEADER):
            raise PermissionDenied("挂牌督办事项的延期须由领导批复。")
        from duban.supervision.access import access_lead_task

        access_lead_task(actor, task)
    else:
        access_supervise_task(actor, task)
    move(ext, "extension", ExtensionState.APPROVED if approve else ExtensionState.DENIED)
    if not approve:
        comment = require_text(comment, "extension_comment_required", "不予批准须写明理由。")
    ext.decided_by, ext.decided_at, ext.comment = actor, clock.now(), comment
    if approve:
        granted = granted_deadline or ext.requested_deadline
        if granted <= ext.old_deadline:
            raise DomainError("extension_not_later", "批准延至的日期应晚于原时限。")
        if a.state not in (AssignmentState.PENDING, AssignmentState.IN_PROGRESS, AssignmentState.REVIEW):
            raise DomainError("extension_not_open", "该事项已结束，无需延期。")
        parent = task.parent_assignment
        if parent is not None and parent.deadline is not None and granted > parent.deadline:
            raise DomainError("cascade_deadline_late",
                              "分解事项的时限不能晚于上级交办的时限；请先向上级申请延期。")
        if ext.old_deadline != a.deadline:
            raise DomainError("extension_stale", "该申请所针对的时限已经变更，请单位按新时限重新申请。")
        ext.granted_deadline = granted
        a.deadline = granted
        save_versioned(a, ["deadline"], "assignment")
        if a.role == "lead":
            latest = max(d for d in Assignment.objects.filter(task=task, role="lead")
                         .exclude(state__in=["reassigned", "cancelled"]).values_list("deadline", flat=True) if d)
            if task.deadline != latest and task.state != TaskState.CLOSED:
                task.deadline = latest
                save_versioned(task, ["deadline"], "task")
    ext.save()
    record(actor=actor, verb="extension.decide", obj=ext, task=task, unit_id=a.unit_id, approve=approve,
           granted_deadline=ext.granted_deadline, comment=comment)
    sync_task(task)
    return ext


@transaction.atomic
def assignment_objective_reason(*, actor, assignment: Assignment, reason: str,
                                expected_version: int | None = None) -> Assignment:
    """客观原因: the supervisor records why a unit's work is late for reasons outside its control (or clears it
    with an empty reason). Scorecards may exempt it from the overdue penalty; bulletins print it."""
    a = _load(assignment)
    access_supervise_task(actor, a.task)
    check_version(a, expected_version, "assignment")
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise DomainError("objective_reason_too_long", "客观原因不超过2000字。")
    if a.state in (AssignmentState.REASSIGNED, AssignmentState.CANCELLED):
        raise DomainError("assignment_not_open", "该承办已改派或撤销。")
    a.objective_reason = reason
    save_versioned(a, ["objective_reason"], "assignment")
    record(actor=actor, verb="assignment.objective_reason", obj=a, task=a.task, unit_id=a.unit_id, reason=reason)
    return a
