"""Writes of the escalation capability: manual urging, 批示 notices, the inbox, channels, the ladder.

Each is one transaction with its Event; notices and deliveries are rows the worker sends later.
"""

from django.db import transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.escalation.models import (
    AUTOMATIC_CAUSES,
    Cause,
    Delivery,
    DeliveryState,
    LadderStep,
    Notice,
    NoticePreference,
    Robot,
    Step,
    Urge,
)
from duban.escalation.sweep import urges_plan
from duban.org.models import Role
from duban.supervision.access import access_supervise_task
from duban.supervision.models import ACTIVE_ASSIGNMENT_STATES, Assignment, Instruction

URGE_MESSAGE_MAX = 2000


def _require_sysadmin(actor) -> None:
    if actor is None or not actor.is_active or not actor.has_role(Role.SYSADMIN):
        raise PermissionDenied("只有系统管理员可以修改通知设置。")


@transaction.atomic
def urge_send(*, actor, assignment: Assignment, message: str) -> Urge:
    """催办单: a supervisor urges one assignment; its liaison and head are told at once."""
    assignment = Assignment.objects.select_related("task", "unit").get(pk=assignment.pk)
    access_supervise_task(actor, assignment.task)
    text = (message or "").strip()
    if not text:
        raise DomainError("urge_message_required", "请填写催办内容。")
    if len(text) > URGE_MESSAGE_MAX:
        raise DomainError("urge_message_too_long", f"催办内容过长（不超过{URGE_MESSAGE_MAX}字）。")
    if assignment.state not in ACTIVE_ASSIGNMENT_STATES:
        raise DomainError("assignment_not_active", "该承办已结束，无需催办。")
    now = clock.now()
    urge = Urge.objects.create(step=Step.MANUAL, cause=Cause.MANUAL, due_on=clock.today(), task=assignment.task,
                               assignment=assignment, unit=assignment.unit, to_liaison=True, to_unit_head=True,
                               urgent=True, message=text, created_by=actor, created_at=now)
    notices, deliveries, _ = urges_plan(now=now, urge_ids=[urge.pk])
    event_append(actor=actor, verb="assignment.urge", object_type="assignment", object_id=assignment.pk,
                 task_id=assignment.task_id, unit_id=assignment.unit_id,
                 payload={"urge": urge.pk, "message": text, "notices": notices, "deliveries": deliveries})
    return urge


def _units_notify(*, assignments, step: str, cause: str, ref_id: int, message: str, created_by,
                  due_on=None) -> list[int]:
    """Tell the liaison and head of each assignment's unit at once; inside the caller's transaction."""
    now = clock.now()
    today = clock.local(now).date()
    Urge.objects.bulk_create([
        Urge(step=step, cause=cause, due_on=due_on or today, ref_id=ref_id, task_id=a.task_id, assignment_id=a.pk,
             unit_id=a.unit_id, to_liaison=True, to_unit_head=True, urgent=True, message=message,
             created_by=created_by, created_at=now)
        for a in assignments
    ], ignore_conflicts=True)
    ids = list(Urge.objects.filter(step=step, cause=cause, ref_id=ref_id, planned=False,
                                   assignment_id__in=[a.pk for a in assignments]).values_list("pk", flat=True))
    urges_plan(now=now, urge_ids=ids)
    return ids


def instruction_notify(*, instruction: Instruction) -> list[int]:
    """A leader's 批示 reaches every unit working on the task."""
    live = list(Assignment.objects.filter(task_id=instruction.task_id, state__in=ACTIVE_ASSIGNMENT_STATES))
    return _units_notify(assignments=live, step=Step.INSTRUCTION, cause=Cause.INSTRUCTION, ref_id=instruction.pk,
                         message=instruction.text, created_by=instruction.leader)


def assignments_notify(*, assignments: list[Assignment], actor) -> list[int]:
    """交办通知: a unit learns of new work at once — it has one working day to sign (事不过夜)."""
    return _units_notify(assignments=assignments, step=Step.ASSIGN, cause=Cause.ASSIGN, ref_id=0, message="",
                         created_by=actor)


def redo_notify(*, assignments: list[Assignment], ref_id: int, message: str, actor) -> list[int]:
    """重办通知: the units whose work opened again (duban.supervision.services.task_redo) are told why."""
    return _units_notify(assignments=assignments, step=Step.REDO, cause=Cause.REDO, ref_id=ref_id, message=message,
                         created_by=actor)


def clue_notify(*, assignments: list[Assignment], ref_id: int, message: str, actor, due_on=None,
                overdue: bool = False) -> list[int]:
    """A public clue waits for the unit's answer (joined to its task, or reopened): 群众线索待答复 at once, and
    one 催办 when the answer is overdue (duban.voice.worker). `ref_id` names the clue and its round."""
    return _units_notify(assignments=assignments, step=Step.URGE if overdue else Step.CLUE, cause=Cause.CLUE,
                         ref_id=ref_id, message=message, created_by=actor, due_on=due_on)

# ---- The inbox ----


def _own_notice(actor, notice_id: int) -> Notice:
    notice = Notice.objects.filter(pk=notice_id, recipient=actor).first()
    if notice is None:
        raise NotFound("notice")
    return notice


@transaction.atomic
def notice_read(*, actor, notice_id: int) -> Notice:
    """The recipient has read a notice (阅知): recorded once, with its Event."""
    notice = _own_notice(actor, notice_id)
    if notice.read_at is None:
        notice.read_at = clock.now()
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
        urge = notice.urge
        event_append(actor=actor, verb="notice.read", object_type="notice", object_id=notice.pk,
                     task_id=urge.task_id, unit_id=urge.unit_id, payload={"urge": urge.pk, "step": urge.step})
    return notice


@transaction.atomic
def notices_read_all(*, actor) -> int:
    now = clock.now()
    count = Notice.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=now)
    if count:
        event_append(actor=actor, verb="notice.read_all", object_type="user", object_id=actor.pk,
                     unit_id=actor.unit_id, payload={"count": count})
    return count


@transaction.atomic
def preference_set(*, actor, email: bool, sms: bool) -> NoticePreference:
    """A person chooses their outside channels (the in-app inbox is always on)."""
    pref, _ = NoticePreference.objects.update_or_create(user=actor, defaults={"email": email, "sms": sms})
    event_append(actor=actor, verb="notice.preference", object_type="user", object_id=actor.pk,
                 unit_id=actor.unit_id, payload={"email": email, "sms": sms})
    return pref


# ---- Configuration (sysadmin, in the back office) ----


@transaction.atomic
def ladder_step_save(*, actor, step: LadderStep) -> LadderStep:
    """Add or change a rung of the ladder."""
    _require_sysadmin(actor)
    if step.cause not in AUTOMATIC_CAUSES:
        raise DomainError("ladder_cause_invalid", "依据无效。")
    if step.step in (Step.MANUAL, Step.INSTRUCTION, Step.ASSIGN, Step.REDO, Step.CLUE):
        raise DomainError("ladder_step_invalid", "催办单、领导批示和交办、重办通知不属于自动阶梯。")
    if not (step.to_liaison or step.to_unit_head or step.to_leader or step.to_supervisor):
        raise DomainError("ladder_step_no_recipient", "请至少选择一类通知对象。")
    if not -60 <= step.offset_workdays <= 250:
        raise DomainError("ladder_offset_invalid", "相对工作日应在 -60 到 250 之间。")
    step.category = step.category.strip()
    clash = LadderStep.objects.filter(category=step.category, step=step.step, cause=step.cause)
    if step.pk:
        clash = clash.exclude(pk=step.pk)
    if clash.exists():
        raise DomainError("ladder_step_exists", "该类别下已有相同依据的同一环节。")
    created = step.pk is None
    step.save()
    event_append(actor=actor, verb="ladder.create" if created else "ladder.update", object_type="ladderstep",
                 object_id=step.pk, payload={
                     "category": step.category, "step": step.step, "cause": step.cause,
                     "offset_workdays": step.offset_workdays, "urgent": step.urgent, "active": step.is_active,
                     "recipients": [r for r in ("to_liaison", "to_unit_head", "to_leader", "to_supervisor")
                                    if getattr(step, r)]})
    return step


@transaction.atomic
def robot_save(*, actor, robot: Robot) -> Robot:
    """Add or change a unit's group robot."""
    _require_sysadmin(actor)
    if not robot.webhook.startswith(("https://", "http://")):
        raise DomainError("robot_webhook_invalid", "Webhook 地址应以 https:// 开头。")
    created = robot.pk is None
    robot.save()
    # The secret is never written to the trail, only whether there is one.
    event_append(actor=actor, verb="robot.create" if created else "robot.update", object_type="robot",
                 object_id=robot.pk, unit_id=robot.unit_id,
                 payload={"kind": robot.kind, "name": robot.name, "signed": bool(robot.secret),
                          "active": robot.is_active})
    return robot


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> Delivery:
    """Send a failed delivery again, after the address or robot was fixed."""
    _require_sysadmin(actor)
    changed = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, due_at=clock.now(), attempts=0, last_error="")
    if not changed:
        raise DomainError("delivery_not_failed", "只有发送失败的投递可以重发。")
    if delivery.digest_day is not None:
        Delivery.objects.filter(digest=delivery).update(state=DeliveryState.DIGESTED, last_error="")
    event_append(actor=actor, verb="delivery.retry", object_type="delivery", object_id=delivery.pk,
                 payload={"channel": delivery.channel, "target": delivery.target})
    delivery.refresh_from_db()
    return delivery
