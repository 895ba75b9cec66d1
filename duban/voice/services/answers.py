"""答复: what the sender is told, and when it reaches them.

The lead unit of the clue's task answers (or the triage office itself, for a clue it keeps). When the task was
made for the clue, the answer is also the unit's 办结申请, and with 二级审核 it reaches the sender only when
the unit head lets that report go out (`reply_settle`, called by report_unit_approve); a report sent back
takes its answer back with it, so the liaison can write it again."""

from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.supervision.access import access_act_for_unit
from duban.supervision.models import Assignment, AssignmentRole, AssignmentState, Report, ReportState
from duban.supervision.services.common import check_version, lock, require_text, save_versioned
from duban.supervision.services.reports import report_submit
from duban.voice.models import Clue, ClueReply, ClueState
from duban.voice.selectors import clue_list_for, may_triage
from duban.voice.services.common import move_clue, record_clue

ANSWER_MIN = 20


def _lead_assignment(clue: Clue, actor) -> Assignment | None:
    return (Assignment.objects.select_related("task", "unit")
            .filter(task_id=clue.task_id, role=AssignmentRole.LEAD, unit_id=actor.unit_id)
            .exclude(state__in=[AssignmentState.REASSIGNED, AssignmentState.CANCELLED]).first())


def _publish(clue: Clue, reply: ClueReply) -> None:
    reply.published_at = clock.now()
    ClueReply.objects.filter(pk=reply.pk).update(published_at=reply.published_at)
    move_clue(clue, ClueState.ANSWERED)
    clue.answered_at = reply.published_at
    save_versioned(clue, ["state", "answered_at"], "clue")


@transaction.atomic
def clue_answer(*, actor, clue: Clue, text: str, expected_version: int | None = None) -> ClueReply:
    """答复 by the lead unit of the clue's task (after signing) or by the triage office."""
    clue = lock(Clue, clue.pk, "clue")
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    assignment = _lead_assignment(clue, actor) if clue.task_id else None
    if assignment is not None:
        access_act_for_unit(actor, assignment)
    elif not may_triage(actor, clue):
        if clue_list_for(user=actor).filter(pk=clue.pk).exists():
            raise PermissionDenied("只有承办事项的牵头单位或受理线索的督查室可以答复。")
        raise NotFound("clue")
    check_version(clue, expected_version, "clue")
    if clue.state not in (ClueState.FORWARDED, ClueState.REOPENED):
        raise DomainError("clue_not_awaiting_answer", "该线索当前不需要答复。")
    text = require_text(text, "clue_answer_required", "请填写答复内容。", 5000)
    if len(text) < ANSWER_MIN:
        raise DomainError("clue_answer_short", f"答复内容太短，请写明核实情况和处理结果（至少{ANSWER_MIN}字）。")
    pending = ClueReply.objects.filter(clue=clue, round=clue.round, published_at__isnull=True).first()
    if pending is not None and pending.report_id is not None and Report.objects.filter(
            pk=pending.report_id, state=ReportState.UNIT_REVIEW).exists():
        raise DomainError("clue_answer_awaiting_unit", "上一次答复正在等待单位负责人审核，审核后再向群众公开。")
    if pending is not None:
        pending.delete()  # a withdrawn draft of this round: the new answer replaces it
    report = None
    if assignment is not None and clue.owns_task:
        if assignment.state == AssignmentState.PENDING:
            raise DomainError("clue_answer_needs_sign", "请先签收该事项，再答复群众。")
        if assignment.state == AssignmentState.IN_PROGRESS:
            report = report_submit(actor=actor, assignment=assignment, text=f"答复群众：{text}", progress=100,
                                   is_final=True)
    reply = ClueReply.objects.create(clue=clue, round=clue.round, text=text,
                                     unit=assignment.unit if assignment else actor.unit, author=actor,
                                     created_at=clock.now(), due=clue.deadline, report=report)
    waits = report is not None and report.state == ReportState.UNIT_REVIEW
    if not waits:
        _publish(clue, reply)
    record_clue(actor=actor, verb="clue.answer", clue=clue, round=reply.round, unit=reply.unit_id,
                published=not waits, on_time=clue.deadline is None or clock.today() <= clue.deadline)
    return reply


def reply_settle(*, actor, report: Report, approved: bool) -> None:
    """The unit head decided on a report (inside report_unit_approve's transaction): an answer it carries goes
    out to the sender with it, or comes back to the liaison with it."""
    reply = ClueReply.objects.filter(report=report, published_at__isnull=True).select_related("clue").first()
    if reply is None:
        return
    clue = lock(Clue, reply.clue_id, "clue")
    if approved and clue.state in (ClueState.FORWARDED, ClueState.REOPENED):
        _publish(clue, reply)
        record_clue(actor=actor, verb="clue.answer_publish", clue=clue, round=reply.round, unit=reply.unit_id)
    elif not approved:
        reply.delete()
        record_clue(actor=actor, verb="clue.answer_withdraw", clue=clue, round=clue.round,
                    unit=report.assignment.unit_id)
