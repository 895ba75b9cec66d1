"""督查发现 and their rectification (整改): a finding becomes an ordinary task of its unit, so that the task runs
through the same lifecycle, lights, urging, escalation and bulletins as any other; 复查 and 销号 close it.

Who issues the task. `decision_create`, `task_create` and `task_assign` are a supervisor's acts, and the task
is owned by the supervisor's unit. A rectification task must hang under the inspecting office's own 督查发现
decision, so it is issued by a supervisor of that office (`runs_office`). When such a supervisor records the
finding, it is issued at once; when a team member who is not one records it (a 督查组成员, or a supervisor
lent to the team from a county), the finding waits, marked 待交办, until a supervisor of the office issues it
(`finding_issue`). The audit trail thus names the person who did each thing: who saw the problem, and who
directed the unit to rectify it. No service acts in the name of someone who did not act.
"""

import datetime as dt

from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError
from duban.inspection.models import Finding, FindingState, Inspection, InspectionState, Recheck, Visit
from duban.inspection.rules import (
    access_run,
    access_work,
    finding_ended,
    latest_recheck,
    lead_assignments,
    rectification_close_check,
    runs_office,
)
from duban.org.models import Unit
from duban.supervision.access import in_subtree
from duban.supervision.models import AssignmentState, DecisionKind, TaskState
from duban.supervision.services import (
    assignment_reject,
    decision_create,
    task_assign,
    task_cancel,
    task_close,
    task_create,
    task_redo,
)
from duban.supervision.services.common import lock, record, require_text, save_versioned
from duban.workdays.store import get_calendar

DEFAULT_RECTIFY_WORKDAYS = 20
RECTIFICATION_CATEGORY = "整改"


def default_rectify_deadline(today: dt.date | None = None) -> dt.date:
    return get_calendar().add_workdays(today or clock.today(), DEFAULT_RECTIFY_WORKDAYS)


def _check_deadline(deadline: dt.date) -> None:
    if deadline <= clock.today():
        raise DomainError("finding_deadline_past", "整改时限应晚于今天。", {"field": "deadline"})
    if not get_calendar().is_workday(deadline):
        raise DomainError("finding_deadline_not_workday", "整改时限应为工作日，请另选一天。", {"field": "deadline"})


def _task_title(finding: Finding) -> str:
    first = finding.text.strip().splitlines()[0].strip()
    if len(first) > 80:
        first = first[:79] + "…"
    return f"{finding.unit.display_name}整改：{first}"


def _issue(actor, inspection: Inspection, finding: Finding) -> None:
    """Make the rectification task of `finding` (under the inspection's decision, made once) and assign it."""
    if inspection.decision_id is None:
        decision = decision_create(actor=actor, kind=DecisionKind.INSPECTION, title=f"{inspection.title[:194]}发现问题整改",
                                   issued_on=clock.today(), issuer=inspection.office.name, body=inspection.focus)
        inspection.decision = decision
        save_versioned(inspection, ["decision"], "inspection")
    requirements = finding.text
    if finding.requirement:
        requirements += f"\n\n整改要求：{finding.requirement}"
    task = task_create(actor=actor, decision=inspection.decision, title=_task_title(finding),
                       lead_unit_ids=[finding.unit_id], requirements=requirements, deadline=finding.deadline,
                       category=RECTIFICATION_CATEGORY)
    task = task_assign(actor=actor, task=task)
    finding.task = task
    save_versioned(finding, ["task"], "finding")


def _load(finding: Finding) -> tuple[Finding, Inspection]:
    finding = lock(Finding, finding.pk, "finding")
    inspection = Inspection.objects.select_related("office").get(pk=finding.inspection_id)
    return finding, inspection


@transaction.atomic
def finding_record(*, actor, inspection: Inspection, unit: Unit, text: str, requirement: str = "",
                   deadline: dt.date | None = None, visit: Visit | None = None) -> Finding:
    """记录督查发现. Issued as a rectification task at once when a supervisor of the office records it."""
    inspection = lock(Inspection, inspection.pk, "inspection")
    inspection.office = Unit.objects.get(pk=inspection.office_id)
    access_work(actor, inspection)
    if inspection.state not in (InspectionState.UNDER_WAY, InspectionState.FINISHED):
        raise DomainError("inspection_not_under_way", "督查开始后才能记录发现的问题；已取消的督查不能记录。")
    text = require_text(text, "finding_text_required", "请写明发现的问题。")
    requirement = (requirement or "").strip()[:10000]
    if unit is None or not unit.is_active or not in_subtree(unit, inspection.office) \
            or unit.pk == inspection.office_id:
        raise DomainError("finding_unit_out_of_scope", "责任单位须为组织单位下属的在用单位。", {"field": "unit"})
    if visit is not None and visit.inspection_id != inspection.pk:
        raise DomainError("finding_visit_other", "所选走访不属于本次督查。", {"field": "visit"})
    deadline = deadline or default_rectify_deadline()
    _check_deadline(deadline)
    finding = Finding(inspection=inspection, visit=visit, unit=unit, text=text, requirement=requirement,
                      deadline=deadline, requires_recheck=inspection.requires_recheck,
                      state=FindingState.RECTIFYING, created_by=actor, created_at=clock.now())
    finding.save()
    issued = runs_office(actor, inspection)
    if issued:
        _issue(actor, inspection, finding)
    record(actor=actor, verb="finding.record", obj=finding, task=finding.task, unit_id=unit.pk,
           inspection=inspection.pk, deadline=deadline, requires_recheck=finding.requires_recheck,
           issued=issued)
    return finding


@transaction.atomic
def finding_issue(*, actor, finding: Finding, deadline: dt.date | None = None) -> Finding:
    """交办整改: a supervisor of the office issues a finding a team member recorded (optionally a new deadline)."""
    finding, inspection = _load(finding)
    access_run(actor, inspection)
    if finding.task_id is not None:
        raise DomainError("finding_already_issued", "该问题已交办整改。")
    if finding.state == FindingState.CANCELLED:
        raise DomainError("finding_cancelled", "该问题已撤销。")
    if inspection.state == InspectionState.CANCELLED:
        raise DomainError("inspection_cancelled", "督查已取消。")
    if deadline is not None and deadline != finding.deadline:
        finding.deadline = deadline
        save_versioned(finding, ["deadline"], "finding")
    _check_deadline(finding.deadline)
    finding.unit = Unit.objects.get(pk=finding.unit_id)
    _issue(actor, inspection, finding)
    record(actor=actor, verb="finding.issue", obj=finding, task=finding.task, unit_id=finding.unit_id,
           deadline=finding.deadline)
    return finding


@transaction.atomic
def finding_recheck(*, actor, finding: Finding, passed: bool, notes: str, checked_on: dt.date) -> Recheck:
    """复查: once the unit asks to close its rectification, the team goes back and sees whether it holds.

    A failed recheck returns the unit's request (退回) when the person recording it may do so — a supervisor
    of the office; otherwise the finding shows that the request waits to be returned (`finding_return`).
    """
    finding, inspection = _load(finding)
    access_work(actor, inspection)
    task = finding.task
    if task is None:
        raise DomainError("finding_not_issued", "该问题尚未交办整改。")
    if finding_ended(finding):
        raise DomainError("finding_ended", "该问题已销号或已撤销。")
    if task.state != TaskState.CLOSING:
        raise DomainError("finding_not_ready_for_recheck", "责任单位尚未申请整改办结，暂不能复查。")
    notes = require_text(notes, "recheck_notes_required", "请写明复查情况。")
    if checked_on is None or checked_on > clock.today():
        raise DomainError("recheck_date_future", "复查日期不能晚于今天。", {"field": "checked_on"})
    if checked_on < clock.local(finding.created_at).date():
        raise DomainError("recheck_date_early", "复查日期不能早于发现问题的日期。", {"field": "checked_on"})
    recheck = Recheck.objects.create(finding=finding, passed=bool(passed), notes=notes, checked_on=checked_on,
                                     checked_by=actor, recorded_at=clock.now())
    record(actor=actor, verb="recheck.record", obj=recheck, task=task, unit_id=finding.unit_id,
           finding=finding.pk, passed=recheck.passed, checked_on=checked_on)
    if not recheck.passed and runs_office(actor, inspection):
        _return_requests(actor, finding, recheck)
    return recheck


def _return_requests(actor, finding: Finding, recheck: Recheck) -> list[int]:
    comment = f"复查未通过（{recheck.checked_on}）：{recheck.notes}"
    leads = lead_assignments(finding.task)
    if any(a.state == AssignmentState.DONE for a in leads):
        # The office verified the unit's request before the team went back: the work opens again (重办),
        # with the rectification's own deadline if it is still ahead.
        task = finding.task
        today = clock.today()
        deadline = task.deadline if task.deadline and task.deadline > today else default_rectify_deadline(today)
        task_redo(actor=actor, task=task, reason=comment, deadline=deadline, ref_id=recheck.pk,
                  verb="task.redo_by_recheck")
        return [a.pk for a in leads if a.state in (AssignmentState.DONE, AssignmentState.REVIEW)]
    returned = []
    for a in leads:
        if a.state == AssignmentState.REVIEW:
            assignment_reject(actor=actor, assignment=a, comment=comment)
            returned.append(a.pk)
    return returned


@transaction.atomic
def finding_return(*, actor, finding: Finding) -> Finding:
    """退回整改 after a failed 复查 that a team member recorded: the unit's request goes back with its notes."""
    finding, inspection = _load(finding)
    access_run(actor, inspection)
    last = latest_recheck(list(finding.rechecks.all()))
    if finding.task is None or last is None or last.passed:
        raise DomainError("finding_no_failed_recheck", "没有未通过的复查，无需退回。")
    returned = _return_requests(actor, finding, last)
    if not returned:
        raise DomainError("finding_nothing_to_return", "责任单位没有待审核的办结申请可以退回。")
    record(actor=actor, verb="finding.return", obj=finding, task=finding.task, unit_id=finding.unit_id,
           recheck=last.pk, assignments=returned)
    return finding


@transaction.atomic
def finding_close(*, actor, finding: Finding, note: str) -> Finding:
    """销号 of a rectification: evidence from the unit and, where the plan asks, a passed 复查 (then task_close)."""
    finding, inspection = _load(finding)
    access_run(actor, inspection)
    if finding.task is None:
        raise DomainError("finding_not_issued", "该问题尚未交办整改。")
    if finding_ended(finding):
        raise DomainError("finding_ended", "该问题已销号或已撤销。")
    note = require_text(note, "task_close_note_required", "销号须写明核验意见和佐证情况。")
    if finding.task.state != TaskState.CLOSING:
        raise DomainError("task_close_not_ready", "责任单位的整改办结申请审核通过后才能销号。")
    rectification_close_check(finding.task)
    task_close(actor=actor, task=finding.task, note=note)
    record(actor=actor, verb="finding.close", obj=finding, task=finding.task, unit_id=finding.unit_id, note=note)
    return finding


@transaction.atomic
def finding_cancel(*, actor, finding: Finding, reason: str) -> Finding:
    """撤销 a finding recorded in error; its rectification task is cancelled with it."""
    finding, inspection = _load(finding)
    access_run(actor, inspection)
    reason = require_text(reason, "finding_cancel_reason_required", "撤销须写明理由。")
    if finding_ended(finding):
        raise DomainError("finding_ended", "该问题已销号或已撤销。")
    if finding.task is not None:
        task_cancel(actor=actor, task=finding.task, reason=f"督查发现问题撤销：{reason}")
    finding.state = FindingState.CANCELLED
    save_versioned(finding, ["state"], "finding")
    record(actor=actor, verb="finding.cancel", obj=finding, task=finding.task, unit_id=finding.unit_id,
           reason=reason)
    return finding
