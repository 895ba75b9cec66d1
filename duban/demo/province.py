"""The province-size data set (`duban demo --size province`), for benchmarks only.

One 示范省 with ~14 州/市, ~110 counties and their departments and townships
(a few thousand units), a liaison per unit and a supervisor and a leader per
supervising unit, 50,000 decisions, 1,000,000 tasks, ~1.5 assignments per task,
~5,000,000 reports and ~200,000 milestones, with the spread of states a
province's office would show: ~45% closed, ~5% cancelled, the rest assigned,
in progress or closing, deadlines from early this year to a few months ahead.

This is NOT how duban writes data. Every row here is written with bulk inserts
(COPY on PostgreSQL, executemany on SQLite), bypassing the services, their
checks and their Events, because the services would need hours for a data set
this size and the point of it is to measure set-based work (`duban sweep`)
against a realistic volume. The rows respect every database constraint, and
the load is recorded as one `demo.bulk_load` Event, so `duban audit verify`
still passes. Lights of active rows are left 'none' for the sweep to set.

The whole load is one transaction. Inside it the big tables' secondary indexes
(and, on PostgreSQL, their foreign keys) are dropped and built again after the
rows are in, which checks every row at once and is several times faster than
maintaining them row by row.

Generation is deterministic for a given seed, scale and `today` (the day the
spread of dates is anchored on; by default the office's date now).
"""

import datetime as dt
import json
import random
import time
from itertools import islice

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.demo.summary import DemoSummary
from duban.org.models import RoleGrant, Unit, User
from duban.supervision.models import Assignment, Decision, Milestone, Report, Task, TaskCounter
from duban.workdays.calendar import next_report_due
from duban.workdays.store import get_calendar

FULL_TASKS = 1_000_000
TASKS_PER_DECISION = 20
CHUNK_TASKS = 20_000
SQLITE_BATCH = 50_000
PROGRESS_TASKS = 100_000

PREFECTURE_NAMES = ["青岚州", "云溪市", "丹霞市", "白川州", "翠屏市", "金泽州", "玉泉市", "澜沧湾市", "碧江市",
                    "松岭州", "鹤峰市", "望湖市", "石门州", "朝阳川市"]
PLACE_FIRST = "安宁平清长永和兴丰泰新乐康明瑞福嘉盛源远华德昌隆阜宜同顺"
PLACE_SECOND = "山河川林泉溪阳原江湖岭水城峰坪石桥湾口台屯庄坝沟"
DEPARTMENTS = [
    "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "民族宗教事务委员会", "公安局", "民政局",
    "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局",
    "水务局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局",
    "审计局", "国有资产监督管理委员会", "市场监督管理局", "广播电视局", "体育局", "统计局", "林业和草原局",
    "医疗保障局", "乡村振兴局", "信访局", "机关事务管理局", "投资促进局", "营商环境建设局", "大数据管理局",
    "政务服务管理局", "城市管理综合执法局", "人民防空办公室", "地方金融管理局", "粮食和物资储备局", "能源局",
    "供销合作社", "残疾人联合会", "总工会", "共青团委员会", "妇女联合会", "科学技术协会", "工商业联合会",
    "档案馆", "地方志办公室", "气象局", "税务局", "消防救援支队", "住房公积金管理中心", "融媒体中心",
    "社会科学界联合会", "红十字会", "文学艺术界联合会", "外事办公室", "公共资源交易中心", "数据局",
    "口岸管理办公室",
]
COUNTY_DEPARTMENTS = ["发展和改革局", "财政局", "教育体育局", "农业农村局", "自然资源局", "住房和城乡建设局",
                      "交通运输局", "卫生健康局", "民政局", "人力资源和社会保障局", "市场监督管理局", "应急管理局",
                      "生态环境分局", "水务局", "商务局", "文化和旅游局"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
DECISION_KINDS = [("document", 30), ("meeting", 30), ("instruction", 15), ("plan", 15), ("clue", 5), ("inspection", 5)]
DECISION_TITLES = {
    "document": "关于{topic}的实施意见",
    "meeting": "第{n}次常务会议议定事项（{topic}）",
    "instruction": "领导对{topic}有关情况的批示",
    "plan": "{year}年{topic}重点工作安排",
    "clue": "群众反映{topic}问题线索",
    "inspection": "{topic}专项督查发现问题整改",
}
TOPICS = ["优化营商环境", "重点项目建设", "乡村振兴", "生态环境保护", "安全生产", "民生实事", "招商引资",
          "城市更新", "教育高质量发展", "医疗卫生服务", "就业创业", "农村人居环境整治", "防汛抗旱", "森林防火",
          "粮食安全", "政务服务改革", "数字政府建设", "基层减负", "交通基础设施", "文旅融合发展"]
TASK_VERBS = ["推进", "落实", "完成", "加快", "开展", "组织实施", "全面排查", "督促整改", "研究制定", "抓好"]
TASK_OBJECTS = ["项目开工建设", "资金拨付使用", "问题清单整改", "专项行动", "配套政策出台", "示范点建设",
                "隐患排查治理", "信息平台建设", "目标任务分解", "宣传培训", "台账建立", "考核评估",
                "用地保障", "审批流程优化", "群众诉求办理"]
REPORT_TEXTS = [
    "已召开专题会议研究部署，明确责任分工，按计划推进。",
    "已完成阶段性工作，相关数据已更新，下一步将加快推进。",
    "已制定工作方案并印发，正在组织实施，暂无困难。",
    "已开展实地调研，梳理问题清单，正在逐项整改。",
    "资金已拨付到位，项目建设有序推进，进度符合预期。",
    "已协调相关部门解决堵点问题，工作进入收尾阶段。",
]
FINAL_TEXT = "各项工作已全部完成，佐证材料齐全，申请办结。"
REVIEW_RETURN = "进展表述不具体，请补充量化数据后重报。"
UNIT_RETURN = "请核实数据后重新报送。"
MILESTONE_TITLES = ["完成方案制定", "完成前期手续", "完成主体工作", "完成阶段性验收", "完成总结评估"]
CLOSE_NOTE = "经核验，各承办单位均已办结，佐证材料齐全，同意销号。"


def build_province(*, seed: int, password: str, out, scale: float = 1.0,
                   today: dt.date | None = None) -> DemoSummary:
    """Load the province data set with bulk inserts (benchmarks only; see the module docstring).

    `scale` multiplies the number of tasks (1.0 = 1,000,000) and everything that
    hangs off them; below 0.1 the unit tree shrinks too.
    """
    started = time.perf_counter()
    is_sqlite = connection.vendor == "sqlite"
    gen = _Generator(seed=seed, scale=scale, today=today or clock.today(), tz_suffix="" if is_sqlite else "+00")
    sink = _SqliteSink() if is_sqlite else _PostgresSink()
    relaxed = is_sqlite and not connection.in_atomic_block
    if relaxed:
        # Outside a transaction only: SQLite refuses to change the safety level inside one.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
    try:
        with transaction.atomic():
            summary = _load(gen, sink, out, password, started)
    finally:
        if relaxed:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-2000")
    # Statistics for the planner, as autovacuum (PostgreSQL) or the worker's daily ANALYZE (SQLite)
    # would gather them soon after a load.
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        if is_sqlite:
            cursor.execute("PRAGMA analysis_limit=2000")
        for model in (Unit, User, Decision, Task, Assignment, Milestone, Report):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    _say(out, f"analyze {time.perf_counter() - t0:.1f} s")
    summary.seconds = time.perf_counter() - started
    _say(out, f"done in {summary.seconds:.1f} s")
    return summary


def _say(out, line: str) -> None:
    out.write(f"province: {line}\n")
    if hasattr(out, "flush"):
        out.flush()


def _load(gen: "_Generator", sink: "_Sink", out, password: str, started: float) -> DemoSummary:
    base = {model: _max_id(model) for model in (Unit, User, RoleGrant, Decision, Task, Assignment, Milestone, Report)}
    gen.set_bases(base)
    big = [Task, Assignment, Milestone, Report]
    sink.begin(big)  # before any write: PostgreSQL cannot alter a table with checks pending

    units = gen.units()
    sink.write(Unit, UNIT_FIELDS, units)
    people, grants, login = gen.people(password)
    sink.write(User, USER_FIELDS, people)
    sink.write(RoleGrant, GRANT_FIELDS, grants)
    decisions = gen.decisions()
    sink.write(Decision, DECISION_FIELDS, decisions)
    _say(out, f"units {len(units)}, people {len(people)}, decisions {len(decisions)} "
              f"({time.perf_counter() - started:.1f} s)")

    counts = {"tasks": 0, "assignments": 0, "reports": 0, "milestones": 0}
    next_line = PROGRESS_TASKS
    for chunk in gen.task_chunks():
        sink.write(Task, TASK_FIELDS, chunk.tasks)
        sink.write(Assignment, ASSIGNMENT_FIELDS, chunk.assignments)
        sink.link_parent_assignments(chunk.links)
        sink.write(Milestone, MILESTONE_FIELDS, chunk.milestones)
        sink.write(Report, REPORT_FIELDS, chunk.reports)
        counts["tasks"] += len(chunk.tasks)
        counts["assignments"] += len(chunk.assignments)
        counts["reports"] += len(chunk.reports)
        counts["milestones"] += len(chunk.milestones)
        if chunk.last or counts["tasks"] >= next_line:
            next_line += PROGRESS_TASKS
            _say(out, f"tasks {counts['tasks']}, assignments {counts['assignments']}, "
                      f"reports {counts['reports']}, milestones {counts['milestones']} "
                      f"({time.perf_counter() - started:.1f} s)")

    t0 = time.perf_counter()
    sink.finish(big)
    _say(out, f"indexes and foreign keys {time.perf_counter() - t0:.1f} s")
    sink.reset_sequences([Unit, User, RoleGrant, Decision, *big])
    for year, last in sorted(gen.code_last.items()):
        TaskCounter.objects.update_or_create(year=year, defaults={"last": last})
    event_append(actor=None, verb="demo.bulk_load", object_type="demo", object_id=None,
                 payload={"size": "province", "seed": gen.seed, "scale": gen.scale, "today": gen.today,
                          "units": len(units), "people": len(people), "decisions": len(decisions), **counts,
                          "note": "bulk inserts for benchmarks; no per-row events"})
    return DemoSummary(units=len(units), people=len(people), decisions=len(decisions), tasks=counts["tasks"],
                       assignments=counts["assignments"], reports=counts["reports"], password=password,
                       logins=[login] if login else [])


def _max_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT MAX(id) FROM "{model._meta.db_table}"')
        return cursor.fetchone()[0] or 0


# ---- the columns, in the order the generator writes them ----

UNIT_FIELDS = ["id", "name", "short_name", "aliases", "level", "parent", "path", "sort_order", "is_active"]
USER_FIELDS = ["id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
               "is_staff", "is_active", "date_joined", "full_name", "unit", "title", "phone", "password_changed_at",
               "must_change_password"]
GRANT_FIELDS = ["id", "user", "role"]
DECISION_FIELDS = ["id", "kind", "title", "doc_number", "issuer", "issued_on", "body", "owner_unit", "created_by",
                   "created_at"]
TASK_FIELDS = ["id", "version", "code", "title", "requirements", "decision", "parent", "parent_assignment",
               "owner_unit", "responsible_leader", "category", "urgency", "deadline", "cadence", "report_day",
               "is_key", "state", "light", "round", "created_by", "created_at", "assigned_at", "closed_at",
               "close_note", "leader_read_at"]
ASSIGNMENT_FIELDS = ["id", "version", "task", "unit", "role", "state", "light", "assigned_on", "sign_due",
                     "deadline", "next_report_due", "signed_at", "signed_by", "progress", "return_count",
                     "returned_reason", "submitted_at", "submitted_on", "done_at", "reassigned_to",
                     "objective_reason"]
MILESTONE_FIELDS = ["id", "task", "title", "due", "done_at"]
REPORT_FIELDS = ["id", "assignment", "author", "text", "progress", "is_final", "state", "submitted_at",
                 "unit_reviewed_by", "reviewed_by", "reviewed_at", "review_comment"]


def _columns(model, fields: list[str]) -> list[str]:
    concrete = {f.name for f in model._meta.concrete_fields}
    if set(fields) != concrete:
        raise RuntimeError(f"province loader is out of date for {model.__name__}: "
                           f"missing {sorted(concrete - set(fields))}, unknown {sorted(set(fields) - concrete)}")
    return [model._meta.get_field(name).column for name in fields]


# ---- writers ----

class _Sink:
    """Writes rows; around the load, drops the big tables' secondary indexes and builds them again after,
    which is several times faster than maintaining them row by row (all inside the one transaction)."""

    def begin(self, models) -> None:
        pass

    def write(self, model, fields: list[str], rows: list[tuple]) -> None:
        raise NotImplementedError

    def finish(self, models) -> None:
        pass

    def reset_sequences(self, models) -> None:
        pass

    def link_parent_assignments(self, links: list[tuple[int, int]]) -> None:
        """Sub-tasks point at the assignment they decompose, which is written after them.

        Setting the link afterwards means no foreign key is ever left dangling: a dangling
        deferred key makes SQLite search the child tables on every later insert."""
        if links:
            with connection.cursor() as cursor:
                cursor.executemany(f'UPDATE "{Task._meta.db_table}" SET "parent_assignment_id" = %s WHERE "id" = %s',
                                   links)


class _PostgresSink(_Sink):
    """COPY … FROM STDIN through psycopg 3, on Django's connection (so inside its transaction).

    Foreign keys are dropped and added back after the load: adding one checks every row in one join,
    where a deferred foreign key would queue a check per row until the commit.
    """

    def begin(self, models):
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid::regclass::text, conname",
                [tables])
            self.foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [tables])
            self.indexes = cursor.fetchall()
            for table, name, _ in self.foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in self.indexes:
                cursor.execute(f"DROP INDEX {name}")

    def write(self, model, fields, rows):
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in _columns(model, fields))
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            with cursor.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self, models):
        with connection.cursor() as cursor:
            for _, definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def reset_sequences(self, models):
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                               f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)")


class _SqliteSink(_Sink):
    def begin(self, models):
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                           f"AND tbl_name IN ({', '.join(['%s'] * len(tables))}) ORDER BY name", tables)
            self.indexes = cursor.fetchall()
            for name, _ in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')

    def finish(self, models):
        with connection.cursor() as cursor:
            for _, definition in self.indexes:
                cursor.execute(definition)

    def write(self, model, fields, rows):
        if not rows:
            return
        cols = _columns(model, fields)
        sql = (f'INSERT INTO "{model._meta.db_table}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
               f'VALUES ({", ".join("?" * len(cols))})')
        connection.ensure_connection()
        raw = connection.connection.cursor()
        try:
            it = iter(rows)
            while batch := list(islice(it, SQLITE_BATCH)):
                raw.executemany(sql, batch)
        finally:
            raw.close()


# ---- the generator ----

class _Chunk:
    __slots__ = ("tasks", "assignments", "milestones", "reports", "links", "last")

    def __init__(self):
        self.tasks, self.assignments, self.milestones, self.reports = [], [], [], []
        self.links = []  # (parent_assignment_id, task_id), set once the assignments exist
        self.last = False


class _Generator:
    def __init__(self, *, seed: int, scale: float, today: dt.date, tz_suffix: str):
        self.seed = seed
        self.scale = scale
        self.today = today
        self.rng = random.Random(seed)
        self.sfx = tz_suffix
        self.n_tasks = max(1, round(FULL_TASKS * scale))
        self.calendar = get_calendar()
        self._dates: dict[int, str] = {}
        self._sign_due: dict[int, int] = {}
        self._report_due: dict[tuple, int] = {}
        self.code_last: dict[int, int] = {}

    def set_bases(self, base: dict) -> None:
        self.next_id = {model: value + 1 for model, value in base.items()}

    def _take(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    # -- dates as strings, which both databases parse: 'YYYY-MM-DD' and UTC 'YYYY-MM-DD HH:MM:SS' --

    def d(self, day: int) -> str:
        s = self._dates.get(day)
        if s is None:
            s = self._dates[day] = dt.date.fromordinal(day).isoformat()
        return s

    def ts(self, day: int) -> str:
        """A moment during office hours (08:00–18:00 Shanghai = 00:00–10:00 UTC) of `day`."""
        m = self.rng.randrange(600)
        return f"{self.d(day)} {m // 60:02d}:{m % 60:02d}:{self.rng.randrange(60):02d}{self.sfx}"

    def sign_due(self, day: int) -> int:
        value = self._sign_due.get(day)
        if value is None:
            value = self._sign_due[day] = self.calendar.add_workdays(
                dt.date.fromordinal(day), settings.DUBAN_SIGN_SLA_WORKDAYS).toordinal()
        return value

    def report_due(self, cadence: str, after: int, report_day: int | None) -> int:
        key = (cadence, after, report_day)
        value = self._report_due.get(key)
        if value is None:
            value = self._report_due[key] = next_report_due(
                self.calendar, cadence, dt.date.fromordinal(after), report_day).toordinal()
        return value

    # -- the unit tree and its people --

    def units(self) -> list[tuple]:
        rng = self.rng
        f = min(1.0, self.scale * 10)
        n_pref = max(2, round(len(PREFECTURE_NAMES) * f))
        n_dept = max(6, round(60 * f))
        n_cdept = max(4, round(12 * f))
        n_town = max(3, round(10 * f))
        rows = []
        self.unit_level: dict[int, str] = {}
        self.unit_name: dict[int, str] = {}
        self.targets: dict[int, list[int]] = {}  # supervising unit -> the units it assigns work to
        places = [a + b for a in PLACE_FIRST for b in PLACE_SECOND]
        rng.shuffle(places)
        place_iter = iter(places)

        def add(name, level, parent_id, parent_path, short="", order=0):
            uid = self._take(Unit)
            path = f"{parent_path}{uid}/"
            rows.append((uid, name, short, json.dumps([short] if short else [], ensure_ascii=False), level,
                         parent_id, path, order, True))
            self.unit_level[uid] = level
            self.unit_name[uid] = name
            return uid, path

        province, ppath = add("示范省", "province", None, "/")
        self.province = province
        self.targets[province] = []
        self.prefectures, self.counties = [], []
        for i, pname in enumerate(PREFECTURE_NAMES[:n_pref]):
            pref, fpath = add(pname, "prefecture", province, ppath, order=i)
            self.prefectures.append(pref)
            self.targets[province].append(pref)
            self.targets[pref] = []
            stem = pname[:-1]
            for j, dept in enumerate(DEPARTMENTS[:n_dept]):
                uid, _ = add(f"{stem}{dept}", "department", pref, fpath, order=j)
                self.targets[pref].append(uid)
            n_counties = max(2, round(rng.randint(6, 10) * f))
            for k in range(n_counties):
                cname = next(place_iter) + "县"
                county, cpath = add(cname, "county", pref, fpath, order=100 + k)
                self.counties.append(county)
                self.targets[pref].append(county)
                self.targets[county] = []
                for j, dept in enumerate(COUNTY_DEPARTMENTS[:n_cdept]):
                    uid, _ = add(f"{cname[:-1]}{dept}", "department", county, cpath, order=j)
                    self.targets[county].append(uid)
                for j, place in enumerate(rng.sample(places, n_town)):
                    town = place + rng.choice("镇乡")
                    uid, _ = add(town, "township", county, cpath, order=100 + j)
                    self.targets[county].append(uid)
        self.supervising = [province, *self.prefectures, *self.counties]
        return rows

    def _person_name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def people(self, password: str):
        joined = f"{self.d(self.today.toordinal() - 400)} 01:00:00{self.sfx}"
        changed = f"{self.d(self.today.toordinal())} 01:00:00{self.sfx}"  # passwords set today: not expired
        rows, grants = [], []
        self.liaison: dict[int, int] = {}
        self.supervisor: dict[int, int] = {}
        self.leader: dict[int, int] = {}
        login = None

        def add(username, unit, title, role, pw="!"):
            uid = self._take(User)
            rows.append((uid, pw, None, False, username, "", "", "", False, True, joined, self._person_name(),
                         unit, title, "", changed, False))
            grants.append((self._take(RoleGrant), uid, role))
            return uid

        for unit in self.unit_level:
            self.liaison[unit] = add(f"lianluo.{unit}", unit, "联络员", "liaison")
        for unit in self.supervising:
            level = self.unit_level[unit]
            if unit == self.province:
                self.supervisor[unit] = add("sheng.duchaban", unit, "督查员", "supervisor", make_password(password))
                login = ("督查员", "sheng.duchaban", self.unit_name[unit])
            else:
                self.supervisor[unit] = add(f"duchaban.{unit}", unit, "督查员", "supervisor")
            title = {"province": "副省长", "prefecture": "副州（市）长", "county": "副县长"}[level]
            self.leader[unit] = add(f"lingdao.{unit}", unit, title, "leader")
        return rows, grants, login

    def decisions(self) -> list[tuple]:
        rng = self.rng
        n = max(1, round(self.n_tasks / TASKS_PER_DECISION))
        kinds = [k for k, _ in DECISION_KINDS]
        weights = [w for _, w in DECISION_KINDS]
        owners = self.supervising
        prefectures = set(self.prefectures)
        # The province registers few decisions itself; counties most (by count of offices).
        owner_weights = [2 if u == self.province else 28 / len(prefectures) if u in prefectures
                         else 70 / len(self.counties) for u in owners]
        rows = []
        self.decision_info: list[tuple[int, str, int, int]] = []  # (id, kind, owner, issued)
        today = self.today.toordinal()
        for i in range(n):
            did = self._take(Decision)
            kind = rng.choices(kinds, weights)[0]
            owner = rng.choices(owners, owner_weights)[0]
            issued = today - rng.randint(10, 420)
            year = dt.date.fromordinal(issued).year
            title = DECISION_TITLES[kind].format(topic=rng.choice(TOPICS), n=rng.randint(1, 60), year=year)
            issuer = self.unit_name[owner]
            doc = f"示政发〔{year}〕{i % 300 + 1}号" if kind in ("document", "plan") else ""
            rows.append((did, kind, title, doc, issuer, self.d(issued), "", owner, self.supervisor[owner],
                         self.ts(issued + rng.randint(0, 3))))
            self.decision_info.append((did, kind, owner, issued))
        return rows

    # -- tasks and everything hanging off them --

    def task_chunks(self):
        produced = 0
        while produced < self.n_tasks:
            chunk = _Chunk()
            stop = min(self.n_tasks, produced + CHUNK_TASKS)
            while produced < stop:
                produced += self._task(chunk, produced)
            chunk.last = produced >= self.n_tasks
            yield chunk

    def _task(self, chunk: _Chunk, index: int, parent=None) -> int:
        """One task (and, now and then, the sub-tasks a county makes of it). Returns tasks written."""
        rng = self.rng
        today = self.today.toordinal()
        seq = index + 1
        if parent is None:
            did, kind, owner, issued = self.decision_info[index * len(self.decision_info) // self.n_tasks]
        else:
            did, kind, owner, issued = parent["decision"], parent["kind"], parent["unit"], parent["issued"]
        r = rng.random()
        state = ("closed" if r < 0.45 else "cancelled" if r < 0.50 else "assigned" if r < 0.64
                 else "in_progress" if r < 0.90 else "closing")
        if parent is not None and parent["state"] in ("closed", "cancelled"):
            state = parent["state"]
        c = rng.random()
        cadence = "monthly" if c < 0.05 else "quarterly" if c < 0.07 else "weekly" if c < 0.08 else "none"
        report_day = rng.choice((5, 5, 5, 10, 25)) if cadence in ("monthly", "quarterly") else None
        span = rng.choice((5, 10, 15, 20, 30, 30, 45, 60, 90, 120))
        if state == "closed":
            deadline = today - rng.randint(3, 330)
            assigned = deadline - span
        elif state == "cancelled":
            deadline = today + rng.randint(-300, 120)
            assigned = min(deadline - span, today - rng.randint(1, 60))
        elif state == "assigned":
            assigned = today - rng.randint(0, 25)
            deadline = assigned + span
        elif state == "in_progress":
            deadline = today - rng.randint(1, 60) if rng.random() < 0.12 else today + rng.randint(0, 150)
            assigned = min(deadline - span, today - rng.randint(2, 60))
        else:  # closing
            deadline = today + rng.randint(-20, 60)
            assigned = min(deadline - span, today - rng.randint(5, 90))
        assigned = max(assigned, issued)
        if assigned >= deadline:
            deadline = assigned + span
        if parent is not None:
            deadline = min(deadline, parent["deadline"]) if parent["deadline"] else deadline
            assigned = max(assigned, parent["assigned"])
            if assigned >= deadline:
                assigned = deadline - 1
        no_deadline = cadence != "none" and parent is None and rng.random() < 0.5
        year = dt.date.fromordinal(assigned).year
        self.code_last[year] = max(self.code_last.get(year, 0), seq)

        tid = self._take(Task)
        units = self.targets[owner]
        n_units = 1 + (rng.random() < 0.08) + (rng.random() < 0.30) + (rng.random() < 0.12)
        picked = rng.sample(units, min(n_units, len(units)))
        n_leads = 2 if len(picked) > 1 and rng.random() < 0.08 else 1
        task_deadline = None if no_deadline else deadline
        leader_id = self.leader[owner] if rng.random() < 0.7 else None

        written = 1
        lead_done_late = False
        lead_assignments = []
        last_done = assigned
        for pos, unit in enumerate(picked):
            role = "lead" if pos < n_leads else "cooperate"
            aid, a_state, done_day, on_time = self._assignment(chunk, tid, unit, owner, role, state, assigned,
                                                               task_deadline, cadence, report_day, pos)
            if role == "lead":
                lead_assignments.append((aid, unit, a_state))
                lead_done_late |= not on_time
            last_done = max(last_done, done_day or assigned)
        if state == "in_progress" and all(s != "in_progress" for _, _, s in lead_assignments):
            state = "closing"  # every lead in review or done: that is 待销号

        created_at = self.ts(assigned - rng.randint(0, 2))
        closed_at = leader_read = None
        close_note = ""
        if state == "closed":
            closed_day = min(last_done + rng.randint(0, 5), today - 1)
            closed_at = self.ts(closed_day)
            close_note = CLOSE_NOTE
            if kind == "instruction" and rng.random() < 0.8:
                leader_read = self.ts(min(closed_day + rng.randint(0, 3), today - 1))
        light = ("done_late" if lead_done_late else "done_on_time") if state == "closed" else "none"
        if parent is not None:
            chunk.links.append((parent["assignment"], tid))
        chunk.tasks.append((
            tid, 1, f"DB-{year}-{seq:07d}", rng.choice(TASK_VERBS) + rng.choice(TASK_OBJECTS),
            "", did, parent["task"] if parent else None, None, owner,
            leader_id, rng.choice(TOPICS), rng.choice(("urgent", "normal", "normal", "routine")),
            self.d(task_deadline) if task_deadline else None, cadence, report_day, rng.random() < 0.03,
            state, light, 1, self.supervisor[owner], created_at, self.ts(assigned), closed_at, close_note,
            leader_read,
        ))

        if state in ("assigned", "in_progress", "closing") and task_deadline and rng.random() < 0.38:
            for _ in range(1 + (rng.random() < 0.15)):
                due = today + rng.randint(-30, 45)
                due = min(max(due, assigned + 1), task_deadline)
                done = None
                if rng.random() < (0.7 if due <= today else 0.15):
                    done = self.ts(min(due, today - 1))
                chunk.milestones.append((self._take(Milestone), tid, rng.choice(MILESTONE_TITLES), self.d(due),
                                         done))

        # 层层分解: a county that leads a prefecture task decomposes it for its own units, now and then.
        if parent is None and state != "cancelled" and self.unit_level[owner] == "prefecture":
            for aid, unit, a_state in lead_assignments:
                if self.unit_level[unit] == "county" and a_state in ("in_progress", "review", "done") \
                        and rng.random() < 0.5:
                    info = {"decision": did, "kind": kind, "unit": unit, "issued": issued, "task": tid,
                            "assignment": aid, "deadline": task_deadline, "assigned": assigned, "state": state}
                    for _ in range(rng.randint(1, 2)):
                        if index + written >= self.n_tasks:
                            break
                        written += self._task(chunk, index + written, parent=info)
        return written

    def _assignment(self, chunk, tid, unit, owner, role, task_state, assigned, deadline, cadence, report_day, pos):
        """One assignment and its reports. Returns (id, state, day done, on time)."""
        rng = self.rng
        today = self.today.toordinal()
        if task_state == "closed":
            state = "done"
        elif task_state == "cancelled":
            state = "cancelled"
        elif task_state == "assigned":
            state = ("pending" if role == "lead" and pos == 0 or rng.random() < 0.5
                     else "returned" if rng.random() < 0.06 else "in_progress")
        elif task_state == "in_progress":
            state = ("in_progress" if role == "lead" and pos == 0 or rng.random() < 0.7
                     else "review" if role == "lead" else rng.choice(("pending", "review", "done")))
        else:  # closing
            state = ("review" if role == "lead" and pos == 0 or rng.random() < 0.6
                     else "done" if role == "lead" else rng.choice(("in_progress", "review", "done")))
        if state == "returned" and role == "lead" and pos == 0:
            state = "pending"
        aid = self._take(Assignment)
        liaison = self.liaison[unit]
        supervisor = self.supervisor[owner]
        sign_due = self.sign_due(assigned)
        signed_day = None
        if state not in ("pending", "returned") and not (state == "cancelled" and rng.random() < 0.3):
            signed_day = min(assigned + rng.choice((0, 0, 1, 1, 2, 4)), today)
        end = today if deadline is None else deadline
        return_count = 0
        if signed_day is not None and state != "cancelled":
            r = rng.random()
            return_count = 0 if r < 0.72 else 1 if r < 0.90 else 2 if r < 0.97 else 3
        progress = 0
        submitted_day = done_day = None
        on_time = True
        if state == "in_progress":
            total = max(1, end - assigned)
            expected = 100 * (today - assigned) / total
            progress = int(min(95, max(0, expected + rng.gauss(4, 16))))
        elif state in ("review", "done"):
            progress = 100
            late = rng.random() < 0.15
            lo = signed_day + 1
            if deadline is None:
                submitted_day = rng.randint(lo, max(lo, today - 1))
            elif late:
                submitted_day = deadline + rng.randint(1, 20)
            else:
                submitted_day = deadline - rng.randint(0, max(0, deadline - lo))
            submitted_day = min(max(lo, submitted_day), today - 1 if state == "done" else today)
            on_time = deadline is None or submitted_day <= deadline
            if state == "done":
                done_day = min(submitted_day + rng.randint(0, 3), today - 1)
        elif state == "cancelled" and signed_day is not None:
            progress = rng.randint(0, 60)
        if done_day is not None and done_day < submitted_day:
            done_day = submitted_day
        next_due = None
        if cadence != "none" and state == "in_progress":
            next_due = self.report_due(cadence, today - rng.randint(0, 45), report_day)
        light = ("done_on_time" if on_time else "done_late") if state == "done" else "none"
        chunk.assignments.append((
            aid, 1, tid, unit, role, state, light, self.d(assigned), self.d(sign_due),
            self.d(deadline) if deadline else None, self.d(next_due) if next_due else None,
            self.ts(signed_day) if signed_day is not None else None, liaison if signed_day is not None else None,
            progress, return_count, "不属于本单位职责范围，请改派。" if state == "returned" else "",
            self.ts(submitted_day) if submitted_day is not None else None,
            self.d(submitted_day) if submitted_day is not None else None,
            self.ts(done_day) if done_day is not None else None, None, "",
        ))
        if signed_day is not None:
            self._reports(chunk, aid, liaison, supervisor, state, signed_day, submitted_day, done_day, progress,
                          return_count)
        return aid, state, done_day, on_time

    def _reports(self, chunk, aid, liaison, supervisor, state, signed_day, submitted_day, done_day, progress,
                 return_count):
        rng = self.rng
        today = self.today.toordinal()
        last_day = submitted_day if submitted_day is not None else today
        n = {"done": 4, "review": 4, "in_progress": 3, "cancelled": 1}[state]
        n = max(0, n + rng.randint(-1, 1) + return_count)
        if state in ("done", "review"):
            n = max(1, n)
        if n == 0:
            return
        span = max(1, last_day - signed_day)
        days = sorted(signed_day + rng.randint(1, span) for _ in range(n))
        returned_left = return_count
        take = self._take
        for i, day in enumerate(days):
            final = i == n - 1 and state in ("done", "review")
            if final:
                day = submitted_day
                pct = 100
                text = FINAL_TEXT
                rstate = "accepted" if state == "done" else "submitted"
            else:
                pct = progress * (i + 1) // n if state != "done" else 100 * (i + 1) // (n + 1)
                text = REPORT_TEXTS[(aid + i) % len(REPORT_TEXTS)]
                if returned_left and rng.random() < 0.6:
                    rstate = "returned"
                    returned_left -= 1
                elif i == n - 1 and state == "in_progress":
                    rstate = rng.choice(("submitted", "unit_review", "accepted", "accepted"))
                else:
                    rstate = "accepted" if rng.random() < 0.97 else "unit_returned"
            day = min(day, today)
            reviewed = rstate in ("accepted", "returned")
            if reviewed:
                review_day = min(day + rng.randint(0, 3), today)
                if final and done_day is not None:
                    review_day = done_day
            comment = REVIEW_RETURN if rstate == "returned" else UNIT_RETURN if rstate == "unit_returned" else ""
            chunk.reports.append((
                take(Report), aid, liaison, text, pct, final, rstate, self.ts(day),
                None if rstate in ("unit_review", "unit_returned") else liaison,
                supervisor if reviewed else None, self.ts(review_day) if reviewed else None, comment,
            ))
