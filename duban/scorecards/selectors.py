"""Reads of the scorecards app, each through the supervision selectors' scope."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, QuerySet

from duban.core import clock
from duban.core.errors import NotFound, PermissionDenied
from duban.scorecards.models import ConfidenceLevel, TaskConfidence
from duban.supervision.access import access_supervise_task
from duban.supervision.models import Task
from duban.supervision.selectors import target_list_for, task_list_for

# ---- 研判 --------------------------------------------------------------------------------------------


def confidence_history_for(*, user, task: Task) -> QuerySet[TaskConfidence]:
    """Every judgement of a task the user may see, the newest first."""
    visible = task_list_for(user=user).filter(pk=task.pk)
    return (TaskConfidence.objects.filter(task__in=visible).select_related("by", "by__unit")
            .order_by("-at", "-pk"))


def confidence_latest_for(*, user, task_ids=None) -> dict[int, TaskConfidence]:
    """The latest judgement per task in the user's scope (optionally of `task_ids`): one query."""
    tasks = task_list_for(user=user)
    if task_ids is not None:
        tasks = tasks.filter(pk__in=list(task_ids))
    newest = (TaskConfidence.objects.filter(task__in=tasks.values("pk")).order_by()
              .values("task_id").annotate(newest=Max("pk")).values("newest"))
    # Rows are only appended, with the clock moving forward: the largest id is the latest judgement.
    return {j.task_id: j for j in TaskConfidence.objects.filter(pk__in=newest).select_related("by")}


def confidence_may_record(user, task: Task) -> bool:
    try:
        access_supervise_task(user, task)
    except (PermissionDenied, NotFound):
        return False
    return True


def confidence_for_task(*, user, task: Task) -> dict:
    """What the task page shows: the latest judgement, its history, and whether the user may judge."""
    history = list(confidence_history_for(user=user, task=task))
    return {
        "latest": history[0] if history else None,
        "history": history,
        "may_record": confidence_may_record(user, task),
        "levels": ConfidenceLevel.choices,
    }


# ---- delivery trajectories ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    target_id: int
    name: str
    measure: str
    baseline: Decimal
    goal: Decimal
    start: dt.date | None
    deadline: dt.date | None
    latest: Decimal | None
    latest_on: dt.date | None
    planned_at_latest: Decimal | None
    below: bool  # behind the planned path: below it, or above it for a target that goes down


def planned_value(baseline: Decimal, goal: Decimal, start: dt.date, deadline: dt.date, on: dt.date) -> Decimal:
    """The straight path from the baseline on the assigned date to the goal on the deadline, at `on`."""
    if deadline <= start or on >= deadline:
        return goal
    if on <= start:
        return baseline
    share = Decimal((on - start).days) / Decimal((deadline - start).days)
    return baseline + (goal - baseline) * share


def trajectories_for(*, user, task: Task) -> list[Trajectory]:
    """Each target of the task: where the plan says it should be at its latest reported value, and whether
    the value falls behind. One query for the targets and one for the values the user may see."""
    return trajectories_of(task=task, targets=target_list_for(user=user, filters={"task": task.pk}).order_by("pk"))


def trajectories_of(*, task: Task, targets) -> list[Trajectory]:
    """The same, for targets already read through `target_list_for` (their `values` prefetched): no query."""
    start = clock.local(task.assigned_at).date() if task.assigned_at else None
    out = []
    for t in targets:
        values = sorted(t.values.all(), key=lambda v: (v.recorded_on, v.pk))
        latest = values[-1] if values else None
        planned = None
        below = False
        if latest is not None and start is not None and task.deadline is not None:
            planned = planned_value(t.baseline, t.target, start, task.deadline, latest.recorded_on)
            rising = t.target >= t.baseline
            below = latest.value < planned if rising else latest.value > planned
        out.append(Trajectory(
            target_id=t.pk, name=t.name, measure=t.measure, baseline=t.baseline, goal=t.target, start=start,
            deadline=task.deadline, latest=latest.value if latest else None,
            latest_on=latest.recorded_on if latest else None, planned_at_latest=planned, below=below))
    return out
