"""The office's side: route a new clue (转办 to a unit, into an existing task, merged, or declined), answer
it, and read who sent it when that is needed — each reading audited."""

import datetime as dt

from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.core.sealed import mask_phone, unseal
from duban.escalation.services import clue_notify
from duban.org.models import Role
from duban.supervision.access import in_subtree
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    DecisionKind,
    Task,
    TaskState,
)
from duban.supervision.services.common import check_version, lock, require_text, save_versioned
from duban.supervision.services.tasks import decision_create, task_assign, task_create
from duban.voice.models import Clue, ClueState, DocKind
from duban.voice.selectors import may_triage
from duban.voice.services.common import answer_deadline, move_clue, record_clue
from duban.voice.store import index_remove

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
    check_version(clue, expected_version, "clue")


def clue_waiting_notify(*, actor, clue: Clue, message: str) -> None:
    """Tell the lead units of the task a clue joined (or reopened on) that the sender waits for their answer."""
    leads = list(Assignment.objects.filter(task_id=clue.task_id, role=AssignmentRole.LEAD,
                                           state__in=[AssignmentState.PENDING, AssignmentState.IN_PROGRESS,
                                                      AssignmentState.REVIEW]))
    clue_notify(assignments=leads, ref_id=clue.pk * 10 + clue.round, message=message, actor=actor,
                due_on=clue.deadline)


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
    clue_waiting_notify(actor=actor, clue=clue, message=f"群众线索{clue.number}已并入本事项，请核实并答复群众。")
    return clue


@transaction.atomic
def clue_merge(*, actor, clue: Clue, into: Clue, expected_version: int | None = None) -> Clue:
    """合并: the same matter as an earlier clue; it is handled there and its sender follows that one."""
    if into.pk == clue.pk:
        raise DomainError("clue_merge_self", "不能与自身合并。")
    if into.pk < clue.pk:
        lock(Clue, into.pk, "clue")  # both rows locked in key order: two opposite merges cannot cross
    clue = _triage_lock(actor, clue)
    _check_version(clue, expected_version)
    into = lock(Clue, into.pk, "clue")
    if not may_triage(actor, into):
        raise DomainError("clue_merge_out_of_scope", "只能并入本单位受理的线索。")
    if into.state in (ClueState.MERGED, ClueState.DECLINED):
        raise DomainError("clue_merge_target_closed", "目标线索已合并或不予受理，请并入原始线索。")
    move_clue(clue, ClueState.MERGED)
    clue.merged_into = into
    clue.routed_at, clue.routed_by, clue.closed_at = clock.now(), actor, clock.now()
    save_versioned(clue, ["state", "merged_into", "routed_at", "routed_by", "closed_at"], "clue")
    record_clue(actor=actor, verb="clue.merge", clue=clue, into=into.pk)
    index_remove(kind=DocKind.CLUE, ref_id=clue.pk)  # the original stands for it in suggestions
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
    index_remove(kind=DocKind.CLUE, ref_id=clue.pk)
    return clue


@transaction.atomic
def clue_contact_reveal(*, actor, clue: Clue, full: bool = False) -> dict[str, str]:
    """The sender's name and phone, for the triage office only; each reading is an audited Event, which says
    whether the full number was shown (`full`) and nothing of what was read."""
    clue = Clue.objects.select_related("office").filter(pk=clue.pk).first()
    if clue is None or actor is None or not actor.is_active:
        raise NotFound("clue")
    if not may_triage(actor, clue):
        from duban.voice.selectors import clue_list_for

        if clue_list_for(user=actor).filter(pk=clue.pk).exists():
            raise PermissionDenied("只有受理线索的督查室可以查看反映人的联系方式。")
        raise NotFound("clue")
    name, phone = unseal(clue.contact_name_sealed), unseal(clue.contact_phone_sealed)
    record_clue(actor=actor, verb="clue.contact_view", clue=clue, on_task=False, full=bool(full))
    return {"name": name, "phone": phone, "phone_masked": mask_phone(phone) if phone else ""}
