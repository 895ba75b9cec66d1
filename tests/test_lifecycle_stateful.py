"""Random lifecycles: a Hypothesis state machine drives tasks through every service,
by the right people and the wrong ones, while time passes.

After every call: a refused call (DomainError) changed no row and appended no
Event; an accepted call appended exactly one Event, found its object in a state
the lifecycle allows, moved states only along declared transitions, left ended
rows alone, and left every stored light equal to a plain-Python recomputation
(tests/lights_oracle.py). After every step: the chain verifies, live tasks'
states follow from their lead assignments, the sweep brings every light in line
with the oracle, and codes and live assignments are unique.

Each example runs in a savepoint that is rolled back, with the clock frozen.
"""

import datetime as dt
import os
import re
from collections import Counter

import lights_oracle  # tests/lights_oracle.py
import time_machine
from django.conf import settings as django_settings
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from duban.audit.chain import chain_verify
from duban.audit.models import ChainHead, Event
from duban.core import clock
from duban.core.errors import DomainError
from duban.org.models import Role, Unit
from duban.supervision import services as s
from duban.supervision.lights import lights_refresh
from duban.supervision.models import (
    Assignment,
    AssignmentState,
    Blocker,
    BlockerState,
    Cadence,
    Decision,
    DecisionKind,
    Extension,
    ExtensionState,
    Instruction,
    Light,
    Milestone,
    Report,
    ReportState,
    Target,
    TargetValue,
    Task,
    TaskCounter,
    TaskPlan,
    TaskState,
    Urgency,
)
from duban.supervision.states import TRANSITIONS
from duban.workdays.store import get_calendar

STARTS = [
    clock.at_local(dt.date(2026, 6, 1), 9),  # a working Monday morning
    clock.at_local(dt.date(2026, 9, 28), 16),  # just before 国庆节
    clock.at_local(dt.date(2026, 12, 14), 10),  # time jumps cross into 2027 (Mon–Fri fallback, new code year)
]
CODE = re.compile(r"^DB-(\d{4})-\d{4,}$")

# Every row a service may write, read with plain SQL (cheap enough to compare before and after each call).
TABLES = {"decision": Decision, "task": Task, "plan": TaskPlan, "milestone": Milestone, "target": Target,
          "assignment": Assignment, "report": Report, "value": TargetValue, "extension": Extension,
          "blocker": Blocker, "instruction": Instruction, "counter": TaskCounter, "head": ChainHead}
MACHINES = {"task": TaskState.values, "assignment": AssignmentState.values, "report": ReportState.values,
            "extension": ExtensionState.values, "blocker": BlockerState.values}
INITIAL = {"task": {"draft"}, "assignment": {"pending"}, "report": {"unit_review", "submitted"},
           "extension": {"pending"}, "blocker": {"open"}}
# Rows nobody may touch once they reach these states (a 批示 reopens a done assignment / a closed task;
# a leader marks a closed task read).
ENDED = {"assignment": {"done", "reassigned", "cancelled"}, "task": {"closed", "cancelled"}}
ENDED_MAY_CHANGE = {("task", "closed"): {"leader_read_at", "version"}}
LIVE_EXCLUDED = ("reassigned", "cancelled")

# What each accepted call must have found (DESIGN.md, Lifecycle): (argument, states it may be in).
PRE_STATES = {
    "task_assign": ("task", {"draft"}),
    "assignment_sign": ("assignment", {"pending"}),
    "assignment_return": ("assignment", {"pending"}),
    "assignment_reassign": ("assignment", {"returned"}),
    "report_submit": ("assignment", {"in_progress"}),
    "report_unit_approve": ("report", {"unit_review"}),
    "report_review": ("report", {"submitted"}),
    "assignment_verify": ("assignment", {"review"}),
    "assignment_reject": ("assignment", {"review"}),
    "extension_request": ("assignment", {"pending", "in_progress"}),
    "extension_decide": ("extension", {"pending"}),
    "task_close": ("task", {"closing"}),
    "task_cancel": ("task", {"draft", "assigned", "in_progress", "closing"}),
    "task_leader_read": ("task", {"closed"}),
    "blocker_raise": ("assignment", {"pending", "in_progress", "review"}),
    "blocker_escalate": ("blocker", {"open"}),
    "blocker_answer": ("blocker", {"open", "escalated"}),
}


def snapshot() -> dict[str, dict[int, dict]]:
    out = {}
    with connection.cursor() as cur:
        for name, model in TABLES.items():
            table, pk_column = connection.ops.quote_name(model._meta.db_table), model._meta.pk.column
            cur.execute(f"SELECT * FROM {table} ORDER BY {connection.ops.quote_name(pk_column)}")
            cols = [c[0] for c in cur.description]
            pk = cols.index(pk_column)
            out[name] = {row[pk]: dict(zip(cols, row, strict=True)) for row in cur.fetchall()}
    return out


def event_count() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(Event._meta.db_table)}")
        return cur.fetchone()[0]


def snapshot_diff(before: dict, after: dict) -> list[str]:
    out = []
    for name in before:
        b, a = before[name], after[name]
        for pk in sorted(set(b) | set(a)):
            if b.get(pk) != a.get(pk):
                old, new = b.get(pk) or {}, a.get(pk) or {}
                out.append(f"{name}#{pk}: " + str({k: (old.get(k), new.get(k)) for k in set(old) | set(new)
                                                   if old.get(k) != new.get(k)}))
    return out


def implied_state(lead_states: list[str]) -> str:
    """DESIGN.md, Lifecycle: in_progress once every live lead has signed, closing once each is in review or done."""
    live = [x for x in lead_states if x not in LIVE_EXCLUDED]
    if live and all(x in ("review", "done") for x in live):
        return "closing"
    if live and all(x in ("in_progress", "review", "done") for x in live):
        return "in_progress"
    return "assigned"


def as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


# Hypothesis favours small numbers, so in every draw below the common, lifecycle-advancing choice is the
# small one and the rare, wrong one the large one.
def texts(blank_percent: int = 8):
    """Mostly a real sentence, sometimes blank (which every service must refuse)."""
    return st.integers(0, 99).flatmap(
        lambda n: st.sampled_from(["", "   "]) if n >= 100 - blank_percent else st.sampled_from(
            ["按计划推进。", "已召开专题会议研究部署。", "不属于本单位职责。", "请补充佐证材料。", "同意。"]))


class Lifecycle(RuleBasedStateMachine):
    """One example = one savepoint (rolled back at teardown) and one frozen clock."""

    cast = None  # set by the test
    totals: Counter = Counter()

    def __init__(self):
        super().__init__()
        c = self.cast
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._travel = time_machine.travel(STARTS[0], tick=False)
        self._traveller = self._travel.start()
        self.calendar = get_calendar()
        self.thresholds = lights_oracle.Thresholds.from_settings(django_settings)
        self.unit_path = dict(Unit.objects.values_list("pk", "path"))
        self.everyone = [c.supervisor, c.leader, c.drc_liaison, c.drc_head, c.finance_liaison, c.finance_head,
                         c.county_supervisor, c.county_liaison, c.county_head, c.county_drc_liaison,
                         c.county_drc_head, c.other_supervisor, c.other_liaison, c.sysadmin, None]
        self.people_of = {
            c.pref_drc.pk: [c.drc_liaison, c.drc_head],
            c.pref_finance.pk: [c.finance_liaison, c.finance_head],
            c.county.pk: [c.county_liaison, c.county_head],
            c.county_drc.pk: [c.county_drc_liaison, c.county_drc_head],
            c.other_drc.pk: [c.other_liaison],
        }
        self.supervisor_of = {c.prefecture.pk: c.supervisor, c.county.pk: c.county_supervisor,
                              c.other_county.pk: c.other_supervisor}
        # Units the prefecture may assign; those with people to sign come twice (lifecycles get further).
        self.assignable = [c.pref_drc, c.pref_drc, c.pref_finance, c.pref_finance, c.county, c.county,
                           c.county_drc, c.township, c.other_county, c.other_drc]
        self.all_units = [c.province, c.prefecture, c.pref_drc, c.pref_finance, c.county, c.county_drc,
                          c.township, c.other_county, c.other_drc]
        self.known: dict[tuple[str, int], str] = {}
        self.ended_rows: dict[tuple[str, int], dict] = {}
        self.verified: dict[int, str] = {}  # assignment → the done light its verification implied
        self.outcomes: Counter = Counter()
        self._snap = snapshot()
        self.fresh_at = None  # when the sweep last ran (stored lights are exact at that moment)
        self.steps_since_time = 0
        self.last_call = None

    def teardown(self):
        try:
            self._travel.stop()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
            Lifecycle.totals.update(self.outcomes)

    # ---- helpers -------------------------------------------------------------------------------

    @property
    def rows(self) -> dict[str, dict[int, dict]]:
        if self._snap is None:
            self._snap = snapshot()
        return self._snap

    def count(self, name: str, **where) -> int:
        return sum(1 for r in self.rows[name].values() if all(r[k] == v for k, v in where.items()))

    def count_live_tasks(self) -> int:
        return sum(1 for r in self.rows["task"].values() if r["state"] not in ("closed", "cancelled"))

    def today(self) -> dt.date:
        return clock.today()

    def draw_actor(self, data, right, label="actor"):
        right = [r for r in right or [] if r is not None]
        if right and data.draw(st.integers(0, 99), label=f"{label} is right?") < 85:
            return data.draw(st.sampled_from(right), label=label)
        return data.draw(st.sampled_from(self.everyone), label=label)

    def draw_row(self, data, name, label=None, where=None):
        """An object of table `name`: mostly one matching `where`, sometimes any (often a wrong one)."""
        rows = self.rows[name]
        if not rows:
            return None
        pool = sorted(rows)
        if where is not None and data.draw(st.integers(0, 9), label=f"{label or name} preferred?") < 8:
            pool = [pk for pk in pool if where(rows[pk])] or pool
        pk = data.draw(st.sampled_from(pool), label=label or name)
        return TABLES[name].objects.get(pk=pk)

    def draw_version(self, data, obj):
        choice = data.draw(st.integers(0, 19), label="expected_version")
        if choice < 14:
            return None
        return obj.version if choice < 19 else obj.version + 1  # the last one is stale

    def supervisors_of_task(self, task_id: int):
        owner = self.supervisor_of.get(self.rows["task"][task_id]["owner_unit_id"])
        return [owner, self.cast.supervisor] if owner else [self.cast.supervisor]

    def task_of(self, assignment_id: int) -> int:
        return self.rows["assignment"][assignment_id]["task_id"]

    def people(self, assignment: Assignment):
        """The liaison and head of the assignment's unit (townships and 乙县 itself have nobody to sign)."""
        return self.people_of.get(assignment.unit_id, [])

    def call(self, fn, **kwargs):
        """Run one service call and check what it did, or that it did nothing."""
        name = fn.__name__
        before = self.rows
        events = event_count()
        pre = PRE_STATES.get(name)
        pre_row = before[pre[0]][kwargs[pre[0]].pk] if pre else None
        try:
            result = fn(**kwargs)
        except DomainError as exc:
            after = snapshot()
            assert event_count() == events, f"{name} refused ({exc.code}) but appended an Event"
            diff = snapshot_diff(before, after)
            assert not diff, f"{name} refused ({exc.code}) but changed rows: {diff}"
            self._snap = after
            self.outcomes[f"{name}:refused"] += 1
            self.outcomes[f"{name}:refused:{exc.code}"] += 1
            return None
        self._snap = snapshot()
        self.last_call = name
        self.outcomes[f"{name}:ok"] += 1
        appended = event_count() - events
        assert appended == 1, f"{name} appended {appended} Events"
        if pre is not None:
            assert pre_row["state"] in pre[1], (
                f"{name} accepted a {pre[0]} in state {pre_row['state']!r} (only {sorted(pre[1])})")
        if fn is s.milestone_complete:
            assert before["milestone"][kwargs["milestone"].pk]["done_at"] is None, "a milestone completed twice"
        if fn is s.assignment_verify:
            a = before["assignment"][kwargs["assignment"].pk]
            on_time = a["deadline"] is None or (a["submitted_on"] is not None and a["submitted_on"] <= a["deadline"])
            self.verified[a["id"]] = Light.DONE_ON_TIME if on_time else Light.DONE_LATE
        if fn is s.extension_decide and kwargs["approve"]:
            a_id = before["extension"][kwargs["extension"].pk]["assignment_id"]
            old, new = before["assignment"][a_id]["deadline"], self.rows["assignment"][a_id]["deadline"]
            assert new > old, f"an approved extension moved the deadline from {old} to {new}"
        self.check_states()
        if self.fresh_at == clock.now():
            self.check_lights(f"right after {name}")
        return result

    # ---- checks --------------------------------------------------------------------------------

    def check_states(self):
        """Every state is declared, every change since the last look is a declared transition,
        and rows that ended stay as they ended."""
        seen = set()
        for machine, choices in MACHINES.items():
            for pk, row in self.rows[machine].items():
                key, state = (machine, pk), row["state"]
                seen.add(key)
                assert state in choices, f"{machine}#{pk} has undeclared state {state!r}"
                old = self.known.get(key)
                if old is None:
                    assert state in INITIAL[machine], f"new {machine}#{pk} starts in {state!r}"
                elif old != state:
                    assert state in TRANSITIONS[machine][old], f"{machine}#{pk} moved {old} → {state} (by {self.last_call}), not in TRANSITIONS"
                    self.outcomes[f"{machine}:{old}->{state} by {self.last_call}"] += 1
                    if machine == "assignment" and old == "done":
                        self.verified.pop(pk, None)  # a new round
                if machine in ENDED:
                    prev = self.ended_rows.get(key)
                    if old == state and prev is not None:
                        may = ENDED_MAY_CHANGE.get((machine, state), set())
                        changed = {k: (prev[k], row[k]) for k in row if prev[k] != row[k] and k not in may}
                        assert not changed, (
                            f"{machine}#{pk} changed after it ended ({state}) by {self.last_call}: {changed}")
                    if state in ENDED[machine]:
                        self.ended_rows[key] = row
                    else:
                        self.ended_rows.pop(key, None)
                self.known[key] = state
        missing = {k for k in self.known if k not in seen}
        assert not missing, f"rows disappeared: {missing}"

    def check_lights(self, when: str):
        """Stored lights equal the oracle's, and ended rows carry the light they ended with."""
        tasks, assignments = self.rows["task"].values(), self.rows["assignment"].values()
        a_exp, t_exp = lights_oracle.expected_lights(
            now=clock.now(), is_workday=self.calendar.is_workday, thresholds=self.thresholds,
            tasks=tasks, assignments=assignments, milestones=self.rows["milestone"].values())
        wrong = [f"assignment#{a['id']} ({a['state']}, assigned {a['assigned_on']}, sign_due {a['sign_due']}, "
                 f"deadline {a['deadline']}, report due {a['next_report_due']}, progress {a['progress']}, "
                 f"returns {a['return_count']}, submitted {a['submitted_on']}) is {a['light']}, "
                 f"oracle says {a_exp[a['id']]}"
                 for a in assignments if a["id"] in a_exp and a["light"] != a_exp[a["id"]]]
        wrong += [f"task#{t['id']} ({t['state']}) is {t['light']}, oracle says {t_exp[t['id']]}"
                  for t in tasks if t["id"] in t_exp and t["light"] != t_exp[t["id"]]]
        for a in assignments:
            if a["state"] in LIVE_EXCLUDED and a["light"] != Light.NONE:
                wrong.append(f"{a['state']} assignment#{a['id']} is {a['light']}")
            if a["state"] == "done":
                expected = self.verified.get(a["id"])
                if expected is not None and a["light"] != expected:
                    wrong.append(f"verified assignment#{a['id']} is {a['light']}, expected {expected}")
                if a["light"] not in (Light.DONE_ON_TIME, Light.DONE_LATE):
                    wrong.append(f"done assignment#{a['id']} is {a['light']}")
        for t in tasks:
            if t["state"] in ("draft", "cancelled") and t["light"] != Light.NONE:
                wrong.append(f"{t['state']} task#{t['id']} is {t['light']}")
            if t["state"] == "closed":
                leads = [a["light"] for a in assignments if a["task_id"] == t["id"] and a["role"] == "lead"
                         and a["state"] not in LIVE_EXCLUDED]
                expected = Light.DONE_ON_TIME if all(x == Light.DONE_ON_TIME for x in leads) else Light.DONE_LATE
                if t["light"] != expected:
                    wrong.append(f"closed task#{t['id']} is {t['light']}, its leads are {leads}")
        assert not wrong, f"{when} at {clock.local():%Y-%m-%d %H:%M}: " + "; ".join(wrong)

    @invariant()
    def everything_holds(self):
        self.outcomes["steps"] += 1
        self.steps_since_time += 1
        # (1) declared states, declared transitions (each call is checked too, as it happens)
        self.check_states()
        # (2) the audit chain
        verdict = chain_verify()
        assert verdict.ok, f"audit chain broken: {verdict}"
        # (3) a live task's state is what its lead assignments imply
        leads: dict[int, list[str]] = {}
        for a in self.rows["assignment"].values():
            if a["role"] == "lead":
                leads.setdefault(a["task_id"], []).append(a["state"])
        for t in self.rows["task"].values():
            if t["state"] in lights_oracle.TASK_ACTIVE:
                implied = implied_state(leads.get(t["id"], []))
                assert t["state"] == implied, (
                    f"task#{t['id']} is {t['state']} but its leads {leads.get(t['id'])} imply {implied}")
        # (4) the sweep brings every light in line with the oracle at the current time
        if any(lights_refresh()):
            self._snap = None
        self.fresh_at = clock.now()
        self.check_lights("after the sweep")
        # (5) codes; every assignment at a unit inside its task's owner; one live assignment per (task, unit)
        codes = Counter(t["code"] for t in self.rows["task"].values())
        assert all(n == 1 for n in codes.values()), f"duplicate task codes: {codes}"
        for t in self.rows["task"].values():
            match = CODE.match(t["code"])
            assert match, f"bad task code {t['code']!r}"
            year = clock.local(as_utc(t["created_at"])).year
            assert int(match.group(1)) == year, f"{t['code']} created in {year}"
        # (6) the sign-in SLA is counted on the working-day calendar (事不过夜: 1 working day)
        sla = django_settings.DUBAN_SIGN_SLA_WORKDAYS
        for a in self.rows["assignment"].values():
            due = lights_oracle.add_workdays(self.calendar.is_workday, a["assigned_on"], sla)
            assert a["sign_due"] == due, f"assignment#{a['id']} assigned {a['assigned_on']} must sign by {due}, not {a['sign_due']}"
        live = Counter()
        for a in self.rows["assignment"].values():
            owner = self.rows["task"][a["task_id"]]["owner_unit_id"]
            inside = a["unit_id"] != owner and self.unit_path[a["unit_id"]].startswith(self.unit_path[owner])
            assert inside, (
                f"assignment#{a['id']} at unit {a['unit_id']} lies outside its task's owner unit {owner}")
            if a["state"] not in LIVE_EXCLUDED:
                live[(a["task_id"], a["unit_id"])] += 1
        assert all(n == 1 for n in live.values()), f"two live assignments for one (task, unit): {live}"

    # ---- rules ---------------------------------------------------------------------------------

    @initialize(start=st.sampled_from(STARTS))
    def start(self, start):
        self._traveller.move_to(start)

    # At most one step in four is a bare time jump (`act` moves time too), so that lifecycles get far.
    @precondition(lambda self: self.rows["task"] and self.steps_since_time >= 3)
    @rule(days=st.one_of(st.integers(0, 3), st.integers(0, 40)), hours=st.integers(0, 23))
    def time_passes(self, days, hours):
        """Deadlines pass, sign-in SLAs lapse, milestones fall due; stored lights go stale until the sweep."""
        self.outcomes["rule:time_passes"] += 1
        self.steps_since_time = -1
        self._traveller.shift(dt.timedelta(days=days, hours=hours))

    @rule(data=st.data())
    def act(self, data):
        """Someone does something. One rule with our own weights, so that swarm testing (which
        switches whole rules off per example) cannot starve the later stages of the lifecycle."""
        if not self.rows["task"]:
            return self.create_and_assign(data)
        who = data.draw(st.integers(0, 99), label="who acts")
        if who < 28 and self.rows["assignment"]:
            self.unit_acts(data)
        elif who < 52:
            self.supervisor_acts(data)
        elif who < 72:
            self.advance(data)
        elif who < 80:
            self.leader_acts(data)
        elif who < 88 and self.count_live_tasks() < 2:
            self.create_and_assign(data)
        elif who < 94 and self.count("assignment", unit_id=self.cast.county.pk, state="in_progress"):
            self.cascade(data)
        elif who < 94:
            self.advance(data)
        else:
            self.time_passes(days=data.draw(st.integers(0, 40), label="days"),
                             hours=data.draw(st.integers(0, 23), label="hours"))

    def advance(self, data):
        """The right person takes the next step on one task, so that lifecycles reach 销号 and new rounds.

        Main steps are ranked, furthest along first (Hypothesis favours the first); the side roads
        (退回, 延期申请, 退办) are taken now and then."""
        self.outcomes["rule:advance"] += 1
        c, rows = self.cast, self.rows
        units_for = {c.prefecture.pk: [c.pref_drc, c.pref_finance, c.county, c.county_drc, c.other_drc],
                     c.county.pk: [c.county_drc]}
        rank = {f.__name__: i for i, f in enumerate([
            s.task_leader_read, s.task_close, s.assignment_verify, s.extension_decide, s.report_unit_approve,
            s.report_submit, s.assignment_sign, s.assignment_reassign, s.task_assign, s.instruction_write,
            s.task_cancel])}
        main, side = [], []
        for t in sorted(rows["task"].values(), key=lambda r: r["id"]):
            sup = self.supervisors_of_task(t["id"])[0]
            task = Task(pk=t["id"])
            if t["state"] == "draft":
                main.append((s.task_assign, {"actor": sup, "task": task}))
            elif t["state"] == "closed":
                if t["leader_read_at"] is None:
                    main.append((s.task_leader_read, {"actor": c.leader, "task": task}))
                main.append((s.instruction_write, {"actor": c.leader, "task": task, "text": "请再抓落实。"}))
            elif t["state"] != "cancelled":
                self.next_steps(t, sup, units_for, main, side)
        if not main:
            return self.create_and_assign(data)
        main.sort(key=lambda step: rank[step[0].__name__])
        steps = side if side and data.draw(st.integers(0, 9), label="side road?") >= 8 else main
        # Draw a printable description: the objects above are bare (pk only) and do not print.
        names = [fn.__name__ + "(" + ", ".join(f"{k}={getattr(v, 'pk', v)}" for k, v in kwargs.items()) + ")"
                 for fn, kwargs in steps]
        fn, kwargs = steps[names.index(data.draw(st.sampled_from(names), label="next step"))]
        self.call(fn, **kwargs)

    def next_steps(self, t, sup, units_for, main, side):
        c, rows = self.cast, self.rows
        mine = sorted((a for a in rows["assignment"].values() if a["task_id"] == t["id"]), key=lambda r: r["id"])
        leads = [a for a in mine if a["role"] == "lead" and a["state"] not in LIVE_EXCLUDED]
        if t["state"] == "closing" and all(a["state"] == "done" for a in leads):
            main.append((s.task_close, {"actor": sup, "task": Task(pk=t["id"]), "note": "现场核验，佐证齐全。"}))
            return
        live_units = {a["unit_id"] for a in mine if a["state"] not in LIVE_EXCLUDED}
        for a in mine:
            people = self.people_of.get(a["unit_id"], [])
            obj = Assignment(pk=a["id"])
            waiting = [r["id"] for r in rows["report"].values()
                       if r["assignment_id"] == a["id"] and r["state"] == "unit_review"]
            pending_ext = [e["id"] for e in rows["extension"].values()
                           if e["assignment_id"] == a["id"] and e["state"] == "pending"]
            if pending_ext:
                main.append((s.extension_decide, {"actor": c.leader if t["is_key"] else sup,
                                                  "extension": Extension(pk=pending_ext[0]), "approve": True}))
            elif a["state"] == "review":
                main.append((s.assignment_verify, {"actor": sup, "assignment": obj}))
                side.append((s.assignment_reject, {"actor": sup, "assignment": obj, "comment": "佐证不足。"}))
            elif waiting and len(people) > 1:
                main.append((s.report_unit_approve, {"actor": people[1], "report": Report(pk=waiting[0]),
                                                     "approve": True}))
            elif a["state"] == "in_progress" and people:
                main.append((s.report_submit, {"actor": people[-1], "assignment": obj, "text": "已全部完成。",
                                               "progress": 100, "is_final": True}))
                if a["deadline"] is not None:
                    side.append((s.extension_request, {
                        "actor": people[0], "assignment": obj, "reason": "项目用地审批尚未完成。",
                        "requested_deadline": a["deadline"] + dt.timedelta(days=15)}))
            elif a["state"] == "pending" and people:
                main.append((s.assignment_sign, {"actor": people[0], "assignment": obj}))
                side.append((s.assignment_return, {"actor": people[0], "assignment": obj,
                                                   "reason": "不属于本单位职责。"}))
            elif a["state"] == "returned":
                free = [u for u in units_for.get(t["owner_unit_id"], []) if u.pk not in live_units]
                if free:
                    main.append((s.assignment_reassign, {"actor": sup, "assignment": obj, "unit": free[0]}))
            elif a["state"] == "pending" and a["role"] == "lead":
                # Nobody at this unit can sign (a township, 乙县 itself): the office gives up on the task.
                main.append((s.task_cancel, {"actor": sup, "task": Task(pk=t["id"]), "reason": "牵头单位无法签收。"}))
            else:
                continue
            return

    def create_and_assign(self, data):
        """督查员 registers a decision, creates a task under it and (mostly) assigns it at once."""
        self.outcomes["rule:create_and_assign"] += 1
        c = self.cast
        actor = self.draw_actor(data, [c.supervisor], "supervisor")
        decision = None
        if self.rows["decision"] and data.draw(st.booleans(), label="reuse a decision?"):
            decision = self.draw_row(data, "decision")
        if decision is None:
            kind = data.draw(st.sampled_from([*DecisionKind.values] * 3 + ["memo"]), label="kind")
            decision = self.call(s.decision_create, actor=actor, kind=kind, title="州政府常务会议纪要",
                                 issued_on=self.today() - dt.timedelta(days=3))
            if decision is None:
                return
        good = data.draw(st.integers(0, 9), label="valid task?") < 8
        pool = self.assignable if good else self.all_units
        leads = data.draw(st.lists(st.sampled_from(pool), min_size=1 if good else 0, max_size=2,
                                   unique_by=lambda u: u.pk), label="leads")
        rest = [u for u in pool if u.pk not in {x.pk for x in leads}] if good else pool
        coops = data.draw(st.lists(st.sampled_from(rest), max_size=2, unique_by=lambda u: u.pk), label="coops")
        deadline = data.draw(st.one_of(
            st.none(), st.integers(0, 60).map(lambda n: self.today() + dt.timedelta(days=n)),
            st.integers(1, 3).map(lambda n: self.today() - dt.timedelta(days=n)) if not good else st.nothing(),
        ), label="deadline")
        cadence = data.draw(st.sampled_from([Cadence.NONE] * 4 + [Cadence.WEEKLY, Cadence.MONTHLY,
                                                                   Cadence.QUARTERLY]), label="cadence")
        report_day = data.draw(st.one_of(st.none(), st.integers(1, 28), st.just(31) if not good else st.nothing()),
                               label="report_day")
        milestones = data.draw(st.lists(st.tuples(st.just("节点"), st.integers(-2, 45).map(
            lambda n: self.today() + dt.timedelta(days=n))), max_size=2), label="milestones")
        targets = data.draw(st.lists(st.fixed_dictionaries({
            "name": st.just("新开工项目"), "target": st.sampled_from(["12", "3.5", "100"] + ([] if good else ["多"])),
        }), max_size=2), label="targets")
        leader = data.draw(st.sampled_from([None, None, c.leader] + ([] if good else [c.drc_head])), label="leader")
        task = self.call(
            s.task_create, actor=actor, decision=decision, title="推进重点项目开工",
            lead_unit_ids=[u.pk for u in leads], cooperating_unit_ids=[u.pk for u in coops], deadline=deadline,
            cadence=cadence, report_day=report_day, milestones=milestones, targets=targets,
            is_key=data.draw(st.booleans(), label="is_key"), responsible_leader=leader,
            urgency=data.draw(st.sampled_from(Urgency.values), label="urgency"),
        )
        if task is not None and data.draw(st.integers(0, 9), label="assign now?") < 8:
            self.call(s.task_assign, actor=self.draw_actor(data, [c.supervisor]), task=task)

    def cascade(self, data):
        """甲县's 督查室 decomposes the county's assignment for its departments and townships (层层分解)."""
        self.outcomes["rule:cascade"] += 1
        c = self.cast
        parent = self.draw_row(data, "assignment", "parent assignment",
                               lambda r: r["unit_id"] == c.county.pk and r["state"] == "in_progress")
        actor = self.draw_actor(data, [c.county_supervisor], "county supervisor")
        good = data.draw(st.integers(0, 9), label="valid units?") < 8
        pool = [c.county_drc, c.county_drc, c.township] if good else self.all_units
        leads = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique_by=lambda u: u.pk),
                          label="leads")
        base = parent.deadline or self.today() + dt.timedelta(days=30)
        deadline = data.draw(st.one_of(st.none(), st.integers(-3, 20).map(lambda n: base - dt.timedelta(days=n))),
                             label="deadline")
        cadence = data.draw(st.sampled_from([Cadence.NONE] * 3 + [Cadence.MONTHLY]), label="cadence")
        milestones = data.draw(st.lists(st.tuples(st.just("节点"), st.integers(0, 20).map(
            lambda n: self.today() + dt.timedelta(days=n))), max_size=1), label="milestones")
        decision = Decision.objects.get(pk=self.rows["task"][parent.task_id]["decision_id"])
        task = self.call(s.task_create, actor=actor, decision=decision, title="分解落实",
                         lead_unit_ids=[u.pk for u in leads], deadline=deadline, cadence=cadence,
                         parent_assignment=parent, milestones=milestones)
        if task is not None and data.draw(st.integers(0, 9), label="assign now?") < 8:
            self.call(s.task_assign, actor=self.draw_actor(data, [c.county_supervisor]), task=task)

    # ---- actions: each takes the object it acts on and draws the actor (sometimes a wrong one) ----

    def do_assign(self, data, task):
        self.call(s.task_assign, actor=self.draw_actor(data, self.supervisors_of_task(task.pk)), task=task,
                  expected_version=self.draw_version(data, task))

    def do_close(self, data, task):
        self.call(s.task_close, actor=self.draw_actor(data, self.supervisors_of_task(task.pk)), task=task,
                  note=data.draw(texts(), label="note"), expected_version=self.draw_version(data, task))

    def do_cancel(self, data, task):
        self.call(s.task_cancel, actor=self.draw_actor(data, self.supervisors_of_task(task.pk)), task=task,
                  reason=data.draw(texts(20), label="reason"), expected_version=self.draw_version(data, task))

    def do_instruct(self, data, task):
        self.call(s.instruction_write, actor=self.draw_actor(data, [self.cast.leader], "leader"), task=task,
                  text=data.draw(texts(), label="text"))

    def do_leader_read(self, data, task):
        self.call(s.task_leader_read, actor=self.draw_actor(data, [self.cast.leader], "leader"), task=task)

    def do_sign(self, data, a):
        self.call(s.assignment_sign, actor=self.draw_actor(data, self.people(a)), assignment=a,
                  expected_version=self.draw_version(data, a))

    def do_give_back(self, data, a):
        self.call(s.assignment_return, actor=self.draw_actor(data, self.people(a)), assignment=a,
                  reason=data.draw(texts(), label="reason"), expected_version=self.draw_version(data, a))

    def do_reassign(self, data, a):
        c = self.cast
        county_owned = self.rows["task"][a.task_id]["owner_unit_id"] == c.county.pk
        units = [c.county_drc, c.township] if county_owned else [c.pref_drc, c.pref_finance, c.county_drc,
                                                                  c.other_drc]
        unit = data.draw(st.sampled_from(units if data.draw(st.integers(0, 9), label="valid unit?") < 7
                                         else self.all_units), label="unit")
        self.call(s.assignment_reassign, actor=self.draw_actor(data, self.supervisors_of_task(a.task_id)),
                  assignment=a, unit=unit, expected_version=self.draw_version(data, a))

    def do_report(self, data, a):
        # Mostly a well-formed report; sometimes exactly one thing wrong with it.
        flaw = data.draw(st.sampled_from([None] * 12 + ["progress", "final<100", "text", "file", "blocker",
                                                         "target"]), label="flaw")
        final = data.draw(st.integers(0, 9), label="final?") < 4 or flaw == "final<100"
        if final:
            progress = 95 if flaw == "final<100" else 100
        else:
            progress = data.draw(st.sampled_from([-1, 101]) if flaw == "progress" else st.integers(0, 100),
                                 label="progress")
        own = sorted(pk for pk, t in self.rows["target"].items() if t["task_id"] == a.task_id)
        values = {}
        if flaw == "target":
            others = sorted(pk for pk, t in self.rows["target"].items() if t["task_id"] != a.task_id)
            values = {data.draw(st.sampled_from(others), label="target") if others else 10**6: "3"}
            if own and data.draw(st.booleans(), label="own target, bad value?"):
                values = {own[0]: "abc"}
        elif own and data.draw(st.booleans(), label="values?"):
            values = {t: data.draw(st.sampled_from(["3", "7.5", "12"]), label="value") for t in own}
        blockers = [" "] if flaw == "blocker" else data.draw(st.sampled_from([[], [], ["资金未到位"]]),
                                                             label="blockers")
        self.call(s.report_submit, actor=self.draw_actor(data, self.people(a)), assignment=a,
                  text="" if flaw == "text" else "已完成年度目标任务。", progress=progress, is_final=final,
                  target_values=values, blockers=blockers, files=[("setup.exe", b"MZ")] if flaw == "file" else None)

    def do_unit_approve(self, data, r):
        unit_id = self.rows["assignment"][r.assignment_id]["unit_id"]
        heads = [p for p in self.people_of.get(unit_id, []) if p.has_role(Role.UNIT_HEAD)]
        self.call(s.report_unit_approve, actor=self.draw_actor(data, heads, "unit head"), report=r,
                  approve=data.draw(st.integers(0, 9), label="approve?") < 8,
                  comment=data.draw(texts(), label="comment"))

    def do_review(self, data, r):
        self.call(s.report_review, actor=self.draw_actor(data, self.supervisors_of_task(self.task_of(r.assignment_id))),
                  report=r, accept=data.draw(st.booleans(), label="accept"),
                  comment=data.draw(texts(), label="comment"))

    def do_verify(self, data, a):
        if data.draw(st.integers(0, 9), label="not done yet (退回)?") >= 7:
            return self.do_reject(data, a)
        self.call(s.assignment_verify, actor=self.draw_actor(data, self.supervisors_of_task(a.task_id)), assignment=a,
                  comment="核验属实。", expected_version=self.draw_version(data, a))

    def do_reject(self, data, a):
        self.call(s.assignment_reject, actor=self.draw_actor(data, self.supervisors_of_task(a.task_id)), assignment=a,
                  comment=data.draw(texts(), label="comment"), expected_version=self.draw_version(data, a))

    def do_milestone(self, data, m):
        lead_people = [p for a in self.rows["assignment"].values()
                       if a["task_id"] == m.task_id and a["role"] == "lead" and a["state"] in ("in_progress", "review")
                       for p in self.people_of.get(a["unit_id"], [])]
        self.call(s.milestone_complete, actor=self.draw_actor(data, lead_people + self.supervisors_of_task(m.task_id)),
                  milestone=m)

    def do_extension_request(self, data, a):
        base = a.deadline or self.today()
        self.call(s.extension_request, actor=self.draw_actor(data, self.people(a)), assignment=a,
                  reason=data.draw(texts(), label="reason"),
                  requested_deadline=base + dt.timedelta(days=data.draw(st.integers(-3, 30), label="days later")))

    def do_extension_decide(self, data, ext):
        task_id = self.task_of(ext.assignment_id)
        right = [self.cast.leader] if self.rows["task"][task_id]["is_key"] else self.supervisors_of_task(task_id)
        granted = data.draw(st.one_of(st.none(), st.integers(-5, 5).map(
            lambda n: ext.requested_deadline + dt.timedelta(days=n))), label="granted_deadline")
        self.call(s.extension_decide, actor=self.draw_actor(data, right), extension=ext,
                  approve=data.draw(st.booleans(), label="approve"), comment=data.draw(texts(), label="comment"),
                  granted_deadline=granted)

    def do_blocker_raise(self, data, a):
        self.call(s.blocker_raise, actor=self.draw_actor(data, self.people(a)), assignment=a,
                  text=data.draw(texts(), label="text"))

    def do_blocker_escalate(self, data, b):
        c = self.cast
        self.call(s.blocker_escalate, actor=self.draw_actor(data, self.supervisors_of_task(self.task_of(b.assignment_id))),
                  blocker=b, leader=data.draw(st.sampled_from([c.leader, c.leader, c.leader, c.drc_head, None]),
                                              label="leader"))

    def do_blocker_answer(self, data, b):
        right = [self.cast.leader, *self.supervisors_of_task(self.task_of(b.assignment_id))]
        self.call(s.blocker_answer, actor=self.draw_actor(data, right), blocker=b,
                  answer=data.draw(texts(), label="answer"))

    # ---- who acts ------------------------------------------------------------------------------

    def pick_action(self, data, natural: list[tuple[str, str, int]], anything: list[tuple[str, str, object]]):
        """Mostly the action the object's state calls for; sometimes any action on any object."""
        if natural and data.draw(st.integers(0, 19), label="natural action?") < 17:
            action, name, pk = data.draw(st.sampled_from(natural), label="action")
            obj = TABLES[name].objects.get(pk=pk)
        else:
            action, name, where = data.draw(st.sampled_from(anything), label="any action")
            obj = self.draw_row(data, name, where=where)
            if obj is None:
                return
        getattr(self, f"do_{action}")(data, obj)

    def unit_acts(self, data):
        """A unit's liaison or head: 签收, 退办, 反馈/申请办结, 单位审核, 延期申请, 堵点."""
        self.outcomes["rule:unit_acts"] += 1
        # Work further along first (单位审核, 反馈), so that lifecycles reach their end within an example.
        waiting = {r["assignment_id"] for r in self.rows["report"].values() if r["state"] == "unit_review"}
        tiers = [lambda r: r["id"] in waiting, lambda r: r["state"] == "in_progress" and r["unit_id"] in self.people_of,
                 lambda r: r["state"] in ("pending", "in_progress") and r["unit_id"] in self.people_of]
        tier = data.draw(st.integers(0, 2), label="further along?")
        rows = self.rows["assignment"].values()
        while tier < 2 and not any(tiers[tier](r) for r in rows):
            tier += 1
        a = self.draw_row(data, "assignment", where=tiers[tier])
        natural = [("unit_approve", "report", pk) for pk, r in self.rows["report"].items()
                   if r["assignment_id"] == a.pk and r["state"] == "unit_review"] * 4
        if a.state == "pending":
            natural += [("sign", "assignment", a.pk)] * 6 + [
                (x, "assignment", a.pk) for x in ("give_back", "extension_request", "blocker_raise")]
        elif a.state == "in_progress":
            natural += [("report", "assignment", a.pk)] * 6 + [
                (x, "assignment", a.pk) for x in ("extension_request", "blocker_raise")]
            if a.role == "lead":
                natural += [("milestone", "milestone", pk) for pk, m in self.rows["milestone"].items()
                            if m["task_id"] == a.task_id and m["done_at"] is None]
        self.pick_action(data, natural, [
            ("sign", "assignment", lambda r: r["state"] == "pending"),
            ("give_back", "assignment", lambda r: r["state"] == "pending"),
            ("report", "assignment", lambda r: r["state"] == "in_progress"),
            ("unit_approve", "report", lambda r: r["state"] == "unit_review"),
            ("extension_request", "assignment", None), ("blocker_raise", "assignment", None),
            ("milestone", "milestone", lambda r: r["done_at"] is None),
        ])

    def supervisor_acts(self, data):
        """督查员: 交办, 改派, 审核反馈, 审核通过/退回, 延期批复, 协调, 销号, 撤销."""
        self.outcomes["rule:supervisor_acts"] += 1
        rows = self.rows
        todo: dict[int, list[tuple[str, str, int]]] = {}
        for t in rows["task"].values():
            if t["state"] == "draft":
                todo.setdefault(t["id"], []).extend([("assign", "task", t["id"])] * 3)
        for a in rows["assignment"].values():
            if a["state"] == "review":
                todo.setdefault(a["task_id"], []).append(("verify", "assignment", a["id"]))
            if a["state"] == "returned":
                todo.setdefault(a["task_id"], []).append(("reassign", "assignment", a["id"]))
        for r in rows["report"].values():
            if r["state"] == "submitted" and not r["is_final"]:
                todo.setdefault(self.task_of(r["assignment_id"]), []).append(("review", "report", r["id"]))
        for e in rows["extension"].values():
            if e["state"] == "pending":
                todo.setdefault(self.task_of(e["assignment_id"]), []).append(("extension_decide", "extension", e["id"]))
        for b in rows["blocker"].values():
            if b["state"] in ("open", "escalated"):
                todo.setdefault(self.task_of(b["assignment_id"]), []).append(
                    ("blocker_escalate" if b["state"] == "open" else "blocker_answer", "blocker", b["id"]))
        for m in rows["milestone"].values():
            if m["done_at"] is None and rows["task"][m["task_id"]]["state"] in lights_oracle.TASK_ACTIVE:
                todo.setdefault(m["task_id"], []).append(("milestone", "milestone", m["id"]))
        for t in rows["task"].values():
            if t["state"] == "closing" and not any(x[0] == "verify" for x in todo.get(t["id"], [])):
                todo[t["id"]] = [("close", "task", t["id"])] * 3 + todo.get(t["id"], [])
        # Finishing work first (审核通过, 销号), so that lifecycles reach their end within an example.
        finishing = {pk for pk, acts in todo.items() if any(x[0] in ("verify", "close") for x in acts)}
        if finishing and data.draw(st.integers(0, 9), label="finish something?") < 6:
            todo = {pk: acts for pk, acts in todo.items() if pk in finishing}
        task = self.draw_row(data, "task", where=lambda r: r["id"] in todo and r["state"] not in ("closed", "cancelled"))
        natural = todo.get(task.pk, [])
        if data.draw(st.integers(0, 19), label="cancel?") == 19:
            natural = [("cancel", "task", task.pk)]
        self.pick_action(data, natural, [
            ("assign", "task", lambda r: r["state"] == "draft"),
            ("reassign", "assignment", lambda r: r["state"] == "returned"),
            ("review", "report", lambda r: r["state"] == "submitted"),
            ("verify", "assignment", lambda r: r["state"] == "review"),
            ("reject", "assignment", lambda r: r["state"] == "review"),
            ("extension_decide", "extension", lambda r: r["state"] == "pending"),
            ("close", "task", None), ("blocker_escalate", "blocker", None), ("blocker_answer", "blocker", None),
            ("milestone", "milestone", None),
        ])

    def leader_acts(self, data):
        """领导: 批示 (a new round on a closed task), 阅示, 挂牌事项延期批复, 协调答复."""
        self.outcomes["rule:leader_acts"] += 1
        rows = self.rows
        natural = []
        for t in rows["task"].values():
            if t["state"] == "closed":
                if t["leader_read_at"] is None:
                    natural.append(("leader_read", "task", t["id"]))
                natural.append(("instruct", "task", t["id"]))
        for e in rows["extension"].values():
            if e["state"] == "pending" and rows["task"][self.task_of(e["assignment_id"])]["is_key"]:
                natural.append(("extension_decide", "extension", e["id"]))
        for b in rows["blocker"].values():
            if b["state"] == "escalated":
                natural.append(("blocker_answer", "blocker", b["id"]))
        self.pick_action(data, natural, [
            ("instruct", "task", None), ("leader_read", "task", None), ("extension_decide", "extension", None),
            ("blocker_answer", "blocker", None),
        ])


STATEFUL_SETTINGS = settings(
    max_examples=int(os.environ.get("STATEFUL_EXAMPLES", "200")),  # the env knobs are for working on this file
    stateful_step_count=int(os.environ.get("STATEFUL_STEPS", "25")),
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("STATEFUL_SHRINK", "1") == "1" else []),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def test_it_keeps_every_invariant_through_random_lifecycles(cast):
    Lifecycle.cast = cast
    Lifecycle.totals = Counter()
    run_state_machine_as_test(Lifecycle, settings=STATEFUL_SETTINGS)
    totals = Lifecycle.totals
    print("stateful lifecycle outcomes:", sorted(totals.items()))  # shown with -s
    # The machine must reach deep states, not only be refused at the door.
    for verb in ("task_assign", "assignment_sign", "report_submit", "report_unit_approve", "assignment_verify",
                 "assignment_reject", "task_close", "instruction_write", "task_leader_read", "extension_decide",
                 "assignment_reassign", "task_cancel", "blocker_answer", "milestone_complete"):
        assert totals[f"{verb}:ok"] > 0, f"{verb} never succeeded: {dict(totals)}"
    assert sum(v for k, v in totals.items() if k.endswith(":refused")) > 500, dict(totals)
