"""Who may do what, one condition per line. Raise NotFound when the object is out of scope.

Who may see what is not decided here: `can_see_task` asks the selectors' rule
(duban.supervision.selectors.scope), so that reads and writes agree on scope.
"""

from duban.core.errors import NotFound, PermissionDenied
from duban.org.models import Role, Unit
from duban.org.selectors import viewer_of
from duban.supervision.models import Assignment, Task
from duban.supervision.selectors.scope import task_scope


def in_subtree(unit: Unit | None, root: Unit | None) -> bool:
    return unit is not None and root is not None and unit.path.startswith(root.path)


def access_supervise_task(actor, task: Task) -> None:
    """Actor is a supervisor whose unit owns the task (or is above the owner)."""
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    if not actor.has_role(Role.SUPERVISOR):
        _deny_or_hide(actor, task, "只有督查员可以执行此操作。")
    if not in_subtree(task.owner_unit, actor.unit):
        raise NotFound("task")


def access_lead_task(actor, task: Task) -> None:
    """Actor is a leader whose unit owns the task, or the task's responsible leader."""
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    if not actor.has_role(Role.LEADER):
        _deny_or_hide(actor, task, "只有领导可以执行此操作。")
    if task.responsible_leader_id == actor.pk:
        return
    if not in_subtree(task.owner_unit, actor.unit):
        raise NotFound("task")


def access_act_for_unit(actor, assignment: Assignment, roles=(Role.LIAISON, Role.UNIT_HEAD)) -> None:
    """Actor works in the assignment's unit and holds one of `roles`."""
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    if actor.unit_id != assignment.unit_id:
        if can_see_task(actor, assignment.task):
            raise PermissionDenied("只有承办单位的人员可以执行此操作。")
        raise NotFound("assignment")
    if not actor.has_role(*roles):
        names = "、".join(Role(r).label for r in roles)
        raise PermissionDenied(f"只有{names}可以执行此操作。")


def can_see_task(actor, task: Task) -> bool:
    """The task is in the actor's scope: one indexed query through the selectors' rule."""
    viewer = viewer_of(actor)
    return viewer is not None and Task.objects.filter(task_scope(viewer), pk=task.pk).exists()


def _deny_or_hide(actor, task: Task, message: str) -> None:
    if can_see_task(actor, task):
        raise PermissionDenied(message)
    raise NotFound("task")
