"""效能评估 and 研判: the figures per unit on a hand-built world and on random ones (against a replay of
the Events), the scoring rule, the page and its query bound, and recording a judgement of delivery."""

import datetime as dt
from collections import defaultdict

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban.audit.chain import chain_verify
from duban.audit.models import Event
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.core.periods import month, period_or_this_month, quarter
from duban.scorecards.figures import UnitCard, active_rule, score_units, scorecard_for
from duban.scorecards.models import ScoreRule, TaskConfidence
from duban.scorecards.selectors import (
    confidence_for_task,
    confidence_latest_for,
    planned_value,
    trajectories_for,
)
from duban.scorecards.services import confidence_record, score_rule_save
from duban.supervision import services as s
from duban.supervision.models import Assignment, Report, Task
from duban.workdays.store import get_calendar

JUNE = month(2026, 6)
COUNTS = ("assigned", "signed_on_time", "done", "done_on_time", "overdue", "overdue_days", "overdue_with_reason",
          "due", "active", "reports", "returned", "extensions", "extensions_approved", "extensions_denied",
          "extensions_pending")


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return clock.at_local(day, hour)


def d(month_: int, day: int) -> dt.date:
    return dt.date(2026, month_, day)


def new_task(c, title: str, unit, deadline: dt.date, targets=None) -> Task:
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title=f"{title}会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, lead_unit_ids=[unit.pk],
                         deadline=deadline, targets=targets)
    return s.task_assign(actor=c.supervisor, task=task)


def live(task: Task, unit) -> Assignment:
    return Assignment.objects.exclude(state__in=["reassigned", "cancelled"]).get(task=task, unit=unit)


def report(c_head, a: Assignment, final: bool = False) -> Report:
    return s.report_submit(actor=c_head, assignment=live(a.task, a.unit), text="本期进展：按计划推进。",
                           progress=100 if final else 50, is_final=final)


def set_objective_reason(a: Assignment, text: str) -> None:
    # No service records 客观原因 yet; the figures only read the field.
    Assignment.objects.filter(pk=a.pk).update(objective_reason=text)


@pytest.fixture
def june_world(cast, frozen):
    """Three units' June: late and timely signings, returns, extensions, on-time and late completions."""
    c = cast
    task_a1 = new_task(c, "重点项目开工", c.pref_drc, d(6, 10))
    task_a2 = new_task(c, "专项资金拨付", c.pref_finance, d(6, 10))
    task_b = new_task(c, "县域营商环境整改", c.county, d(6, 15))
    task_c = new_task(c, "年度预算调整", c.pref_finance, d(7, 31))  # never signed
    drc, fin, county = live(task_a1, c.pref_drc), live(task_a2, c.pref_finance), live(task_b, c.county)
    s.assignment_sign(actor=c.drc_liaison, assignment=drc)  # 6-1: on time
    frozen.move_to(at(d(6, 2)))
    s.assignment_sign(actor=c.county_liaison, assignment=county)  # 6-2 before its end: on time
    frozen.move_to(at(d(6, 3)))
    s.assignment_sign(actor=c.finance_liaison, assignment=fin)  # 6-3: late (due 6-2)
    r1 = report(c.drc_head, drc)
    s.report_review(actor=c.supervisor, report=r1, accept=False, comment="缺少项目清单。")
    r2 = report(c.drc_head, drc)
    s.report_review(actor=c.supervisor, report=r2, accept=True)
    frozen.move_to(at(d(6, 4)))
    ext = s.extension_request(actor=c.drc_liaison, assignment=live(task_a1, c.pref_drc), reason="用地审批未完成。",
                              requested_deadline=d(6, 20))
    s.extension_decide(actor=c.supervisor, extension=ext, approve=True)
    frozen.move_to(at(d(6, 5)))
    report(c.drc_head, drc, final=True)
    s.assignment_reject(actor=c.supervisor, assignment=live(task_a1, c.pref_drc), comment="佐证不全。")
    ext_b = s.extension_request(actor=c.county_liaison, assignment=live(task_b, c.county), reason="需上级协调。",
                                requested_deadline=d(6, 30))
    s.extension_decide(actor=c.supervisor, extension=ext_b, approve=False, comment="理由不充分。")
    frozen.move_to(at(d(6, 8)))
    report(c.drc_head, drc, final=True)
    s.assignment_verify(actor=c.supervisor, assignment=live(task_a1, c.pref_drc))  # on time (deadline 6-20)
    frozen.move_to(at(d(6, 12)))
    report(c.finance_head, fin, final=True)
    s.assignment_verify(actor=c.supervisor, assignment=live(task_a2, c.pref_finance))  # late by 2 days
    set_objective_reason(county, "上级审批权限调整，非本单位原因。")
    frozen.move_to(at(d(7, 2)))
    return c, {"c": task_c}


def cards_of(user, period=JUNE, rule=None) -> dict[str, UnitCard]:
    return {u.name: u for u in scorecard_for(user=user, period=period, rule=rule).units}


# ---- the figures on a hand-built world -------------------------------------------------------------


def test_it_computes_every_figure_of_a_hand_built_june(june_world):
    c, _ = june_world
    cards = cards_of(c.supervisor)
    assert set(cards) == {"州发改委", "州财政局", "甲县"}
    got = {name: {k: getattr(card, k) for k in COUNTS} for name, card in cards.items()}
    assert got["州发改委"] == dict(assigned=1, signed_on_time=1, done=1, done_on_time=1, overdue=0, overdue_days=0,
                                 overdue_with_reason=0, due=1, active=1, reports=4, returned=2, extensions=1,
                                 extensions_approved=1, extensions_denied=0, extensions_pending=0)
    # The unsigned 年度预算调整 counts against sign-in; it is not due before July's end.
    assert got["州财政局"] == dict(assigned=2, signed_on_time=0, done=1, done_on_time=0, overdue=1, overdue_days=2,
                                 overdue_with_reason=0, due=1, active=2, reports=1, returned=0, extensions=0,
                                 extensions_approved=0, extensions_denied=0, extensions_pending=0)
    # Open at the end of June, 16 calendar days past 6-15 (counted to 7-1), with a recorded 客观原因.
    assert got["甲县"] == dict(assigned=1, signed_on_time=1, done=0, done_on_time=0, overdue=1, overdue_days=16,
                              overdue_with_reason=1, due=1, active=1, reports=0, returned=0, extensions=1,
                              extensions_approved=0, extensions_denied=1, extensions_pending=0)
    assert cards["州发改委"].return_rate == 0.5
    assert cards["州财政局"].sign_rate == 0.0


def test_it_scores_and_ranks_by_the_rule_and_reads_objective_reasons(june_world):
    c, _ = june_world
    cards = cards_of(c.supervisor)
    # Default rule 20/40/20/10/10; a figure without a base is left out and the rest count in proportion.
    assert (cards["州发改委"].score, cards["州发改委"].rank) == (85.0, 1)
    assert (cards["甲县"].score, cards["甲县"].rank) == (80.0, 2)  # 客观原因 exempts its overdue item
    assert (cards["州财政局"].score, cards["州财政局"].rank) == (20.0, 3)
    strict = ScoreRule(name="严格", objective_exempts=False)
    cards = cards_of(c.supervisor, rule=strict)
    assert cards["甲县"].score == 40.0
    assert cards["甲县"].overdue_with_reason == 1


def test_it_reads_the_period_and_the_scope(june_world):
    c, _ = june_world
    july = cards_of(c.supervisor, period=month(2026, 7))
    # In July only the still-open county item and the never-signed one (due 7-31) are in play.
    assert july["甲县"].overdue == 1 and july["甲县"].overdue_days == 31 + 16
    fin = july["州财政局"]
    assert (fin.assigned, fin.due, fin.active, fin.overdue, fin.overdue_days) == (0, 1, 1, 1, 1)
    assert "州发改委" not in july
    q2 = cards_of(c.supervisor, period=quarter(2026, 2))
    assert q2["州发改委"].done == 1
    # A county supervisor sees the county's subtree only.
    assert set(cards_of(c.county_supervisor)) == {"甲县"}
    assert cards_of(c.other_supervisor) == {}


def test_it_writes_the_rule_in_chinese_and_through_a_service(cast, frozen):
    assert active_rule().text() == ("综合得分 = 签收及时率×20% + 按期办结率×40% + 逾期控制率×20% + "
                                    "反馈采纳率×10% + 按原时限办理率×10%")
    with pytest.raises(PermissionDenied):
        score_rule_save(actor=cast.supervisor, rule=ScoreRule(name="自定"))
    with pytest.raises(DomainError) as e:
        score_rule_save(actor=cast.sysadmin, rule=ScoreRule(name="全零", w_sign=0, w_on_time=0, w_overdue=0,
                                                            w_returns=0, w_extensions=0))
    assert e.value.code == "score_rule_weight_zero"
    first = score_rule_save(actor=cast.sysadmin, rule=ScoreRule(name="一", w_sign=50, w_on_time=50, w_overdue=0,
                                                                w_returns=0, w_extensions=0))
    second = score_rule_save(actor=cast.sysadmin, rule=ScoreRule(name="二", show_ranking=False))
    assert active_rule().pk == second.pk
    first.refresh_from_db()
    assert not first.is_active
    assert first.text() == "综合得分 = 签收及时率×50% + 按期办结率×50%"
    assert Event.objects.filter(verb="score_rule.create").count() == 2


def test_it_parses_periods():
    today = dt.date(2026, 11, 29)
    assert period_or_this_month("2026-02", today) == month(2026, 2)
    assert month(2026, 2).end == dt.date(2026, 2, 28)
    assert period_or_this_month("2026-q4", today).start == dt.date(2026, 10, 1)
    assert period_or_this_month("2026-Q4", today).end == dt.date(2026, 12, 31)
    assert period_or_this_month("2026-06-10..2026-06-01", today).start == dt.date(2026, 6, 1)
    assert period_or_this_month("2026-13", today) == month(2026, 11)
    assert period_or_this_month(None, today).label == "2026年11月"
    # Every period reads back from its own key, and names itself as a document would.
    for period in (month(2026, 2), quarter(2026, 4), period_or_this_month("2026-06-03..2027-01-02", today)):
        assert period_or_this_month(period.key, today) == period
    assert [p.label for p in (quarter(2026, 4), month(2026, 12))] == ["2026年第四季度", "2026年12月"]
    assert period_or_this_month("2026-06-03/2026-06-09", today).label == "2026年6月3日至6月9日"
    assert period_or_this_month("2026-04-01..2026-06-30", today).key == "2026-Q2"


# ---- random worlds against a replay of the Events ------------------------------------------------

UNITS = ("pref_drc", "pref_finance", "county")
HEADS = {"pref_drc": "drc_head", "pref_finance": "finance_head", "county": "county_head"}
LIAISONS = {"pref_drc": "drc_liaison", "pref_finance": "finance_liaison", "county": "county_liaison"}
HOURS = (7, 9, 23)  # 07:00 and 23:00 in Shanghai fall on another UTC date
START = d(6, 1)

script = st.fixed_dictionaries({
    "unit": st.sampled_from(UNITS),
    "assign": st.integers(0, 40),
    "hour": st.sampled_from(HOURS),
    "length": st.integers(3, 25),
    "sign": st.none() | st.integers(0, 4),
    "reports": st.lists(st.tuples(st.integers(0, 12), st.booleans()), max_size=2),
    "extension": st.none() | st.tuples(st.integers(0, 10), st.booleans()),
    "finish": st.none() | st.tuples(st.integers(0, 30), st.booleans()),
    "reason": st.booleans(),
})


def run_world(c, scripts, traveller) -> dict[int, str]:
    """Carry out the scripts in time order through the services. Returns task id → unit key of those with a
    recorded 客观原因. Calls the lifecycle refuses (wrong state, too late) are simply part of the world."""
    steps = []  # (moment, order, step)
    tasks: dict[int, Task] = {}

    for n, sc in enumerate(scripts):
        unit = getattr(c, sc["unit"])
        head = getattr(c, HEADS[sc["unit"]])
        assign_day = START + dt.timedelta(days=sc["assign"])
        deadline = assign_day + dt.timedelta(days=sc["length"])

        def day(offset, hour=sc["hour"], base=assign_day):
            return at(base + dt.timedelta(days=offset), hour)

        def assign(n=n, unit=unit, deadline=deadline):
            tasks[n] = new_task(c, f"事项{n}", unit, deadline)

        def a(n=n, unit=unit):
            return live(tasks[n], unit)

        steps.append((day(0), n, 0, assign))
        if sc["sign"] is None:
            continue
        signed = sc["sign"]
        liaison = getattr(c, LIAISONS[sc["unit"]])
        steps.append((day(signed), n, 1, lambda a=a, liaison=liaison: s.assignment_sign(actor=liaison,
                                                                                        assignment=a())))
        for i, (offset, accept) in enumerate(sc["reports"]):
            made = {}

            def send(a=a, head=head, made=made):
                made["r"] = report(head, a())

            def review(accept=accept, made=made):
                if "r" in made:
                    s.report_review(actor=c.supervisor, report=made["r"], accept=accept, comment="请补充数据。")

            steps.append((day(signed + offset), n, 2 + 2 * i, send))
            steps.append((day(signed + offset + 1), n, 3 + 2 * i, review))
        if sc["extension"] is not None:
            offset, approve = sc["extension"]
            made = {}

            def ask(a=a, head=head, made=made, deadline=deadline):
                made["e"] = s.extension_request(actor=head, assignment=a(), reason="客观条件变化。",
                                                requested_deadline=deadline + dt.timedelta(days=10))

            def decide(approve=approve, made=made):
                if "e" in made:
                    s.extension_decide(actor=c.supervisor, extension=made["e"], approve=approve, comment="研究决定。")

            steps.append((day(signed + offset), n, 10, ask))
            steps.append((day(signed + offset + 1), n, 11, decide))
        if sc["finish"] is not None:
            offset, first_verified = sc["finish"]

            def final(a=a, head=head):
                report(head, a(), final=True)

            def verdict(a=a, verify=first_verified):
                if verify:
                    s.assignment_verify(actor=c.supervisor, assignment=a())
                else:
                    s.assignment_reject(actor=c.supervisor, assignment=a(), comment="佐证不全。")

            def verify(a=a):
                s.assignment_verify(actor=c.supervisor, assignment=a())

            steps.append((day(signed + offset), n, 20, final))
            steps.append((day(signed + offset + 1), n, 21, verdict))
            if not first_verified:
                steps.append((day(signed + offset + 3), n, 22, final))
                steps.append((day(signed + offset + 4), n, 23, verify))

    steps.sort(key=lambda step: (step[0], step[1], step[2]))
    for moment, _n, _k, step in steps:
        traveller.move_to(moment)
        try:
            step()
        except (DomainError, KeyError):
            pass
    reasons = {}
    for n, sc in enumerate(scripts):
        if sc["reason"] and n in tasks:
            set_objective_reason(live(tasks[n], getattr(c, sc["unit"])), "客观原因。")
            reasons[tasks[n].pk] = sc["unit"]
    return reasons


def replay(period, now: dt.datetime, unit_names: dict[int, str], reasons: dict[int, str]) -> dict[str, dict]:
    """The figures per unit recomputed in plain Python from the Events alone (and the 客观原因 recorded)."""
    cal = get_calendar()
    day_of = lambda e: clock.local(e.created_at).date()  # noqa: E731
    work = {}  # (task_id, unit_id) → facts
    reports = {}  # report id → (key, sent day)
    extensions = {}  # extension id → facts
    for e in Event.objects.order_by("seq"):
        key = (e.task_id, e.unit_id)
        if e.verb == "task.assign":
            for unit_id in e.payload["units"]:
                work[(e.task_id, unit_id)] = {
                    "assigned": day_of(e), "deadline": dt.date.fromisoformat(e.payload["deadline"]),
                    "sign_due": cal.add_workdays(day_of(e), 1), "signed": False, "late": None,
                    "submitted": None, "done": None, "on_time": None, "reports": [], "returned": []}
        elif e.verb == "assignment.sign":
            work[key].update(signed=True, late=e.payload["late"])
        elif e.verb == "report.submit":
            assert e.payload["state"] == "submitted"
            reports[e.object_id] = key
            work[key]["reports"].append(day_of(e))
            if e.payload["final"]:
                work[key]["submitted"] = day_of(e)
        elif e.verb == "report.review" and not e.payload["accept"]:
            work[reports[e.object_id]]["returned"].append(day_of(e))
        elif e.verb == "assignment.reject":
            work[key]["returned"].append(day_of(e))
            work[key]["submitted"] = None
        elif e.verb == "assignment.verify":
            work[key].update(done=day_of(e), on_time=e.payload["on_time"])
        elif e.verb == "extension.request":
            extensions[e.object_id] = {"key": key, "day": day_of(e), "approve": None}
        elif e.verb == "extension.decide":
            extensions[e.object_id]["approve"] = e.payload["approve"]
            if e.payload["approve"]:
                work[key]["deadline"] = dt.date.fromisoformat(e.payload["granted_deadline"])
    start, last = period.start, period.end
    inside = lambda day: day is not None and start <= day <= last  # noqa: E731
    passed = clock.passed_through(now)
    out = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for (task_id, unit_id), w in work.items():
        f = out[unit_names[unit_id]]
        if inside(w["assigned"]) and (w["signed"] or w["sign_due"] <= passed):
            f["assigned"] += 1
            f["signed_on_time"] += int(w["signed"] and not w["late"])
        if inside(w["done"]):
            f["done"] += 1
            f["done_on_time"] += int(w["on_time"])
        late_done = inside(w["done"]) and not w["on_time"]
        open_overdue = (w["deadline"] <= last and w["assigned"] <= last
                        and (w["done"] is None or w["done"] > last)
                        and (w["submitted"] is None or w["submitted"] > w["deadline"]))
        if late_done or open_overdue:
            f["overdue"] += 1
            f["overdue_with_reason"] += int(task_id in reasons)
            until = (w["submitted"] or w["done"]) if late_done else period.after
            f["overdue_days"] += (until - w["deadline"]).days
        not_done_before = w["done"] is None or w["done"] >= start
        f["due"] += int(w["deadline"] <= last and w["assigned"] <= last and not_done_before)
        f["active"] += int(w["assigned"] <= last and not_done_before)
        f["reports"] += sum(inside(day) for day in w["reports"])
        f["returned"] += sum(inside(day) for day in w["returned"])
    for x in extensions.values():
        if inside(x["day"]):
            f = out[unit_names[x["key"][1]]]
            f["extensions"] += 1
            f["extensions_approved"] += int(x["approve"] is True)
            f["extensions_denied"] += int(x["approve"] is False)
            f["extensions_pending"] += int(x["approve"] is None)
    return {name: f for name, f in out.items()
            if f["assigned"] or f["done"] or f["due"] or f["reports"] or f["extensions"] or f["overdue"]}


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scripts=st.lists(script, min_size=1, max_size=7))
def test_it_matches_a_replay_of_the_events_on_random_worlds(cast, scripts):
    c = cast
    unit_names = {getattr(c, key).pk: getattr(c, key).short_name or getattr(c, key).name for key in UNITS}
    with transaction.atomic():
        with time_machine.travel(at(START), tick=False) as traveller:
            reasons = run_world(c, scripts, traveller)
            now = at(d(8, 20), 10)
            traveller.move_to(now)
            for period in (month(2026, 6), month(2026, 7), quarter(2026, 3)):
                expected = replay(period, now, unit_names, reasons)
                got = {u.name: {k: getattr(u, k) for k in COUNTS}
                       for u in scorecard_for(user=c.supervisor, period=period).units}
                assert got == expected, period.key
            assert chain_verify().ok
        transaction.set_rollback(True)


def test_it_scores_a_unit_without_any_base_as_unscored():
    cards = [UnitCard(unit_id=1, name="甲", path="1/"), UnitCard(unit_id=2, name="乙", path="2/", assigned=2,
                                                                  signed_on_time=1)]
    score_units(cards, ScoreRule(name="默认"))
    assert [(u.name, u.score, u.rank) for u in cards] == [("乙", 50.0, 1), ("甲", None, None)]


# ---- 研判 -----------------------------------------------------------------------------------------


def test_it_records_a_confidence_judgement_with_its_history(cast, frozen):
    c = cast
    task = new_task(c, "农村公路改造", c.pref_drc, d(6, 30))
    first = confidence_record(actor=c.supervisor, task=task, level="green_yellow", reason="进度略慢于计划。")
    frozen.move_to(at(d(6, 8)))
    second = confidence_record(actor=c.supervisor, task=task, level="yellow_red", reason="征地受阻，需领导协调。")
    event = Event.objects.get(verb="task.confidence", object_id=second.pk)
    assert (event.task_id, event.actor_id, event.payload) == (
        task.pk, c.supervisor.pk, {"level": "yellow_red", "reason": "征地受阻，需领导协调。"})
    shown = confidence_for_task(user=c.leader, task=task)
    assert [j.pk for j in shown["history"]] == [second.pk, first.pk]
    assert shown["latest"].pk == second.pk and not shown["may_record"]
    assert confidence_for_task(user=c.supervisor, task=task)["may_record"]
    assert confidence_latest_for(user=c.leader)[task.pk].level == "yellow_red"
    assert confidence_latest_for(user=c.other_supervisor) == {}


@pytest.mark.parametrize("level, reason, code", [
    ("green", "   ", "confidence_reason_required"),
    ("purple", "理由。", "confidence_level_invalid"),
])
def test_it_refuses_a_judgement_without_level_or_reason(cast, frozen, level, reason, code):
    task = new_task(cast, "农村公路改造", cast.pref_drc, d(6, 30))
    before = Event.objects.count()
    with pytest.raises(DomainError) as e:
        confidence_record(actor=cast.supervisor, task=task, level=level, reason=reason)
    assert e.value.code == code and "研判" in e.value.message
    assert TaskConfidence.objects.count() == 0 and Event.objects.count() == before


def test_it_lets_only_the_tasks_supervisors_judge(cast, frozen):
    task = new_task(cast, "农村公路改造", cast.pref_drc, d(6, 30))
    with pytest.raises(PermissionDenied):
        confidence_record(actor=cast.drc_liaison, task=task, level="green", reason="我们进度正常。")
    with pytest.raises(NotFound):
        confidence_record(actor=cast.other_supervisor, task=task, level="red", reason="看不到。")
    assert not TaskConfidence.objects.exists()


# ---- delivery trajectories ------------------------------------------------------------------------


def test_it_flags_a_target_that_falls_behind_its_path(cast, frozen):
    c = cast
    task = new_task(c, "新增就业岗位", c.pref_drc, d(7, 1), targets=[
        {"name": "新增就业", "measure": "人", "baseline": 0, "target": 3000},
        {"name": "失业率", "measure": "%", "baseline": 5, "target": 3}])
    rise, fall = sorted(task.targets.all(), key=lambda t: t.pk)
    a = live(task, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=a)
    frozen.move_to(at(d(6, 16)))  # half way from 6-1 to 7-1
    s.report_submit(actor=c.drc_head, assignment=a, text="半月进展。", progress=50,
                    target_values={rise.pk: "1200", fall.pk: "3.9"})
    tracks = {t.name: t for t in trajectories_for(user=c.leader, task=task)}
    assert tracks["新增就业"].planned_at_latest == 1500 and tracks["新增就业"].below
    assert tracks["失业率"].planned_at_latest == 4 and not tracks["失业率"].below
    assert planned_value(0, 10, d(6, 1), d(6, 11), d(7, 1)) == 10


# ---- the page ---------------------------------------------------------------------------------------


def test_the_page_shows_every_figure_the_rule_and_the_ranking(june_world, client):
    c, _ = june_world
    client.force_login(c.supervisor)
    page = client.get("/scorecards/?period=2026-06").content.decode()
    assert "综合得分 = 签收及时率×20% + 按期办结率×40%" in page
    assert "2026年6月" in page and "州发改委" in page and "85.0" in page and "16天" in page
    assert "2026年6月1日至2026年6月30日" in page
    assert "排名" in page
    score_rule_save(actor=c.sysadmin, rule=ScoreRule(name="不排名", show_ranking=False))
    page = client.get("/scorecards/?period=2026-06").content.decode()
    assert "排名</th>" not in page and "本规则不显示排名" in page


def test_the_page_is_for_leaders_and_supervisors(cast, client):
    client.force_login(cast.drc_liaison)
    assert client.get("/scorecards/").status_code == 403
    client.force_login(cast.sysadmin)  # sent to enrol a second factor first; never shown the figures
    assert client.get("/scorecards/").status_code in (302, 403)
    client.force_login(cast.leader)
    assert client.get("/scorecards/").status_code == 200


def _busy_world(c, units):
    for n, unit in enumerate(units):
        task = new_task(c, f"事项{n}", unit, d(6, 10))
        head = {c.pref_drc.pk: c.drc_head, c.pref_finance.pk: c.finance_head, c.county.pk: c.county_head,
                c.county_drc.pk: c.county_drc_head}.get(unit.pk)
        if head is not None:
            a = live(task, unit)
            s.assignment_sign(actor=head, assignment=a)
            report(head, a)
            s.extension_request(actor=head, assignment=live(task, unit), reason="需协调。",
                                requested_deadline=d(6, 20))


@pytest.mark.parametrize("size", ["few", "more"])
def test_the_page_costs_the_same_queries_for_few_and_more_units(cast, frozen, client, size,
                                                                 django_assert_max_num_queries):
    c = cast
    units = [c.pref_drc] if size == "few" else [c.pref_drc, c.pref_finance, c.county, c.county_drc, c.township,
                                                c.other_drc]
    _busy_world(c, units)
    client.force_login(c.supervisor)
    with django_assert_max_num_queries(15):
        response = client.get("/scorecards/?period=2026-06")
    assert response.status_code == 200
    assert response.content.decode().count("<th scope=\"row\">") == len(units)


def test_the_form_records_a_judgement_or_shows_its_errors(cast, frozen, client):
    c = cast
    task = new_task(c, "农村公路改造", c.pref_drc, d(6, 30))
    client.force_login(c.supervisor)
    url = f"/tasks/{task.pk}/confidence/"
    response = client.post(url, {"level": "yellow", "reason": ""})
    assert response.status_code == 400
    assert "请写明研判理由。" in response.content.decode()
    assert not TaskConfidence.objects.exists()
    response = client.post(url, {"level": "yellow", "reason": "节点滞后一周。"})
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/#confidence"
    assert TaskConfidence.objects.get().level == "yellow"
    client.force_login(c.drc_liaison)
    response = client.post(url, {"level": "green", "reason": "正常。"})
    assert response.status_code == 403 and "只有督查员" in response.content.decode()
    client.force_login(c.other_supervisor)
    assert client.post(url, {"level": "green", "reason": "正常。"}).status_code == 404
    assert TaskConfidence.objects.count() == 1


def test_the_task_page_parts_render_the_judgements_and_the_trajectories(cast, frozen):
    from django.template.loader import render_to_string

    c = cast
    task = new_task(c, "新增就业岗位", c.pref_drc, d(7, 1), targets=[
        {"name": "新增就业", "measure": "人", "baseline": 0, "target": 3000}])
    a = live(task, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=a)
    frozen.move_to(at(d(6, 16)))
    target = task.targets.get()
    s.report_submit(actor=c.drc_head, assignment=a, text="半月进展。", progress=50, target_values={target.pk: "1200"})
    confidence_record(actor=c.supervisor, task=task, level="green", reason="开局良好。")
    confidence_record(actor=c.supervisor, task=task, level="yellow_red", reason="招聘会延期。")
    html = render_to_string("web/scorecards/_trajectories.html",
                            {"trajectories": trajectories_for(user=c.supervisor, task=task)})
    assert "落后于计划" in html and "1200" in html and "1500" in html
    html = render_to_string("web/scorecards/_confidence.html", {
        "task": task, "confidence": confidence_for_task(user=c.supervisor, task=task)})
    assert "最新研判" in html and "黄红" in html and "研判记录（2次）" in html and "记录研判" in html
    assert 'name="level" value="green_yellow"' in html
    html = render_to_string("web/scorecards/_confidence.html", {
        "task": task, "confidence": confidence_for_task(user=c.drc_liaison, task=task)})
    assert "招聘会延期" in html and "记录研判" not in html


@pytest.mark.parametrize("hour, on_time", [(17, True), (19, False)])
def test_it_ends_the_sign_in_day_at_the_configured_hour(cast, frozen, settings, hour, on_time):
    settings.DUBAN_DAY_END_HOUR = 18
    c = cast
    task = new_task(c, "农村公路改造", c.pref_drc, d(6, 30))
    frozen.move_to(at(d(6, 2), hour))  # the sign-in date itself, before or after the day ends
    s.assignment_sign(actor=c.drc_liaison, assignment=live(task, c.pref_drc))
    assert Event.objects.get(verb="assignment.sign").payload["late"] is not on_time
    card = cards_of(c.supervisor)["州发改委"]
    assert (card.assigned, card.signed_on_time) == (1, int(on_time))
