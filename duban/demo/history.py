"""Living the plan through the real services, one moment at a time.

Each task's life is a *story*: a generator that performs one step (a service
call, with the clock frozen at that moment) and yields the moment of its next
step. The timeline keeps every waiting story in one heap ordered by
(moment, sequence), so the steps of all tasks run in chronological order and
the clock never moves back. A step planned after the real "now" has not
happened yet: its story stops there, which is what leaves the recent tasks
open, some signed, some late.

A service that refuses a step (a `DomainError`: the state moved on, a rule
forbids it) is counted by its code and the story ends; the count is printed.
"""

import datetime as dt
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError
from duban.demo.planned import Fate, PlannedClue, PlannedFinding, PlannedTask, PrefecturePlan
from duban.inspection.models import Finding, Inspection, Visit
from duban.org.models import Role, Unit, User
from duban.supervision.models import Assignment, Decision, Task
from duban.voice.models import Clue
from duban.workdays.store import get_calendar

Story = Generator[dt.datetime, None, None]

# Office hours in which people act: mornings and afternoons.
HOURS = (9, 9, 10, 10, 11, 14, 15, 15, 16, 17)


@dataclass
class TaskRun:
    """One task as it lives: the plan, the row, who supervises it, and what has happened so far."""

    key: str
    spec: PlannedTask
    task: Task
    supervisor: User
    leader: User
    kind: str
    fate: Fate
    cadence: str
    round: int = 1
    return_pk: int | None = None  # the assignment whose unit returns it (退办)
    targets: list[tuple[int, float, float]] = field(default_factory=list)  # (id, baseline, target)
    returned: bool = False
    rejected: set[int] = field(default_factory=set)
    closing: bool = False
    # A task forwarded for a clue (转办) or issued for a finding (整改) closes its own way. Each step left
    # None is the ordinary one (duban.demo.stories); duban.demo.clue_stories and inspection_stories set them.
    clue: Clue | None = None
    clue_plan: PlannedClue | None = None
    finding: Finding | None = None
    finding_plan: PlannedFinding | None = None
    final: Callable | None = None  # (h, run, a, rng) -> Story returning the final report: 申请办结 or 答复群众
    check: Callable | None = None  # (h, run, a, rng, attempt) -> Story returning True/False (复查), None: stop
    close: Callable | None = None  # (h, run, note) -> the closed result, or None (销号)
    cancel: Callable | None = None  # (h, run, reason) -> the result, or None (撤销)


@dataclass(frozen=True)
class Fresh:
    """An assignment's current state, read just before acting."""

    state: str
    deadline: dt.date | None
    next_report_due: dt.date | None
    assigned_on: dt.date
    progress: int


class History:
    def __init__(self, *, plan: PrefecturePlan, units: dict[str, Unit], people: dict[str, User], seed: int,
                 until: dt.datetime, out):
        self.plan, self.units, self.people, self.seed, self.until, self.out = plan, units, people, seed, until, out
        self.calendar = get_calendar()
        self.decisions: dict[str, Decision] = {}
        self.clues: dict[str, Clue] = {}  # once submitted
        self.clue_plans: dict[str, PlannedClue] = {c.key: c for c in plan.clues}
        self.inspections: dict[str, Inspection] = {}  # once planned
        self.visits: dict[str, Visit] = {}  # once recorded
        self.skipped: Counter[str] = Counter()
        self.executed = 0
        self.now = clock.at_local(plan.start, 8)
        self._heap: list[tuple[dt.datetime, int, Story]] = []
        self._seq = itertools.count()
        self.staff: dict[int, tuple[User, User]] = {}  # unit id -> (liaison, unit head)
        self.county_office: dict[int, tuple[User, User]] = {}  # county id -> (supervisor, leader)
        self._index_people()

    def _index_people(self) -> None:
        by_unit: dict[int, dict[str, User]] = {}
        for person in self.people.values():
            roles = by_unit.setdefault(person.unit_id, {})
            for role in person.roles:
                roles.setdefault(role, person)
        for unit_id, roles in by_unit.items():
            if Role.LIAISON in roles and Role.UNIT_HEAD in roles:
                self.staff[unit_id] = (roles[Role.LIAISON], roles[Role.UNIT_HEAD])
            if Role.SUPERVISOR in roles and Role.LEADER in roles and roles[Role.SUPERVISOR].unit.level == "county":
                self.county_office[unit_id] = (roles[Role.SUPERVISOR], roles[Role.LEADER])

    # --- the timeline ---------------------------------------------------------------------------

    def spawn(self, story: Story, at: dt.datetime | None = None) -> None:
        """Start a story: its first step runs at `at` (default: now), and computes its next moment."""
        self._push(at or self.now, story)

    def _push(self, moment: dt.datetime, story: Story) -> None:
        if moment < self.now:
            raise RuntimeError(f"a story asked to go back in time: {moment} < {self.now}")
        if moment > self.until:
            story.close()  # not yet happened
            return
        heapq.heappush(self._heap, (moment, next(self._seq), story))

    def run(self) -> None:
        """Execute every step in time order, one day per transaction.

        Days, not months: on PostgreSQL every audit append rewrites the chain head row, and inside
        one transaction each rewrite walks the row versions the earlier ones left, so a transaction
        costs time quadratic in its events. Not one per step either, to keep commits few on SQLite.
        """
        while self._heap:
            day = clock.local(self._heap[0][0]).date()
            with transaction.atomic():
                while self._heap and clock.local(self._heap[0][0]).date() == day:
                    moment, _, story = heapq.heappop(self._heap)
                    self._step(moment, story)
            if not self._heap or clock.local(self._heap[0][0]).strftime("%Y-%m") != f"{day:%Y-%m}":
                self.out.write(f"  {day:%Y-%m}：已执行 {self.executed} 项操作")

    def _step(self, moment: dt.datetime, story: Story) -> None:
        self.now = moment
        with clock.frozen(moment):
            try:
                following = next(story)
            except StopIteration:
                return
        self._push(following, story)

    def act(self, service, **kwargs):
        """Call one service; a refusal is counted and answers None."""
        try:
            result = service(**kwargs)
        except DomainError as exc:
            self.skipped[exc.code] += 1
            return None
        self.executed += 1
        return result

    # --- time -----------------------------------------------------------------------------------

    def rng(self, *parts) -> random.Random:
        """A story's own random numbers: the same whatever else happens around it."""
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def today(self) -> dt.date:
        return clock.local(self.now).date()

    def on(self, day: dt.date, rng: random.Random) -> dt.datetime:
        """A moment in office hours on `day` (or the next working day), never before now."""
        day = self.calendar.next_workday(max(day, self.today()))
        moment = clock.at_local(day, rng.choice(HOURS), rng.randint(0, 59))
        if moment <= self.now:
            moment = self.now + dt.timedelta(minutes=rng.randint(15, 120))
        return moment

    def after(self, rng: random.Random, workdays: int) -> dt.datetime:
        """A moment `workdays` working days from today (0: later today)."""
        return self.on(self.calendar.add_workdays(self.today(), workdays), rng)

    def workdays(self, day: dt.date, n: int) -> dt.date:
        return self.calendar.add_workdays(day, n)

    # --- reading --------------------------------------------------------------------------------

    def fresh(self, assignment: Assignment) -> Fresh:
        row = Assignment.objects.filter(pk=assignment.pk).values(
            "state", "deadline", "next_report_due", "assigned_on", "progress").get()
        return Fresh(**row)

    def task_state(self, run: TaskRun) -> str:
        return Task.objects.filter(pk=run.task.pk).values_list("state", flat=True).get()
