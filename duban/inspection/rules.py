"""The rules of 实地督查: its states, who may work on an inspection, what a finding's state follows from, and
what a rectification task (整改) needs before it is closed (销号).

Nothing here writes; the services (duban.inspection.services) and supervision's `task_close` ask these.
"""

from django.db.models import Q

from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.inspection.models import Finding, FindingState, Inspection, InspectionState, Recheck
from duban.org.models import Role
from duban.org.selectors import viewer_of
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Evidence,
    ReportState,
    TaskState,
)

INSPECTION_TRANSITIONS = {
    InspectionState.PLANNED: {InspectionState.UNDER_WAY, InspectionState.CANCELLED},
    InspectionState.UNDER_WAY: {InspectionState.FINISHED, InspectionState.CANCELLED},
    InspectionState.FINISHED: set(),
    InspectionState.CANCELLED: set(),
}
OPEN_INSPECTION_STATES = (InspectionState.PLANNED, InspectionState.UNDER_WAY)
ENDED_FINDING_STATES = (FindingState.CLOSED, FindingState.CANCELLED)
LIVE_ASSIGNMENT = ~Q(state__in=[AssignmentState.REASSIGNED, AssignmentState.CANCELLED])


def check_inspection_transition(inspection: Inspection, to_state: str) -> None:
    if to_state not in INSPECTION_TRANSITIONS[inspection.state]:
        names = dict(InspectionState.choices)
        raise DomainError("inspection_illegal_transition",
                          f"督查当前为“{names[inspection.state]}”，不能变为“{names[to_state]}”。",
                          {"from": inspection.state, "to": to_state})


# ---- who ---------------------------------------------------------------------------------------------


def is_active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def runs_office(actor, inspection: Inspection) -> bool:
    """A supervisor of the office that organised the inspection (the one who may direct units)."""
    return (is_active(actor) and actor.has_role(Role.SUPERVISOR) and actor.unit_id is not None
            and actor.unit_id == inspection.office_id)


def on_team(actor, inspection: Inspection) -> bool:
    return is_active(actor) and inspection.team.filter(pk=actor.pk).exists()


def can_see_inspection(actor, inspection: Inspection) -> bool:
    from duban.inspection.selectors import inspection_scope

    v = viewer_of(actor)
    return v is not None and Inspection.objects.filter(inspection_scope(v), pk=inspection.pk).exists()


def _deny_or_hide(actor, inspection: Inspection, message: str) -> None:
    if can_see_inspection(actor, inspection):
        raise PermissionDenied(message)
    raise NotFound("inspection")


def access_run(actor, inspection: Inspection) -> None:
    """Plan-level acts (cancel, 交办, 销号): the office's supervisors."""
    if not is_active(actor):
        raise PermissionDenied()
    if not runs_office(actor, inspection):
        _deny_or_hide(actor, inspection, "只有组织本次督查的督查室督查员可以执行此操作。")


def access_work(actor, inspection: Inspection) -> None:
    """Field acts (visits, findings, 复查): a member of the team, or a supervisor of the office."""
    if not is_active(actor):
        raise PermissionDenied()
    if not (runs_office(actor, inspection) or on_team(actor, inspection)):
        _deny_or_hide(actor, inspection, "只有督查组成员或组织单位的督查员可以执行此操作。")


def access_lead_team(actor, inspection: Inspection) -> None:
    """Ending the field work: the team leader, or a supervisor of the office."""
    if not is_active(actor):
        raise PermissionDenied()
    if not (runs_office(actor, inspection) or actor.pk == inspection.team_leader_id):
        _deny_or_hide(actor, inspection, "只有督查组组长或组织单位的督查员可以结束督查。")


# ---- a finding's state, from its task ------------------------------------------------------------------


def latest_recheck(rechecks) -> Recheck | None:
    return max(rechecks, key=lambda r: (r.checked_on, r.recorded_at, r.pk), default=None)


def derived_state(finding: Finding, task, leads: list[Assignment], rechecks: list[Recheck]) -> str:
    """What a finding's state is, given its task, the task's live lead assignments and its rechecks.

    待复查 while the unit's request to close (or its verified result) waits for the team to go back;
    a failed recheck made after that request sends the finding back to 整改中 (the request is to be returned).
    """
    if task is None:
        return FindingState.CANCELLED if finding.state == FindingState.CANCELLED else FindingState.RECTIFYING
    if task.state == TaskState.CANCELLED:
        return FindingState.CANCELLED
    if task.state == TaskState.CLOSED:
        return FindingState.CLOSED
    if task.state == TaskState.CLOSING and finding.requires_recheck:
        last = latest_recheck(rechecks)
        asked = max((a.submitted_at for a in leads if a.submitted_at is not None), default=None)
        if last is not None and not last.passed and (asked is None or last.recorded_at >= asked):
            return FindingState.RECTIFYING
        return FindingState.RECHECK
    return FindingState.RECTIFYING


def lead_assignments(task) -> list[Assignment]:
    return list(Assignment.objects.filter(LIVE_ASSIGNMENT, task_id=task.pk, role=AssignmentRole.LEAD)
                .select_related("unit"))


# ---- 销号 ------------------------------------------------------------------------------------------------


def rectification_close_check(task) -> None:
    """A rectification task closes only with evidence from its unit and, where the plan asks, a passed 复查.

    Every live lead unit's final report (申请办结), accepted on verification, must carry at least one evidence
    file; when the finding requires a re-inspection, the latest 复查 must have passed. Any other task passes.
    """
    finding = Finding.objects.filter(task_id=task.pk).first()
    if finding is None:
        return
    for a in lead_assignments(task):
        proven = Evidence.objects.filter(report__assignment_id=a.pk, report__is_final=True,
                                         report__state=ReportState.ACCEPTED).exists()
        if not proven:
            raise DomainError(
                "rectification_evidence_missing",
                f"督查发现问题的整改须有佐证材料才能销号：“{a.unit.name}”经审核通过的办结材料中没有佐证材料"
                "（整改前后的照片、文件等）。请退回单位补充后重新申请办结。",
                {"unit": a.unit_id})
    if finding.requires_recheck:
        last = latest_recheck(list(finding.rechecks.all()))
        if last is None:
            raise DomainError("rectification_recheck_missing",
                              "该问题按督查方案须经复查：请督查组到现场复查，复查通过后才能销号。")
        if not last.passed:
            raise DomainError("rectification_recheck_failed",
                              f"最近一次复查（{last.checked_on.year}年{last.checked_on.month}月{last.checked_on.day}日）未通过，整改尚未到位，不能销号。")

