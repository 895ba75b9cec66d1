"""Reports (反馈), the unit head's approval (单位审核), the supervisor's review, and blockers."""

import hashlib
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError
from duban.org.models import Role
from duban.quality.services import report_quality_record
from duban.supervision.access import access_act_for_unit, access_lead_task, access_supervise_task, in_subtree
from duban.supervision.models import (
    Assignment,
    AssignmentState,
    Blocker,
    BlockerState,
    Evidence,
    Report,
    ReportState,
    TargetValue,
    Task,
)
from duban.supervision.services.assignments import _load
from duban.supervision.services.common import lock, move, record, require_text, save_versioned, sync_task
from duban.workdays.calendar import next_report_due
from duban.workdays.store import get_calendar

EVIDENCE_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".jpg", ".jpeg", ".png",
                       ".txt", ".ofd", ".wps", ".et", ".zip"}
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024


def _parse_values(a: Assignment, target_values: dict | None) -> list[tuple[int, Decimal]]:
    parsed = []
    known = set(a.task.targets.values_list("pk", flat=True))
    for target_id, raw in (target_values or {}).items():
        if int(target_id) not in known:
            raise DomainError("target_unknown", "指标不属于该事项。", {"target": target_id})
        try:
            parsed.append((int(target_id), Decimal(str(raw))))
        except InvalidOperation:
            raise DomainError("target_value_invalid", f"指标值“{raw}”不是数字。") from None
    return parsed


def _check_file(name: str, content: bytes) -> str:
    clean = PurePosixPath(name.replace("\\", "/")).name.strip()
    suffix = PurePosixPath(clean).suffix.lower()
    if not clean or suffix not in EVIDENCE_EXTENSIONS:
        raise DomainError("evidence_type_rejected", f"不支持的文件类型“{suffix or clean}”。")
    if len(content) > EVIDENCE_MAX_BYTES:
        raise DomainError("evidence_too_large", "单个佐证材料不能超过20MB。")
    if not content:
        raise DomainError("evidence_empty", f"文件“{clean}”是空的。")
    return clean


def _deliver(a: Assignment, report: Report) -> None:
    """The report reaches the supervisors: progress counts, the next report date moves, a close request waits."""
    if a.state != AssignmentState.IN_PROGRESS:
        raise DomainError("assignment_not_in_progress", "该事项已不在办理中，这份反馈不能再报送。")
    a.progress = report.progress
    fields = ["progress"]
    if a.task.cadence != "none":
        a.next_report_due = next_report_due(get_calendar(), a.task.cadence, clock.today(), a.task.report_day)
        fields.append("next_report_due")
    if report.is_final:
        move(a, "assignment", AssignmentState.REVIEW)
        a.submitted_at, a.submitted_on = clock.now(), clock.today()
        fields += ["state", "submitted_at", "submitted_on"]
    save_versioned(a, fields, "assignment")


@transaction.atomic
def report_submit(*, actor, assignment: Assignment, text: str, progress: int, is_final: bool = False,
                  target_values: dict | None = None, blockers: list[str] | None = None,
                  files: list[tuple[str, bytes]] | None = None) -> Report:
    """反馈 (or 申请办结 with is_final). Goes to the unit head first when 二级审核 is on."""
    a = _load(assignment)
    access_act_for_unit(actor, a)
    if a.state != AssignmentState.IN_PROGRESS:
        raise DomainError("assignment_not_in_progress", "请先签收，办理中的事项才能反馈进展。")
    text = require_text(text, "report_text_required", "请填写工作举措和进展情况。", 20000)
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise DomainError("report_progress_invalid", "完成进度应为0到100之间的整数。")
    if is_final and progress != 100:
        raise DomainError("report_final_needs_100", "申请办结时完成进度应为100%。")
    if a.reports.filter(state=ReportState.UNIT_REVIEW).exists():
        raise DomainError("report_awaiting_unit", "上一份反馈还在等待单位负责人审核。")
    values = _parse_values(a, target_values)
    checked_files = [(_check_file(name, content), content) for name, content in files or []]
    needs_unit = settings.DUBAN_UNIT_APPROVAL and not actor.has_role(Role.UNIT_HEAD)
    report = Report.objects.create(
        assignment=a, author=actor, text=text, progress=progress, is_final=is_final,
        state=ReportState.UNIT_REVIEW if needs_unit else ReportState.SUBMITTED, submitted_at=clock.now(),
        unit_reviewed_by=None if needs_unit else actor,
    )
    today = clock.today()
    TargetValue.objects.bulk_create(
        [TargetValue(target_id=t, report=report, value=v, recorded_on=today) for t, v in values]
    )
    for name, content in checked_files:
        Evidence.objects.create(report=report, file=ContentFile(content, name=name), name=name, size=len(content),
                                sha256=hashlib.sha256(content).hexdigest())
    for blocker_text in blockers or []:
        Blocker.objects.create(assignment=a, report=report, raised_by=actor, raised_at=clock.now(),
                               text=require_text(blocker_text, "blocker_text_required", "请写明堵点难点。"))
    quality = report_quality_record(report)
    if not needs_unit:
        _deliver(a, report)
    record(actor=actor, verb="report.submit", obj=report, task=a.task, unit_id=a.unit_id, progress=progress,
           final=is_final, state=report.state, values={str(t): str(v) for t, v in values},
           files=[n for n, _ in checked_files], blockers=len(blockers or []),
           quality=[flag["code"] for flag in quality.flags])
    sync_task(a.task)
    return report


@transaction.atomic
def report_unit_approve(*, actor, report: Report, approve: bool, comment: str = "") -> Report:
    """单位审核 (二级审核): the unit head lets a report go out, or sends it back to the liaison."""
    report = lock(Report, report.pk, "report")
    a = _load(report.assignment)
    access_act_for_unit(actor, a, roles=(Role.UNIT_HEAD,))
    target = ReportState.SUBMITTED if approve else ReportState.UNIT_RETURNED
    move(report, "report", target)
    if not approve:
        comment = require_text(comment, "review_comment_required", "退回须写明意见。")
    report.unit_reviewed_by = actor
    report.review_comment = comment
    if approve:
        _deliver(a, report)
    report.save(update_fields=["state", "unit_reviewed_by", "review_comment"])
    record(actor=actor, verb="report.unit_approve", obj=report, task=a.task, unit_id=a.unit_id, approve=approve,
           comment=comment)
    if report.is_final:
        # An answer to a public clue carried by this report reaches the sender only now (duban.voice).
        from duban.voice.services.answers import reply_settle

        reply_settle(actor=actor, report=report, approved=approve)
    sync_task(a.task)
    return report


@transaction.atomic
def report_review(*, actor, report: Report, accept: bool, comment: str = "") -> Report:
    """审核 a progress report: accepted, or returned to be done again (退回重报)."""
    report = lock(Report, report.pk, "report")
    a = _load(report.assignment)
    access_supervise_task(actor, a.task)
    if report.is_final:
        raise DomainError("report_is_close_request", "办结申请请通过“审核通过/退回”处理。")
    move(report, "report", ReportState.ACCEPTED if accept else ReportState.RETURNED)
    if not accept:
        comment = require_text(comment, "review_comment_required", "退回须写明意见，告诉单位还差什么。")
        if a.state not in (AssignmentState.IN_PROGRESS, AssignmentState.REVIEW):
            raise DomainError("assignment_not_open", "该事项已结束，无需退回重报。")
        a.return_count += 1
        save_versioned(a, ["return_count"], "assignment")
    report.reviewed_by, report.reviewed_at, report.review_comment = actor, clock.now(), comment
    report.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    record(actor=actor, verb="report.review", obj=report, task=a.task, unit_id=a.unit_id, accept=accept,
           comment=comment)
    sync_task(a.task)
    return report


@transaction.atomic
def blocker_raise(*, actor, assignment: Assignment, text: str) -> Blocker:
    a = _load(assignment)
    access_act_for_unit(actor, a)
    if a.state not in (AssignmentState.IN_PROGRESS, AssignmentState.REVIEW, AssignmentState.PENDING):
        raise DomainError("assignment_not_open", "该事项已结束。")
    blocker = Blocker.objects.create(assignment=a, raised_by=actor, raised_at=clock.now(),
                                     text=require_text(text, "blocker_text_required", "请写明堵点难点。"))
    record(actor=actor, verb="blocker.raise", obj=blocker, task=a.task, unit_id=a.unit_id, text=blocker.text)
    return blocker


@transaction.atomic
def blocker_escalate(*, actor, blocker: Blocker, leader) -> Blocker:
    """提请领导协调."""
    blocker = lock(Blocker, blocker.pk, "blocker")
    task = Task.objects.select_related("owner_unit").get(pk=blocker.assignment.task_id)
    access_supervise_task(actor, task)
    if leader is None or not leader.has_role(Role.LEADER) or not in_subtree(actor.unit, leader.unit):
        raise DomainError("blocker_leader_invalid", "请选择本级或上级的领导进行协调。")
    move(blocker, "blocker", BlockerState.ESCALATED)
    blocker.escalated_to = leader
    blocker.save(update_fields=["state", "escalated_to"])
    record(actor=actor, verb="blocker.escalate", obj=blocker, task=task, unit_id=blocker.assignment.unit_id,
           leader=leader.pk)
    return blocker


@transaction.atomic
def blocker_answer(*, actor, blocker: Blocker, answer: str) -> Blocker:
    """协调答复, by the leader it was escalated to or by a supervisor of the task."""
    blocker = lock(Blocker, blocker.pk, "blocker")
    task = Task.objects.select_related("owner_unit").get(pk=blocker.assignment.task_id)
    if blocker.escalated_to_id is not None and actor is not None and actor.pk == blocker.escalated_to_id:
        pass
    elif actor is not None and actor.has_role(Role.LEADER):
        access_lead_task(actor, task)
    else:
        access_supervise_task(actor, task)
    answer = require_text(answer, "blocker_answer_required", "请填写协调意见。")
    move(blocker, "blocker", BlockerState.ANSWERED)
    blocker.answer, blocker.answered_by, blocker.answered_at = answer, actor, clock.now()
    blocker.save(update_fields=["state", "answer", "answered_by", "answered_at"])
    record(actor=actor, verb="blocker.answer", obj=blocker, task=task, unit_id=blocker.assignment.unit_id,
           answer=answer)
    return blocker
