"""Benchmark: documents at the province size — bulletins, the 台账 export and import — beside the SQL alone.

Run from the repository root:

    .venv/bin/python bench/docs.py                       # SQLite: bench/out/province.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/docs.py
                                                         # PostgreSQL: database duban_bench on that server
    .venv/bin/python bench/docs.py ledger_export_100k    # one measure (or several), by name

The data set is the sweep's province (bench/sweep.py is run first with BENCH_RUNS=0: it migrates and builds
it when its database holds no tasks); every light is brought up to date first (untimed), as a running
worker keeps them. The clock is frozen at 10:00 of the day the data set was built (the `today` of its
`demo.bulk_load` Event), so the figures do not drift with the day the benchmark runs.

Each measure runs in a process of its own (Django set up, the people found, the workbook made, untimed):

1. timed (`perf_counter`), its statements captured (the debug cursor) or counted; the process's peak
   resident set reset just before (`/proc/self/clear_refs`), so that `…_rss` is how far the resident set
   grew during the work (Python, the database's page cache on SQLite, the libraries' buffers);
2. the limit (below), after the first pass: on caches it has warmed;
3. the same work again under `tracemalloc`: the peak of Python's own allocations (`…_peak_mem`);
   `BENCH_TRACE=0` leaves this pass out (the import's takes as long as its timed pass, or longer).

The measures (`<db>`: sqlite or postgresql):

- `bulletin_prefecture_<db>`, `bulletin_province_<db>`: `bulletin_figures()` and `bulletin_docx()` of last
  month (relative to the frozen day), over the first 州/市 read as its 督查员, and over the province read as
  the province's. The limit: the statements `bulletin_figures()` ran, executed again as captured on a raw
  cursor, every row fetched. `bulletin_pdf_<db>`: LibreOffice converting the prefecture's .docx, once.
- `ledger_export_100k_<db>`: `tasks_xlsx()` (what `/tasks/export.xlsx` and `duban ledger export` run) of the
  newest 100,000 tasks the province's 督查员 sees, written to a file. The limit: every statement it ran (the
  task SELECT and, per chunk of 2,000, its assignments, plans and lead units' work), executed again as
  captured on a raw cursor, every row fetched.
- `ledger_preview_10k_<db>`, `ledger_import_10k_<db>`: a 10,000-row 台账 in an office's shape (a title row,
  任务来源 and 文号 merged down the rows of each of 500 documents, real unit and leader names of the 州/市, one
  in seven of the units written as a part of its name, deadlines as dates and as phrases) read by
  `ledger_preview()` (nothing written), then imported and assigned (交办) by `ledger_import(assign=True)` as
  the 州/市's 督查员 — inside a transaction rolled back afterwards, so the data set does not change. Limits: for the preview, openpyxl loading the same workbook
  and reading its cells; for the import, the rows the import leaves behind in the four tables of the work
  itself — decisions, tasks, task plans and assignments — written by `executemany` of plain INSERTs in one
  transaction (rolled back too). The limit writes no Events, no notices and no lights, reads nothing and
  checks nothing.

Prints `BENCH …` lines and `# …` notes.
"""

import datetime as dt
import io
import os
import random
import re
import subprocess
import sys
import time
import tracemalloc
import zipfile

from _db import OUT, ROOT, province_url

MEASURES = ("bulletin_prefecture", "bulletin_province", "ledger_export_100k", "ledger_import_10k")
SEED = int(os.environ.get("BENCH_SEED", "2026"))
EXPORT_ROWS = 100_000
IMPORT_ROWS = 10_000
TASKS_PER_DOCUMENT = 20
TRANSACTION_STATEMENTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")
MIB = 1024 * 1024
TRACE = os.environ.get("BENCH_TRACE", "1") != "0"


def say(line: str) -> None:
    print(line, flush=True)


# ---- the parent: the data set, then each measure in a process of its own ----

def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in MEASURES]
    if unknown:
        raise SystemExit(f"usage: bench/docs.py [{' '.join(MEASURES)}]")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "sweep.py")], env={**os.environ, "BENCH_RUNS": "0"},
                          cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit("FAIL: bench/sweep.py could not prepare the data set")
    _setup()
    prepare()
    status = 0
    for name in names or MEASURES:
        child = subprocess.run([sys.executable, __file__, "--measure", name], cwd=ROOT, check=False)
        if child.returncode != 0:
            say(f"FAIL {name}: exit status {child.returncode}")
            status = 1
    return status


def _setup() -> None:
    from _db import django_setup

    django_setup(province_url())


def prepare() -> None:
    """Every light current and the planner's statistics fresh, when the lights were never set (untimed)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from duban.supervision.lights import lights_refresh
    from duban.supervision.models import Assignment

    call_command("migrate", verbosity=0)
    if not Assignment.objects.filter(state__in=("pending", "in_progress", "review", "returned"),
                                     light="none").exists():
        say("# lights already current")
        return
    started = time.perf_counter()
    with transaction.atomic():
        changed = lights_refresh()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=2000")
        cursor.execute("ANALYZE")
    say(f"# lights brought up to date ({changed[0]} assignments and {changed[1]} tasks changed) and ANALYZE, "
        f"{time.perf_counter() - started:.1f} s")


# ---- a measure's process ----

def rss_now() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process, in bytes."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def rss_reset() -> int:
    """Reset the peak resident set to the current one (Linux); the current resident set."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return rss_now()[0]


class Measure:
    """The passes over one piece of work: timed (its statements captured or counted), then traced."""

    def __init__(self, key: str):
        from django.db import connection

        self.key = f"{key}_{connection.vendor}"

    def timed(self, work, *, capture: bool = True):
        """The work timed; how far the resident set grew; its statements kept (`capture`: the log holds the
        last 9,000) or only counted."""
        import contextlib

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.count = 0

        def counting(execute, sql, params, many, context):
            self.count += 1
            return execute(sql, params, many, context)

        connection.queries_log.clear()
        captured = CaptureQueriesContext(connection) if capture else contextlib.nullcontext()
        base = rss_reset()
        with connection.execute_wrapper(counting), captured:
            started = time.perf_counter()
            result = work()
            self.seconds = time.perf_counter() - started
        self.rss = max(0, rss_now()[1] - base)
        self.captured = list(captured.captured_queries) if capture else []
        return result

    def traced(self, work):
        """The work again under tracemalloc: the peak of Python's allocations (BENCH_TRACE=0: not done)."""
        if not TRACE:
            return None
        tracemalloc.start()
        try:
            result = work()
            self.peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return result

    def report(self, limit: float, note: str = "") -> None:
        if note:
            say(f"# {self.key}: {note}")
        say(f"BENCH {self.key} {self.seconds:.2f} s limit={limit:.2f} ratio={self.seconds / limit:.2f}")
        if TRACE:
            say(f"BENCH {self.key}_peak_mem {self.peak / MIB:.0f} MiB")
        say(f"BENCH {self.key}_rss {self.rss / MIB:.0f} MiB")


# A chunked read on PostgreSQL is a server-side cursor: the statement logged declares it, and its rows are
# fetched afterwards. The limit runs the SELECT itself and fetches every row at once.
DECLARE_CURSOR = re.compile(r'^\s*DECLARE\s+"[^"]+"\s+.*?\bCURSOR\b.*?\bFOR\s+', re.IGNORECASE | re.DOTALL)


def statements(captured: list[dict]) -> list[str]:
    """The captured statements as the database ran them, without the transaction's own."""
    return [DECLARE_CURSOR.sub("", q["sql"], count=1) for q in captured
            if not q["sql"].lstrip().upper().startswith(TRANSACTION_STATEMENTS)]


def run_sql(sqls: list[str]) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
    return time.perf_counter() - started


def slowest(captured: list[dict], n: int = 4) -> None:
    """The statements that took longest in the traced pass, as notes."""
    for q in sorted(captured, key=lambda q: -float(q["time"]))[:n]:
        sql = " ".join(q["sql"].split())
        say(f"#   {float(q['time']):7.3f} s  {sql[:150]}{'…' if len(sql) > 150 else ''}")


def build_day() -> dt.date:
    from duban.audit.models import Event

    event = Event.objects.filter(verb="demo.bulk_load").order_by("-seq").first()
    if event is None:
        raise SystemExit("FAIL: no demo.bulk_load Event: this database holds no province data set")
    return dt.date.fromisoformat(str(event.payload["today"])[:10])


def supervisor_of(unit):
    from duban.org.models import Role, RoleGrant

    grant = (RoleGrant.objects.filter(role=Role.SUPERVISOR, user__unit=unit, user__is_active=True)
             .select_related("user", "user__unit").order_by("user_id").first())
    if grant is None:
        raise SystemExit(f"FAIL: {unit.name} has no supervisor")
    return grant.user


def the_units():
    """The province and its first 州/市."""
    from duban.org.models import Unit, UnitLevel

    province = Unit.objects.get(level=UnitLevel.PROVINCE, parent__isnull=True)
    prefecture = Unit.objects.filter(level=UnitLevel.PREFECTURE, parent=province).order_by("id").first()
    return province, prefecture


# ---- bulletins ----

def last_month(today: dt.date):
    from duban.core.periods import Period

    end = today.replace(day=1) - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)


def measure_bulletin(scope_name: str) -> None:
    from duban.bulletins.document import Masthead, bulletin_docx
    from duban.bulletins.figures import bulletin_figures
    from duban.bulletins.pdf import docx_to_pdf, pdf_available
    from duban.core import clock
    from duban.supervision.selectors import task_list_for

    province, prefecture = the_units()
    scope = prefecture if scope_name == "prefecture" else province
    reader = supervisor_of(scope)
    period = last_month(clock.today())
    masthead = Masthead(issuer_mark=f"{scope.display_name}督查通报", signature=f"{scope.name}督查室",
                        date=clock.today())
    in_scope = task_list_for(user=reader).order_by().count()
    say(f"# bulletin of {scope.name} for {period.key}, read as {reader.username}: {in_scope} tasks in scope")

    parts = {}

    def work():
        started = time.perf_counter()
        figures = bulletin_figures(user=reader, scope=scope, period=period)
        parts["figures"] = time.perf_counter() - started
        content = bulletin_docx(figures, masthead)
        parts["docx"] = time.perf_counter() - started - parts["figures"]
        return figures, content

    m = Measure(f"bulletin_{scope_name}")
    figures, content = m.timed(work)
    timed = dict(parts)
    sqls = statements(m.captured)
    limit = run_sql(sqls)
    m.traced(work)
    h = figures["headline"]
    say(f"# {len(sqls)} statements; figures {timed['figures']:.2f} s, docx {timed['docx']:.2f} s "
        f"({len(content) // 1024} KB); headline: {h['tasks']} tasks, {h['new']} new, {h['closed']} closed, "
        f"{h['overdue']} overdue, {h['red']} red; {figures['overdue']['total']} overdue assignments, "
        f"{figures['units']['total']} units; the slowest statements:")
    slowest(m.captured)
    m.report(limit, "the limit: the same statements on a raw cursor")
    if scope_name == "prefecture":
        if not pdf_available():
            say("# bulletin_pdf: LibreOffice is not installed (make docs-tools); not measured")
            return
        started = time.perf_counter()
        pdf = docx_to_pdf(content)
        seconds = time.perf_counter() - started
        say(f"# bulletin_pdf: LibreOffice, {len(pdf) // 1024} KB")
        say(f"BENCH bulletin_pdf_{m.key.rsplit('_', 1)[1]} {seconds:.2f} s")


# ---- the 台账 export ----

def xlsx_rows(path) -> int:
    """The rows of the first worksheet, counted in its XML (a write-only workbook records no dimension)."""
    count, tail = 0, b""
    with zipfile.ZipFile(path) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
        while block := sheet.read(1 << 20):
            count += (tail + block).count(b"<row ")  # a tag cut between two blocks is counted once
            tail = block[-4:]
    return count


def measure_export() -> None:
    from django.db import connection

    from duban.core import clock
    from duban.supervision.selectors import task_list_for
    from duban.web.export import tasks_xlsx

    province, _ = the_units()
    reader = supervisor_of(province)
    path = OUT / "ledger-export-100k.xlsx"

    def work():
        queryset = task_list_for(user=reader)[:EXPORT_ROWS]
        response = tasks_xlsx(user=reader, queryset=queryset, today=clock.today())
        with path.open("wb") as handle:
            for chunk in response.streaming_content:
                handle.write(chunk)
        response.file_to_stream.close()

    m = Measure("ledger_export_100k")
    m.timed(work)
    sqls = statements(m.captured)
    limit = run_sql(sqls)
    say(f"# the newest {EXPORT_ROWS} tasks {reader.username} sees: {len(sqls)} statements; the slowest:")
    slowest(m.captured, 3)
    rows = xlsx_rows(path) - 1
    say(f"# {path.name}: {rows} rows, {path.stat().st_size / MIB:.1f} MiB ({connection.vendor})")
    if rows != EXPORT_ROWS:
        raise SystemExit(f"FAIL: the export holds {rows} rows, not {EXPORT_ROWS}")
    m.traced(work)
    path.unlink()
    m.report(limit, "the limit: the same statements on a raw cursor")


# ---- the 台账 import ----

class Rollback(Exception):
    pass


def ledger_workbook(actor, today: dt.date) -> bytes:
    """IMPORT_ROWS rows as an office keeps them, naming the units and leaders of `actor`'s 州/市."""
    from openpyxl import Workbook

    from duban.ledger.services import LeaderFinder, UnitFinder

    rng = random.Random(SEED)
    finder, leaders = UnitFinder(actor), LeaderFinder(actor)
    units = [u.name for u in finder.units if finder.one(u.name) is u]
    # Some cells name a unit as offices often do, by a part of its name (here: without its first character).
    partial = {u.name: u.name[1:] for u in finder.units if finder.one(u.name[1:]) is u}

    def written(name: str) -> str:
        return partial[name] if name in partial and rng.random() < 0.15 else name
    people = sorted({p.full_name for group in leaders.by_name.values() for p in group
                     if p.full_name and leaders.one(p.full_name) is p})
    phrases = ["年底前", "12月底前", "2027年3月底前", "2027年上半年", "长期坚持", "持续推进", "2027年第二季度末"]
    verbs = ["推进", "落实", "完成", "开展", "加快", "抓好", "深化", "做好"]
    things = ["老旧小区改造", "营商环境优化", "耕地保护督查整改", "安全生产专项整治", "农村人居环境整治",
              "重点项目建设", "信访积案化解", "河湖长制落实", "政务服务一网通办", "高标准农田建设"]
    book = Workbook()
    ws = book.active
    ws.title = "督办事项台账"
    headers = ["序号", "任务来源", "文号", "任务内容", "牵头单位", "配合单位", "责任领导", "完成时限", "备注"]
    ws.append([f"{actor.unit.name}{today.year}年重点工作督办事项台账"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(headers)
    row = 3
    for number in range(IMPORT_ROWS):
        document = number // TASKS_PER_DOCUMENT
        first = number % TASKS_PER_DOCUMENT == 0
        lead = rng.sample(units, rng.choice((1, 1, 1, 2)))
        cooperating = rng.sample([u for u in units if u not in lead], rng.choice((0, 0, 1, 2, 3)))
        thing = rng.choice(things)
        content = (f"{rng.choice(verbs)}{thing}（第{number + 1}项）\n"
                   f"对照年度目标，细化{thing}工作方案，明确责任人和时间节点，按月报送进展，确保按期完成。")
        if rng.random() < 0.6:
            due = today + dt.timedelta(days=rng.randint(10, 200))
        else:
            due = rng.choice(phrases)
        ws.append([number + 1,
                   f"关于印发{actor.unit.name}{today.year}年第{document + 1}批重点工作任务的通知" if first else None,
                   f"州办发〔{today.year}〕{document + 1}号" if first else None,
                   content, "、".join(map(written, lead)), "，".join(map(written, cooperating)),
                   rng.choice(people) if people and rng.random() < 0.5 else None,
                   due, "每月25日前报送进展" if rng.random() < 0.2 else None])
        if first:
            last = min(row + TASKS_PER_DOCUMENT - 1, 2 + IMPORT_ROWS)
            ws.merge_cells(start_row=row, start_column=2, end_row=last, end_column=2)
            ws.merge_cells(start_row=row, start_column=3, end_row=last, end_column=3)
        row += 1
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def limit_inserts(actor, preview, today: dt.date) -> tuple[float, dict]:
    """The rows the import leaves in the tables of the work itself, written with executemany (untimed: making
    the rows; timed: the INSERTs). Inside the caller's transaction."""
    from django.db import connection

    from duban.supervision.models import (
        Assignment,
        AssignmentRole,
        AssignmentState,
        Decision,
        DecisionKind,
        Task,
        TaskPlan,
        TaskState,
    )
    from duban.supervision.services.common import default_deadline, sign_due_from

    def next_id(model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"')
            return cursor.fetchone()[0] + 1

    now = dt.datetime.now(dt.UTC)
    ids = {model: next_id(model) for model in (Decision, Task, TaskPlan, Assignment)}
    rows: dict = {Decision: [], Task: [], TaskPlan: [], Assignment: []}
    decisions: dict = {}
    sign_due = sign_due_from(today)
    for number, r in enumerate(preview.rows):
        key = (preview.decision_title(r), r.doc_number)
        if key not in decisions:
            decisions[key] = Decision(id=ids[Decision] + len(decisions), kind=DecisionKind.DOCUMENT, title=key[0],
                                      doc_number=r.doc_number, issued_on=today, owner_unit_id=actor.unit_id,
                                      created_by_id=actor.pk, created_at=now)
            rows[Decision].append(decisions[key])
        deadline = r.deadline
        if deadline is None and r.cadence == "none":
            deadline = default_deadline(DecisionKind.DOCUMENT, "normal", today)
        task = Task(id=ids[Task] + number, code=f"LIMIT-{number:05d}", title=r.title, requirements=r.requirements,
                    decision_id=decisions[key].pk, owner_unit_id=actor.unit_id,
                    responsible_leader_id=r.leader.pk if r.leader else None, deadline=deadline,
                    cadence=r.cadence, state=TaskState.ASSIGNED, assigned_at=now, created_by_id=actor.pk,
                    created_at=now)
        rows[Task].append(task)
        for units, role in ((r.lead_units, AssignmentRole.LEAD), (r.cooperating_units, AssignmentRole.COOPERATE)):
            for unit in units:
                rows[TaskPlan].append(TaskPlan(id=ids[TaskPlan] + len(rows[TaskPlan]), task_id=task.pk,
                                               unit_id=unit.pk, role=role))
                rows[Assignment].append(Assignment(id=ids[Assignment] + len(rows[Assignment]), task_id=task.pk,
                                                   unit_id=unit.pk, role=role, state=AssignmentState.PENDING,
                                                   assigned_on=today, sign_due=sign_due, deadline=deadline,
                                                   light="green"))
    prepared = []
    for model, objects in rows.items():
        fields = model._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        values = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objects]
        prepared.append((f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})', values))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, values in prepared:
            cursor.executemany(sql, values)
    return time.perf_counter() - started, {model.__name__: len(objects) for model, objects in rows.items()}


def counts() -> dict:
    from duban.audit.models import Event
    from duban.escalation.models import Notice
    from duban.supervision.models import Assignment, Decision, Task, TaskPlan

    return {m.__name__: m.objects.count() for m in (Decision, Task, TaskPlan, Assignment, Event, Notice)}


def measure_import() -> None:
    from django.db import connection, transaction
    from openpyxl import load_workbook

    from duban.core import clock
    from duban.ledger.services import ledger_import, ledger_preview

    _, prefecture = the_units()
    actor = supervisor_of(prefecture)
    today = clock.today()
    data = ledger_workbook(actor, today)
    (OUT / "ledger-import-10k.xlsx").write_bytes(data)
    filename = "示范台账-10k.xlsx"
    db = connection.vendor

    # Reading it: ledger_preview, next to openpyxl reading the same cells.
    m = Measure("ledger_preview_10k")
    preview = m.timed(lambda: ledger_preview(actor=actor, data=data, filename=filename), capture=False)
    if not preview.ok:
        for problem in preview.problems[:10]:
            say(f"# {problem}")
        raise SystemExit(f"FAIL: the generated 台账 has {len(preview.problems)} problems")
    started = time.perf_counter()
    book = load_workbook(io.BytesIO(data), data_only=True)
    cells = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    limit = time.perf_counter() - started
    m.traced(lambda: ledger_preview(actor=actor, data=data, filename=filename))
    say(f"# {filename}: {len(data) // 1024} KB, {cells} rows, {len(preview.rows)} tasks of "
        f"{len(preview.decisions)} documents, as {actor.username} ({actor.unit.name})")
    m.report(limit, "the limit: openpyxl loading the workbook and reading its cells")

    # Importing it, assigned, rolled back.
    before = counts()
    written = {}

    def work():
        try:
            with transaction.atomic():
                result = ledger_import(actor=actor, data=data, filename=filename, assign=True)
                after = counts()
                written.update({k: after[k] - before[k] for k in after})
                written["tasks"] = len(result.tasks)
                raise Rollback
        except Rollback:
            pass

    m = Measure("ledger_import_10k")
    m.timed(work, capture=False)
    say("# import, rows written then rolled back: " + ", ".join(f"{k} {v}" for k, v in written.items()
                                                              if k != "tasks"))
    limit_rows = {}

    def the_limit():
        try:
            with transaction.atomic():
                limit_rows["seconds"], rows = limit_inserts(actor, preview, today)
                limit_rows.update(rows)
                raise Rollback
        except Rollback:
            pass

    the_limit()
    m.traced(work)
    if counts() != before:
        raise SystemExit("FAIL: the rolled-back import left rows behind")
    say("# the limit wrote " + ", ".join(f"{k} {v}" for k, v in limit_rows.items() if k != "seconds")
        + f" ({db}); the import ran {m.count} statements")
    m.report(limit_rows["seconds"], "the limit: executemany INSERTs of the decisions, tasks, plans and assignments")


def child(name: str) -> None:
    _setup()
    from duban.core import clock

    day = build_day()
    with clock.frozen(clock.at_local(day, 10)):
        say(f"# {name}: the clock frozen at {clock.local():%Y-%m-%d %H:%M} (the day the data set was built)")
        {"bulletin_prefecture": lambda: measure_bulletin("prefecture"),
         "bulletin_province": lambda: measure_bulletin("province"),
         "ledger_export_100k": measure_export,
         "ledger_import_10k": measure_import}[name]()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        child(sys.argv[2])
    else:
        sys.exit(main(sys.argv[1:]))
