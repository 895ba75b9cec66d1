"""The figures of a bulletin (督查通报) for a scope (a unit's subtree) and a period, each one set-based query.

Every figure starts from a scoped selector (`task_list_for`, `assignment_list_for`, `target_list_for`,
`blocker_list_for`) of the person the bulletin is read as, narrowed to the scope unit's subtree: a bulletin
never shows what its reader could not open. The lists are bounded (`LIMITS`) and carry their full count, so a
province's bulletin costs the same dozen queries as a county's.

The result is plain JSON (dates as ISO text, numbers as text or int), stored with the bulletin: the document
is written from it, and a stored bulletin can be read again without the data it came from.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from duban.core import clock
from duban.core.periods import Period
from duban.org.models import Unit
from duban.quality.burden import burden_totals
from duban.scorecards.models import ConfidenceLevel, TaskConfidence
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    BlockerState,
    Light,
    TargetValue,
    Task,
    TaskState,
)
from duban.supervision.selectors import assignment_list_for, blocker_list_for, target_list_for, task_list_for
from duban.supervision.selectors.scope import LIVE_ASSIGNMENT, RELEASED_REPORT_STATES
from duban.workdays.store import get_calendar

LIMITS = {"targets": 30, "overdue": 100, "key": 50, "blockers": 50, "units": 30, "judged": 30}
OPEN_TASK_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING)
NOT_LIVE_TASK_STATES = (TaskState.DRAFT, TaskState.CANCELLED)
OPEN_BLOCKER_STATES = (BlockerState.OPEN, BlockerState.ESCALATED)
# Assignments that no longer count: handed on, cancelled, or sent back and waiting to be handed on.
ENDED_ASSIGNMENT_STATES = (AssignmentState.REASSIGNED, AssignmentState.CANCELLED, AssignmentState.RETURNED)


def _scope_tasks(user, scope: Unit) -> QuerySet[Task]:
    """Live tasks the reader may see that the scope's subtree owns or holds an assignment of."""
    held = Assignment.objects.filter(LIVE_ASSIGNMENT, unit__path__startswith=scope.path).values("task_id")
    return (task_list_for(user=user)
            .filter(Q(owner_unit__path__startswith=scope.path) | Q(pk__in=held))
            .exclude(state__in=NOT_LIVE_TASK_STATES)
            .order_by())


def _subtree(scope: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(path__startswith=scope.path).values("pk")


def _scope_assignments(user, scope: Unit) -> QuerySet[Assignment]:
    """Live assignments the reader may see, held by a unit of the scope's subtree."""
    # The subtree's unit ids, not a join to the unit's path: the databases then read the assignments of
    # those units by index, not every assignment of the province.
    return (assignment_list_for(user=user)
            .filter(unit_id__in=_subtree(scope))
            .exclude(state__in=ENDED_ASSIGNMENT_STATES)
            .exclude(task__state__in=NOT_LIVE_TASK_STATES)
            .order_by())


def _num(value) -> str | None:
    """A decimal as plain text without trailing zeros (12.5000 → "12.5"); None stays None."""
    if value is None:
        return None
    value = Decimal(value)
    text = format(value.quantize(Decimal("0.01")) if value != value.to_integral() else value.to_integral(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- headline ------------------------------------------------------------------------------------


def headline(user, scope: Unit, period: Period) -> dict:
    """One conditional aggregate over the scope's tasks and one count of its blockers.

    Overdue is judged at the period's end (or today while it runs): past its deadline and not closed by
    then. Red and key are the lights as they stand when the bulletin is made.
    """
    as_of = period.as_of()
    after_as_of = clock.at_local(as_of + dt.timedelta(days=1), 0)
    assigned = Q(assigned_at__lt=period.until)
    not_closed_then = Q(closed_at__isnull=True) | Q(closed_at__gte=after_as_of)
    closed_in = Q(state=TaskState.CLOSED, closed_at__gte=period.since, closed_at__lt=period.until)
    figures = _scope_tasks(user, scope).aggregate(
        tasks=Count("pk", filter=assigned),
        new=Count("pk", filter=Q(assigned_at__gte=period.since, assigned_at__lt=period.until)),
        open=Count("pk", filter=Q(state__in=OPEN_TASK_STATES)),
        closed=Count("pk", filter=closed_in),
        closed_on_time=Count("pk", filter=closed_in & Q(light=Light.DONE_ON_TIME)),
        overdue=Count("pk", filter=assigned & not_closed_then & Q(deadline__lt=as_of)),
        red=Count("pk", filter=Q(state__in=OPEN_TASK_STATES, light=Light.RED)),
        yellow=Count("pk", filter=Q(state__in=OPEN_TASK_STATES, light=Light.YELLOW)),
        key_open=Count("pk", filter=Q(state__in=OPEN_TASK_STATES, is_key=True)),
    )
    figures["blockers"] = (blocker_list_for(user=user)
                           .filter(assignment__unit__path__startswith=scope.path, state__in=OPEN_BLOCKER_STATES)
                           .order_by().count())
    closed = figures["closed"]
    figures["on_time_rate"] = None if not closed else round(100.0 * figures["closed_on_time"] / closed, 1)
    return figures


# ---- results against quantitative targets -------------------------------------------------------


def targets(user, scope: Unit, period: Period, limit: int = LIMITS["targets"]) -> dict:
    """Each target's latest value (reported by the period's end and let out by its unit) against the target.

    Results, not activity: a target counts as met when its latest value reaches the target (or falls to it,
    for a target below its baseline). The rows shown are those furthest behind first.
    """
    latest = (TargetValue.objects.filter(target=OuterRef("pk"), recorded_on__lte=period.end)
              .filter(Q(report__isnull=True) | Q(report__state__in=RELEASED_REPORT_STATES))
              .order_by("-recorded_on", "-id"))
    decimal = DecimalField(max_digits=18, decimal_places=4)
    qs = (target_list_for(user=user)
          .prefetch_related(None)
          .filter(Exists(_scope_tasks(user, scope).filter(pk=OuterRef("task_id"))))
          .order_by()
          .annotate(latest=Subquery(latest.values("value")[:1], output_field=decimal),
                    latest_on=Subquery(latest.values("recorded_on")[:1])))
    rising = Q(target__gte=F("baseline"))
    met = Q(latest__isnull=False) & ((rising & Q(latest__gte=F("target"))) | (~rising & Q(latest__lte=F("target"))))
    counts = qs.aggregate(total=Count("pk"), reported=Count("pk", filter=Q(latest__isnull=False)),
                          met=Count("pk", filter=met))
    progress = Case(
        When(target=F("baseline"), then=Value(None, output_field=decimal)),
        default=ExpressionWrapper((F("latest") - F("baseline")) * 100 / (F("target") - F("baseline")),
                                  output_field=decimal),
        output_field=decimal,
    )
    rows = (qs.annotate(progress=progress)
            .order_by(F("progress").asc(nulls_first=True), "task__code", "id")
            .values("task__code", "task__title", "name", "measure", "baseline", "target", "latest", "latest_on",
                    "progress")[:limit])
    counts["rows"] = [{
        "code": r["task__code"], "task": r["task__title"], "name": r["name"], "measure": r["measure"],
        "baseline": _num(r["baseline"]), "target": _num(r["target"]), "latest": _num(r["latest"]),
        "latest_on": r["latest_on"].isoformat() if r["latest_on"] else None,
        "percent": None if r["progress"] is None else int(max(Decimal(0), Decimal(r["progress"]))),
    } for r in rows]
    return counts


# ---- overdue and red -----------------------------------------------------------------------------


def overdue(user, scope: Unit, period: Period, limit: int = LIMITS["overdue"]) -> dict:
    """Assignments past their deadline at the period's end and not done by then, or red now, by unit,
    with the 客观原因 recorded for them; the longest overdue first."""
    as_of = period.as_of()
    after_as_of = clock.at_local(as_of + dt.timedelta(days=1), 0)
    late = (Q(deadline__lt=as_of, assigned_on__lte=as_of)
            & (Q(done_at__isnull=True) | Q(done_at__gte=after_as_of)))
    red = Q(light=Light.RED, state__in=(AssignmentState.PENDING, AssignmentState.IN_PROGRESS,
                                        AssignmentState.REVIEW))
    qs = _scope_assignments(user, scope).filter(late | red)
    counts = qs.aggregate(total=Count("pk"), units=Count("unit_id", distinct=True),
                          with_reason=Count("pk", filter=~Q(objective_reason="")))
    rows = list(qs.order_by(F("deadline").asc(nulls_last=True), "task__code", "id")
                .values("task_id", "task__code", "task__title", "task__is_key", "unit__name", "unit__short_name",
                        "role", "deadline", "light", "state", "objective_reason")[:limit])
    calendar = get_calendar() if rows else None
    judged = _judgements({r["task_id"] for r in rows}, period.until)
    counts["rows"] = [{
        "code": r["task__code"], "task": r["task__title"], "key": r["task__is_key"],
        "unit": r["unit__short_name"] or r["unit__name"], "role": AssignmentRole(r["role"]).label,
        "deadline": r["deadline"].isoformat() if r["deadline"] else None,
        "workdays": calendar.workdays_between(r["deadline"], as_of) if r["deadline"] and r["deadline"] < as_of
        else 0,
        "light": Light(r["light"]).label, "state": AssignmentState(r["state"]).label,
        "reason": r["objective_reason"].strip(),
        "judgement": judged.get(r["task_id"], ""),
    } for r in rows]
    return counts


# ---- key (挂牌) tasks ----------------------------------------------------------------------------


def key_tasks(user, scope: Unit, period: Period, limit: int = LIMITS["key"]) -> dict:
    """Open key tasks, the worst light and the nearest deadline first, each with its lead units."""
    severity = Case(When(light=Light.RED, then=Value(0)), When(light=Light.YELLOW, then=Value(1)),
                    default=Value(2), output_field=IntegerField())
    # is_key IN (true), not is_key = true: SQLite reads the bare boolean column Django writes for the latter
    # without the (is_key, state) index, and walks every open task instead.
    qs = _scope_tasks(user, scope).filter(state__in=OPEN_TASK_STATES, is_key__in=[True])
    total = qs.count()
    rows = list(qs.order_by(severity, F("deadline").asc(nulls_last=True), "id")
                .values("pk", "code", "title", "deadline", "light", "state")[:limit])
    leads: dict[int, list[str]] = {}
    progress: dict[int, list[int]] = {}
    if rows:
        lead_rows = (Assignment.objects.filter(LIVE_ASSIGNMENT, task_id__in=[r["pk"] for r in rows],
                                               role=AssignmentRole.LEAD)
                     .order_by("unit__path").values("task_id", "unit__name", "unit__short_name", "progress"))
        for a in lead_rows:
            leads.setdefault(a["task_id"], []).append(a["unit__short_name"] or a["unit__name"])
            progress.setdefault(a["task_id"], []).append(a["progress"])
    judged = _judgements({r["pk"] for r in rows}, period.until)
    return {"total": total, "rows": [{
        "code": r["code"], "task": r["title"], "deadline": r["deadline"].isoformat() if r["deadline"] else None,
        "light": Light(r["light"]).label, "state": TaskState(r["state"]).label,
        "leads": "、".join(leads.get(r["pk"], [])),
        "progress": round(sum(progress[r["pk"]]) / len(progress[r["pk"]])) if progress.get(r["pk"]) else 0,
        "judgement": judged.get(r["pk"], ""),
    } for r in rows]}


# ---- 研判 beside the light -------------------------------------------------------------------------

# The judgements that agree with each light; any other judgement of an open task disagrees with it.
AGREES = {
    Light.GREEN: (ConfidenceLevel.GREEN, ConfidenceLevel.GREEN_YELLOW),
    Light.YELLOW: (ConfidenceLevel.GREEN_YELLOW, ConfidenceLevel.YELLOW, ConfidenceLevel.YELLOW_RED),
    Light.RED: (ConfidenceLevel.YELLOW_RED, ConfidenceLevel.RED),
}


def _latest_judgements(tasks, until: dt.datetime) -> QuerySet[TaskConfidence]:
    """The latest judgement made before `until` of each task in `tasks` (ids or a query of ids)."""
    # A query of tasks is asked per judgement (EXISTS), so the scope's tasks are never listed in full.
    among = (Q(Exists(tasks.filter(pk=OuterRef("task_id")))) if isinstance(tasks, QuerySet)
             else Q(task_id__in=tasks))
    newest = (TaskConfidence.objects.filter(among, at__lt=until).order_by()
              .values("task_id").annotate(newest=Max("pk")).values("newest"))
    # Judgements are only appended, with the clock moving forward: the largest id is the latest.
    return TaskConfidence.objects.filter(pk__in=newest)


def _judgements(task_ids: set[int], until: dt.datetime) -> dict[int, str]:
    """The label of each task's latest judgement before `until` (研判：黄红), for the listed tasks."""
    if not task_ids:
        return {}
    return {task_id: ConfidenceLevel(level).label
            for task_id, level in _latest_judgements(list(task_ids), until).values_list("task_id", "level")}


def judged(user, scope: Unit, period: Period, limit: int = LIMITS["judged"]) -> dict:
    """The supervisors' 研判 of open tasks as it stood at the period's end: how many of each level, and
    those that disagree with the task's light (a green light judged likely to slip, a red one judged safe),
    the most worrying judgement first."""
    tasks = _scope_tasks(user, scope).filter(state__in=OPEN_TASK_STATES).values("pk")
    latest = _latest_judgements(tasks, period.until)
    agrees = Q()
    for light, levels in AGREES.items():
        agrees |= Q(task__light=light, level__in=levels)
    counts = latest.aggregate(total=Count("pk"), disagree=Count("pk", filter=~agrees),
                              **{level: Count("pk", filter=Q(level=level)) for level in ConfidenceLevel.values})
    order = Case(*(When(level=level, then=Value(i)) for i, level in enumerate(reversed(ConfidenceLevel.values))),
                 output_field=IntegerField())
    rows = (latest.exclude(agrees).order_by(order, "task__code", "pk")
            .values("task__code", "task__title", "task__light", "level", "reason", "at", "by__full_name",
                    "by__username")[:limit])
    return {
        "total": counts["total"], "disagree": counts["disagree"],
        "levels": [{"level": label, "count": counts[value]} for value, label in ConfidenceLevel.choices],
        "rows": [{
            "code": r["task__code"], "task": r["task__title"], "light": Light(r["task__light"]).label,
            "judgement": ConfidenceLevel(r["level"]).label, "reason": r["reason"].strip(),
            "by": r["by__full_name"] or r["by__username"], "on": clock.local(r["at"]).date().isoformat(),
        } for r in rows],
    }


# ---- blockers awaiting coordination --------------------------------------------------------------


def blockers(user, scope: Unit, limit: int = LIMITS["blockers"]) -> dict:
    """Open blockers raised by the scope's units, those already put to a leader first, the oldest first."""
    qs = (blocker_list_for(user=user)
          .filter(assignment__unit__path__startswith=scope.path, state__in=OPEN_BLOCKER_STATES)
          .order_by())
    total = qs.count()
    rows = (qs.order_by(Case(When(state=BlockerState.ESCALATED, then=Value(0)), default=Value(1),
                             output_field=IntegerField()), "raised_at", "id")
            .values("text", "state", "raised_at", "assignment__task__code", "assignment__task__title",
                    "assignment__unit__name", "assignment__unit__short_name", "escalated_to__full_name",
                    "escalated_to__username")[:limit])
    return {"total": total, "rows": [{
        "code": r["assignment__task__code"], "task": r["assignment__task__title"],
        "unit": r["assignment__unit__short_name"] or r["assignment__unit__name"], "text": r["text"].strip(),
        "raised_on": clock.local(r["raised_at"]).date().isoformat(), "state": BlockerState(r["state"]).label,
        "leader": r["escalated_to__full_name"] or r["escalated_to__username"] or "",
    } for r in rows]}


# ---- by unit -------------------------------------------------------------------------------------


def units(user, scope: Unit, period: Period, limit: int = LIMITS["units"]) -> dict:
    """The scope's assignments by the unit holding them: held, done in the period (on time), overdue, red.

    One grouped query; the units with the most red and overdue first, the rest summed into one row (其他).
    """
    as_of = period.as_of()
    after_as_of = clock.at_local(as_of + dt.timedelta(days=1), 0)
    done_in = Q(state=AssignmentState.DONE, done_at__gte=period.since, done_at__lt=period.until)
    late = (Q(deadline__lt=as_of, assigned_on__lte=as_of)
            & (Q(done_at__isnull=True) | Q(done_at__gte=after_as_of)))
    rows = list(
        _scope_assignments(user, scope)
        .filter(assigned_on__lte=period.end)
        .values("unit_id", "unit__name", "unit__short_name", "unit__path")
        .annotate(held=Count("pk"), done=Count("pk", filter=done_in),
                  on_time=Count("pk", filter=done_in & Q(light=Light.DONE_ON_TIME)),
                  overdue=Count("pk", filter=late),
                  red=Count("pk", filter=Q(light=Light.RED, state__in=(AssignmentState.PENDING,
                                                                      AssignmentState.IN_PROGRESS,
                                                                      AssignmentState.REVIEW))))
    )
    rows.sort(key=lambda r: (-r["red"], -r["overdue"], -r["held"], r["unit__path"]))
    result = [{"unit": r["unit__short_name"] or r["unit__name"], "held": r["held"], "done": r["done"],
               "on_time": r["on_time"], "overdue": r["overdue"], "red": r["red"]} for r in rows]
    if len(result) > limit:
        rest = result[limit - 1:]
        others = {"unit": f"其他（{len(rest)}个单位）"}
        for key in ("held", "done", "on_time", "overdue", "red"):
            others[key] = sum(r[key] for r in rest)
        result = [*result[:limit - 1], others]
    return {"total": len(rows), "rows": result}


# ---- all of it -----------------------------------------------------------------------------------


def bulletin_figures(*, user, scope: Unit, period: Period) -> dict:
    """Every figure of a bulletin, as JSON, read as `user` over `scope` for `period`."""
    return {
        "scope": {"id": scope.pk, "name": scope.name, "short_name": scope.display_name},
        "period": {"key": period.key, "label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat(), "as_of": period.as_of().isoformat()},
        "made_at": clock.local().isoformat(timespec="seconds"),
        "headline": headline(user, scope, period),
        "targets": targets(user, scope, period),
        "overdue": overdue(user, scope, period),
        "key": key_tasks(user, scope, period),
        "judged": judged(user, scope, period),
        "blockers": blockers(user, scope),
        "units": units(user, scope, period),
        "burden": burden_totals(user=user, period=period, scope=scope),
        "limits": LIMITS,
    }
