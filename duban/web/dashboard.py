"""The figures of the leader's dashboard (领导驾驶舱), each computed over the viewer's scope in SQL.

Every figure starts from a scoped selector (`task_list_for`, `assignment_list_for`, `blocker_list_for`) and
is one grouped or conditional aggregate, so the page costs the same few queries whether the scope holds
ten tasks or ten thousand.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import TruncMonth

from duban.core import clock
from duban.supervision.models import (
    ACTIVE_ASSIGNMENT_STATES,
    AssignmentState,
    BlockerState,
    Light,
    TaskState,
)
from duban.supervision.selectors import assignment_list_for, blocker_list_for, task_list_for
from duban.workdays.store import get_calendar

OPEN_TASK_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING)
OPEN_BLOCKER_STATES = (BlockerState.OPEN, BlockerState.ESCALATED)
ENDED_ASSIGNMENT_STATES = (AssignmentState.REASSIGNED, AssignmentState.CANCELLED)
RUNNING_LIGHTS = (Light.RED, Light.YELLOW, Light.GREEN)

# The worst first: red, then yellow, then the rest.
LIGHT_SEVERITY = Case(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


# ---- headline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    total: int  # every task in scope, drafts and cancelled ones included
    open: int  # 在办: assigned, in progress, closing
    by_state: dict[str, int]  # the open ones by state
    closed: int
    closed_on_time: int
    red: int
    yellow: int
    key_open: int
    blockers: int  # 待协调: open or escalated

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率 in percent; None while nothing is closed."""
        if not self.closed:
            return None
        return 100.0 * self.closed_on_time / self.closed


def headline_for(*, user) -> Headline:
    """The headline counts: one conditional aggregate over the tasks, one count of the blockers."""
    is_open = Q(state__in=OPEN_TASK_STATES)
    closed = Q(state=TaskState.CLOSED)
    figures = task_list_for(user=user).aggregate(
        total=Count("pk"),
        assigned=Count("pk", filter=Q(state=TaskState.ASSIGNED)),
        in_progress=Count("pk", filter=Q(state=TaskState.IN_PROGRESS)),
        closing=Count("pk", filter=Q(state=TaskState.CLOSING)),
        closed=Count("pk", filter=closed),
        closed_on_time=Count("pk", filter=closed & Q(light=Light.DONE_ON_TIME)),
        # Only running tasks carry these lights (a closed or cancelled task's light is reset), so they
        # match the lists `?light=red` and `?light=yellow` exactly.
        red=Count("pk", filter=Q(light=Light.RED)),
        yellow=Count("pk", filter=Q(light=Light.YELLOW)),
        key_open=Count("pk", filter=is_open & Q(is_key=True)),
    )
    blockers = blocker_list_for(user=user).filter(state__in=OPEN_BLOCKER_STATES).count()
    by_state = {state: figures[state] for state in ("assigned", "in_progress", "closing")}
    return Headline(total=figures["total"], open=sum(by_state.values()), by_state=by_state,
                    closed=figures["closed"], closed_on_time=figures["closed_on_time"], red=figures["red"],
                    yellow=figures["yellow"], key_open=figures["key_open"], blockers=blockers)


# ---- lights by unit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitLights:
    unit_id: int | None  # None for the row that sums the units beyond the limit (其他)
    name: str
    red: int
    yellow: int
    green: int
    units: int = 1  # how many units the row stands for

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.green


def unit_lights_for(*, user, limit: int = 30) -> list[UnitLights]:
    """The running assignments in scope by the unit holding them and by light, the worst units first.

    One grouped query; past `limit` units the rest are summed into one row (其他).
    """
    rows = (
        assignment_list_for(user=user)
        .exclude(state__in=ENDED_ASSIGNMENT_STATES)
        .filter(light__in=RUNNING_LIGHTS)
        .order_by()
        .values("unit_id", "unit__name", "unit__short_name", "unit__path")
        .annotate(red=Count("pk", filter=Q(light=Light.RED)),
                  yellow=Count("pk", filter=Q(light=Light.YELLOW)),
                  green=Count("pk", filter=Q(light=Light.GREEN)))
    )
    units = [UnitLights(unit_id=r["unit_id"], name=r["unit__short_name"] or r["unit__name"], red=r["red"],
                        yellow=r["yellow"], green=r["green"]) for r in rows]
    paths = {r["unit_id"]: r["unit__path"] for r in rows}
    units.sort(key=lambda u: (-u.red, -u.yellow, -u.total, paths[u.unit_id]))
    if len(units) <= limit:
        return units
    shown, rest = units[:limit - 1], units[limit - 1:]
    others = UnitLights(unit_id=None, name="其他", red=sum(u.red for u in rest),
                        yellow=sum(u.yellow for u in rest), green=sum(u.green for u in rest), units=len(rest))
    return [*shown, others]


# ---- completion over time ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date  # the first day of the month
    due: int  # tasks whose deadline falls in the month (drafts and cancelled ones aside)
    closed: int  # tasks closed (销号) in the month, in office time
    closed_on_time: int  # of those, closed on time

    @property
    def last_day(self) -> dt.date:
        return _add_months(self.month, 1) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_for(*, user, months: int = 12) -> list[MonthFigures]:
    """Tasks due and tasks closed in each of the last `months` months (this one included), oldest first.

    One grouped query over (month closed, month due): a task counts once in the month it was closed and
    once in the month it was due. Months are the office's (Asia/Shanghai), whatever the server's zone.
    """
    this_month = clock.today().replace(day=1)
    first = _add_months(this_month, -(months - 1))
    end = _add_months(this_month, 1)
    since, until = clock.at_local(first, 0), clock.at_local(end, 0)
    closed_in_window = Q(state=TaskState.CLOSED, closed_at__gte=since, closed_at__lt=until)
    due_in_window = Q(deadline__gte=first, deadline__lt=end)
    rows = (
        task_list_for(user=user)
        .exclude(state__in=(TaskState.DRAFT, TaskState.CANCELLED))
        .filter(closed_in_window | due_in_window)
        .order_by()
        .values(closed_month=TruncMonth("closed_at", tzinfo=clock.OFFICE_TZ),
                due_month=TruncMonth("deadline"))
        .annotate(n=Count("pk"), on_time=Count("pk", filter=Q(light=Light.DONE_ON_TIME)))
    )
    due: dict[dt.date, int] = {}
    closed: dict[dt.date, int] = {}
    on_time: dict[dt.date, int] = {}
    for row in rows:
        if (closed_month := row["closed_month"]) is not None:
            key = clock.local(closed_month).date().replace(day=1) if isinstance(closed_month, dt.datetime) \
                else closed_month
            closed[key] = closed.get(key, 0) + row["n"]
            on_time[key] = on_time.get(key, 0) + row["on_time"]
        if (due_month := row["due_month"]) is not None:
            key = due_month.date() if isinstance(due_month, dt.datetime) else due_month
            due[key] = due.get(key, 0) + row["n"]
    result = []
    for i in range(months):
        month = _add_months(first, i)
        result.append(MonthFigures(month=month, due=due.get(month, 0), closed=closed.get(month, 0),
                                   closed_on_time=on_time.get(month, 0)))
    return result


# ---- rows the leader acts on ---------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    assignment: object
    workdays: int  # working days past the deadline (holidays and weekends not counted)
    days: int  # calendar days past the deadline


def overdue_for(*, user, limit: int = 10) -> list[Overdue]:
    """The running assignments furthest past their deadline, each with working days and calendar days."""
    today = clock.today()
    rows = list(
        assignment_list_for(user=user)
        .filter(deadline__lt=today, state__in=ACTIVE_ASSIGNMENT_STATES)
        .order_by("deadline", "id")[:limit]
    )
    if not rows:
        return []
    calendar = get_calendar()
    return [Overdue(assignment=a, workdays=calendar.workdays_between(a.deadline, today),
                    days=(today - a.deadline).days) for a in rows]


def key_tasks_for(*, user, limit: int = 20):
    """Open key (挂牌) tasks, the worst light and the nearest deadline first."""
    return list(
        task_list_for(user=user, filters={"is_key": True})
        .filter(state__in=OPEN_TASK_STATES)
        .order_by(LIGHT_SEVERITY, F("deadline").asc(nulls_last=True), "id")[:limit]
    )


def blockers_for(*, user, limit: int = 20):
    """Blockers awaiting coordination, the oldest first (those escalated to a leader lead)."""
    return list(
        blocker_list_for(user=user)
        .filter(state__in=OPEN_BLOCKER_STATES)
        .order_by(Case(When(state=BlockerState.ESCALATED, then=Value(0)), default=Value(1),
                       output_field=IntegerField()), "raised_at", "id")[:limit]
    )
