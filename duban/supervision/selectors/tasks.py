"""Decisions, tasks and the parts of a task (milestones, targets, instructions), scoped."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from duban.core import clock
from duban.org.selectors import Filters, get_one, viewer_of
from duban.supervision.models import (
    Assignment,
    Decision,
    Instruction,
    Milestone,
    Report,
    Target,
    TargetValue,
    Task,
)
from duban.supervision.selectors.scope import (
    LIVE_ASSIGNMENT,
    decision_scope,
    report_scope,
    task_part_scope,
    task_scope,
    visible,
)

OPEN_TASK_STATES = ("assigned", "in_progress", "closing")

# ---- decisions -----------------------------------------------------------------------------------


def _decisions(user) -> QuerySet[Decision]:
    return visible(Decision, decision_scope, user).select_related("owner_unit", "created_by")


def decision_list_for(*, user, filters: dict | None = None) -> QuerySet[Decision]:
    """Filters: q (title, 文号, issuer), kind."""
    f = Filters(filters, ("q", "kind"), "decision_list_for")
    qs = _decisions(user)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(title__icontains=q) | Q(doc_number__icontains=q) | Q(issuer__icontains=q))
    if (kind := f.text_of("kind")) is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("-id")


def decision_get_for(*, user, id: int) -> Decision:
    return get_one(_decisions(user), id, "decision")


# ---- tasks ---------------------------------------------------------------------------------------


def _tasks(user) -> QuerySet[Task]:
    return visible(Task, task_scope, user).select_related("decision", "owner_unit", "responsible_leader")


def task_list_for(*, user, filters: dict | None = None) -> QuerySet[Task]:
    """Filters: unit (owner, or holding a live assignment), state (or "open": assigned, in progress or
    closing), light, deadline_from, deadline_to (inclusive), closed_from, closed_to (office dates, inclusive),
    decision, is_key, q (code, title, requirements), parent."""
    f = Filters(filters, ("unit", "state", "light", "deadline_from", "deadline_to", "closed_from", "closed_to",
                          "decision", "is_key", "q", "parent"), "task_list_for")
    qs = _tasks(user)
    if (unit := f.int_of("unit")) is not None:
        held = Assignment.objects.filter(LIVE_ASSIGNMENT, unit_id=unit).values("task_id")
        qs = qs.filter(Q(owner_unit_id=unit) | Q(pk__in=held))
    if (state := f.text_of("state")) is not None:
        qs = qs.filter(state__in=OPEN_TASK_STATES) if state == "open" else qs.filter(state=state)
    if (light := f.text_of("light")) is not None:
        qs = qs.filter(light=light)
    if (since := f.date_of("deadline_from")) is not None:
        qs = qs.filter(deadline__gte=since)
    if (until := f.date_of("deadline_to")) is not None:
        qs = qs.filter(deadline__lte=until)
    if (since := f.date_of("closed_from")) is not None:
        qs = qs.filter(closed_at__gte=clock.at_local(since, 0))
    if (until := f.date_of("closed_to")) is not None:
        qs = qs.filter(closed_at__lt=clock.at_local(until + dt.timedelta(days=1), 0))
    if (decision := f.int_of("decision")) is not None:
        qs = qs.filter(decision_id=decision)
    if (is_key := f.bool_of("is_key")) is not None:
        qs = qs.filter(is_key=is_key)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(requirements__icontains=q))
    if (parent := f.int_of("parent")) is not None:
        qs = qs.filter(parent_id=parent)
    return qs.order_by("-id")


def task_get_for(*, user, id: int) -> Task:
    return get_one(_tasks(user), id, "task")


def light_counts_for(*, user) -> dict[str, int]:
    """Active tasks in scope by light: one grouped, indexed query."""
    rows = (
        task_list_for(user=user)
        .filter(state__in=OPEN_TASK_STATES)
        .order_by()
        .values("light")
        .annotate(n=Count("pk"))
    )
    return {row["light"]: row["n"] for row in rows}


# ---- the parts of a task -------------------------------------------------------------------------


def _milestones(user) -> QuerySet[Milestone]:
    return visible(Milestone, task_part_scope, user).select_related("task")


def milestone_list_for(*, user, filters: dict | None = None) -> QuerySet[Milestone]:
    """Filters: task."""
    f = Filters(filters, ("task",), "milestone_list_for")
    qs = _milestones(user)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(task_id=task)
    return qs.order_by("-id")


def milestone_get_for(*, user, id: int) -> Milestone:
    return get_one(_milestones(user), id, "milestone")


def _targets(user) -> QuerySet[Target]:
    qs = visible(Target, task_part_scope, user).select_related("task")
    v = viewer_of(user)
    if v is None:
        return qs
    # A value reported in a draft the unit has not let out yet is not part of the series others see.
    released = TargetValue.objects.filter(
        Q(report__isnull=True) | Q(Exists(Report.objects.filter(report_scope(v), pk=OuterRef("report_id"))))
    )
    return qs.prefetch_related(Prefetch("values", queryset=released))


def target_list_for(*, user, filters: dict | None = None) -> QuerySet[Target]:
    """Filters: task. Each target's `values` are prefetched, limited to the values the user may see."""
    f = Filters(filters, ("task",), "target_list_for")
    qs = _targets(user)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(task_id=task)
    return qs.order_by("-id")


def target_get_for(*, user, id: int) -> Target:
    return get_one(_targets(user), id, "target")


def _instructions(user) -> QuerySet[Instruction]:
    return visible(Instruction, task_part_scope, user).select_related("task", "leader")


def instruction_list_for(*, user, filters: dict | None = None) -> QuerySet[Instruction]:
    """Filters: task."""
    f = Filters(filters, ("task",), "instruction_list_for")
    qs = _instructions(user)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(task_id=task)
    return qs.order_by("-id")


def instruction_get_for(*, user, id: int) -> Instruction:
    return get_one(_instructions(user), id, "instruction")
