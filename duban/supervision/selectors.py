"""Reads, scoped: one function per object kind holds the visibility rule (DESIGN.md, Data scope)."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from duban.core.errors import NotFound
from duban.org.models import Role
from duban.supervision.models import Assignment, Task


def _task_scope(user) -> Q | None:
    """The condition selecting the tasks `user` may see; None means nothing."""
    if user is None or not user.is_authenticated or not user.is_active or user.unit_id is None:
        return None
    conditions = Q(responsible_leader_id=user.pk)
    if user.has_role(Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR):
        root = user.unit.path
        assigned_below = Assignment.objects.filter(task_id=OuterRef("pk"), unit__path__startswith=root)
        conditions |= Q(owner_unit__path__startswith=root) | Q(Exists(assigned_below))
    if user.has_role(Role.LIAISON, Role.UNIT_HEAD):
        conditions |= Q(Exists(Assignment.objects.filter(task_id=OuterRef("pk"), unit_id=user.unit_id)))
    return conditions


def task_list_for(*, user, filters: dict | None = None) -> QuerySet[Task]:
    scope = _task_scope(user)
    if scope is None:
        return Task.objects.none()
    qs = Task.objects.filter(scope).select_related("decision", "owner_unit")
    filters = filters or {}
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("light"):
        qs = qs.filter(light=filters["light"])
    if filters.get("is_key") is not None:
        qs = qs.filter(is_key=filters["is_key"])
    if filters.get("q"):
        qs = qs.filter(Q(title__icontains=filters["q"]) | Q(code__icontains=filters["q"]))
    return qs.order_by("-id")


def task_get_for(*, user, id: int) -> Task:
    scope = _task_scope(user)
    if scope is None:
        raise NotFound("task")
    task = Task.objects.filter(scope, pk=id).select_related("decision", "owner_unit").first()
    if task is None:
        raise NotFound("task")
    return task


def assignment_list_for(*, user, filters: dict | None = None) -> QuerySet[Assignment]:
    visible = task_list_for(user=user).values("pk")
    qs = Assignment.objects.filter(task_id__in=visible).select_related("task", "unit")
    if user is not None and not user.has_role(Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR):
        qs = qs.filter(unit_id=user.unit_id)
    filters = filters or {}
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("light"):
        qs = qs.filter(light=filters["light"])
    return qs.order_by("-id")


def assignment_get_for(*, user, id: int) -> Assignment:
    assignment = assignment_list_for(user=user).filter(pk=id).first()
    if assignment is None:
        raise NotFound("assignment")
    return assignment


def light_counts_for(*, user) -> dict[str, int]:
    """Active tasks in scope by light: one grouped, indexed query."""
    rows = (
        task_list_for(user=user)
        .filter(state__in=["assigned", "in_progress", "closing"])
        .order_by()
        .values("light")
        .annotate(n=Count("pk"))
    )
    return {row["light"]: row["n"] for row in rows}
