"""The rules of 实地督查: its states, who may work on an inspection, what a finding's state follows from, and
what a rectification task (整改) needs before it is closed (销号).

Nothing here writes; the services (duban.inspection.services) and supervision's `task_close` ask these.
"""

import datetime as dt

from django.db.models import Case, CharField, DateTimeField, F, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual

from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.inspection.models import Finding, FindingState, Inspection, InspectionState, Recheck
from duban.org.models import Role
from duban.org.selectors import viewer_of
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Report,
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
#
# The task's own services move the task (report_submit, verification, 退回, 销号 on the task page, 撤销, 重办),
# and none of them knows about findings. So a finding's state is never copied from its task: every reader
# derives it in SQL (`finding_state`, or `open_finding` for counts). The stored `Finding.state` holds only
# what the task cannot tell: that the finding itself was withdrawn (撤销).


def latest_recheck(rechecks) -> Recheck | None:
    return max(rechecks, key=lambda r: (r.checked_on, r.recorded_at, r.pk), default=None)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def finding_state() -> Case:
    """A finding's state as one SQL expression over Finding rows (annotate it, filter or count on it).

    整改中 until its unit asks to close; 待复查 while that request (or its verified result) waits for the team to
    go back, when the plan asks for a 复查 — unless the latest 复查 failed after the request, which puts it back
    to 整改中 (the request is to be returned); 已整改销号 when the task is closed; 已撤销 when the finding was
    withdrawn or its task cancelled. Two correlated subqueries, read only for a task waiting for 销号: when
    the latest 复查 failed, and when the live lead units last asked to close."""
    failed_at = Subquery(
        Recheck.objects.filter(finding_id=OuterRef("pk")).order_by("-checked_on", "-recorded_at", "-pk")
        .annotate(failed_at=Case(When(passed=False, then=F("recorded_at")), output_field=DateTimeField()))
        .values("failed_at")[:1], output_field=DateTimeField())
    asked = Subquery(
        Assignment.objects.filter(LIVE_ASSIGNMENT, task_id=OuterRef("task_id"), role=AssignmentRole.LEAD)
        .order_by().values("task_id").annotate(asked=Max("submitted_at")).values("asked"),
        output_field=DateTimeField())
    waiting = Q(task__state=TaskState.CLOSING, requires_recheck=True)
    return Case(
        When(state=FindingState.CANCELLED, then=Value(FindingState.CANCELLED)),
        When(task__state=TaskState.CANCELLED, then=Value(FindingState.CANCELLED)),
        When(task__state=TaskState.CLOSED, then=Value(FindingState.CLOSED)),
        When(waiting & GreaterThanOrEqual(failed_at, Coalesce(asked, Value(EPOCH))),
             then=Value(FindingState.RECTIFYING)),
        When(waiting, then=Value(FindingState.RECHECK)),
        default=Value(FindingState.RECTIFYING),
        output_field=CharField(),
    )


def open_finding() -> Q:
    """Findings still being rectified or waiting for 复查 (derived 整改中 or 待复查), without the subqueries."""
    return ~Q(state=FindingState.CANCELLED) & (
        Q(task__isnull=True) | ~Q(task__state__in=[TaskState.CLOSED, TaskState.CANCELLED]))


def finding_ended(finding: Finding) -> bool:
    """Withdrawn, or its task closed (销号) or cancelled: nothing more is done on it."""
    if finding.state == FindingState.CANCELLED:
        return True
    return finding.task is not None and finding.task.state in (TaskState.CLOSED, TaskState.CANCELLED)


def lead_assignments(task) -> list[Assignment]:
    return list(Assignment.objects.filter(LIVE_ASSIGNMENT, task_id=task.pk, role=AssignmentRole.LEAD)
                .select_related("unit"))


# ---- 销号 ------------------------------------------------------------------------------------------------


def _closing_report(a: Assignment) -> Report | None:
    """The final report verification accepted last: `assignment_verify` accepts the newest one waiting."""
    return (Report.objects.filter(assignment_id=a.pk, is_final=True, state=ReportState.ACCEPTED)
            .order_by("-submitted_at", "-pk").first())


def rectification_close_check(task) -> None:
    """A rectification task closes only with evidence from its unit and, where the plan asks, a passed 复查.

    For every live lead unit, the final report (申请办结) that verification accepted last must carry at least
    one evidence file; after a failed 复查, that report must have been submitted since, so that an earlier
    round's evidence does not close the work the team found undone. When the finding requires a
    re-inspection, the latest 复查 must have passed. Any other task passes.
    """
    finding = Finding.objects.filter(task_id=task.pk).first()
    if finding is None:
        return
    rechecks = list(finding.rechecks.all())
    failed = max((r for r in rechecks if not r.passed), key=lambda r: (r.recorded_at, r.pk), default=None)
    for a in lead_assignments(task):
        report = _closing_report(a)
        if report is None or not report.evidence.exists():
            raise DomainError(
                "rectification_evidence_missing",
                f"督查发现问题的整改须有佐证材料才能销号：“{a.unit.name}”经审核通过的办结材料中没有佐证材料"
                "（整改前后的照片、文件等）。请退回单位补充后重新申请办结。",
                {"unit": a.unit_id})
        if failed is not None and report.submitted_at < failed.recorded_at:
            raise DomainError(
                "rectification_evidence_missing",
                f"复查未通过（{_cn(failed.checked_on)}）后，“{a.unit.name}”尚未重新申请办结并报送佐证材料，"
                "不能用此前的材料销号。请退回单位整改后重新申请办结。",
                {"unit": a.unit_id, "recheck": failed.pk})
    if finding.requires_recheck:
        last = latest_recheck(rechecks)
        if last is None:
            raise DomainError("rectification_recheck_missing",
                              "该问题按督查方案须经复查：请督查组到现场复查，复查通过后才能销号。")
        if not last.passed:
            raise DomainError("rectification_recheck_failed",
                              f"最近一次复查（{_cn(last.checked_on)}）未通过，整改尚未到位，不能销号。")


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
