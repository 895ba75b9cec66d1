"""Data scope: every selector tried by every kind of person (DESIGN.md, Data scope).

The world: 州委督查室 registers 推进重点项目开工 (州发改委 leads, 州财政局 helps; the 州发改委's
liaison has a report still waiting for 赵主任, the 州财政局's liaison had one sent back inside the
unit), passes 产业园区建设 to 甲县, which decomposes it for its 发改局 and 城关镇; 乙县 runs a task
of its own; a task is returned by 州财政局 and reassigned to 州发改委; another is still a draft.

What each person should see is worked out below by a plain rule over every row (`Oracle`), not by
the selectors; a few facts are also spelled out by hand so that the rule itself is checked.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from duban.audit.models import Event
from duban.audit.selectors import event_get_for, event_list_for
from duban.core import clock
from duban.core.cast import build_cast
from duban.core.errors import DomainError, NotFound
from duban.escalation.models import Notice
from duban.org import services as org
from duban.org.models import Role, RoleGrant, Unit, UnitLevel, User
from duban.org.selectors import person_get_for, person_list_for, unit_get_for, unit_list_for
from duban.supervision import selectors as sel
from duban.supervision import services as s
from duban.supervision.models import (
    Assignment,
    Blocker,
    Decision,
    Evidence,
    Extension,
    Instruction,
    Milestone,
    Report,
    Target,
    Task,
)

D = dt.date
PDF = b"%PDF-1.4 \xe8\xbf\x9b\xe5\xba\xa6 1 0 obj << >> endobj %%EOF"
XLSX = b"PK\x03\x04 funds"
JPEG = b"\xff\xd8\xff\xe0 site photo"
ADMIN = {Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}
OVERSIGHT = {Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR}
IN_UNIT = {Role.LIAISON, Role.UNIT_HEAD}
INTERNAL_REPORT_STATES = {"unit_review", "unit_returned"}




# ---- the world ----------------------------------------------------------------------------------


def person(username, name, unit, *roles):
    return org.person_create(actor=None, username=username, full_name=name, unit=unit, roles=list(roles),
                             password=None)


def at(task, unit) -> Assignment:
    return Assignment.objects.exclude(state__in=["reassigned", "cancelled"]).get(task=task, unit=unit)


def new_task(actor, title, leads, helpers=(), **options) -> Task:
    decision = s.decision_create(actor=actor, kind="meeting", title=f"{title}专题会议纪要", issued_on=D(2026, 5, 28))
    return s.task_create(actor=actor, decision=decision, title=title, lead_unit_ids=[u.pk for u in leads],
                         cooperating_unit_ids=[u.pk for u in helpers], **options)


def build_world(c) -> SimpleNamespace:
    w = SimpleNamespace(c=c)
    inspector = person("zhou.duchazu", "周组员", c.prefecture, Role.INSPECTOR)
    other_leader = person("yx.lingdao", "卫县长", c.other_county, Role.LEADER)
    secadmin = person("anquan.admin", "韩安全", c.prefecture, Role.SECADMIN)
    auditor = person("shenji.admin", "杨审计", c.prefecture, Role.AUDITOR)
    # 三员分立 forbids an admin role beside a business role; should one slip through, only the business role counts.
    dual = person("czj.jianguan", "朱兼管", c.pref_finance, Role.LIAISON)
    RoleGrant.objects.create(user=dual, role=Role.SYSADMIN)
    retired = person("qin.duchaban", "秦督查", c.prefecture, Role.SUPERVISOR)
    org.person_deactivate(actor=None, person=retired)
    merged = org.unit_create(actor=None, name="甲县撤并乡", level=UnitLevel.TOWNSHIP, parent=c.county)
    org.unit_update(actor=None, unit=merged, is_active=False)

    # 推进重点项目开工: key task, 州发改委 leads, 州财政局 helps, 李州长 responsible.
    t1 = new_task(c.supervisor, "推进重点项目开工", [c.pref_drc], [c.pref_finance], deadline=D(2026, 7, 31),
                  responsible_leader=c.leader, is_key=True, requirements="每月5日前报送开工清单。",
                  milestones=[("完成选址", D(2026, 6, 30))],
                  targets=[{"name": "开工项目", "measure": "个", "target": 12}])
    t1 = s.task_assign(actor=c.supervisor, task=t1)
    target = Target.objects.get(task=t1)
    s.assignment_sign(actor=c.drc_liaison, assignment=at(t1, c.pref_drc))
    s.assignment_sign(actor=c.finance_liaison, assignment=at(t1, c.pref_finance))
    drc_out = s.report_submit(actor=c.drc_head, assignment=at(t1, c.pref_drc), text="已有3个项目开工。",
                              progress=30, target_values={target.pk: 3}, files=[("进度.pdf", PDF)])
    drc_draft = s.report_submit(actor=c.drc_liaison, assignment=at(t1, c.pref_drc), text="已有5个项目开工。",
                                progress=40, target_values={target.pk: 5}, files=[("草稿.pdf", PDF)],
                                blockers=["用地指标不足。"])
    fin_back = s.report_submit(actor=c.finance_liaison, assignment=at(t1, c.pref_finance), text="资金已拨付。",
                               progress=20, files=[("拨付草表.xlsx", XLSX)])
    s.report_unit_approve(actor=c.finance_head, report=fin_back, approve=False, comment="数据不准，请核实。")
    fin_out = s.report_submit(actor=c.finance_head, assignment=at(t1, c.pref_finance), text="首批资金已拨付。",
                              progress=50, files=[("资金拨付.xlsx", XLSX)])
    s.report_review(actor=c.supervisor, report=fin_out, accept=True)
    s.extension_request(actor=c.drc_liaison, assignment=at(t1, c.pref_drc), reason="用地审批尚未完成。",
                        requested_deadline=D(2026, 8, 31))
    escalated = s.blocker_raise(actor=c.drc_liaison, assignment=at(t1, c.pref_drc), text="征地补偿标准不一。")
    s.blocker_escalate(actor=c.supervisor, blocker=escalated, leader=c.leader)
    s.instruction_write(actor=c.leader, task=t1, text="要加快进度，月底前再报。")

    # 产业园区建设: to 甲县, which decomposes it for its 发改局 (and 城关镇 helps).
    t2 = s.task_assign(actor=c.supervisor, task=new_task(c.supervisor, "推进产业园区建设", [c.county],
                                                         deadline=D(2026, 7, 31)))
    s.assignment_sign(actor=c.county_liaison, assignment=at(t2, c.county))
    t3 = s.task_create(actor=c.county_supervisor, decision=t2.decision, title="甲县产业园区道路建设",
                       lead_unit_ids=[c.county_drc.pk], cooperating_unit_ids=[c.township.pk],
                       parent_assignment=at(t2, c.county), milestones=[("完成路基", D(2026, 7, 15))],
                       targets=[{"name": "道路里程", "measure": "公里", "target": 8}])
    t3 = s.task_assign(actor=c.county_supervisor, task=t3)
    s.assignment_sign(actor=c.county_drc_liaison, assignment=at(t3, c.county_drc))
    s.report_submit(actor=c.county_drc_head, assignment=at(t3, c.county_drc), text="路基完成一半。", progress=50,
                    files=[("现场照片.jpg", JPEG)])
    s.extension_request(actor=c.county_drc_liaison, assignment=at(t3, c.county_drc), reason="雨季影响施工。",
                        requested_deadline=D(2026, 8, 15))
    s.blocker_raise(actor=c.county_drc_liaison, assignment=at(t3, c.county_drc), text="施工用电未接入。")

    # 盘活闲置国有资产: 州财政局 has not signed; 乙县's leader is its responsible leader.
    t4 = s.task_assign(actor=c.supervisor, task=new_task(c.supervisor, "盘活闲置国有资产", [c.pref_finance],
                                                         responsible_leader=other_leader))
    s.instruction_write(actor=other_leader, task=t4, text="请财政局牵头摸清底数。")

    # 乙县's own task, its liaison's report still inside the unit.
    t5 = s.task_assign(actor=c.other_supervisor, task=new_task(c.other_supervisor, "乙县农村公路提质",
                                                               [c.other_drc]))
    s.assignment_sign(actor=c.other_liaison, assignment=at(t5, c.other_drc))
    s.report_submit(actor=c.other_liaison, assignment=at(t5, c.other_drc), text="已完成勘测。", progress=10,
                    files=[("勘测报告.pdf", PDF)])

    # A draft not yet assigned, and a task 州财政局 returned that went to 州发改委 instead.
    t6 = new_task(c.supervisor, "谋划明年重点项目", [c.pref_drc])
    t7 = s.task_assign(actor=c.supervisor, task=new_task(c.supervisor, "清理拖欠企业账款", [c.pref_finance]))
    s.assignment_return(actor=c.finance_liaison, assignment=at(t7, c.pref_finance), reason="不属于本单位职责。")
    s.assignment_reassign(actor=c.supervisor, assignment=Assignment.objects.get(task=t7, unit=c.pref_finance),
                          unit=c.pref_drc)

    # Decisions with no task yet: one of the prefecture's, one of 甲县's.
    s.decision_create(actor=c.supervisor, kind="document", title="全州优化营商环境实施方案", issued_on=D(2026, 5, 20))
    s.decision_create(actor=c.county_supervisor, kind="meeting", title="甲县常务会议纪要", issued_on=D(2026, 5, 25))

    w.tasks = {name: Task.objects.get(pk=t.pk) for name, t in
               [("T1", t1), ("T2", t2), ("T3", t3), ("T4", t4), ("T5", t5), ("T6", t6), ("T7", t7)]}
    w.drc_out, w.drc_draft, w.fin_back, w.fin_out = drc_out, drc_draft, fin_back, fin_out
    w.people = {
        "supervisor": c.supervisor,
        "leader": c.leader,
        "inspector": inspector,
        "unit_head": c.drc_head,
        "liaison": c.drc_liaison,
        "finance_head": c.finance_head,
        "county_supervisor": c.county_supervisor,
        "county_liaison": c.county_liaison,
        "county_drc_liaison": c.county_drc_liaison,
        "outsider_supervisor": c.other_supervisor,
        "outsider_liaison": c.other_liaison,
        "responsible_outsider_leader": other_leader,
        "sysadmin": c.sysadmin,
        "secadmin": secadmin,
        "auditor": auditor,
        "admin_with_business_role": dual,
        "inactive": User.objects.get(pk=retired.pk),
        "anonymous": AnonymousUser(),
    }
    return w


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module, inside a transaction rolled back after its last test.

    Each test runs in a savepoint of its own (the `db` fixture), so what one test adds
    is gone before the next; time stands at Monday 2026-06-01 09:00 in Shanghai.
    """
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), \
            time_machine.travel(clock.at_local(D(2026, 6, 1), 9), tick=False):
        with transaction.atomic():
            yield build_world(build_cast())
            transaction.set_rollback(True)


@pytest.fixture
def world(_world, db):
    return _world


def fresh_user(user):
    """The person as a request would load them: no caches carried over."""
    return user if not user.is_authenticated else User.objects.get(pk=user.pk)


# ---- the rule, written out plainly over rows ------------------------------------------------------


class Oracle:
    """DESIGN.md's data scope as plain Python over every row, for one person."""

    def __init__(self, user):
        self.user = user
        signed_in = user.is_authenticated and user.is_active
        roles = set(RoleGrant.objects.filter(user_id=user.pk).values_list("role", flat=True)) if signed_in else set()
        self.admin = roles & ADMIN
        self.business = roles - ADMIN
        self.unit = Unit.objects.get(pk=user.unit_id) if signed_in and user.unit_id else None
        self.assigned = {}
        for a in Assignment.objects.select_related("unit"):
            self.assigned.setdefault(a.task_id, []).append(a.unit)
        self.tasks = {t.pk: t for t in Task.objects.select_related("owner_unit")}
        self.reports = {r.pk: r for r in Report.objects.select_related("assignment__task__owner_unit")}

    def below(self, unit) -> bool:
        return self.unit is not None and unit.path.startswith(self.unit.path)

    def follows(self, task) -> bool:
        if not self.business:
            return False
        if task.responsible_leader_id == self.user.pk:
            return True
        if self.business & OVERSIGHT and self.unit is not None:
            return self.below(task.owner_unit) or any(self.below(u) for u in self.assigned.get(task.pk, []))
        return False

    def own_unit(self, unit_id) -> bool:
        return bool(self.business & IN_UNIT) and self.unit is not None and self.unit.pk == unit_id

    def task(self, t) -> bool:
        return self.follows(t) or any(self.own_unit(u.pk) for u in self.assigned.get(t.pk, []))

    def decision(self, d) -> bool:
        registered_below = self.business & {Role.SUPERVISOR, Role.LEADER} and self.below(d.owner_unit)
        return bool(registered_below) or any(self.task(t) for t in self.tasks.values() if t.decision_id == d.pk)

    def assignment(self, a) -> bool:
        return self.follows(a.task) or self.own_unit(a.unit_id)

    def report(self, r) -> bool:
        a = r.assignment
        return self.own_unit(a.unit_id) or (self.follows(a.task) and r.state not in INTERNAL_REPORT_STATES)

    def extension(self, e) -> bool:
        return self.assignment(e.assignment)

    def blocker(self, b) -> bool:
        if not self.business:
            return False
        a = b.assignment
        released = b.report is None or b.report.state not in INTERNAL_REPORT_STATES
        return self.own_unit(a.unit_id) or b.escalated_to_id == self.user.pk or (self.follows(a.task) and released)

    def evidence(self, e) -> bool:
        return self.report(e.report)

    def part(self, p) -> bool:
        return self.task(p.task)

    def event(self, e) -> bool:
        if Role.AUDITOR in self.admin:
            return True
        if e.task_id is None or not self.task(self.tasks[e.task_id]):
            return False
        if e.object_type == "report":
            return self.report(self.reports[e.object_id])
        if e.object_type == "blocker":
            return self.blocker(Blocker.objects.select_related("assignment__task", "report").get(pk=e.object_id))
        if e.object_type == "extension":
            return self.extension(Extension.objects.select_related("assignment__task").get(pk=e.object_id))
        if e.object_type == "assignment":
            return self.assignment(Assignment.objects.select_related("task").get(pk=e.object_id))
        if e.object_type == "notice":
            return Notice.objects.get(pk=e.object_id).recipient_id == self.user.pk
        return True

    def unit_row(self, u) -> bool:
        return (bool(self.business) or Role.SYSADMIN in self.admin) and u.is_active

    def person(self, p) -> bool:
        if self.admin & {Role.SYSADMIN, Role.SECADMIN}:
            return True
        return bool(self.business) and p.is_active and p.unit is not None and self.below(p.unit)


KINDS = {
    "decision": (sel.decision_list_for, sel.decision_get_for, Decision.objects.select_related("owner_unit"),
                 Oracle.decision),
    "task": (sel.task_list_for, sel.task_get_for, Task.objects.select_related("owner_unit"), Oracle.task),
    "assignment": (sel.assignment_list_for, sel.assignment_get_for, Assignment.objects.select_related("task"),
                   Oracle.assignment),
    "report": (sel.report_list_for, sel.report_get_for, Report.objects.select_related("assignment__task"),
               Oracle.report),
    "extension": (sel.extension_list_for, sel.extension_get_for,
                  Extension.objects.select_related("assignment__task"), Oracle.extension),
    "blocker": (sel.blocker_list_for, sel.blocker_get_for,
                Blocker.objects.select_related("assignment__task", "report"), Oracle.blocker),
    "evidence": (sel.evidence_list_for, sel.evidence_get_for,
                 Evidence.objects.select_related("report__assignment__task"), Oracle.evidence),
    "milestone": (sel.milestone_list_for, sel.milestone_get_for, Milestone.objects.select_related("task"),
                  Oracle.part),
    "target": (sel.target_list_for, sel.target_get_for, Target.objects.select_related("task"), Oracle.part),
    "instruction": (sel.instruction_list_for, sel.instruction_get_for, Instruction.objects.select_related("task"),
                    Oracle.part),
    "event": (event_list_for, event_get_for, Event.objects.all(), Oracle.event),
    "unit": (unit_list_for, unit_get_for, Unit.objects.all(), Oracle.unit_row),
    "person": (person_list_for, person_get_for, User.objects.select_related("unit"), Oracle.person),
}

VIEWERS = ["supervisor", "leader", "inspector", "unit_head", "liaison", "finance_head", "county_supervisor",
           "county_liaison", "county_drc_liaison", "outsider_supervisor", "outsider_liaison",
           "responsible_outsider_leader", "sysadmin", "secadmin", "auditor", "admin_with_business_role",
           "inactive", "anonymous"]


@pytest.mark.parametrize("who", VIEWERS)
def test_it_shows_each_person_exactly_what_their_role_reaches(world, who):
    user = world.people[who]
    oracle = Oracle(user)
    for kind, (list_for, get_for, rows, rule) in KINDS.items():
        everything = list(rows.all())
        expected = {row.pk for row in everything if rule(oracle, row)}
        listed = [row.pk for row in list_for(user=fresh_user(user))]
        assert set(listed) == expected, (who, kind)
        assert len(listed) == len(expected), (who, kind, "a row listed twice")
        order = "path" if kind == "unit" else "-seq" if kind == "event" else "-id"
        assert listed == list(rows.filter(pk__in=expected).order_by(order).values_list("pk", flat=True)), (who, kind)
        for row in everything:
            if row.pk in expected:
                assert get_for(user=user, id=row.pk).pk == row.pk, (who, kind, row.pk)
            else:
                with pytest.raises(NotFound) as caught:
                    get_for(user=user, id=row.pk)
                assert caught.value.code == f"{kind}_not_found", (who, kind)
        with pytest.raises(NotFound):
            get_for(user=user, id=max([r.pk for r in everything], default=0) + 1000)


def names(world, tasks) -> set[str]:
    by_pk = {t.pk: name for name, t in world.tasks.items()}
    return {by_pk[t.pk] for t in tasks}


# The rule in the product's words, spelled out by hand so that the Oracle is checked too.
TASKS_SEEN = {
    "supervisor": {"T1", "T2", "T3", "T4", "T5", "T6", "T7"},  # 乙县 too: it is a county of the prefecture
    "leader": {"T1", "T2", "T3", "T4", "T5", "T6", "T7"},
    "inspector": {"T1", "T2", "T3", "T4", "T5", "T6", "T7"},
    "unit_head": {"T1", "T7"},  # the draft T6 has no assignment yet
    "liaison": {"T1", "T7"},
    "finance_head": {"T1", "T4", "T7"},  # T7 was returned and reassigned, but the unit keeps its history
    "county_supervisor": {"T2", "T3"},
    "county_liaison": {"T2"},  # the sub-task went to the county's 发改局, not to the county itself
    "county_drc_liaison": {"T3"},
    "outsider_supervisor": {"T5"},
    "outsider_liaison": {"T5"},
    "responsible_outsider_leader": {"T4", "T5"},  # T4 as its responsible leader, T5 as 乙县's leader
    "sysadmin": set(),
    "secadmin": set(),
    "auditor": set(),
    "admin_with_business_role": {"T1", "T4", "T7"},  # as the 州财政局 liaison they also are
    "inactive": set(),
    "anonymous": set(),
}


@pytest.mark.parametrize("who", VIEWERS)
def test_it_matches_the_tasks_each_person_is_known_to_see(world, who):
    assert names(world, sel.task_list_for(user=world.people[who])) == TASKS_SEEN[who]


def test_it_keeps_a_units_draft_round_inside_the_unit(world):
    c = world.c
    draft_blocker = Blocker.objects.get(report=world.drc_draft)
    draft_file = Evidence.objects.get(report=world.drc_draft)
    for insider in (c.drc_liaison, c.drc_head):
        assert sel.report_get_for(user=insider, id=world.drc_draft.pk) == world.drc_draft
        assert sel.blocker_get_for(user=insider, id=draft_blocker.pk) == draft_blocker
        assert sel.evidence_get_for(user=insider, id=draft_file.pk) == draft_file
    for above in (c.supervisor, c.leader):
        for get_for, pk in ((sel.report_get_for, world.drc_draft.pk), (sel.report_get_for, world.fin_back.pk),
                            (sel.blocker_get_for, draft_blocker.pk), (sel.evidence_get_for, draft_file.pk)):
            with pytest.raises(NotFound):
                get_for(user=above, id=pk)
        assert world.drc_out in sel.report_list_for(user=above)
        assert world.fin_out in sel.report_list_for(user=above)
    # 州财政局 does not see 州发改委's reports of the task they share, in any state.
    assert set(sel.report_list_for(user=c.finance_liaison)) == {world.fin_back, world.fin_out}


def test_it_leaves_draft_target_values_out_of_the_series_others_see(world):
    c = world.c
    target = Target.objects.get(task=world.tasks["T1"])
    seen_above = sel.target_get_for(user=c.supervisor, id=target.pk)
    assert [v.value for v in seen_above.values.all()] == [3]
    seen_inside = sel.target_get_for(user=c.drc_liaison, id=target.pk)
    assert sorted(v.value for v in seen_inside.values.all()) == [3, 5]


def test_it_shows_the_auditor_the_whole_trail_and_business_users_only_their_tasks(world):
    c, w = world.c, world
    auditor = world.people["auditor"]
    assert event_list_for(user=auditor).count() == Event.objects.count()
    assert event_list_for(user=auditor, filters={"object_type": "user"}).count() == Event.objects.filter(
        object_type="user").count()
    t1 = world.tasks["T1"]
    # The liaison of the lead unit reads the task's timeline, less the steps of the helping unit's reports
    # and assignment (its signing, a 退办 reason, a 催办单), and less the notices others read.
    timeline = list(event_list_for(user=c.drc_liaison, filters={"task": t1.pk}))
    finance_reports = Report.objects.filter(assignment__unit=c.pref_finance).values("pk")
    finance_assignments = Assignment.objects.filter(unit=c.pref_finance).values("pk")
    others_notices = Notice.objects.exclude(recipient=c.drc_liaison).values("pk")
    assert [e.pk for e in timeline] == list(
        Event.objects.filter(task_id=t1.pk).exclude(object_type="report", object_id__in=finance_reports)
        .exclude(object_type="assignment", object_id__in=finance_assignments)
        .exclude(object_type="notice", object_id__in=others_notices)
        .order_by("-seq").values_list("pk", flat=True))
    # The helping unit does not read the lead unit's extension or blocker in it either.
    seen_by_finance = {(e.object_type, e.verb) for e in event_list_for(user=c.finance_liaison,
                                                                       filters={"task": t1.pk})}
    assert not seen_by_finance & {("extension", "extension.request"), ("blocker", "blocker.raise"),
                                  ("blocker", "blocker.escalate")}
    assert ("assignment", "assignment.sign") in seen_by_finance
    assert {"task.create", "task.assign", "assignment.sign", "extension.request", "blocker.escalate",
            "task.instruct"} <= {e.verb for e in timeline}
    assert not event_list_for(user=c.other_liaison, filters={"task": t1.pk}).exists()
    assert not event_list_for(user=c.supervisor).filter(task_id__isnull=True).exists()
    # The unit's draft round stays inside the unit in the timeline too.
    draft_steps = Event.objects.filter(object_type="report", object_id__in=[w.drc_draft.pk, w.fin_back.pk])
    assert {e.verb for e in draft_steps} == {"report.submit", "report.unit_approve"}
    assert not event_list_for(user=c.supervisor).filter(pk__in=draft_steps.values("pk")).exists()
    assert set(event_list_for(user=c.drc_head).filter(pk__in=draft_steps.values("pk"))) == set(
        draft_steps.filter(object_id=w.drc_draft.pk))
    assert not event_list_for(user=c.sysadmin).exists()
    assert not event_list_for(user=world.people["secadmin"]).exists()


# ---- filters ------------------------------------------------------------------------------------


def test_it_filters_tasks_by_every_key(world):
    c, w = world.c, world
    sup = c.supervisor
    t1, t2 = w.tasks["T1"], w.tasks["T2"]

    def listed(**filters):
        return names(w, sel.task_list_for(user=sup, filters=filters))

    assert listed(unit=c.pref_finance.pk) == {"T1", "T4"}  # T7's 州财政局 assignment is no longer live
    assert listed(unit=c.pref_drc.pk) == {"T1", "T7"}
    assert listed(unit=c.county.pk) == {"T2", "T3"}  # 甲县 holds T2 and owns the sub-task T3
    assert listed(state="draft") == {"T6"}
    assert listed(light=t1.light) == {n for n, t in w.tasks.items() if t.light == t1.light}
    assert listed(deadline_from=D(2026, 7, 31), deadline_to=D(2026, 7, 31)) == {"T1", "T2", "T3"}
    assert listed(deadline_from="2026-08-01") == set()
    assert listed(deadline_to=D(2026, 7, 30)) == {n for n, t in w.tasks.items()
                                                  if t.deadline and t.deadline <= D(2026, 7, 30)}
    assert listed(decision=t2.decision_id) == {"T2", "T3"}
    assert listed(is_key=True) == {"T1"}
    assert listed(is_key=False) == {"T2", "T3", "T4", "T5", "T6", "T7"}
    assert listed(q=t1.code) == {"T1"}
    assert listed(q="开工清单") == {"T1"}  # in the requirements
    assert listed(q="产业园区") == {"T2", "T3"}
    assert listed(parent=t2.pk) == {"T3"}
    assert listed(unit=c.pref_finance.pk, is_key=True) == {"T1"}
    # A filter never widens the scope.
    assert names(w, sel.task_list_for(user=c.drc_liaison, filters={"unit": c.county.pk})) == set()


def test_it_filters_assignments_by_every_key(world):
    c, w = world.c, world
    t1, t2, t3 = w.tasks["T1"], w.tasks["T2"], w.tasks["T3"]

    def listed(user=c.supervisor, **filters):
        return {(a.task_id, a.unit_id) for a in sel.assignment_list_for(user=user, filters=filters)}

    assert listed(unit=c.pref_drc.pk) == {(t1.pk, c.pref_drc.pk), (w.tasks["T7"].pk, c.pref_drc.pk)}
    assert listed(task=t1.pk) == {(t1.pk, c.pref_drc.pk), (t1.pk, c.pref_finance.pk)}
    assert listed(state="pending") == {(w.tasks["T4"].pk, c.pref_finance.pk), (t3.pk, c.township.pk),
                                       (w.tasks["T7"].pk, c.pref_drc.pk)}
    assert listed(decision=t2.decision_id) == {(t2.pk, c.county.pk), (t3.pk, c.county_drc.pk),
                                               (t3.pk, c.township.pk)}
    assert listed(is_key=True) == {(t1.pk, c.pref_drc.pk), (t1.pk, c.pref_finance.pk)}
    assert listed(q="道路") == {(t3.pk, c.county_drc.pk), (t3.pk, c.township.pk)}
    assert listed(q=t1.code) == listed(task=t1.pk)
    assert listed(deadline_from=D(2026, 7, 31), deadline_to=D(2026, 7, 31), unit=c.county.pk) == {
        (t2.pk, c.county.pk)}
    light = at(t1, c.pref_drc).light
    assert (t1.pk, c.pref_drc.pk) in listed(light=light)
    # The unit sees only its own part of a task it shares.
    assert listed(user=c.finance_liaison, task=t1.pk) == {(t1.pk, c.pref_finance.pk)}


def test_it_filters_reports_extensions_blockers_evidence_and_task_parts(world):
    c, w = world.c, world
    t1, t3 = w.tasks["T1"], w.tasks["T3"]
    sup = c.supervisor
    drc = at(t1, c.pref_drc)
    assert set(sel.report_list_for(user=sup, filters={"task": t1.pk})) == {w.drc_out, w.fin_out}
    assert set(sel.report_list_for(user=sup, filters={"assignment": drc.pk})) == {w.drc_out}
    assert set(sel.report_list_for(user=sup, filters={"state": "accepted"})) == {w.fin_out}
    assert set(sel.report_list_for(user=c.drc_head, filters={"state": "unit_review"})) == {w.drc_draft}
    assert {e.assignment_id for e in sel.extension_list_for(user=sup, filters={"task": t3.pk})} == {
        at(t3, c.county_drc).pk}
    assert {e.assignment_id for e in sel.extension_list_for(user=sup, filters={"assignment": drc.pk,
                                                                               "state": "pending"})} == {drc.pk}
    assert not sel.extension_list_for(user=sup, filters={"state": "approved"}).exists()
    assert [b.text for b in sel.blocker_list_for(user=sup, filters={"state": "escalated"})] == ["征地补偿标准不一。"]
    assert [b.text for b in sel.blocker_list_for(user=sup, filters={"task": t3.pk})] == ["施工用电未接入。"]
    assert {b.text for b in sel.blocker_list_for(user=c.drc_liaison, filters={"assignment": drc.pk})} == {
        "征地补偿标准不一。", "用地指标不足。"}
    assert [e.name for e in sel.evidence_list_for(user=sup, filters={"report": w.drc_out.pk})] == ["进度.pdf"]
    assert not sel.evidence_list_for(user=sup, filters={"report": w.drc_draft.pk}).exists()
    assert [m.title for m in sel.milestone_list_for(user=sup, filters={"task": t3.pk})] == ["完成路基"]
    assert [t.name for t in sel.target_list_for(user=sup, filters={"task": t1.pk})] == ["开工项目"]
    assert [i.text for i in sel.instruction_list_for(user=sup, filters={"task": t1.pk})] == ["要加快进度，月底前再报。"]
    assert {d.title for d in sel.decision_list_for(user=sup, filters={"kind": "document"})} == {"全州优化营商环境实施方案"}
    assert {d.title for d in sel.decision_list_for(user=sup, filters={"q": "产业园区"})} == {"推进产业园区建设专题会议纪要"}


def test_it_shows_decisions_by_where_they_were_registered_and_by_their_tasks(world):
    c = world.c
    titles = {d.title for d in sel.decision_list_for(user=c.county_supervisor)}
    assert titles == {"推进产业园区建设专题会议纪要", "甲县常务会议纪要"}
    # The liaison sees the decision behind their task, not the unit's register.
    assert {d.title for d in sel.decision_list_for(user=c.county_liaison)} == {"推进产业园区建设专题会议纪要"}
    assert "全州优化营商环境实施方案" not in {d.title for d in sel.decision_list_for(user=world.people["inspector"])}


def test_it_filters_events_units_and_people(world):
    c, w = world.c, world
    t1 = w.tasks["T1"]
    submit = {"task": t1.pk, "verb": "report.submit"}
    submits = event_list_for(user=c.supervisor, filters=submit)
    assert [e.object_id for e in submits] == [w.fin_out.pk, w.drc_out.pk]  # the drafts stay inside the units
    assert [e.object_id for e in event_list_for(user=c.supervisor, filters={**submit, "since_seq": submits[1].seq})
            ] == [w.fin_out.pk]
    every = event_list_for(user=w.people["auditor"], filters=submit)
    assert [e.object_id for e in every] == [w.fin_out.pk, w.fin_back.pk, w.drc_draft.pk, w.drc_out.pk]
    assert [e.object_id for e in event_list_for(user=w.people["auditor"], filters={**submit, "since_seq": every[2].seq})
            ] == [w.fin_out.pk, w.fin_back.pk]
    auditor = w.people["auditor"]
    assert set(event_list_for(user=auditor, filters={"actor": c.leader.pk}).values_list("verb", flat=True)) == {
        "task.instruct"}

    def unit_names(user=c.supervisor, **filters):
        return {u.name for u in unit_list_for(user=user, filters=filters)}

    assert unit_names(q="发改委") == {"州发展和改革委员会"}  # an alias
    assert unit_names(q="发展改革委") == {"州发展和改革委员会"}
    assert unit_names(q="甲县发改局") == {"甲县发展和改革局"}  # the short name
    assert unit_names(q="城关") == {"甲县城关镇"}
    assert unit_names(parent=c.county.pk) == {"甲县发展和改革局", "甲县城关镇"}  # not the merged, inactive one
    assert [u.path for u in unit_list_for(user=c.sysadmin)] == sorted(u.path for u in unit_list_for(user=c.sysadmin))

    def people(user=c.supervisor, **filters):
        return {p.username for p in person_list_for(user=user, filters=filters)}

    assert people(unit=c.pref_drc.pk) == {"fgw.lianluo", "fgw.fuze"}
    assert people(role="liaison", unit=c.county.pk) == {"jx.lianluo"}
    assert people(q="联络", user=c.county_supervisor) == {"jx.lianluo", "jxfgj.lianluo"}
    assert "qin.duchaban" not in people()  # deactivated
    assert "qin.duchaban" in people(user=w.people["secadmin"])
    assert people(user=c.drc_liaison) == {"fgw.lianluo", "fgw.fuze"}


def test_it_refuses_unknown_filters_and_bad_values(world):
    sup = world.c.supervisor
    with pytest.raises(TypeError):
        sel.task_list_for(user=sup, filters={"owner": 1})
    with pytest.raises(TypeError):
        sel.report_list_for(user=sup, filters={"unit": 1})
    for filters in ({"deadline_from": "下周"}, {"unit": "州发改委"}, {"is_key": "也许"}, {"decision": -1}):
        with pytest.raises(DomainError) as caught:
            sel.task_list_for(user=sup, filters=filters)
        assert caught.value.code == "filter_invalid"
    assert names(world, sel.task_list_for(user=sup, filters={"unit": None, "q": "", "is_key": "true"})) == {"T1"}
    for bad_id in ("abc", None, -1, 0, 2**70):
        with pytest.raises(NotFound):
            sel.task_get_for(user=sup, id=bad_id)


def test_it_agrees_with_the_access_checks_of_the_services(world):
    from duban.supervision.access import can_see_task

    for who in VIEWERS:
        user = world.people[who]
        for name, task in world.tasks.items():
            assert can_see_task(user, task) == (name in TASKS_SEEN[who]), (who, name)


# ---- a list page costs the same for 2 rows and for 20 ----------------------------------------------


def grow(c, unit, start: int, stop: int) -> None:
    """One more row of every kind per step, all of them in `unit`'s scope."""
    liaison = User.objects.get(unit=unit, role_grants__role=Role.LIAISON)
    head = User.objects.get(unit=unit, role_grants__role=Role.UNIT_HEAD)
    for n in range(start, stop):
        task = new_task(c.supervisor, f"重点项目{n}", [unit], deadline=D(2026, 7, 31), responsible_leader=c.leader,
                        milestones=[(f"节点{n}", D(2026, 6, 30))], targets=[{"name": f"指标{n}", "target": 10}])
        task = s.task_assign(actor=c.supervisor, task=task)
        lead = at(task, unit)
        s.assignment_sign(actor=liaison, assignment=lead)
        target = Target.objects.get(task=task)
        report = s.report_submit(actor=head, assignment=lead, text=f"第{n}期进展。", progress=10,
                                 target_values={target.pk: n}, files=[(f"进度{n}.pdf", PDF)])
        s.report_review(actor=c.supervisor, report=report, accept=True)
        s.extension_request(actor=liaison, assignment=lead, reason="需要更多时间。", requested_deadline=D(2026, 8, 31))
        blocker = s.blocker_raise(actor=liaison, assignment=lead, text=f"问题{n}。")
        s.blocker_escalate(actor=c.supervisor, blocker=blocker, leader=c.leader)
        s.instruction_write(actor=c.leader, task=task, text=f"批示{n}。")
        office = org.unit_create(actor=None, name=f"住建局第{n}科", level=UnitLevel.DEPARTMENT, parent=unit)
        person(f"zjj{n}.keyuan", f"科员{n}", office, Role.LIAISON)


LIST_READS = {
    "decision": (sel.decision_list_for, lambda d: (d.owner_unit.name, d.created_by)),
    "task": (sel.task_list_for, lambda t: (t.decision.title, t.owner_unit.name, t.responsible_leader)),
    "assignment": (sel.assignment_list_for,
                   lambda a: (a.task.code, a.task.decision.title, a.task.owner_unit.name, a.unit.name)),
    "report": (sel.report_list_for, lambda r: (r.assignment.task.code, r.assignment.unit.name, r.author,
                                              [e.name for e in r.evidence.all()])),
    "extension": (sel.extension_list_for, lambda e: (e.assignment.task.code, e.assignment.unit.name,
                                                     e.requested_by, e.decided_by)),
    "blocker": (sel.blocker_list_for, lambda b: (b.assignment.task.code, b.assignment.unit.name, b.raised_by,
                                                 b.escalated_to, b.answered_by)),
    "evidence": (sel.evidence_list_for, lambda e: (e.report.assignment.task.code, e.report.assignment.unit.name)),
    "milestone": (sel.milestone_list_for, lambda m: m.task.code),
    "target": (sel.target_list_for, lambda t: (t.task.code, [v.value for v in t.values.all()])),
    "instruction": (sel.instruction_list_for, lambda i: (i.task.code, i.leader)),
    "event": (event_list_for, lambda e: e.actor),
    "unit": (unit_list_for, lambda u: u.parent),
    "person": (person_list_for, lambda p: (p.unit, [g.role for g in p.role_grants.all()])),
}


def cost(list_for, read, user) -> tuple[int, int]:
    """Queries to load the person, list the rows and read what a list page shows of each; and the rows."""
    with CaptureQueriesContext(connection) as queries:
        rows = list(list_for(user=fresh_user(user)))
        for row in rows:
            read(row)
    return len(queries.captured_queries), len(rows)


def test_it_lists_every_kind_in_the_same_number_of_queries_for_2_rows_and_for_20(world):
    c = world.c
    housing = org.unit_create(actor=None, name="州住房和城乡建设局", short_name="州住建局", level=UnitLevel.DEPARTMENT,
                              parent=c.prefecture)
    liaison = person("zjj.lianluo", "何联络", housing, Role.LIAISON)
    person("zjj.fuze", "吕局长", housing, Role.UNIT_HEAD)
    readers = {kind: [c.supervisor, liaison] for kind in LIST_READS}
    readers["event"] = [c.supervisor, liaison, world.people["auditor"]]
    readers["person"] = [c.supervisor, liaison, world.people["secadmin"]]
    readers["unit"] = [c.supervisor, c.sysadmin]

    def costs():
        return {(kind, u.username): cost(LIST_READS[kind][0], LIST_READS[kind][1], u)
                for kind, users in readers.items() for u in users}

    grow(c, housing, 0, 2)
    few = costs()
    assert few["task", liaison.username][1] == 2
    grow(c, housing, 2, 20)
    many = costs()
    assert many["task", liaison.username][1] == 20
    for key in few:
        (few_queries, few_rows), (many_queries, many_rows) = few[key], many[key]
        assert many_rows >= few_rows + 18, key
        assert many_queries == few_queries, (key, few_queries, many_queries)
        assert many_queries <= 5, (key, many_queries)


# ---- downloading evidence --------------------------------------------------------------------------


def test_it_hands_an_evidence_file_to_someone_who_may_see_its_report(client, world):
    evidence = Evidence.objects.get(report=world.drc_out)
    client.force_login(world.c.supervisor)
    response = client.get(f"/files/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E8%BF%9B%E5%BA%A6.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", ["outsider_liaison", "outsider_supervisor", "finance_head", "county_supervisor"])
def test_it_answers_404_for_evidence_out_of_scope(client, world, who):
    evidence = Evidence.objects.get(report=world.drc_out)
    client.force_login(world.people[who])
    response = client.get(f"/files/evidence/{evidence.pk}/")
    assert response.status_code == 404
    assert PDF not in response.content


def test_it_answers_404_for_a_file_still_in_the_units_draft_round_and_for_none_at_all(client, world):
    draft = Evidence.objects.get(report=world.drc_draft)
    client.force_login(world.c.supervisor)
    assert client.get(f"/files/evidence/{draft.pk}/").status_code == 404
    assert client.get(f"/files/evidence/{draft.pk + 1000}/").status_code == 404
    client.force_login(world.c.drc_liaison)
    assert client.get(f"/files/evidence/{draft.pk}/").status_code == 200


def test_it_sends_an_anonymous_download_to_the_login_page(client, world):
    evidence = Evidence.objects.get(report=world.drc_out)
    response = client.get(f"/files/evidence/{evidence.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_serves_evidence_under_no_public_url(client, world):
    evidence = Evidence.objects.get(report=world.drc_out)
    stored = evidence.file.name
    assert stored.startswith("evidence/")
    client.force_login(world.c.supervisor)
    for url in (f"/{stored}", f"/media/{stored}", f"/static/{stored}", evidence.file.url):
        response = client.get(url if url.startswith("/") else f"/{url}")
        assert response.status_code == 404, url


def test_it_answers_404_when_the_stored_file_is_gone(client, world):
    c = world.c
    report = s.report_submit(actor=c.finance_head, assignment=at(world.tasks["T1"], c.pref_finance),
                             text="第二批资金已拨付。", progress=70, files=[("拨付凭证.pdf", PDF)])
    evidence = Evidence.objects.get(report=report)
    evidence.file.storage.delete(evidence.file.name)
    client.force_login(world.c.supervisor)
    assert client.get(f"/files/evidence/{evidence.pk}/").status_code == 404
