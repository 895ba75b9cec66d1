"""A plain-Python recomputation of the lights (亮灯), written from the rules in
`duban.supervision.lights` (its docstring and the order of its rules) and
DESIGN.md (Time), for the stateful lifecycle test to compare against.

Nothing here imports the code under test's light expressions: it reads rows
(as dicts), the working-day calendar and the thresholds, and says what each
active assignment's and each active task's light should be.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

OFFICE_TZ = ZoneInfo("Asia/Shanghai")

ACTIVE = ("pending", "in_progress", "review")
# Assignments whose light is recomputed from time and rows; 待改派 is yellow.
RECOMPUTED = (*ACTIVE, "returned")
LIVE = ("pending", "in_progress", "review", "done", "returned")
TASK_ACTIVE = ("assigned", "in_progress", "closing")
RANK = {"red": 3, "yellow": 2}


@dataclass(frozen=True)
class Thresholds:
    day_end_hour: int
    soon_workdays: int
    returns_red: int
    behind_yellow: int
    behind_red: int

    @classmethod
    def from_settings(cls, settings) -> "Thresholds":
        return cls(
            day_end_hour=settings.DUBAN_DAY_END_HOUR,
            soon_workdays=settings.DUBAN_LIGHT_SOON_WORKDAYS,
            returns_red=settings.DUBAN_LIGHT_RETURNS_RED,
            behind_yellow=settings.DUBAN_LIGHT_BEHIND_YELLOW,
            behind_red=settings.DUBAN_LIGHT_BEHIND_RED,
        )


@dataclass(frozen=True)
class Moment:
    today: dt.date  # the office's local date
    passed: dt.date  # deadlines on or before this date have ended
    soon: dt.date  # deadlines on or before this date are due within N working days


def add_workdays(is_workday: Callable[[dt.date], bool], start: dt.date, n: int) -> dt.date:
    day, left = start, n
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def moment_of(now: dt.datetime, is_workday: Callable[[dt.date], bool], t: Thresholds) -> Moment:
    local = now.astimezone(OFFICE_TZ)
    today = local.date()
    # A deadline D ends at the day-end hour on D (24 = midnight, i.e. the start of D+1).
    if t.day_end_hour < 24 and local.hour >= t.day_end_hour:
        passed = today
    else:
        passed = today - dt.timedelta(days=1)
    return Moment(today=today, passed=passed, soon=add_workdays(is_workday, today, t.soon_workdays))


def behind(a: Mapping, points: int, today: dt.date) -> bool:
    """More than `points` behind 序时进度: progress + points < 100·(T−A)/(D−A), strictly."""
    if a["state"] != "in_progress" or a["deadline"] is None or a["deadline"] <= a["assigned_on"]:
        return False
    span = (a["deadline"] - a["assigned_on"]).days
    elapsed = (today - a["assigned_on"]).days
    return (a["progress"] + points) * span < 100 * elapsed


def assignment_light(a: Mapping, *, m: Moment, t: Thresholds, milestone_overdue: bool) -> str:
    state, deadline = a["state"], a["deadline"]
    if state == "returned":
        return "yellow"
    if deadline is not None and deadline <= m.passed:
        # 待审核 counts as late only when the close was asked for after the deadline.
        if state != "review" or (a["submitted_on"] is not None and a["submitted_on"] > deadline):
            return "red"
    if a["return_count"] >= t.returns_red:
        return "red"
    if behind(a, t.behind_red, m.today):
        return "red"
    if deadline is not None and deadline <= m.soon and state != "review":
        return "yellow"
    if state == "pending" and a["sign_due"] <= m.passed:
        return "yellow"
    if state == "in_progress" and a["next_report_due"] is not None and a["next_report_due"] <= m.passed:
        return "yellow"
    if milestone_overdue and state != "review":
        return "yellow"
    if behind(a, t.behind_yellow, m.today):
        return "yellow"
    return "green"


def task_light(assignment_lights: Iterable[str]) -> str:
    worst = max((RANK.get(light, 1) for light in assignment_lights), default=1)
    return {3: "red", 2: "yellow"}.get(worst, "green")


def expected_lights(*, now: dt.datetime, is_workday: Callable[[dt.date], bool], thresholds: Thresholds,
                    tasks: Iterable[Mapping], assignments: Iterable[Mapping],
                    milestones: Iterable[Mapping]) -> tuple[dict[int, str], dict[int, str]]:
    """(assignment id → light, task id → light) for every row whose light follows from time and rows.

    Done assignments keep the light stored at verification, so they enter a task's
    light with their stored value; they are not recomputed here.
    """
    m = moment_of(now, is_workday, thresholds)
    overdue_tasks = {ms["task_id"] for ms in milestones if ms["done_at"] is None and ms["due"] <= m.passed}
    assignments = list(assignments)
    a_lights: dict[int, str] = {}
    for a in assignments:
        if a["state"] in RECOMPUTED:
            a_lights[a["id"]] = assignment_light(a, m=m, t=thresholds, milestone_overdue=a["task_id"] in overdue_tasks)
    t_lights: dict[int, str] = {}
    for task in tasks:
        if task["state"] not in TASK_ACTIVE:
            continue
        live = [a_lights.get(a["id"], a["light"]) for a in assignments
                if a["task_id"] == task["id"] and a["state"] in LIVE]
        t_lights[task["id"]] = task_light(live)
    return a_lights, t_lights
