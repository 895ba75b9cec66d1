"""Benchmark: the lights sweep (`duban sweep`) on the province data set, against the limit.

Run from the repository root:

    .venv/bin/python bench/sweep.py                      # SQLite: bench/out/province.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/sweep.py
                                                         # PostgreSQL: database duban_bench on that server

The database is kept between runs and built (migrate + build_province) when it
holds no tasks. Each run first resets every active light to 'none' (untimed),
then times, in a transaction and including the commit:

- ours: `duban.supervision.lights.lights_refresh()`, what `duban sweep` runs;
- the limit: hand-written SQL computing and storing the same lights — ONE
  statement on PostgreSQL (a data-modifying CTE); on SQLite, which cannot
  update two tables in one statement, the two minimal statements (assignments,
  then tasks), each an UPDATE … FROM a single pass over the table.

After every run the lights are compared (counts per (state, light) and a
checksum, for assignments and tasks); any difference fails the benchmark.
Prints `BENCH …` lines; best of BENCH_RUNS (default 3).

Environment: BENCH_SCALE (default 1.0 = 1,000,000 tasks; other scales use
their own database), BENCH_RUNS, BENCH_SEED (default 2026).
"""

import os
import sys
import time

from _db import SCALE, django_setup, province_url

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SEED = int(os.environ.get("BENCH_SEED", "2026"))

django_setup(province_url())

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from duban.supervision.lights import LightParams, light_params, lights_refresh  # noqa: E402

ACTIVE_ASSIGNMENT = "('pending', 'in_progress', 'review', 'returned')"
ACTIVE_TASK = "('assigned', 'in_progress', 'closing')"

# ---- the limit, written by hand ----
# The rules of duban.supervision.lights, in the same order. Parameters: passed, soon (dates),
# returns_red, behind_red, behind_yellow, today_number (ints) — the values light_params() computed.
# (progress + points)·(D − A) < 100·(T − A) in days since 2000-01-01, exactly as DayNumber does.

_ASSIGNMENT_CASE = """
    CASE
      WHEN a.state = 'returned' THEN 'yellow'
      WHEN a.deadline <= %(passed)s AND (a.state <> 'review' OR a.submitted_on > a.deadline) THEN 'red'
      WHEN a.return_count >= %(returns_red)s THEN 'red'
      WHEN a.state = 'in_progress' AND a.deadline > a.assigned_on
           AND (a.progress + %(behind_red)s) * ({dn_deadline} - {dn_assigned})
               < (%(today_number)s - {dn_assigned}) * 100 THEN 'red'
      WHEN a.deadline <= %(soon)s AND a.state <> 'review' THEN 'yellow'
      WHEN a.state = 'pending' AND a.sign_due <= %(passed)s THEN 'yellow'
      WHEN a.state = 'in_progress' AND a.next_report_due <= %(passed)s THEN 'yellow'
      WHEN a.state <> 'review' AND m.task_id IS NOT NULL THEN 'yellow'
      WHEN a.state = 'in_progress' AND a.deadline > a.assigned_on
           AND (a.progress + %(behind_yellow)s) * ({dn_deadline} - {dn_assigned})
               < (%(today_number)s - {dn_assigned}) * 100 THEN 'yellow'
      ELSE 'green'
    END"""

_OVERDUE_MILESTONE_TASKS = """
    SELECT DISTINCT task_id FROM supervision_milestone WHERE done_at IS NULL AND due <= %(passed)s"""

_RANK = "CASE {col} WHEN 'red' THEN 3 WHEN 'yellow' THEN 2 ELSE 1 END"
_TASK_LIGHT = "CASE MAX({rank}) WHEN 3 THEN 'red' WHEN 2 THEN 'yellow' ELSE 'green' END"

LIMIT_POSTGRESQL = f"""
WITH fresh AS (
  SELECT a.id, a.task_id, {_ASSIGNMENT_CASE.format(dn_deadline="(a.deadline - DATE '2000-01-01')",
                                                   dn_assigned="(a.assigned_on - DATE '2000-01-01')")} AS light
  FROM supervision_assignment a
  LEFT JOIN ({_OVERDUE_MILESTONE_TASKS}) m ON m.task_id = a.task_id
  WHERE a.state IN {ACTIVE_ASSIGNMENT}
),
assignments AS (
  UPDATE supervision_assignment a SET light = f.light
  FROM fresh f
  WHERE a.id = f.id AND a.light <> f.light
),
live AS (
  SELECT task_id, light FROM fresh
  UNION ALL
  SELECT task_id, light FROM supervision_assignment WHERE state = 'done'
)
UPDATE supervision_task t SET light = w.light
FROM (
  SELECT t2.id, {_TASK_LIGHT.format(rank=_RANK.format(col="l.light"))} AS light
  FROM supervision_task t2 LEFT JOIN live l ON l.task_id = t2.id
  WHERE t2.state IN {ACTIVE_TASK}
  GROUP BY t2.id
) w
WHERE t.id = w.id AND t.light <> w.light
"""

_SQLITE_DN = "CAST(julianday({col}) - 2451544.5 AS INTEGER)"
LIMIT_SQLITE = [
    f"""
UPDATE supervision_assignment AS t SET light = f.light
FROM (
  SELECT a.id, {_ASSIGNMENT_CASE.format(dn_deadline=_SQLITE_DN.format(col="a.deadline"),
                                         dn_assigned=_SQLITE_DN.format(col="a.assigned_on"))} AS light
  FROM supervision_assignment a
  LEFT JOIN ({_OVERDUE_MILESTONE_TASKS}) m ON m.task_id = a.task_id
  WHERE a.state IN {ACTIVE_ASSIGNMENT}
) f
WHERE t.id = f.id AND t.light <> f.light
""",
    f"""
UPDATE supervision_task AS t SET light = w.light
FROM (
  SELECT t2.id, {_TASK_LIGHT.format(rank=_RANK.format(col="a.light"))} AS light
  FROM supervision_task t2
  LEFT JOIN supervision_assignment a
    ON a.task_id = t2.id AND a.state IN ('pending', 'in_progress', 'review', 'done', 'returned')
  WHERE t2.state IN {ACTIVE_TASK}
  GROUP BY t2.id
) w
WHERE t.id = w.id AND t.light <> w.light
""",
]


def limit_params(p: LightParams) -> dict:
    return {"passed": p.passed, "soon": p.soon, "returns_red": p.returns_red, "behind_red": p.behind_red,
            "behind_yellow": p.behind_yellow, "today_number": p.today_number}


def limit_refresh(p: LightParams) -> None:
    params = limit_params(p)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(LIMIT_POSTGRESQL, params)
        else:
            for sql in LIMIT_SQLITE:
                cursor.execute(sql, params)


# ---- the harness ----

def say(line: str) -> None:
    print(line, flush=True)


def reset() -> None:
    """Every active light back to 'none', untimed; then a clean table to start from."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE supervision_assignment SET light = 'none' "
                       f"WHERE state IN {ACTIVE_ASSIGNMENT} AND light <> 'none'")
        cursor.execute(f"UPDATE supervision_task SET light = 'none' WHERE state IN {ACTIVE_TASK} AND light <> 'none'")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE supervision_assignment, supervision_task")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


_CODE = ("CASE light WHEN 'green' THEN 1 WHEN 'yellow' THEN 2 WHEN 'red' THEN 3 WHEN 'done_on_time' THEN 4 "
         "WHEN 'done_late' THEN 5 ELSE 0 END")


def snapshot() -> dict:
    out = {}
    with connection.cursor() as cursor:
        for table in ("supervision_assignment", "supervision_task"):
            cursor.execute(f"SELECT state, light, COUNT(*) FROM {table} GROUP BY state, light ORDER BY state, light")
            out[table] = [tuple(r) for r in cursor.fetchall()]
            cursor.execute(f"SELECT SUM((id % 1000003) * ({_CODE})), SUM((id % 7919) * ({_CODE}) * ({_CODE})) "
                           f"FROM {table}")
            out[table + ".checksum"] = tuple(int(v or 0) for v in cursor.fetchone())
    return out


def timed(fn) -> float:
    started = time.perf_counter()
    with transaction.atomic():
        fn()
    return time.perf_counter() - started


def counts() -> dict:
    with connection.cursor() as cursor:
        result = {}
        for name, table in (("units", "org_unit"), ("people", "org_user"), ("decisions", "supervision_decision"),
                            ("tasks", "supervision_task"), ("assignments", "supervision_assignment"),
                            ("reports", "supervision_report"), ("milestones", "supervision_milestone")):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            result[name] = cursor.fetchone()[0]
    return result


def main() -> int:
    vendor = connection.vendor
    say(f"# sweep bench on {vendor}: {connection.settings_dict['NAME']} (scale {SCALE:g}, best of {RUNS})")
    call_command("migrate", verbosity=0)
    if counts()["tasks"] == 0:
        from duban.demo.province import build_province

        started = time.perf_counter()
        build_province(seed=SEED, password="Duban-Bench-2026", out=sys.stdout, scale=SCALE)
        say(f"BENCH province_build_{vendor} {time.perf_counter() - started:.2f} s")
    for name, value in counts().items():
        say(f"BENCH province_{name} {value} rows")

    if RUNS < 1:
        return 0
    p = light_params()
    say(f"# light params: {p}")
    if vendor == "sqlite":
        say("# limit on SQLite: 2 hand-written statements (UPDATE … FROM for assignments, then for tasks); "
            "SQLite cannot update two tables in one statement")
    else:
        say("# limit on PostgreSQL: 1 hand-written statement (data-modifying CTE updating assignments, then tasks)")
    ours_times, limit_times, steady_times, steady_limit_times = [], [], [], []
    for run in range(1, RUNS + 1):
        reset()
        ours_times.append(timed(lambda: lights_refresh(params=p)))
        ours = snapshot()
        none_left = [row for row in ours["supervision_assignment"]
                     if row[0] in ("pending", "in_progress", "review", "returned") and row[1] == "none"]
        if none_left:
            raise SystemExit(f"FAIL: lights_refresh left active assignments without a light: {none_left}")
        reset()
        limit_times.append(timed(lambda: limit_refresh(p)))
        limit = snapshot()
        if limit != ours:
            for key in ours:
                if ours[key] != limit[key]:
                    say(f"# {key}\n#   ours:  {ours[key]}\n#   limit: {limit[key]}")
            raise SystemExit("FAIL: the limit SQL and lights_refresh() produced different lights")
        # Steady state, what the worker meets every few minutes: every light already current.
        steady_limit_times.append(timed(lambda: limit_refresh(p)))
        steady_times.append(timed(lambda: lights_refresh(params=p)))
        if snapshot() != ours:
            raise SystemExit("FAIL: a steady-state sweep changed lights")
        say(f"# run {run}: ours {ours_times[-1]:.2f} s, limit {limit_times[-1]:.2f} s, lights identical; "
            f"steady state: ours {steady_times[-1]:.2f} s, limit {steady_limit_times[-1]:.2f} s")
    for table in ("supervision_assignment", "supervision_task"):
        say(f"# {table} lights: " + ", ".join(f"{s}/{light}={n}" for s, light, n in ours[table]))
    best, best_limit = min(ours_times), min(limit_times)
    say(f"BENCH sweep_{vendor} {best:.2f} s limit={best_limit:.2f} ratio={best / best_limit:.2f}")
    best, best_limit = min(steady_times), min(steady_limit_times)
    say(f"BENCH sweep_steady_{vendor} {best:.2f} s limit={best_limit:.2f} ratio={best / best_limit:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
