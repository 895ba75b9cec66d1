"""Lights (亮灯), computed in SQL for a whole table or for the tasks one change touched.

One set of expressions serves both the sweep (`lights_refresh()`, every active
row, for the passage of time) and each service call
(`lights_refresh(task_ids=[…])`). The rules, in order (DESIGN.md, Time):

assignment, while active (待签收 / 办理中 / 待审核):
  red     deadline passed (for 待审核: asked to close after the deadline),
          or returned `DUBAN_LIGHT_RETURNS_RED` times,
          or more than `DUBAN_LIGHT_BEHIND_RED` points behind 序时进度
  yellow  deadline within `DUBAN_LIGHT_SOON_WORKDAYS` working days,
          or not signed within the sign-in SLA, or a report or milestone overdue,
          or more than `DUBAN_LIGHT_BEHIND_YELLOW` points behind 序时进度
  green   otherwise
  待改派 (returned by the unit) is yellow until the supervisor reassigns it.
  Done assignments keep the light set when verified (按期 / 逾期办结).
task, while active: the worst light among its live assignments.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.db.models.sql.subqueries import UpdateQuery

from duban.core import clock
from duban.supervision.models import Assignment, Light, Milestone, Task
from duban.workdays.store import get_calendar

EPOCH = dt.date(2000, 1, 1)
ACTIVE = ("pending", "in_progress", "review")
LIVE = ("pending", "in_progress", "review", "done", "returned")
TASK_ACTIVE = ("assigned", "in_progress", "closing")


class DayNumber(Func):
    """Days since 2000-01-01 for a date column, the same number on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) - 2451544.5 AS INTEGER)",
                           **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '2000-01-01')", **extra)


@dataclass(frozen=True)
class LightParams:
    """Everything time-dependent, computed once in Python so the SQL compares plain dates."""

    today: dt.date
    passed: dt.date  # deadlines on or before this date have ended
    soon: dt.date  # deadlines on or before this date are due soon
    returns_red: int
    behind_yellow: int
    behind_red: int

    @property
    def today_number(self) -> int:
        return (self.today - EPOCH).days


def light_params(moment: dt.datetime | None = None) -> LightParams:
    at = moment or clock.now()
    today = clock.local(at).date()
    calendar = get_calendar()
    return LightParams(
        today=today,
        passed=clock.passed_through(at),
        soon=calendar.add_workdays(today, settings.DUBAN_LIGHT_SOON_WORKDAYS),
        returns_red=settings.DUBAN_LIGHT_RETURNS_RED,
        behind_yellow=settings.DUBAN_LIGHT_BEHIND_YELLOW,
        behind_red=settings.DUBAN_LIGHT_BEHIND_RED,
    )


def _behind(points: int, today_number: int) -> Q:
    """More than `points` behind the linear expectation: (progress + points)·(D−A) < 100·(T−A)."""
    span = DayNumber("deadline") - DayNumber("assigned_on")
    elapsed = Value(today_number) - DayNumber("assigned_on")
    return Q(state="in_progress", deadline__gt=F("assigned_on")) & Q(
        LessThan((F("progress") + Value(points)) * span, elapsed * Value(100))
    )


def assignment_light_expression(p: LightParams) -> Case:
    overdue_milestone = Exists(
        Milestone.objects.filter(task_id=OuterRef("task_id"), done_at__isnull=True, due__lte=p.passed)
    )
    past_deadline = Q(deadline__lte=p.passed) & (~Q(state="review") | Q(submitted_on__gt=F("deadline")))
    return Case(
        When(state="returned", then=Value(Light.YELLOW)),
        When(past_deadline, then=Value(Light.RED)),
        When(return_count__gte=p.returns_red, then=Value(Light.RED)),
        When(_behind(p.behind_red, p.today_number), then=Value(Light.RED)),
        When(Q(deadline__lte=p.soon) & ~Q(state="review"), then=Value(Light.YELLOW)),
        When(state="pending", sign_due__lte=p.passed, then=Value(Light.YELLOW)),
        When(state="in_progress", next_report_due__lte=p.passed, then=Value(Light.YELLOW)),
        When(Q(overdue_milestone) & ~Q(state="review"), then=Value(Light.YELLOW)),
        When(_behind(p.behind_yellow, p.today_number), then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


LIGHT_RANK = Case(
    When(light=Light.RED, then=Value(3)),
    When(light=Light.YELLOW, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


def task_light_expression() -> Coalesce:
    """The worst light among a task's live assignments, as one correlated subquery (green when none)."""
    worst = (
        Assignment.objects.filter(task_id=OuterRef("pk"), state__in=LIVE)
        .order_by()
        .values("task_id")
        .annotate(worst=Max(LIGHT_RANK))
        .annotate(worst_light=Case(When(worst=3, then=Value(Light.RED)),
                                   When(worst=2, then=Value(Light.YELLOW)),
                                   default=Value(Light.GREEN), output_field=CharField()))
        .values("worst_light")[:1]
    )
    return Coalesce(Subquery(worst, output_field=CharField()), Value(Light.GREEN), output_field=CharField())


# ---- Compiled once, run many times ----
#
# Building these expressions costs Django tens of milliseconds, more than running them on one
# task. So each UPDATE is compiled once per process with sentinel parameters, and each call
# substitutes the real values for the sentinels: a prepared statement, in effect. The rules
# stay declared once, above.

_SENTINEL_DAY = dt.date(1901, 1, 1)
_SENTINELS = LightParams(
    today=_SENTINEL_DAY,
    passed=_SENTINEL_DAY + dt.timedelta(days=1),
    soon=_SENTINEL_DAY + dt.timedelta(days=2),
    # In range for the small-integer columns they are compared with: Django folds a lookup
    # against an out-of-range value into always-true/always-false, which would cut the CASE short.
    returns_red=32_001,
    behind_yellow=32_002,
    behind_red=32_003,
)
_SENTINEL_TODAY_NUMBER = _SENTINELS.today_number
_SENTINEL_TASK = 900_000_004
_compiled: dict[tuple, tuple[str, list]] = {}


def _slot(value) -> str | None:
    """Which LightParams field (or the task id) a compiled parameter stands for, if any."""
    for name in ("passed", "soon"):
        day = getattr(_SENTINELS, name)
        if value == day or value == day.isoformat():
            return name
    for name in ("returns_red", "behind_yellow", "behind_red"):
        if value == getattr(_SENTINELS, name):
            return name
    if value == _SENTINEL_TODAY_NUMBER:
        return "today_number"
    if value == _SENTINEL_TASK:
        return "task_id"
    return None


def _compile(table: str, scoped: bool) -> tuple[str, list]:
    key = (connection.vendor, table, scoped)
    if key not in _compiled:
        if table == "assignment":
            expr = assignment_light_expression(_SENTINELS)
            qs = Assignment.objects.filter(state__in=(*ACTIVE, "returned"))
            if scoped:
                qs = qs.filter(task_id=_SENTINEL_TASK)
        else:
            expr = task_light_expression()
            qs = Task.objects.filter(state__in=TASK_ACTIVE)
            if scoped:
                qs = qs.filter(pk=_SENTINEL_TASK)
        query = qs.exclude(light=expr).query.chain(UpdateQuery)
        query.add_update_values({"light": expr})
        compiler = query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
        template = [(_slot(v), v) for v in params]
        needed = {"passed", "soon", "returns_red", "behind_yellow", "behind_red", "today_number"}
        if table == "assignment" and not needed <= {slot for slot, _ in template}:
            raise RuntimeError("light expression compiled without some of its parameters")
        _compiled[key] = (sql, template)
    return _compiled[key]


def _run(table: str, p: LightParams, task_id: int | None) -> int:
    sql, template = _compile(table, task_id is not None)
    values = {"passed": p.passed, "soon": p.soon, "returns_red": p.returns_red,
              "behind_yellow": p.behind_yellow, "behind_red": p.behind_red,
              "today_number": p.today_number, "task_id": task_id}
    params = []
    for slot, sentinel in template:
        if slot is None:
            params.append(sentinel)
        elif slot in ("passed", "soon") and isinstance(sentinel, str):
            params.append(values[slot].isoformat())
        else:
            params.append(values[slot])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def lights_refresh(*, task_ids: list[int] | None = None, params: LightParams | None = None) -> tuple[int, int]:
    """Recompute stored lights; returns (assignments changed, tasks changed).

    Without `task_ids`, every active row (the sweep); with them, only those tasks (a service call).
    """
    p = params or light_params()
    if task_ids is None:
        return _run("assignment", p, None), _run("task", p, None)
    changed_assignments = changed_tasks = 0
    for task_id in task_ids:
        changed_assignments += _run("assignment", p, task_id)
        changed_tasks += _run("task", p, task_id)
    return changed_assignments, changed_tasks
