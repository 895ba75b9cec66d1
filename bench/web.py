"""Benchmark: the pages, each request's time inside Django next to the limit — the same SQL alone.

Run from the repository root:

    .venv/bin/python bench/web.py                        # the demo prefecture on SQLite: bench/out/prefecture.sqlite3
    .venv/bin/python bench/web.py province               # the province data set: bench/out/province.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/web.py [province]
                                     # PostgreSQL: database duban_bench_prefecture (or duban_bench) on that server

The data sets:

- prefecture: what `make run` shows (`duban migrate` + `duban demo`), in the bench's own database,
  built when it holds no units and kept for the next run;
- province: bench/sweep.py's (run first with BENCH_RUNS=0: it migrates and builds the province
  when its database holds no tasks).

Untimed, first: every light brought up to date (`lights_refresh()`, what the worker keeps true)
and the planner's statistics refreshed (`ANALYZE`; on SQLite as the worker's daily job does it).

The cast, found in the data: a supervisor and a leader of the first 州/市, the liaison of its
department with the most open work (one with a unit head, when any has one) and that unit head;
a task assigned to that department with the most assignments and reports (every one of the four
may see it) and its decision. Each page is asked for by each role it is meant for (`PAGES`).

Per page and person, through `django.test.Client` (signed in with `force_login`; the full
middleware stack, the view, the template): 2 warm-up requests, one request whose SQL is captured
(`CaptureQueriesContext`), then BENCH_REQUESTS (default 30) timed requests — p50 and p95. The
limit: the statements that request ran (transaction statements left out), executed again as
captured with a raw cursor, their rows fetched — the database's own time for the page's work;
p50 of as many runs. Any answer but 200 is a failure line and makes the exit status 1.

At the prefecture size the goal is every page under 200 ms (p95): the slowest page is printed
with PASS or FAIL.
"""

import math
import os
import statistics
import subprocess
import sys
import time

from _db import OUT, ROOT, SCALE, database_url, django_setup, on_postgres, province_url

SIZES = ("prefecture", "province")
SIZE = sys.argv[1] if len(sys.argv) > 1 else "prefecture"
if SIZE not in SIZES:
    raise SystemExit(f"usage: bench/web.py [{'|'.join(SIZES)}]")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
WARMUP = 2
GOAL_MS = 200  # every page under 200 ms at the prefecture size
WORD = "整改"  # the search word: in task titles of both data sets
TRANSACTION_STATEMENTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")

# The demo's logins file is written beside the media: keep it, and the static root, out of var/.
os.environ["DUBAN_MEDIA_ROOT"] = str(OUT / "media")
os.environ["DUBAN_STATIC_ROOT"] = str(OUT / "static")
(OUT / "static").mkdir(parents=True, exist_ok=True)
if SIZE == "province":
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "sweep.py")], env={**os.environ, "BENCH_RUNS": "0"},
                          cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit("FAIL: bench/sweep.py could not prepare the data set")
    django_setup(province_url())
else:
    django_setup(database_url("duban_bench_prefecture" if on_postgres() else "prefecture"))

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Case, Count, When  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from duban.org.models import Role, RoleGrant, Unit, UnitLevel, User  # noqa: E402
from duban.supervision.lights import lights_refresh  # noqa: E402
from duban.supervision.models import Assignment, Task  # noqa: E402

VENDOR = connection.vendor
OPEN_WORK = ("pending", "in_progress")
ACTIVE_TASK = ("assigned", "in_progress", "closing")


def say(line: str) -> None:
    print(line, flush=True)


# ---- the data set ----

def prepare() -> None:
    """Build the prefecture when missing; then lights current and statistics fresh (untimed)."""
    call_command("migrate", verbosity=0)
    if SIZE == "prefecture" and not Unit.objects.exists():
        started = time.perf_counter()
        call_command("demo", stdout=sys.stdout)
        say(f"BENCH prefecture_build_{VENDOR} {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with transaction.atomic():
        changed = lights_refresh()
    with connection.cursor() as cursor:
        if VENDOR == "sqlite":
            # What the worker's daily job does on a deployed SQLite (duban.core.worker.handle_one_analyze).
            cursor.execute("PRAGMA analysis_limit=2000")
        cursor.execute("ANALYZE")
    say(f"# lights brought up to date ({changed[0]} assignments and {changed[1]} tasks changed) and ANALYZE, "
        f"{time.perf_counter() - started:.1f} s")
    for name, model in (("units", Unit), ("people", User), ("tasks", Task), ("assignments", Assignment)):
        say(f"# {SIZE}: {model.objects.count()} {name}")


# ---- the cast ----

def _person(unit_id: int, role: str) -> User | None:
    """The active holder of `role` in the unit with the most notices (then the first); None if nobody."""
    grant = (RoleGrant.objects.filter(role=role, user__unit_id=unit_id, user__is_active=True)
             .annotate(notices=Count("user__notices")).select_related("user", "user__unit")
             .order_by("-notices", "user_id").first())
    return grant.user if grant else None


def find_cast() -> tuple[dict[str, User], Task, int]:
    """The four people, the task page's task and its decision's id."""
    prefectures = Unit.objects.filter(level=UnitLevel.PREFECTURE).order_by("id").values_list("id", flat=True)
    for prefecture in prefectures:
        supervisor, leader = _person(prefecture, Role.SUPERVISOR), _person(prefecture, Role.LEADER)
        if supervisor and leader:
            break
    else:
        raise SystemExit("FAIL: no 州/市 with both a supervisor and a leader")
    departments = Unit.objects.filter(parent_id=prefecture, level=UnitLevel.DEPARTMENT)
    liaisons = set(RoleGrant.objects.filter(role=Role.LIAISON, user__unit__in=departments, user__is_active=True)
                   .values_list("user__unit_id", flat=True))
    heads = set(RoleGrant.objects.filter(role=Role.UNIT_HEAD, user__unit__in=departments, user__is_active=True)
                .values_list("user__unit_id", flat=True))
    busy = (Assignment.objects.filter(unit__in=departments, state__in=OPEN_WORK).values("unit_id")
            .annotate(n=Count("id")).order_by("-n", "unit_id"))
    ranked = sorted((row for row in busy if row["unit_id"] in liaisons),
                    key=lambda row: (row["unit_id"] not in heads, -row["n"], row["unit_id"]))
    if not ranked:
        raise SystemExit("FAIL: no department of the 州/市 with a liaison and open work")
    unit_id = ranked[0]["unit_id"]
    cast = {"supervisor": supervisor, "leader": leader, "liaison": _person(unit_id, Role.LIAISON)}
    head = _person(unit_id, Role.UNIT_HEAD)
    if head is not None:
        cast["unit_head"] = head
    # A task still in hand (its page offers actions), with the most assignments, then reports.
    task = (Task.objects.filter(pk__in=Assignment.objects.filter(unit_id=unit_id).values("task_id"))
            .annotate(in_hand=Case(When(state__in=ACTIVE_TASK, then=1), default=0),
                      n_assignments=Count("assignments", distinct=True),
                      n_reports=Count("assignments__reports", distinct=True))
            .order_by("-in_hand", "-n_assignments", "-n_reports", "-id").first())
    if task is None:
        raise SystemExit("FAIL: the liaison's department has no task")
    return cast, task, task.decision_id


def pages_for(role: str, task: Task, decision_id: int) -> list[tuple[str, str]]:
    """(name, URL) of every page `role` is measured on: its home and workbench, then the shared pages."""
    own = {
        "supervisor": [("work", "/work/")],
        "leader": [("dashboard", "/dashboard/")],
        "liaison": [("unit", "/unit/")],
        "unit_head": [("unit", "/unit/")],
    }[role]
    return [("home", "/"), *own,
            ("tasks", "/tasks/"), ("tasks_red", "/tasks/?light=red"), ("tasks_q", f"/tasks/?q={WORD}"),
            ("assignments", "/assignments/"), ("task", f"/tasks/{task.pk}/"), ("inbox", "/inbox/"),
            ("decisions", "/decisions/"), ("decision", f"/decisions/{decision_id}/")]


# ---- measuring ----

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def limit_statements(captured: list[dict]) -> list[str]:
    """The captured statements as the database ran them, without the transaction's own."""
    return [q["sql"] for q in captured if not q["sql"].lstrip().upper().startswith(TRANSACTION_STATEMENTS)]


def run_limit(statements: list[str]) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
    return time.perf_counter() - started


class Failed(Exception):
    pass


def measure(client: Client, url: str) -> dict:
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            location = response.get("Location", "")
            raise Failed(f"answered {response.status_code}" + (f" (to {location})" if location else ""))
    # A full log (it keeps the last 9,000 statements) would capture nothing: start from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # Copied now: captured_queries reads the connection's log, which the next request clears.
    queries = list(captured.captured_queries)
    if response.status_code != 200:
        raise Failed(f"answered {response.status_code}")
    size = len(response.content)
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise Failed(f"answered {response.status_code} on a timed request")
    statements = limit_statements(queries)
    try:
        limit_times = [run_limit(statements) for _ in range(REQUESTS)]
    except Exception as error:  # a statement that cannot be run again as captured
        raise Failed(f"its SQL could not be run again: {type(error).__name__}: {error}") from None
    return {"p50": 1000 * statistics.median(times), "p95": 1000 * p95(times),
            "limit": 1000 * statistics.median(limit_times), "limit_p95": 1000 * p95(limit_times),
            "queries": len(queries),
            "statements": len(statements), "bytes": size}


def main() -> int:
    where = connection.settings_dict["NAME"]
    say(f"# web bench on {VENDOR}, {SIZE}{f' (scale {SCALE:g})' if SIZE == 'province' else ''}: {where}; "
        f"{REQUESTS} requests per page after {WARMUP} warm-up, load average {os.getloadavg()[0]:.2f}")
    prepare()
    cast, task, decision_id = find_cast()
    for role, user in cast.items():
        say(f"# {role}: {user.username} ({user.unit.name})")
    if "unit_head" not in cast:
        say("# unit_head: this data set has no unit head in that department; its pages are not measured")
    say(f"# task page: {task.code} ({task.n_assignments} assignments, {task.n_reports} reports, {task.state}); "
        f"decision {decision_id}; search word {WORD}")

    failures, slowest = [], None
    for role, user in cast.items():
        # An error in a view is a 500 and a failure line, not the end of the benchmark.
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for name, url in pages_for(role, task, decision_id):
            key = f"web_{name}_{role}"
            try:
                got = measure(client, url)
            except Failed as error:
                failures.append(key)
                say(f"FAIL {key}_{SIZE}_{VENDOR}: GET {url} {error}")
                continue
            say(f"# {key}: GET {url}, {got['bytes'] // 1024} KB, {got['queries']} queries "
                f"({got['statements']} run again for the limit)")
            say(f"BENCH {key}_p50_{SIZE}_{VENDOR} {got['p50']:.1f} ms limit={got['limit']:.1f} "
                f"ratio={got['p50'] / got['limit'] if got['limit'] else float('inf'):.2f}")
            say(f"BENCH {key}_p95_{SIZE}_{VENDOR} {got['p95']:.1f} ms limit={got['limit_p95']:.1f} "
                f"ratio={got['p95'] / got['limit_p95'] if got['limit_p95'] else float('inf'):.2f}")
            say(f"BENCH {key}_queries_{SIZE}_{VENDOR} {got['queries']} queries")
            if slowest is None or got["p95"] > slowest[1]:
                slowest = (key, got["p95"], got["limit_p95"])

    if slowest is not None:
        verdict = ""
        if SIZE == "prefecture":
            verdict = " PASS" if slowest[1] < GOAL_MS and not failures else " FAIL"
        # At the prefecture size the limit is the goal; at the province size, that page's SQL alone.
        limit = GOAL_MS if SIZE == "prefecture" else round(slowest[2], 1)
        say(f"BENCH web_slowest_p95_{SIZE}_{VENDOR} {slowest[1]:.1f} ms limit={limit} "
            f"ratio={slowest[1] / limit if limit else float('inf'):.2f}{verdict}")
        say(f"# slowest page (p95): {slowest[0]}")
    if failures:
        say(f"FAIL: {len(failures)} page(s) did not answer 200: {', '.join(failures)}")
    say(f"# load average {os.getloadavg()[0]:.2f} after")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
