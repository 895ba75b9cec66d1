"""A year of the 示范州's work, planned without touching the database.

`plan_prefecture(seed)` decides everything a seed decides: the units and
people, every decision (决策部署) with its date, and every task with its units,
time limit, cadence and fate (how its story will go: on time or late, extended,
returned, rejected, cascaded to a county's units, cancelled). The public's
clues and the field inspections, whose tasks come from forwarding a clue and
recording a finding, are planned in `duban.demo.fieldplan`; the records are in
`duban.demo.planned`. The history (`duban.demo.history`) then lives that plan
through the real services; what it cannot know in advance (a default deadline,
an assignment's id) it reads as it goes.
"""

import datetime as dt
import random

from duban.core import clock
from duban.demo import topics as t
from duban.demo.fieldplan import plan_clues, plan_inspections
from duban.demo.orgplan import OrgPlan, PlannedUnit, plan_org
from duban.demo.planned import Fate, PlannedDecision, PlannedTask, PrefecturePlan
from duban.org.models import UnitLevel
from duban.supervision.models import Cadence, DecisionKind, Urgency
from duban.workdays.calendar import WorkCalendar
from duban.workdays.store import package_rows

HISTORY_DAYS = 363  # about a year: 2025-12-01 to 2026-11-29


def plan_calendar() -> WorkCalendar:
    """The working-day calendar the chinesecalendar package knows (what a fresh database is seeded with)."""
    rows, years = package_rows()
    return WorkCalendar(days={d: w for d, w, _ in rows}, covered_years=frozenset(years))


# Tasks are planned during office hours (up to 17:00); before then, today's would still lie in the future.
LAST_PLANNED_HOUR = 17


def history_end() -> dt.date:
    """The last day whose planned work has all happened: today after office hours, else yesterday."""
    now = clock.local()
    return now.date() if now.hour >= LAST_PLANNED_HOUR else now.date() - dt.timedelta(days=1)


def plan_prefecture(seed: int, *, end: dt.date | None = None) -> PrefecturePlan:
    """Everything the seed decides, for a year of history ending on `end` (default: `history_end()`), so that
    every planned step lies in the past whenever the demo is built."""
    end = end or history_end()
    start = end - dt.timedelta(days=HISTORY_DAYS)
    org = plan_org(random.Random(f"{seed}:org"))
    planner = _Planner(random.Random(f"{seed}:work"), org, start, end)
    planner.plan_year()
    return PrefecturePlan(org, tuple(planner.decisions), planner.numbered_tasks(), start, end,
                          clues=tuple(planner.clues), inspections=tuple(planner.inspections))


def month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class _Planner:
    def __init__(self, rng: random.Random, org: OrgPlan, start: dt.date, end: dt.date):
        self.rng, self.org, self.start, self.end = rng, org, start, end
        self.calendar = plan_calendar()
        self.units = {u.key: u for u in org.units}
        self.counties = org.of_level(UnitLevel.COUNTY)
        self.decisions: list[PlannedDecision] = []
        self.drafts: list[dict] = []
        self.titles: set[str] = set()
        self.once: set[str] = set()
        self.numbers: dict[str, int] = {}
        self.clues: list = []  # PlannedClue, by duban.demo.fieldplan
        self.inspections: list = []  # PlannedInspection

    # --- the year -------------------------------------------------------------------------------

    def plan_year(self) -> None:
        self.plan_annual_work()
        self.plan_documents(28)
        self.plan_meetings(every_days=9)
        self.plan_instructions(80)
        plan_clues(self, 70)
        plan_inspections(self, 12)

    def numbered_tasks(self) -> tuple[PlannedTask, ...]:
        kept = [d for d in self.drafts if d["created_on"] <= self.end]
        kept.sort(key=lambda d: (d["created_on"], d["order"]))
        return tuple(PlannedTask(index=i, **{k: v for k, v in d.items() if k != "order"})
                     for i, d in enumerate(kept, start=1))

    def spread(self, count: int, first: dt.date | None = None, last: dt.date | None = None) -> list[dt.date]:
        """`count` working days spread over [first, last], each jittered by a few days."""
        first, last = first or self.start, last or self.end
        span = (last - first).days
        days = []
        for i in range(count):
            day = first + dt.timedelta(days=span * i // max(count, 1) + self.rng.randint(0, 4))
            days.append(self.workday(min(day, last)))
        return days

    def workday(self, day: dt.date) -> dt.date:
        return self.calendar.next_workday(day)

    def later(self, day: dt.date, lo: int, hi: int) -> dt.date:
        return self.calendar.add_workdays(day, self.rng.randint(lo, hi))

    def number(self, stem: str) -> int:
        self.numbers[stem] = self.numbers.get(stem, 0) + 1
        return self.numbers[stem]

    # --- decisions ------------------------------------------------------------------------------

    def decision(self, kind: str, title: str, issued_on: dt.date, *, doc_number: str = "", issuer: str = "",
                 registrar: str = "zfdcs.ducha", body: str = "") -> PlannedDecision:
        registered = self.later(issued_on, 0, 2)
        decision = PlannedDecision(
            key=f"d{len(self.decisions) + 1}", kind=kind, title=title, doc_number=doc_number, issuer=issuer,
            issued_on=issued_on, registered_on=registered, registrar=registrar,
            body=body or f"{title}。请各地各部门认真贯彻落实，按时限要求报送进展情况。",
        )
        self.decisions.append(decision)
        return decision

    def government_registrar(self, issuer: str) -> str:
        if "委" in issuer:
            return "zwdcs.ducha"
        return self.rng.choice(["zfdcs.ducha", "zfdcs.ducha2"])

    def plan_documents(self, count: int) -> None:
        titles = self.rng.sample(t.DOCUMENTS, count)
        for issued_on, (title, stem, issuer) in zip(self.spread(count), titles, strict=True):
            doc_number = f"{stem}〔{issued_on.year}〕{self.number(stem + str(issued_on.year)) + 3}号"
            d = self.decision(DecisionKind.DOCUMENT, title.format(year=issued_on.year + (issued_on.month == 12)),
                              issued_on, doc_number=doc_number, issuer=issuer,
                              registrar=self.government_registrar(issuer))
            for topic in self.pick_topics(self.rng.randint(5, 9)):
                self.topic_task(d, topic, explicit_deadline=self.rng.random() < 0.4)

    def plan_meetings(self, every_days: int) -> None:
        count = (self.end - self.start).days // every_days
        for held_on in self.spread(count):
            kinds = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
            template, issuer = t.MEETINGS[self.rng.choice(kinds)]
            n = self.number(template) + (57 if "常务会议" in template else 20)
            title = template.format(n=n, topic=self.rng.choice(t.MEETING_TOPICS))
            d = self.decision(DecisionKind.MEETING, title, held_on, doc_number=f"〔{held_on.year}〕第{n}期",
                              issuer=issuer, registrar=self.government_registrar(issuer))
            for topic in self.pick_topics(self.rng.randint(3, 4)):
                self.topic_task(d, topic, explicit_deadline=self.rng.random() < 0.2)

    def plan_instructions(self, count: int) -> None:
        leaders = [("zhou.zhouzhang", "州长"), ("zhou.fuzhouzhang", "副州长"), ("zhou.mishuzhang", "州委秘书长")]
        for day in self.spread(count):
            login, title = self.rng.choice(leaders[:2] * 2 + leaders[2:])
            for _ in range(20):
                template, dept = self.rng.choice(t.INSTRUCTION_SUBJECTS)
                county = self.rng.choice(self.counties)
                subject = template.format(county=county.name)
                if f"办理{title}对《关于{subject}》的批示" not in self.titles:
                    break
            named = "{county}" in template
            n = self.number(f"instruction{day.year}")
            d = self.decision(DecisionKind.INSTRUCTION, f"{title}对《关于{subject}》的批示", day,
                              doc_number=f"州领导批示〔{day.year}〕{n}号", issuer=title,
                              registrar="zwdcs.ducha" if login == "zhou.mishuzhang" else "zfdcs.ducha",
                              body=self.rng.choice(t.INSTRUCTION_TEXTS))
            lead = (county.key,) if named else (f"pref:{dept}",)
            cooperate = (f"pref:{dept}",) if named else ()
            urgency = self.rng.choice([Urgency.URGENT, Urgency.NORMAL, Urgency.NORMAL, Urgency.ROUTINE])
            fate = self.fate(lead, DecisionKind.INSTRUCTION, cascade_pool=self.cascade_pool(lead, (dept,)))
            self.task(d, f"办理{title}对《关于{subject}》的批示", "领导批示", lead, cooperate, urgency=urgency,
                      leader=login, fate=fate)

    def plan_annual_work(self) -> None:
        year = self.start.year + 1
        winter = self.decision(DecisionKind.PLAN, f"示范州冬春农田水利基本建设计划（{year - 1}—{year}年）",
                               self.workday(self.start + dt.timedelta(days=9)), doc_number=f"示州政办发〔{year - 1}〕88号",
                               issuer="示范州人民政府办公室")
        for topic in [x for x in t.TOPICS if x.category in ("农业农村", "生态环境")][:6]:
            self.topic_task(winter, topic, cadence=Cadence.MONTHLY, report_day=25,
                            deadline=dt.date(year, 4, 30))
        report = self.decision(DecisionKind.PLAN, f"示范州{year}年政府工作报告重点工作任务分工方案",
                               self.workday(dt.date(year, 2, 24)), doc_number=f"示州政发〔{year}〕2号",
                               issuer="示范州人民政府")
        for topic in self.pick_topics(32):
            long_running = self.rng.random() < 0.4
            finish = self.pick_day(dt.date(year, 6, 1), dt.date(year, 11, 20)) if self.rng.random() < 0.3 else None
            self.topic_task(report, topic, cadence=Cadence.QUARTERLY, report_day=5,
                            deadline=None if long_running else dt.date(year, 12, 31), finish_on=finish,
                            is_key=self.rng.random() < 0.2)
        projects = self.decision(DecisionKind.PLAN, f"示范州{year}年州级重点项目建设计划",
                                 self.workday(dt.date(year, 3, 5)), doc_number=f"示州政发〔{year}〕6号",
                                 issuer="示范州人民政府")
        for name, dept in t.PROJECTS:
            finish = self.pick_day(dt.date(year, 8, 1), dt.date(year, 11, 20)) if self.rng.random() < 0.3 else None
            county = next((c for c in self.counties if name.startswith(c.name)), None)
            lead = (f"pref:{dept}",)
            cooperate = (county.key, "pref:fgw") if county else ("pref:fgw", "pref:zrzyj")
            cooperate = tuple(u for u in cooperate if u not in lead)
            self.task(projects, f"加快推进{name}", "重点项目", lead, cooperate, cadence=Cadence.MONTHLY,
                      report_day=5, finish_on=finish, is_key=True,
                      leader=self.rng.choice(["zhou.zhouzhang", "zhou.fuzhouzhang"]),
                      fate=self.fate(lead, DecisionKind.PLAN, key=True))

    def pick_topics(self, count: int) -> list[t.Topic]:
        """Topics for one decision; a topic that names no place is worked on once a year."""
        fresh = [x for x in t.TOPICS if "{county}" in x.title or x.title.format(
            n="", park="", road="", river="", scenic="") not in self.once]
        chosen = self.rng.sample(fresh, count)
        self.once.update(x.title.format(n="", park="", road="", river="", scenic="") for x in chosen
                         if "{county}" not in x.title)
        return chosen

    def pick_day(self, first: dt.date, last: dt.date) -> dt.date:
        return self.workday(first + dt.timedelta(days=self.rng.randint(0, (last - first).days)))

    def deadline_after(self, day: dt.date, lo: int, hi: int) -> dt.date:
        return month_end(day + dt.timedelta(days=self.rng.randint(lo, hi)))

    # --- tasks ----------------------------------------------------------------------------------

    def topic_task(self, d: PlannedDecision, topic: t.Topic, *, explicit_deadline: bool = False, **extra) -> None:
        for attempt in range(30):
            if attempt >= 10:  # this topic has been everywhere this year: take up another one
                topic = self.rng.choice([x for x in t.TOPICS if "{county}" in x.title])
            county = self.rng.choice(self.counties)
            n = self.rng.randint(topic.target[2], topic.target[3]) if topic.target else self.rng.randint(2, 9)
            title = topic.title.format(county=county.name, park=county.name + self.rng.choice(t.PARKS), n=n,
                                       road=self.rng.choice(t.ROADS), river=self.rng.choice(t.RIVERS),
                                       scenic=self.rng.choice(t.SCENIC))
            if title not in self.titles:
                break
        lead = (county.key,) if topic.lead == "county" else (f"pref:{topic.lead}",)
        helpers = [county.key if c == "county" else f"pref:{c}" for c in topic.cooperate]
        helpers = [u for u in helpers if u not in lead]
        keep = min(len(helpers), self.rng.choice([1, 1, 2, 2, 3]))
        cooperate = tuple(u for u in helpers if u in helpers[:keep] or u == county.key)
        targets = ((topic.target[0], topic.target[1], 0, n),) if topic.target else ()
        deadline = extra.pop("deadline", None)
        if deadline is None and explicit_deadline:
            deadline = self.deadline_after(d.registered_on, 25, 90)
        milestones = ()
        if deadline and (deadline - d.registered_on).days > 45 and self.rng.random() < 0.3:
            milestones = (("制定实施方案", d.registered_on + dt.timedelta(days=10)),
                          ("完成主体工作", deadline - dt.timedelta(days=15)))
        fate = extra.pop("fate", None) or self.fate(
            lead, d.kind, key=extra.get("is_key", False), cadence=extra.get("cadence", Cadence.NONE),
            cascade_pool=self.cascade_pool(lead, (topic.lead, *topic.cooperate)))
        self.task(d, title, topic.category, lead, cooperate, deadline=deadline, milestones=milestones,
                  targets=targets, fate=fate, **extra)

    def task(self, d: PlannedDecision, title: str, category: str, lead: tuple[str, ...],
             cooperate: tuple[str, ...], **fields) -> None:
        created = d.registered_on if self.rng.random() < 0.7 else self.later(d.registered_on, 1, 1)
        self.task_at(d.key, created, d.registrar, title, category, lead, cooperate, **fields)

    def task_at(self, key: str, created: dt.date, supervisor: str, title: str, category: str,
                lead: tuple[str, ...], cooperate: tuple[str, ...], **fields) -> None:
        """A task of the decision, clue or inspection `key`, created on `created` under `supervisor`."""
        self.titles.add(title)
        fields.setdefault("fate", Fate())
        fields.setdefault("requirements", self.requirements(lead, cooperate, fields))
        self.drafts.append(dict(order=len(self.drafts), decision=key, title=title, category=category, lead=lead,
                                cooperate=cooperate, created_on=created, supervisor=supervisor, **fields))

    def requirements(self, lead, cooperate, fields) -> str:
        names = "、".join(self.name(u) for u in lead)
        text = f"由{names}牵头"
        if cooperate:
            text += f"，{'、'.join(self.name(u) for u in cooperate)}配合"
        if fields.get("deadline"):
            text += f"，{zh_date(fields['deadline'])}前完成"
        if fields.get("cadence") == Cadence.MONTHLY:
            text += f"，每月{fields.get('report_day') or 5}日前报送进展"
        elif fields.get("cadence") == Cadence.QUARTERLY:
            text += "，每季度结束后5日内报送进展"
        return text + "。坚持问题导向，以量化指标和实际成效反映进展，不得堆砌材料。"

    def name(self, key: str) -> str:
        unit: PlannedUnit = self.units[key]
        return unit.short_name or unit.name

    def cascade_pool(self, lead: tuple[str, ...], lines: tuple[str, ...]) -> tuple[str, ...]:
        """The county's own units that would take on a county-led task: its matching departments, a township."""
        if not lead or not lead[0].startswith("county:"):
            return ()
        depts = [u.key for u in self.org.children(lead[0], UnitLevel.DEPARTMENT) if u.line in lines]
        towns = self.org.children(lead[0], UnitLevel.TOWNSHIP)
        return tuple(depts[:1] + [u.key for u in self.rng.sample(towns, self.rng.randint(1, 2))])

    def fate(self, lead: tuple[str, ...], kind: str, *, key: bool = False, cadence: str = Cadence.NONE,
             cascade_pool: tuple[str, ...] = (), cascade_odds: float = 0.3) -> Fate:
        r = self.rng.random
        pace = self.rng.choices(["prompt", "tight", "late", "very_late"], weights=[56, 30, 9, 5])[0]
        extension = ""
        if cadence == Cadence.NONE:
            extension = self.rng.choices(["", "approved", "denied"], weights=[90, 7, 3])[0]
        cascade = cascade_pool if cascade_pool and r() < cascade_odds else ()
        if cascade and pace == "prompt":
            pace = "tight"  # the county reports up after its own units have finished
        returned_to = ""
        if not cascade and r() < 0.05:
            returned_to = self.rng.choice([u for u in self.units if u.startswith("pref:") and u not in lead])
        return Fate(
            pace=pace,
            extension=extension,
            cancel=r() < 0.025,
            returned_to=returned_to,
            reject_final=r() < 0.08,
            cascade=cascade,
            follow_up=("reinstruct" if r() < 0.2 else "read") if kind == DecisionKind.INSTRUCTION else "",
            leader_note=key and r() < 0.35,
        )
