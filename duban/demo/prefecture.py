"""The demo prefecture 示范州: its units and people, and a year of supervision lived through the services.

`build_prefecture` plans everything from the seed (`duban.demo.plan`), creates
the units and people, replays the year up to now (`duban.demo.history`,
`duban.demo.stories`), refreshes the lights, and reports what it built.
"""

import datetime as dt
import time

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q

from duban.core import clock
from duban.demo.clue_stories import clue_story, forward_story, sweep_story
from duban.demo.history import History
from duban.demo.inspection_stories import finding_story, inspection_story
from duban.demo.orgplan import OrgPlan
from duban.demo.plan import PrefecturePlan, plan_prefecture
from duban.demo.stories import decision_story, task_story
from duban.demo.summary import DemoSummary
from duban.inspection.models import Finding, Inspection
from duban.org.models import Role, Unit, User
from duban.org.services import person_create, unit_create
from duban.supervision.lights import lights_refresh
from duban.supervision.models import Assignment, Decision, Report, Task
from duban.voice.models import Clue, ClueState

# One login per role for the summary: (label, username); the liaison is chosen by open work.
LOGINS = [
    ("领导", "zhou.zhouzhang"),
    ("督查员", "zfdcs.ducha"),
    ("县督查员", "qingshan.ducha"),
    ("单位负责人", "fgw.fuze"),
    ("联络员", None),
    ("督查组成员", "zhou.duchazu1"),
    ("系统管理员", "zhou.xitong"),
    ("安全管理员", "zhou.anquan"),
    ("审计管理员", "zhou.shenji"),
]


def build_prefecture(*, seed: int, password: str, out) -> DemoSummary:
    started = time.monotonic()
    plan = plan_prefecture(seed)
    until = clock.now()
    out.write(f"示范州：{len(plan.org.units)} 个单位，{len(plan.org.people)} 人，{len(plan.decisions)} 项决策部署，"
              f"{len(plan.clues)} 条群众线索，{len(plan.inspections)} 次实地督查，{len(plan.tasks)} 项督办事项"
              f"（{plan.start} 至 {plan.end}）")
    # The office was set up the week before its year of history begins.
    with clock.frozen(clock.at_local(plan.start - dt.timedelta(days=7), 9)), transaction.atomic():
        units = create_units(plan.org)
        people = create_people(plan.org, units, password)
    out.write("  单位和人员已创建。")
    history = History(plan=plan, units=units, people=people, seed=seed, until=until, out=out)
    schedule(history, plan)
    history.run()
    lights_refresh()
    skipped = sum(history.skipped.values())
    detail = "，".join(f"{code} {n}" for code, n in sorted(history.skipped.items()))
    out.write(f"  共执行 {history.executed} 项操作；因状态已变化跳过 {skipped} 项{'（' + detail + '）' if detail else ''}。")
    summary = summarize(password)
    summary.seconds = time.monotonic() - started
    summary.end = plan.end
    return summary


def create_units(org: OrgPlan) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for order, planned in enumerate(org.units):
        units[planned.key] = unit_create(actor=None, name=planned.name, level=planned.level,
                                         parent=units[planned.parent] if planned.parent else None,
                                         short_name=planned.short_name, aliases=list(planned.aliases),
                                         sort_order=order)
    return units


def create_people(org: OrgPlan, units: dict[str, Unit], password: str) -> dict[str, User]:
    # Every demo login shares the one published password: hash it once (PBKDF2 is slow on purpose).
    encoded = make_password(password)
    return {
        p.username: person_create(actor=None, username=p.username, full_name=p.full_name, unit=units[p.unit],
                                  roles=list(p.roles), password=password, password_hash=encoded, title=p.title,
                                  check_password=False)
        for p in org.people
    }


def schedule(history: History, plan: PrefecturePlan) -> None:
    """Every decision is registered in the morning; its tasks are created later that day or after. Clues come
    in at any hour; a clue's task is its forwarding, a finding's is recorded on the day of its visit."""
    for d in plan.decisions:
        rng = history.rng("decision", d.key)
        history.spawn(decision_story(history, d), at=clock.at_local(d.registered_on, 9, rng.randint(0, 50)))
    for clue in plan.clues:
        history.spawn(clue_story(history, clue), at=clue.submitted_at)
    for inspection in plan.inspections:
        rng = history.rng("inspection-plan", inspection.key)
        history.spawn(inspection_story(history, inspection),
                      at=clock.at_local(inspection.planned_on, 9, rng.randint(0, 50)))
    for task in plan.tasks:
        rng = history.rng("created", task.index)
        story, day = task_story, task.created_on
        if task.clue:
            story = forward_story
        elif task.finding is not None:
            story, day = finding_story, task.finding.recorded_on
        history.spawn(story(history, task), at=clock.at_local(day, rng.choice([10, 11, 14, 15, 16]), rng.randint(0, 59)))
    history.spawn(sweep_story(history), at=clock.at_local(plan.start, 8))


def summarize(password: str) -> DemoSummary:
    summary = DemoSummary(
        units=Unit.objects.count(),
        people=User.objects.count(),
        decisions=Decision.objects.count(),
        tasks=Task.objects.count(),
        assignments=Assignment.objects.count(),
        reports=Report.objects.count(),
        clues=Clue.objects.count(),
        clues_waiting=Clue.objects.filter(state=ClueState.RECEIVED).count(),
        inspections=Inspection.objects.count(),
        findings=Finding.objects.count(),
        password=password,
    )
    for label, username in LOGINS:
        user = User.objects.select_related("unit").get(username=username) if username else busiest_liaison()
        summary.logins.append((label, user.username, user.unit.name))
    return summary


def busiest_liaison() -> User:
    """A prefecture department's liaison with open work to show."""
    open_work = Count("unit__assignments", filter=Q(unit__assignments__state__in=["pending", "in_progress"]))
    return (User.objects.filter(role_grants__role=Role.LIAISON, unit__level="department",
                                unit__parent__level="prefecture")
            .select_related("unit").annotate(open_work=open_work).order_by("-open_work", "username").first())
