"""Benchmark: the escalation sweep (催办阶梯) on the province data set, against the limit.

Run from the repository root:

    .venv/bin/python bench/escalation.py                 # SQLite: bench/out/province.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/escalation.py
                                                         # PostgreSQL: database duban_bench on that server

The data set is bench/sweep.py's (run first with BENCH_RUNS=0: it migrates, so the escalation
tables exist, and builds the province only when its database holds no tasks). "Today" is the
day the data set was built (the `demo.bulk_load` event says which), 10:00 in the office's time
zone: the province's deadlines, milestones and reports are spread around that day.

Measured, in a transaction and including the commit:

- first sweep, ours: `escalation_sweep()` with nothing urged yet — it writes every due cause's
  urge, their notices and deliveries, and lists (挂牌) the tasks of the `listed` steps, one
  `task.listed` Event each. Events are append-only, so it is timed ONCE per invocation
  (BENCH_FIRST_RUNS to change that): every run would add as many events to the chain again.
- first sweep, the limit: one hand-written `INSERT … SELECT … UNION ALL …` (a branch per ladder
  step, the same windows as parameters) writing the same urge rows; best of BENCH_RUNS.
- steady state, ours: `escalation_sweep()` again right after the first (nothing new is due);
  the limit: the hand-written `SELECT` of the same causes not yet urged (anti-join against
  escalation_urge); best of BENCH_RUNS each.

The urges the limit writes must equal ours (step, cause, assignment, ref, due date, and the
task, unit, ladder step, recipients and urgency they carry); otherwise the benchmark fails.
Between runs the writes are undone (untimed): the urge, notice and delivery tables are
emptied and the tasks ours listed get `is_key` (and `version`) back. So that the delivery
statements write rows, every person of the province gets an address `<username>@province.invalid`
and e-mail as the default channel for the duration of the bench (removed at the end).
"""

import datetime as dt
import json
import os
import subprocess
import sys
import time

from _db import OUT, ROOT, django_setup, province_url

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
FIRST_RUNS = max(1, int(os.environ.get("BENCH_FIRST_RUNS", "1")))
EMAIL_DOMAIN = "@province.invalid"

done = subprocess.run([sys.executable, str(ROOT / "bench" / "sweep.py")], env={**os.environ, "BENCH_RUNS": "0"},
                      cwd=ROOT, check=False)
if done.returncode != 0:
    raise SystemExit("FAIL: bench/sweep.py could not prepare the data set")
# Deliveries by e-mail only, whatever the caller's environment says: the figures depend on it.
os.environ["DUBAN_NOTICE_EMAIL_DEFAULT"] = "1"
os.environ["DUBAN_NOTICE_SMS_DEFAULT"] = "0"
os.environ["DUBAN_SMS_URL"] = ""
django_setup(province_url())

from django.db import connection, transaction  # noqa: E402

from duban.audit.models import Event  # noqa: E402
from duban.core import clock  # noqa: E402
from duban.escalation import sweep as es  # noqa: E402
from duban.escalation import timing  # noqa: E402
from duban.escalation.models import LadderStep  # noqa: E402
from duban.workdays.store import get_calendar  # noqa: E402

VENDOR = connection.vendor
LISTED_FILE = OUT / f"escalation_listed_{VENDOR}.json"
TASK_ACTIVE = "('assigned', 'in_progress', 'closing')"
WORKING = "('pending', 'in_progress')"
URGE_COLUMNS = ("step, cause, due_on, ref_id, ladder_step_id, task_id, assignment_id, unit_id, to_liaison, "
                "to_unit_head, to_leader, to_supervisor, urgent, message, created_at, planned")
# What must match between ours and the limit (not the id, time or planned flag).
COMPARED = ("step, cause, assignment_id, ref_id, due_on, task_id, unit_id, ladder_step_id, urgent, "
            "to_liaison, to_unit_head, to_leader, to_supervisor")


def say(line: str) -> None:
    print(line, flush=True)


# ---- the limit, written by hand ----
# Per cause: the assignments (of active tasks) the cause concerns, its date `due` and `ref`
# (the milestone, or 0). `{window}` is the date column in the step's window (lower, upper].

CAUSES = {
    "deadline": ("a.deadline", "0", "", f"a.state IN {WORKING} AND NOT EXISTS (SELECT 1 FROM supervision_extension e "
                 "WHERE e.assignment_id = a.id AND e.state = 'approved' AND e.granted_deadline = a.deadline)"),
    "extension": ("a.deadline", "0", "", f"a.state IN {WORKING} AND EXISTS (SELECT 1 FROM supervision_extension e "
                  "WHERE e.assignment_id = a.id AND e.state = 'approved' AND e.granted_deadline = a.deadline)"),
    "sign": ("a.sign_due", "0", "", "a.state = 'pending'"),
    "report": ("a.next_report_due", "0", "", "a.state = 'in_progress'"),
    "milestone": ("m.due", "m.id", "JOIN supervision_milestone m ON m.task_id = a.task_id AND m.done_at IS NULL",
                  f"a.role = 'lead' AND a.state IN {WORKING}"),
}


def windows(today: dt.date) -> list[tuple[LadderStep, dt.date | None, dt.date]]:
    """Every active step with its window (lower, upper], as the sweep computes them."""
    calendar = get_calendar()
    found = []
    by_category = es.ladders()
    if set(by_category) != {""}:
        raise SystemExit("FAIL: the limit is written for the default ladder only; this database has categories")
    for steps in by_category[""].values():
        for i, step in enumerate(steps):
            upper = timing.fires_by(calendar, today, step.offset_workdays)
            following = steps[i + 1] if i + 1 < len(steps) else None
            lower = timing.fires_by(calendar, today, following.offset_workdays) if following else None
            if lower is None or lower < upper:
                found.append((step, lower, upper))
    return found


def branch(step: LadderStep, lower, upper, *, select: str, anti_join: bool) -> tuple[str, list]:
    date, ref, join, where = CAUSES[step.cause]
    params = [lower, upper] if lower is not None else [upper]
    window = f"{date} > %s AND {date} <= %s" if lower is not None else f"{date} <= %s"
    sql = (f"SELECT {select} FROM supervision_assignment a JOIN supervision_task t ON t.id = a.task_id {join} "
           f"WHERE t.state IN {TASK_ACTIVE} AND {where} AND {window}")
    sql = sql.format(date=date, ref=ref)
    if anti_join:
        sql += (f" AND NOT EXISTS (SELECT 1 FROM escalation_urge u WHERE u.step = %s AND u.cause = %s "
                f"AND u.assignment_id = a.id AND u.ref_id = {ref} AND u.due_on = {date})")
        params += [step.step, step.cause]
    return sql, params


def limit_insert_sql(found, now) -> tuple[str, list]:
    """One INSERT … SELECT with a UNION ALL branch per step."""
    at = connection.ops.adapt_datetimefield_value(now)
    parts, params = [], []
    for step, lower, upper in found:
        select = ("%s, %s, {date}, {ref}, %s, a.task_id, a.id, a.unit_id, %s, %s, %s, %s, "
                  "CASE WHEN t.urgency = 'urgent' THEN %s ELSE %s END, '', %s, %s")
        sql, where_params = branch(step, lower, upper, select=select, anti_join=False)
        parts.append(sql)
        params += [step.step, step.cause, step.pk, step.to_liaison, step.to_unit_head, step.to_leader,
                   step.to_supervisor, True, step.urgent, at, False, *where_params]
    return f"INSERT INTO escalation_urge ({URGE_COLUMNS}) " + " UNION ALL ".join(parts), params


def limit_steady_sql(found) -> tuple[str, list]:
    """One SELECT with a UNION ALL branch per step: the due causes no urge has been written for."""
    parts, params = [], []
    for step, lower, upper in found:
        sql, where_params = branch(step, lower, upper, select="%s, %s, a.id, {ref}, {date}", anti_join=True)
        parts.append(sql)
        params += [step.step, step.cause, *where_params]
    return " UNION ALL ".join(parts), params


# ---- the harness ----

def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(r) for r in cursor.fetchall()]


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    with transaction.atomic():
        result = fn()
    return time.perf_counter() - started, result


def tidy(tables: str) -> None:
    """A clean start for the next run, as sweep.py does: statistics and no dead rows (PostgreSQL), WAL folded in."""
    if VENDOR == "postgresql":
        execute(f"VACUUM ANALYZE {tables}")
    else:
        execute("PRAGMA wal_checkpoint(TRUNCATE)")


def empty_outbox() -> None:
    """Ours' and the limit's writes undone: no attempt, delivery, notice or urge left."""
    if VENDOR == "postgresql":
        execute("TRUNCATE escalation_deliveryattempt, escalation_delivery, escalation_notice, escalation_urge")
    else:
        with transaction.atomic():
            for table in ("escalation_deliveryattempt", "escalation_delivery", "escalation_notice", "escalation_urge"):
                execute(f"DELETE FROM {table}")
        tidy("")


def unlist(task_ids: list[int]) -> None:
    with transaction.atomic():
        for start in range(0, len(task_ids), 5000):
            chunk = task_ids[start:start + 5000]
            execute(f"UPDATE supervision_task SET is_key = %s, version = version - 1 "
                    f"WHERE is_key = %s AND id IN ({', '.join(['%s'] * len(chunk))})", [False, True, *chunk])
    tidy("supervision_task")


def restore_from_earlier_run() -> None:
    """A run that stopped half-way left tasks listed: give them back their flag first."""
    if LISTED_FILE.exists():
        task_ids = json.loads(LISTED_FILE.read_text())
        say(f"# an earlier run stopped before restoring {len(task_ids)} listed tasks: restored now")
        unlist(task_ids)
        LISTED_FILE.unlink()
    empty_outbox()


def key_task_ids() -> set[int]:
    return {r[0] for r in rows("SELECT id FROM supervision_task WHERE is_key = %s", [True])}


def data_today() -> dt.date:
    event = Event.objects.filter(verb="demo.bulk_load").order_by("-seq").first()
    if event is None or "today" not in event.payload:
        raise SystemExit("FAIL: no demo.bulk_load event says which day the data set was built for")
    return dt.date.fromisoformat(event.payload["today"])


class Phases:
    """Where ours spends the first sweep: the module's own functions wrapped with a timer (not changed)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.originals = {name: getattr(es, name) for name in ("urges_plan", "_list_key_tasks")}

    def __enter__(self):
        for name, fn in self.originals.items():
            setattr(es, name, self._timed(name, fn))
        return self

    def __exit__(self, *exc):
        for name, fn in self.originals.items():
            setattr(es, name, fn)

    def _timed(self, name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return wrapper


def counts_by_step() -> list[tuple]:
    return rows("SELECT step, cause, COUNT(*) FROM escalation_urge GROUP BY step, cause ORDER BY cause, step")


def compare_with_ours() -> tuple[int, int]:
    """(rows the limit wrote that ours did not, rows ours wrote that the limit did not)."""
    extra = scalar(f"SELECT COUNT(*) FROM (SELECT {COMPARED} FROM escalation_urge "
                   f"EXCEPT SELECT {COMPARED} FROM bench_ours) x")
    missing = scalar(f"SELECT COUNT(*) FROM (SELECT {COMPARED} FROM bench_ours "
                     f"EXCEPT SELECT {COMPARED} FROM escalation_urge) x")
    if extra or missing:
        for label, a, b in (("limit only", "escalation_urge", "bench_ours"), ("ours only", "bench_ours",
                                                                               "escalation_urge")):
            for row in rows(f"SELECT {COMPARED} FROM {a} EXCEPT SELECT {COMPARED} FROM {b} LIMIT 5"):
                say(f"#   {label}: {row}")
    return extra, missing


def main() -> int:
    today = data_today()
    moment = clock.at_local(today, 10)
    found = windows(today)
    say(f"# escalation bench on {VENDOR}: {connection.settings_dict['NAME']} (today {today}, "
        f"{moment.isoformat()}; first sweep {FIRST_RUNS}×, the rest best of {RUNS})")
    for step, lower, upper in found:
        say(f"#   step {step.cause}/{step.step} ({step.offset_workdays:+d} working days): "
            f"date in ({lower or '…'}, {upper}]")
    restore_from_earlier_run()
    execute("UPDATE org_user SET email = username || %s WHERE email = ''", [EMAIL_DOMAIN])
    tidy("org_user")
    insert_sql, insert_params = limit_insert_sql(found, moment)
    steady_sql, steady_params = limit_steady_sql(found)
    say(f"# the limit: 1 INSERT … SELECT of {len(found)} UNION ALL branches; steady: 1 SELECT of "
        f"{len(found)} branches, each anti-joined to escalation_urge")
    first, first_limit, steady, steady_limit = [], [], [], []
    listed_events = 0
    try:
        with clock.frozen(moment):
            for run in range(1, FIRST_RUNS + 1):
                key_before = key_task_ids()
                events_before = Event.objects.filter(verb="task.listed").count()
                with Phases() as phases:
                    seconds, result = timed(lambda: es.escalation_sweep(moment=moment))
                first.append(seconds)
                listed = sorted(key_task_ids() - key_before)
                LISTED_FILE.write_text(json.dumps(listed))
                listed_events = Event.objects.filter(verb="task.listed").count() - events_before
                plan = phases.seconds.get("urges_plan", 0.0)
                listing = phases.seconds.get("_list_key_tasks", 0.0)
                say(f"# first sweep {run}: {seconds:.2f} s ({result}); finding and writing urges {seconds - plan:.2f} s, "
                    f"notices and deliveries {plan - listing:.2f} s, listing {listing:.2f} s "
                    f"({len(listed)} tasks, {listed_events} task.listed events)")
                if FIRST_RUNS == 1:
                    say(f"# the first sweep is timed once: each run appends {listed_events} task.listed events "
                        f"to the audit chain, which no reset can take back (BENCH_FIRST_RUNS=N for best of N)")
                if result.listed != len(listed):
                    raise SystemExit(f"FAIL: the sweep says it listed {result.listed} tasks, {len(listed)} were")
                if run == 1:
                    by_step = counts_by_step()
                    written = (result.urges, result.notices, result.deliveries)
                    execute("DROP TABLE IF EXISTS bench_ours")
                    execute(f"CREATE TEMP TABLE bench_ours AS SELECT {COMPARED} FROM escalation_urge")
                    # The planner's statistics, as autovacuum (or the worker's daily ANALYZE) would have them
                    # when the next sweep comes round.
                    if VENDOR == "postgresql":
                        execute("ANALYZE escalation_urge, escalation_notice, escalation_delivery, supervision_task")
                    else:
                        execute("PRAGMA analysis_limit=2000")
                        execute("ANALYZE")
                    for steady_run in range(1, RUNS + 1):
                        seconds, again = timed(lambda: es.escalation_sweep(moment=moment))
                        if (again.urges, again.notices, again.deliveries, again.listed) != (0, 0, 0, 0):
                            raise SystemExit(f"FAIL: a steady-state sweep wrote something: {again}")
                        steady.append(seconds)
                        seconds, left = timed(lambda: rows(steady_sql, steady_params))
                        if left:
                            raise SystemExit(f"FAIL: the limit finds {len(left)} causes ours did not urge: "
                                             f"{left[:5]}")
                        steady_limit.append(seconds)
                        say(f"# steady {steady_run}: ours {steady[-1]:.2f} s, limit {steady_limit[-1]:.2f} s")
                empty_outbox()
                unlist(listed)
                LISTED_FILE.unlink()

        for run in range(1, RUNS + 1):
            seconds, inserted = timed(lambda: execute(insert_sql, insert_params))
            first_limit.append(seconds)
            extra, missing = compare_with_ours()
            say(f"# limit {run}: {seconds:.2f} s, {inserted} urges; not in ours {extra}, ours not in it {missing}")
            if extra or missing or inserted != written[0]:
                raise SystemExit("FAIL: the limit's urges differ from ours")
            empty_outbox()
    finally:
        execute("UPDATE org_user SET email = '' WHERE email = username || %s", [EMAIL_DOMAIN])
        execute("DROP TABLE IF EXISTS bench_ours")

    total = 0
    for step, cause, n in by_step:
        total += n
        say(f"BENCH escalation_due_{cause}_{step}_{VENDOR} {n} rows")
    say(f"BENCH escalation_due_causes_{VENDOR} {total} rows")
    for name, n in zip(("urges", "notices", "deliveries"), written, strict=True):
        say(f"BENCH escalation_{name}_{VENDOR} {n} rows")
    say(f"BENCH escalation_listed_{VENDOR} {listed_events} tasks")
    best, limit = min(first), min(first_limit)
    say(f"BENCH escalation_sweep_first_{VENDOR} {best:.2f} s limit={limit:.2f} ratio={best / limit:.2f}")
    best, limit = min(steady), min(steady_limit)
    say(f"BENCH escalation_sweep_steady_{VENDOR} {best:.3f} s limit={limit:.3f} ratio={best / limit:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
