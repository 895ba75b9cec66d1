"""Benchmark: the JSON API under load on the province data set, against the limit.

Run from the repository root (scripts/bench-api.sh runs both databases):

    .venv/bin/python bench/api.py                        # SQLite: bench/out/province.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/api.py
                                                         # PostgreSQL: database duban_bench on that server

The data set is bench/sweep.py's (it is run first with BENCH_RUNS=0, which
migrates and builds the database when it holds no tasks). Then:

1. the cast: the supervisor (督查员) of the first 州/市 and the liaison (联络员)
   of its busiest county, each with an API token from `token_create`, and a pool
   of distinct in-progress assignments, each with its unit's liaison;
2. the limit's SQL: every (user, filters) of the task-list mix goes once through
   the API in this process under CaptureQueriesContext; the task list's
   statement is kept (and checked to be the one the selector builds) for the
   hand-written view in bench/api_limit.py;
3. the real server, `duban serve` (gunicorn), on a free loopback port with
   DJANGO_SETTINGS_MODULE=bench.api_settings, which mounts the limit's views
   beside the product; the limit's answers are compared with the API's first;
4. for each figure, `locust --headless` with BENCH_API_USERS clients (default
   16) for BENCH_API_SECONDS (default 30) after a BENCH_API_WARMUP (default 5)
   against the API, then against the limit (bench/api_locustfile.py); the
   reports written are sent back to their liaison afterwards (untimed), so the
   pool serves the next run too.

Prints `BENCH api_<figure>_<p50|p95|rps>_<db> <value> <unit> limit=<v> ratio=<ours/limit>`.
Environment: BENCH_SCALE (as sweep.py), BENCH_API_USERS, BENCH_API_SECONDS,
BENCH_API_WARMUP, BENCH_API_WORKERS (gunicorn workers, default 4),
BENCH_API_POOL (assignments in the submission pool, default 50000).
"""

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
API_OUT = OUT / "api"
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
SUFFIX = "" if SCALE == 1.0 else "_" + f"{SCALE:g}".replace(".", "_")
USERS = int(os.environ.get("BENCH_API_USERS", "16"))
SECONDS = int(os.environ.get("BENCH_API_SECONDS", "30"))
WARMUP = int(os.environ.get("BENCH_API_WARMUP", "5"))
WORKERS = int(os.environ.get("BENCH_API_WORKERS", "4"))
POOL = int(os.environ.get("BENCH_API_POOL", "50000"))
PAGE = 50
TOKEN_NAME = "bench-api"
PREFECTURES = 1  # one supervisor and one liaison: the mix of filters comes round often enough in 30 s


def say(line: str) -> None:
    print(line, flush=True)


def _bench_database_url(url: str) -> str:
    """The database bench/sweep.py uses for `url` (the rule is sweep.py's; it creates it)."""
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{OUT / f'province{SUFFIX}.sqlite3'}"
    return urlunsplit(urlsplit(url)._replace(path=f"/duban_bench{SUFFIX}"))


def _prepare_data_set() -> None:
    """bench/sweep.py with no runs: migrates, builds the province when missing, prints its rows."""
    done = subprocess.run([sys.executable, str(HERE / "sweep.py")], env={**os.environ, "BENCH_RUNS": "0"},
                          cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit("FAIL: bench/sweep.py could not prepare the data set")


_prepare_data_set()
os.environ["DATABASE_URL"] = _bench_database_url(os.environ.get("DATABASE_URL", ""))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"
os.environ["DUBAN_STATIC_ROOT"] = str(OUT / "static")  # the server's collectstatic fills it; kept out of var/
(OUT / "static").mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from duban.api.models import ApiToken  # noqa: E402
from duban.api.services import token_create, token_revoke  # noqa: E402
from duban.audit.chain import link_hash  # noqa: E402
from duban.audit.models import ChainHead, Event  # noqa: E402
from duban.core import clock  # noqa: E402
from duban.org.models import RoleGrant, Unit, User  # noqa: E402
from duban.supervision.lights import lights_refresh  # noqa: E402
from duban.supervision.models import Assignment, Decision, Report, Task, TaskState  # noqa: E402
from duban.supervision.selectors import task_list_for  # noqa: E402
from duban.supervision.states import state_label  # noqa: E402

VENDOR = connection.vendor
TASK_OUT_FIELDS = ["id", "code", "title", "decision_id", "decision_title", "parent_id", "owner_unit_id",
                   "owner_unit_name", "responsible_leader_id", "category", "urgency", "deadline", "cadence", "is_key",
                   "state", "light", "round", "version", "created_at", "assigned_at", "closed_at"]


# ---- the cast ----

def _person(unit_id: int, role: str) -> User:
    grant = (RoleGrant.objects.select_related("user", "user__unit")
             .filter(role=role, user__unit_id=unit_id, user__is_active=True).order_by("user_id").first())
    if grant is None:
        raise SystemExit(f"FAIL: no active {role} in unit {unit_id}")
    return grant.user


_tokens: dict[int, str] = {}


def _token(user: User) -> str:
    """One fresh one-day token per person and run; earlier runs' are revoked first (a person's are capped)."""
    if user.pk not in _tokens:
        for old in ApiToken.objects.filter(user=user, name=TOKEN_NAME, revoked_at=None, expires_at__gt=clock.now()):
            token_revoke(actor=user, token=old)
        _tokens[user.pk] = token_create(actor=user, name=TOKEN_NAME, days=1, address="127.0.0.1")[1]
    return _tokens[user.pk]


def _filter_mix(unit_id: int) -> list[tuple[str, dict]]:
    """What a list page is asked for most: a state, a light, a unit, deadlines due soon, a word."""
    today = clock.today()
    return [
        ("all", {}),
        ("in_progress", {"state": "in_progress"}),
        ("red", {"light": "red"}),
        ("in_progress_yellow", {"state": "in_progress", "light": "yellow"}),
        ("unit", {"unit": unit_id}),
        ("unit_red", {"unit": unit_id, "light": "red"}),
        ("due_30_days", {"deadline_from": today.isoformat(),
                         "deadline_to": (today + dt.timedelta(days=30)).isoformat()}),
        ("q", {"q": "整改"}),
    ]


def list_cast() -> dict[str, list[tuple[User, int]]]:
    """The first PREFECTURES 州/市's supervisors; for each, its busiest county, whose liaison is the other viewer."""
    prefectures = list(Unit.objects.filter(level="prefecture").order_by("id").values_list("id", flat=True))
    cast = {"supervisor": [], "liaison": []}
    for pref in prefectures[:PREFECTURES]:
        counties = Unit.objects.filter(level="county", parent_id=pref).values_list("id", flat=True)
        busiest = (Assignment.objects.filter(unit_id__in=list(counties)).values("unit_id")
                   .annotate(n=Count("id")).order_by("-n", "unit_id").first())
        if busiest is None:
            continue
        county = busiest["unit_id"]
        cast["supervisor"].append((_person(pref, "supervisor"), county))
        cast["liaison"].append((_person(county, "liaison"), county))
    return cast


def submission_pool() -> tuple[list[list], list[list]]:
    """Distinct in-progress assignments nobody has a report awaiting the unit head on, spread over the
    units that have the most of them, interleaved so that consecutive requests hit different units."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT a.id, a.unit_id FROM "{Assignment._meta.db_table}" a WHERE a.state = %s '
            f'AND NOT EXISTS (SELECT 1 FROM "{Report._meta.db_table}" r WHERE r.assignment_id = a.id '
            f'AND r.state = %s) ORDER BY a.id', ["in_progress", "unit_review"])
        by_unit: dict[int, list[int]] = {}
        for assignment_id, unit_id in cursor.fetchall():
            by_unit.setdefault(unit_id, []).append(assignment_id)
    units, total = [], 0
    for unit_id, ids in sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if total >= POOL:
            break
        units.append(unit_id)
        total += len(ids)
    liaisons, pool = [], []
    queues = []
    for unit_id in units:
        person = _person(unit_id, "liaison")
        liaisons.append([_token(person), person.pk])
        queues.append((len(liaisons) - 1, by_unit[unit_id]))
    depth = max((len(ids) for _, ids in queues), default=0)
    for i in range(depth):
        pool.extend([ids[i], who] for who, ids in queues if i < len(ids))
    return pool[:POOL], liaisons


# ---- the limit's SQL, captured from the API ----

def _columns(qs) -> tuple[list[list], int]:
    """Where each TaskOut field sits in the row of the task list's statement."""
    compiler = qs.query.get_compiler(using=connection.alias)
    compiler.as_sql()
    found: dict[str, int] = {}
    for i, (expr, _sql, _alias) in enumerate(compiler.select):
        target = getattr(expr, "target", None)
        if target is None:
            continue
        model = target.model
        if model is Task and expr.alias == Task._meta.db_table:
            found.setdefault(target.attname, i)
        elif model is Decision and target.attname == "title":
            found.setdefault("decision_title", i)
        elif model is Unit and target.attname == "name":
            found.setdefault("owner_unit_name", i)
    missing = [name for name in TASK_OUT_FIELDS if name not in found]
    if missing:
        raise SystemExit(f"FAIL: the task list's statement has no column for {missing}")
    return [[name, found[name]] for name in TASK_OUT_FIELDS], found["state"]


def _statement_of(qs) -> str:
    """The SQL text the database gets for `qs`, as CaptureQueriesContext records it, without running it:
    the statement behind an EXPLAIN (which only plans it) is recorded with its parameters in place."""
    sql, params = qs.query.sql_with_params()
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        cursor.fetchall()
    return captured.captured_queries[-1]["sql"].removeprefix("EXPLAIN ")


def capture_lists(cast: dict, tokens: dict[int, str]) -> tuple[dict, dict, dict, dict]:
    """Every list request of the mix once through the API, here: its statements, its answer, and the task
    list's SQL, which must be the one the selector builds (so that the columns can be told apart)."""
    lists, requests, queries, answers = {}, {}, {}, {}
    for role, people in cast.items():
        requests[f"task_list_{role}"] = {"requests": []}
        for n, (user, unit_id) in enumerate(people):
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}")
            labels = {state: state_label("task", state, user) for state in TaskState.values}
            for name, filters in _filter_mix(unit_id):
                query = urlencode({**filters, "limit": PAGE})
                with CaptureQueriesContext(connection) as api:
                    response = client.get(f"/api/v1/tasks?{query}")
                if response.status_code != 200:
                    raise SystemExit(f"FAIL: GET /api/v1/tasks?{query} as {user.username}: "
                                     f"{response.status_code} {response.content[:300]!r}")
                statements = [q["sql"] for q in api.captured_queries]
                listed = [sql for sql in statements
                          if f'FROM "{Task._meta.db_table}"' in sql and "LIMIT" in sql.upper()]
                if len(listed) != 1:
                    raise SystemExit(f"FAIL: expected one task list statement, the API ran: {statements}")
                qs = task_list_for(user=user, filters=filters).order_by("-pk")[: PAGE + 1]
                if _statement_of(qs) != listed[0]:
                    raise SystemExit(f"FAIL: the API's task list statement is not the selector's:\n{listed[0]}\n"
                                     f"{_statement_of(qs)}")
                columns, state_at = _columns(qs)
                key = f"{role}{n}.{name}"
                lists[key] = {"sql": listed[0], "limit": PAGE, "columns": columns, "state_at": state_at,
                              "labels": labels}
                requests[f"task_list_{role}"]["requests"].append([tokens[user.pk], query, key])
                queries[key] = [(q["sql"], float(q["time"])) for q in api.captured_queries]
                answers[key] = json.loads(response.content)
    return lists, requests, queries, answers


# ---- the server ----

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    """`duban serve` (gunicorn) in its own process group, stopped by that group's id."""

    def __init__(self, limit_file: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = API_OUT / f"serve_{VENDOR}.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.api_settings", "PYTHONPATH": str(ROOT),
               "BENCH_API_LIMIT_FILE": str(limit_file), "DUBAN_LOG_LEVEL": "WARNING"}
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "duban.cli", "serve", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(WORKERS)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"FAIL: duban serve exited ({self.process.returncode}); see {self.log_path}")
            try:
                if _get(f"{self.base}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"FAIL: duban serve did not answer within 120 s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# ---- checks before the load: the limit answers what the API answers ----

def _normal(value):
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
        except ValueError:
            return value
    return value


def check_lists(server: Server, plan: dict, answers: dict) -> None:
    """The limit's page, through the server, is the page the API gave, field for field."""
    for scenario in ("task_list_supervisor", "task_list_liaison"):
        for _, query, key in plan[scenario]["requests"]:
            status, limit = _get(f"{server.base}/bench/limit/tasks?key={key}&{query}")
            if status != 200:
                raise SystemExit(f"FAIL: {key}: the limit answered {status}")
            ours, limit = answers[key], json.loads(limit)
            same = (ours["next_cursor"] == limit["next_cursor"] and len(ours["items"]) == len(limit["items"])
                    and all({k: _normal(v) for k, v in a.items()} == {k: _normal(v) for k, v in b.items()}
                            for a, b in zip(ours["items"], limit["items"], strict=True)))
            if not same:
                raise SystemExit(f"FAIL: {key}: the limit's page differs from the API's\n"
                                 f"ours:  {json.dumps(ours)[:600]}\nlimit: {json.dumps(limit)[:600]}")


def check_submission(plan: dict, checks: list[list]) -> dict[str, int]:
    """One report through each, in this process: the same fields and values but for ids and times.
    Returns how many statements each ran."""
    form = plan["report_submit"]
    counts = {}
    answers = {}
    liaisons = form["liaisons"]
    for target, (assignment_id, who) in zip(("ours", "limit"), checks, strict=True):
        token, user_id = liaisons[who]
        if target == "ours":
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            url = f"/api/v1/assignments/{assignment_id}/reports"
        else:
            client = Client(HTTP_X_BENCH_USER=str(user_id))
            url = f"/bench/limit/assignments/{assignment_id}/reports"
        with CaptureQueriesContext(connection) as statements:
            response = client.post(url, data=form["body"].encode(), content_type=form["content_type"])
        if response.status_code != 201:
            raise SystemExit(f"FAIL: POST {url} ({target}): {response.status_code} {response.content[:300]!r}")
        counts[target] = len(statements.captured_queries)
        answers[target] = json.loads(response.content)
    varying = {"id", "assignment_id", "task_id", "unit_id", "author_id", "submitted_at"}
    ours, limit = ({k: v for k, v in a.items() if k not in varying} for a in (answers["ours"], answers["limit"]))
    if ours != limit or set(answers["ours"]) != set(answers["limit"]):
        raise SystemExit(f"FAIL: the limit's report differs from the API's\nours:  {answers['ours']}\n"
                         f"limit: {answers['limit']}")
    return counts


def send_back(after_report_id: int) -> int:
    """Untimed: the bench's reports awaiting the unit head go back to their liaison (单位退回), which frees
    their assignments for the next submission, as a unit head would."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{Report._meta.db_table}" SET state = %s, review_comment = %s '
                       f'WHERE id > %s AND state = %s',
                       ["unit_returned", "压力测试：退回联络员", after_report_id, "unit_review"])
        changed = cursor.rowcount
    connection.close()  # SQLite: nothing of ours stays open while the server writes
    return changed


def last_report_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT MAX(id) FROM "{Report._meta.db_table}"')
        return cursor.fetchone()[0] or 0


def chain_mark() -> tuple[int, str]:
    head = ChainHead.objects.get(pk=1)
    return head.seq, head.hash


def verify_chain_since(mark: tuple[int, str]) -> int:
    """Every Event appended since `mark`, by the API and by the limit, links to the one before."""
    seq, prev = mark
    checked = 0
    for event in Event.objects.filter(seq__gt=seq).order_by("seq").iterator(chunk_size=5000):
        if event.seq != seq + 1 or event.prev_hash != prev or link_hash(event) != event.hash:
            raise SystemExit(f"FAIL: the audit chain breaks at seq {event.seq}")
        seq, prev, checked = event.seq, event.hash, checked + 1
    if chain_mark() != (seq, prev):
        raise SystemExit("FAIL: the audit chain head does not match its last event")
    return checked


# ---- the load ----

def run_load(server: Server, plan_path: Path, scenario: str, target: str) -> dict:
    name = f"{scenario}_{target}_{VENDOR}"
    result = API_OUT / f"{name}.json"
    result.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_API_PLAN": str(plan_path), "BENCH_API_SCENARIO": scenario,
           "BENCH_API_TARGET": target, "BENCH_API_RESULT": str(result), "BENCH_API_WARMUP": str(WARMUP),
           "BENCH_API_SECONDS": str(SECONDS)}
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(HERE / "api_locustfile.py"), "--headless",
               "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS + WARMUP + 60}s", "--stop-timeout", "600",
               "--host", server.base, "--csv", str(API_OUT / name), "--only-summary", "--loglevel", "WARNING"]
    with open(API_OUT / f"{name}.log", "w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
                       timeout=SECONDS + WARMUP + 900)
    if not result.exists():
        raise SystemExit(f"FAIL: locust wrote no result for {name}; see {API_OUT / (name + '.log')}")
    figures = json.loads(result.read_text())
    if figures.get("pool_exhausted"):
        raise SystemExit(f"FAIL: {name} used up the pool of {POOL} assignments; raise BENCH_API_POOL")
    if "p50" not in figures:
        raise SystemExit(f"FAIL: {name}: no requests measured ({figures})")
    return figures


def report(figure: str, ours: dict, limit: dict) -> None:
    for measure, unit in (("p50", "ms"), ("p95", "ms"), ("rps", "req/s")):
        a, b = ours[measure], limit[measure]
        say(f"BENCH api_{figure}_{measure}_{VENDOR} {a:.1f} {unit} limit={b:.1f} ratio={a / b:.2f}")
    for target, f in (("ours", ours), ("limit", limit)):
        failed = f"{f['failures']} failed: {f['unexpected']}" if f["failures"] else "none failed"
        say(f"#   {target}: {f['requests']} requests started in {f['seconds']:.0f} s, mean {f['mean']:.1f} ms, "
            f"max {f['max']:.0f} ms; {failed}")
    kinds = sorted(set(ours["p50_by_kind"]) | set(limit["p50_by_kind"]))
    if len(kinds) > 1:
        def cell(f: dict, kind: str) -> str:
            p50, n = f["p50_by_kind"].get(kind, [float("nan"), 0])
            return f"{p50:.0f} ms ×{n}"
        say("#   p50 by filters, ours / limit: " + "; ".join(
            f"{kind.split('.', 1)[1]} {cell(ours, kind)} / {cell(limit, kind)}" for kind in kinds))


def refresh_lights() -> None:
    """What the worker keeps true: every active light current (untimed), so that no request has to fix one."""
    started = time.perf_counter()
    with transaction.atomic():
        changed = lights_refresh()
    if VENDOR == "postgresql" and any(changed):
        # The planner's statistics, as autovacuum gathers them after a sweep that changed many rows
        # (after a fresh build every light moved from 'none', and a plan on the old counts is no plan).
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{Task._meta.db_table}", "{Assignment._meta.db_table}"')
    if VENDOR == "sqlite":
        # What the worker's daily job does on a deployed SQLite (duban.core.worker.handle_one_analyze).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=2000")
            cursor.execute("ANALYZE")
    connection.close()
    say(f"# lights brought up to date first (the sweep): {changed[0]} assignments and {changed[1]} tasks "
        f"changed, {time.perf_counter() - started:.1f} s")


def _multipart(boundary: str, fields: dict[str, str]) -> str:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields.items()]
    return "".join(parts) + f"--{boundary}--\r\n"


def main() -> int:
    API_OUT.mkdir(parents=True, exist_ok=True)
    say(f"# API bench on {VENDOR}: {connection.settings_dict['NAME']} (scale {SCALE:g}); {USERS} clients, "
        f"{SECONDS} s after {WARMUP} s of warm-up per figure; duban serve with {WORKERS} workers")
    say(f"# machine: {os.cpu_count()} CPUs shared by the server, the database and the clients; "
        f"load average {os.getloadavg()[0]:.2f} before")
    refresh_lights()

    cast = list_cast()
    people = {user.pk: user for role in cast.values() for user, _ in role}
    tokens = {pk: _token(user) for pk, user in people.items()}
    lists, plan, statements, answers = capture_lists(cast, tokens)
    per_request = sorted({len(s) for s in statements.values()})
    say(f"# task list through the API: {per_request[0]}–{per_request[-1]} statements a request, one of them the "
        f"list; the limit runs that one ({len(lists)} (user, filters) pairs)")
    for key, ran in statements.items():
        say(f"#   {key}: {len(answers[key]['items'])} rows, the list statement took "
            f"{1000 * max(t for _, t in ran):.0f} ms alone (all {len(ran)}: {1000 * sum(t for _, t in ran):.0f} ms)")

    pool, liaisons = submission_pool()
    checks = [pool.pop(), pool.pop()]
    boundary = "----duban-bench-7d1f0b2c"
    text = "本周已完成项目现场核查，问题清单已整改12项，剩余事项正在协调推进，下周继续报送进展。"
    plan["report_submit"] = {"pool": pool, "liaisons": liaisons,
                             "body": _multipart(boundary, {"text": text, "progress": "60"}),
                             "content_type": f"multipart/form-data; boundary={boundary}"}
    say(f"# submission pool: {len(pool)} in-progress assignments of {len(liaisons)} units, each its "
        f"unit's liaison's")
    liaison = User.objects.get(pk=liaisons[0][1])
    limit_file, plan_path = API_OUT / f"limit_{VENDOR}.json", API_OUT / f"plan_{VENDOR}.json"
    limit_file.write_text(json.dumps({"lists": lists, "report_unit_review_label":
                                      state_label("report", "unit_review", liaison)}, ensure_ascii=False))
    plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    os.environ["BENCH_API_LIMIT_FILE"] = str(limit_file)

    mark, first_report = chain_mark(), last_report_id()
    counts = check_submission(plan, checks)
    say(f"# report submission: the API ran {counts['ours']} statements, the limit {counts['limit']}; "
        f"same answer but for ids and times")
    send_back(first_report)

    server = Server(limit_file)
    try:
        check_lists(server, plan, answers)
        say("# the limit's pages are the API's, field for field, for every (user, filters) pair")
        for scenario, figure in (("task_list_supervisor", "task_list_supervisor"),
                                 ("task_list_liaison", "task_list_liaison"),
                                 ("report_submit", "report_submit")):
            results = {}
            for target in ("ours", "limit"):
                before = last_report_id()
                results[target] = run_load(server, plan_path, scenario, target)
                if scenario == "report_submit":
                    send_back(before)
            report(figure, results["ours"], results["limit"])
    finally:
        server.stop()
        for token in ApiToken.objects.filter(name=TOKEN_NAME, revoked_at=None).select_related("user"):
            token_revoke(actor=token.user, token=token)
    say(f"# audit chain: the {verify_chain_since(mark)} events written during the run link up; "
        f"load average {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
