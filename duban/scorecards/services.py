"""Writes of the scorecards app: the scoring rule (by the sysadmin) and 研判 (by a task's supervisors)."""

from django.db import transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.org.models import Role
from duban.scorecards.models import FIGURES, ConfidenceLevel, ScoreRule, TaskConfidence
from duban.supervision.access import access_supervise_task
from duban.supervision.models import Task, TaskState
from duban.supervision.services.common import lock

OPEN_TASK_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING)
REASON_MAX = 2000


@transaction.atomic
def score_rule_save(*, actor, rule: ScoreRule) -> ScoreRule:
    """Add or change the scoring rule; activating one deactivates the others."""
    if actor is None or not actor.is_active or not actor.has_role(Role.SYSADMIN):
        raise PermissionDenied("只有系统管理员可以修改效能评估规则。")
    rule.name = (rule.name or "").strip()
    if not rule.name:
        raise DomainError("score_rule_name_required", "请填写规则名称。")
    weights = [getattr(rule, field) for field, _label in FIGURES]
    if any(w is None or not 0 <= w <= 100 for w in weights):
        raise DomainError("score_rule_weight_invalid", "每项权重应在0到100之间。")
    if not sum(weights):
        raise DomainError("score_rule_weight_zero", "至少一项权重应大于0。")
    if rule.is_active:
        others = ScoreRule.objects.filter(is_active=True)
        if rule.pk:
            others = others.exclude(pk=rule.pk)
        for other in others:
            other.is_active = False
            other.save(update_fields=["is_active"])
    created = rule.pk is None
    rule.updated_at = clock.now()
    rule.save()
    event_append(actor=actor, verb="score_rule.create" if created else "score_rule.update",
                 object_type="scorerule", object_id=rule.pk,
                 payload={"name": rule.name, "weights": {f: getattr(rule, f) for f, _ in FIGURES},
                          "show_ranking": rule.show_ranking, "objective_exempts": rule.objective_exempts,
                          "active": rule.is_active})
    return rule


@transaction.atomic
def confidence_record(*, actor, task: Task, level: str, reason: str) -> TaskConfidence:
    """研判: a supervisor of the task judges how likely it is to deliver, and says why."""
    task = lock(Task, task.pk, "task")
    access_supervise_task(actor, task)
    if level not in ConfidenceLevel.values:
        raise DomainError("confidence_level_invalid", "请选择研判等级（绿、绿黄、黄、黄红、红）。",
                          {"field": "level"})
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("confidence_reason_required", "请写明研判理由。", {"field": "reason"})
    if len(reason) > REASON_MAX:
        raise DomainError("confidence_reason_too_long", f"研判理由不超过{REASON_MAX}字。", {"field": "reason"})
    if task.state not in OPEN_TASK_STATES and not (
            task.state == TaskState.CLOSED and task.targets.exists()):
        raise DomainError("confidence_task_not_open", "只能对在办事项或有量化指标的事项作研判。")
    judgement = TaskConfidence.objects.create(task=task, level=level, reason=reason, by=actor, at=clock.now())
    event_append(actor=actor, verb="task.confidence", object_type="taskconfidence", object_id=judgement.pk,
                 task_id=task.pk, unit_id=task.owner_unit_id, payload={"level": level, "reason": reason})
    return judgement
