"""The office's side: route a new clue (转办 to a unit, into an existing task, merged, or declined), answer
it, and read who sent it when that is needed — each reading audited."""

import datetime as dt

from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.core.sealed import mask_phone, unseal
from duban.org.models import Role
from duban.supervision.access import access_act_for_unit, in_subtree
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    DecisionKind,
    Task,
    TaskState,
)
from duban.supervision.services.common import lock, require_text, save_versioned
from duban.supervision.services.reports import report_submit
from duban.supervision.services.tasks import decision_create, task_assign, task_create
from duban.voice.models import Clue, ClueReply, ClueState
from duban.voice.selectors import may_triage
from duban.voice.services.common import answer_deadline, move_clue, record_clue

TITLE_CHARS = 40


def _triage_lock(actor, clue: Clue) -> Clue:
    clue = lock(Clue, clue.pk, "clue")
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    if not may_triage(actor, clue):
        if actor.has_role(Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR):
            from duban.voice.selectors import clue_list_for

            if clue_list_for(user=actor).filter(pk=clue.pk).exists():
                raise PermissionDenied("只有受理该线索的督查室可以分办。")
        raise NotFound("clue")
    return clue


def _check_version(clue: Clue, expected_version: int | None) -> None:
    from duban.supervision.services.common import check_version

    check_version(clue, expected_version, "clue")


def _title(clue: Clue) -> str:
    text = " ".join(clue.description.split())
    return f"群众反映：{text[:TITLE_CHARS]}{'…' if len(text) > TITLE_CHARS else ''}"


def _routed(actor, clue: Clue, task: Task, owns: bool) -> None:
    move_clue(clue, ClueState.FORWARDED)
    clue.task, clue.owns_task = task, owns
    clue.routed_at, clue.routed_by = clock.now(), actor
    clue.deadline = task.deadline if owns else answer_deadline(clock.today())
    save_versioned(clue, ["state", "task", "owns_task", "routed_at", "routed_by", "deadline"], "clue")


@transaction.atomic
def clue_forward(*, actor, clue: Clue, unit_ids: list[int], title: str = "", requirements: str = "",
                 deadline: dt.date | None = None, expected_version: int | None = None) -> Clue:
    """转办: a task of decision kind `clue` for the units (属地优先: the first leads), due in the answer time."""
    clue = _triage_lock(actor, clue)
    _check_version(clue, expected_version)
    if clue.state != ClueState.RECEIVED:
        raise DomainError("clue_already_routed", "该线索已经分办。")
    if not unit_ids:
        raise DomainError("clue_unit_required", "请选择承办单位。")
    today = clock.today()
    deadline = deadline or answer_deadline(today)
    if deadline <= today:
        raise DomainError("clue_deadline_past", "答复时限应晚于今天。")
    decision = decision_create(actor=actor, kind=DecisionKind.CLUE, title=f"群众线索{clue.number}",
                               issued_on=today, issuer="群众来信来访", body=clue.description)
    place = clue.place_unit.name if clue.place_unit else ""
    asked = (requirements or "").strip() or "请核实情况，依法依规办理，并在时限内答复群众。"
    where = "；".join(p for p in (place, clue.place_text) if p)
    task = task_create(actor=actor, decision=decision, title=(title or "").strip()[:300] or _title(clue),
                       lead_unit_ids=[unit_ids[0]], cooperating_unit_ids=list(unit_ids[1:]),
                       requirements=f"{asked}\n\n群众反映（{clue.get_category_display()}，{where}）：\n{clue.description}",
                       deadline=deadline, category="群众线索")
    task = task_assign(actor=actor, task=task)
    _routed(actor, clue, task, owns=True)
    record_clue(actor=actor, verb="clue.forward", clue=clue, task=task.pk, units=list(unit_ids),
                deadline=deadline)
    return clue


@transaction.atomic
def clue_attach(*, actor, clue: Clue, task: Task, expected_version: int | None = None) -> Clue:
    """并入已有事项: the matter is already being handled; the task's lead unit answers the sender."""
    clue = _triage_lock(actor, clue)
    _check_version(clue, expected_version)
    if clue.state != ClueState.RECEIVED:
        raise DomainError("clue_already_routed", "该线索已经分办。")
    task = Task.objects.select_related("owner_unit").filter(pk=task.pk).first()
    if task is None or not in_subtree(task.owner_unit, actor.unit):
        raise DomainError("clue_task_out_of_scope", "只能并入本单位督办的事项。")
    if task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING):
        raise DomainError("clue_task_not_open", "只能并入正在办理的事项。")
    _routed(actor, clue, task, owns=False)
    record_clue(actor=actor, verb="clue.attach", clue=clue, task=task.pk)
    return clue


@transaction.atomic
def clue_merge(*, actor, clue: Clue, into: Clue, expected_version: int | None = None) -> Clue:
    """合并: the same matter as an earlier clue; it is handled there and its sender follows that one."""
    clue = _triage_lock(actor, clue)
    _check_version(clue, expected_version)
    if into.pk == clue.pk:
        raise DomainError("clue_merge_self", "不能与自身合并。")
    into = Clue.objects.select_related("office").filter(pk=into.pk).first()
    if into is None or not may_triage(actor, into):
        raise DomainError("clue_merge_out_of_scope", "只能并入本单位受理的线索。")
    if into.state in (ClueState.MERGED, ClueState.DECLINED):
        raise DomainError("clue_merge_target_closed", "目标线索已合并或不予受理，请并入原始线索。")
    move_clue(clue, ClueState.MERGED)
    clue.merged_into = into
    clue.routed_at, clue.routed_by, clue.closed_at = clock.now(), actor, clock.now()
    save_versioned(clue, ["state", "merged_into", "routed_at", "routed_by", "closed_at"], "clue")
    record_clue(actor=actor, verb="clue.merge", clue=clue, into=into.pk)
    return clue


@transaction.atomic
def clue_decline(*, actor, clue: Clue, reason: str, expected_version: int | None = None) -> Clue:
    """不予受理, with the reason the sender reads (not a policy matter, already decided by a court, …)."""
    clue = _triage_lock(actor, clue)
    _check_version(clue, expected_version)
    reason = require_text(reason, "clue_decline_reason_required", "请写明不予受理的理由，群众凭查询码可以看到。", 1000)
    move_clue(clue, ClueState.DECLINED)
    clue.close_reason = reason
    clue.routed_at, clue.routed_by, clue.closed_at = clock.now(), actor, clock.now()
    save_versioned(clue, ["state", "close_reason", "routed_at", "routed_by", "closed_at"], "clue")
    record_clue(actor=actor, verb="clue.decline", clue=clue, reason=reason)
    return clue


def _lead_assignment(clue: Clue, actor) -> Assignment | None:
    return (Assignment.objects.select_related("task", "unit")
            .filter(task_id=clue.task_id, role=AssignmentRole.LEAD, unit_id=actor.unit_id)
            .exclude(state__in=[AssignmentState.REASSIGNED, AssignmentState.CANCELLED]).first())


@transaction.atomic
def clue_answer(*, actor, clue: Clue, text: str, expected_version: int | None = None) -> ClueReply:
    """答复: the lead unit of the clue's task (or the triage office itself) tells the sender what was done.

    The sender reads it at once by code. When the task was made for this clue, the answer is also the unit's
    request to close (申请办结), so the office verifies the work as any task's; 二级审核 applies to that report."""
    clue = lock(Clue, clue.pk, "clue")
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    assignment = _lead_assignment(clue, actor) if clue.task_id else None
    if assignment is not None:
        access_act_for_unit(actor, assignment)
    elif not may_triage(actor, clue):
        from duban.voice.selectors import clue_list_for

        if clue_list_for(user=actor).filter(pk=clue.pk).exists():
            raise PermissionDenied("只有承办事项的牵头单位或受理线索的督查室可以答复。")
        raise NotFound("clue")
    _check_version(clue, expected_version)
    if clue.state not in (ClueState.FORWARDED, ClueState.REOPENED):
        raise DomainError("clue_not_awaiting_answer", "该线索当前不需要答复。")
    text = require_text(text, "clue_answer_required", "请填写答复内容。", 5000)
    if len(text) < 20:
        raise DomainError("clue_answer_short", "答复内容太短，请写明核实情况和处理结果（至少20字）。")
    if assignment is not None and clue.owns_task:
        if assignment.state == AssignmentState.PENDING:
            raise DomainError("clue_answer_needs_sign", "请先签收该事项，再答复群众。")
        if assignment.state == AssignmentState.IN_PROGRESS:
            report_submit(actor=actor, assignment=assignment, text=f"答复群众：{text}", progress=100,
                          is_final=True)
    reply = ClueReply.objects.create(clue=clue, round=clue.round, text=text,
                                     unit=assignment.unit if assignment else actor.unit, author=actor,
                                     created_at=clock.now(), due=clue.deadline)
    move_clue(clue, ClueState.ANSWERED)
    clue.answered_at = reply.created_at
    save_versioned(clue, ["state", "answered_at"], "clue")
    record_clue(actor=actor, verb="clue.answer", clue=clue, round=reply.round, unit=reply.unit_id,
                on_time=clue.deadline is None or clock.today() <= clue.deadline)
    return reply


@transaction.atomic
def clue_contact_reveal(*, actor, clue: Clue) -> dict[str, str]:
    """The sender's name and phone, for the triage office only; each reading is an audited Event."""
    clue = Clue.objects.select_related("office").filter(pk=clue.pk).first()
    if clue is None or actor is None or not actor.is_active:
        raise NotFound("clue")
    if not may_triage(actor, clue):
        from duban.voice.selectors import clue_list_for

        if clue_list_for(user=actor).filter(pk=clue.pk).exists():
            raise PermissionDenied("只有受理线索的督查室可以查看反映人的联系方式。")
        raise NotFound("clue")
    name, phone = unseal(clue.contact_name_sealed), unseal(clue.contact_phone_sealed)
    record_clue(actor=actor, verb="clue.contact_view", clue=clue, on_task=False, had_name=bool(name), had_phone=bool(phone))
    return {"name": name, "phone": phone, "phone_masked": mask_phone(phone) if phone else ""}
