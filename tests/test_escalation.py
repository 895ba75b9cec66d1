"""The ladder, the sweep and the inbox: each step once per cause, on the working-day calendar."""

import datetime as dt

import pytest
from django.db import transaction

from duban.audit.models import Event
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.escalation import services as es
from duban.escalation import timing
from duban.escalation.models import Delivery, LadderStep, Notice, NoticePreference, Robot, Urge
from duban.escalation.sweep import escalation_sweep
from duban.supervision import services as s
from duban.supervision.models import Assignment, Task
from duban.workdays.store import get_calendar

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return clock.at_local(day, hour, minute)


def sweep():
    with transaction.atomic():
        return escalation_sweep()


def make_task(c, *, deadline: dt.date, leads=None, coops=None, **extra) -> Task:
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[u.pk for u in (leads or [c.pref_drc])],
                         cooperating_unit_ids=[u.pk for u in (coops or [])], deadline=deadline,
                         responsible_leader=c.leader, **extra)
    return s.task_assign(actor=c.supervisor, task=task)


def signed(c, task: Task) -> Assignment:
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    return s.assignment_sign(actor=c.drc_liaison, assignment=a)


def notices_of(person) -> list[tuple[str, str]]:
    """The urges a person was told of (交办通知 aside: every assignment brings one)."""
    return sorted(Notice.objects.filter(recipient=person).exclude(urge__step="assign")
                  .values_list("urge__step", "urge__cause"))


def ladder_urges(task):
    return Urge.objects.filter(task=task).exclude(step="assign")


# ---- Pure timing ----


def test_it_finds_the_latest_cause_date_each_step_fires_for():
    cal = get_calendar()
    today = dt.date(2026, 6, 1)  # Monday
    for offset in (-5, -3, -1, 0, 1, 3, 10):
        latest = timing.fires_by(cal, today, offset)
        assert timing.fire_date(cal, latest, offset) <= today
        assert timing.fire_date(cal, latest + dt.timedelta(days=1), offset) > today
    # Three working days before a deadline on Thursday 2026-06-04 is Monday: due today.
    assert timing.fires_by(cal, today, -3) == dt.date(2026, 6, 4)
    # Across the National Day holiday: a deadline on Monday 10-12 is reminded on Thursday 10-08.
    assert timing.fire_date(cal, dt.date(2026, 10, 12), -3) == dt.date(2026, 10, 8)


def test_it_holds_routine_notices_out_of_office_hours():
    cal = get_calendar()
    evening = at(dt.date(2026, 6, 1), 22)
    assert timing.send_at(cal, evening, urgent=False) == at(dt.date(2026, 6, 2), 8)
    assert timing.send_at(cal, evening, urgent=True) == evening
    early = at(dt.date(2026, 6, 2), 6)
    assert timing.send_at(cal, early, urgent=False) == at(dt.date(2026, 6, 2), 8)
    holiday = at(dt.date(2026, 10, 1), 10)
    assert timing.send_at(cal, holiday, urgent=False) == at(dt.date(2026, 10, 8), 8)
    noon = at(dt.date(2026, 6, 2), 12)
    assert timing.send_at(cal, noon, urgent=False) == noon


# ---- The sweep ----


def test_it_climbs_the_default_ladder_once_per_step(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 10))  # Wednesday
    signed(c, task)
    frozen.move_to(at(dt.date(2026, 6, 4)))  # Thursday: 3 working days before (06-05, 06-08, 06-09, 06-10)
    assert sweep().urges == 0
    frozen.move_to(at(dt.date(2026, 6, 5)))
    first = sweep()
    assert first.urges == 1
    assert notices_of(c.drc_liaison) == [("reminder", "deadline")]
    assert notices_of(c.drc_head) == []
    again = sweep()
    assert (again.urges, again.notices, again.deliveries) == (0, 0, 0)

    frozen.move_to(at(dt.date(2026, 6, 11)))  # the deadline has passed
    sweep()
    assert notices_of(c.drc_liaison) == [("reminder", "deadline"), ("urge", "deadline")]
    assert notices_of(c.drc_head) == [("urge", "deadline")]

    frozen.move_to(at(dt.date(2026, 6, 15)))  # 3 working days overdue
    sweep()
    assert notices_of(c.drc_head) == [("notice", "deadline"), ("urge", "deadline")]
    assert notices_of(c.leader) == [("notice", "deadline")]
    assert not Task.objects.get(pk=task.pk).is_key

    frozen.move_to(at(dt.date(2026, 6, 25)))  # 10 working days overdue (端午 06-19 is off)
    result = sweep()
    assert result.listed == 1
    assert notices_of(c.leader) == [("listed", "deadline"), ("notice", "deadline")]
    task.refresh_from_db()
    assert task.is_key
    assert Event.objects.filter(verb="task.listed", task_id=task.pk).count() == 1
    assert sweep().urges == 0
    assert ladder_urges(task).count() == 4


def test_it_sends_only_the_step_a_cause_has_reached_when_the_sweep_was_late(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 10))
    signed(c, task)
    frozen.move_to(at(dt.date(2026, 6, 16)))  # 4 working days overdue; nothing ran before
    sweep()
    assert sorted(ladder_urges(task).values_list("step", flat=True)) == ["notice"]


def test_it_urges_an_unsigned_assignment_the_day_after_its_sign_in_day(cast, frozen):
    c = cast
    make_task(c, deadline=dt.date(2026, 7, 31))  # assigned Monday 06-01; sign by Tuesday 06-02
    frozen.move_to(at(dt.date(2026, 6, 2), 17))
    assert sweep().urges == 0
    frozen.move_to(at(dt.date(2026, 6, 3)))
    sweep()
    assert notices_of(c.drc_liaison) == [("urge_sign", "sign")]
    assert notices_of(c.drc_head) == [("urge_sign", "sign")]


def test_it_reminds_of_milestones_and_report_dates(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 12, 31), cadence="monthly", report_day=5,
                     milestones=[("完成立项", dt.date(2026, 6, 12))])
    signed(c, task)
    frozen.move_to(at(dt.date(2026, 6, 9)))  # 3 working days before 06-12
    sweep()
    assert notices_of(c.drc_liaison) == [("reminder", "milestone")]
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    assert a.next_report_due == dt.date(2026, 7, 6)  # 07-05 is a Sunday
    frozen.move_to(at(dt.date(2026, 7, 1)))
    sweep()
    assert notices_of(c.drc_liaison) == [("reminder", "milestone"), ("reminder", "report")]


def test_it_counts_an_extended_deadline_from_its_new_date(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 10))
    a = signed(c, task)
    ext = s.extension_request(actor=c.drc_liaison, assignment=a, reason="征地手续未完成",
                              requested_deadline=dt.date(2026, 6, 30))
    s.extension_decide(actor=c.supervisor, extension=ext, approve=True)
    frozen.move_to(at(dt.date(2026, 6, 11)))
    sweep()
    assert notices_of(c.drc_liaison) == []  # the old deadline no longer counts
    frozen.move_to(at(dt.date(2026, 6, 25)))
    sweep()
    assert notices_of(c.drc_liaison) == [("reminder", "extension")]
    assert notices_of(c.drc_head) == [("reminder", "extension")]


def test_it_follows_a_categorys_own_ladder_instead_of_the_default(cast, frozen):
    c = cast
    LadderStep.objects.create(category="安全生产", step="reminder", cause="deadline", offset_workdays=-1,
                              to_unit_head=True, urgent=True)
    own = make_task(c, deadline=dt.date(2026, 6, 10), category="安全生产")
    plain = make_task(c, deadline=dt.date(2026, 6, 10))
    signed(c, own)
    signed(c, plain)
    frozen.move_to(at(dt.date(2026, 6, 5)))
    sweep()
    assert list(ladder_urges(own).values_list("step", flat=True)) == []
    assert list(ladder_urges(plain).values_list("step", flat=True)) == ["reminder"]
    frozen.move_to(at(dt.date(2026, 6, 9)))
    sweep()
    urge = ladder_urges(own).get()
    assert (urge.step, urge.urgent, urge.to_unit_head, urge.to_liaison) == ("reminder", True, True, False)
    frozen.move_to(at(dt.date(2026, 6, 11)))
    sweep()
    assert ladder_urges(own).count() == 1  # its ladder has no 催办 step


def test_it_stops_urging_once_the_unit_asks_to_close(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 10))
    a = signed(c, task)
    report = s.report_submit(actor=c.drc_liaison, assignment=a, text="已全部完成。", progress=100, is_final=True)
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    frozen.move_to(at(dt.date(2026, 6, 24)))
    assert sweep().urges == 0


# ---- Outside channels and digests ----


def test_it_plans_email_sms_and_robot_deliveries_by_choice(cast, frozen, settings):
    c = cast
    settings.DUBAN_SMS_URL = "http://127.0.0.1:9/sms"
    settings.DUBAN_NOTICE_EMAIL_DEFAULT = True
    for person, email, phone in ((c.drc_liaison, "wang@fgw.example.cn", "13800000001"),
                                 (c.drc_head, "zhao@fgw.example.cn", "13800000002")):
        person.email, person.phone = email, phone
        person.save(update_fields=["email", "phone"])
    es.preference_set(actor=c.drc_head, email=False, sms=True)
    Robot.objects.create(unit=c.pref_drc, kind="dingtalk", name="发改委工作群",
                         webhook="http://127.0.0.1:9/robot/send?access_token=x")
    task = make_task(c, deadline=dt.date(2026, 6, 10))
    signed(c, task)
    frozen.move_to(at(dt.date(2026, 6, 11), 0, 5))  # just after midnight: routine ones wait for the morning
    sweep()
    rows = sorted(Delivery.objects.exclude(urge__step="assign")
                  .values_list("channel", "target", "urgent", "due_at"))
    morning = at(dt.date(2026, 6, 11), 8)
    assert rows == [
        ("dingtalk", f"robot:{Robot.objects.get().pk}", False, morning),
        ("email", f"user:{c.drc_liaison.pk}", False, morning),
        ("sms", f"user:{c.drc_head.pk}", False, morning),
    ]


def test_it_counts_the_urges_each_unit_receives_by_month(cast, frozen):
    from duban.escalation.selectors import unit_burden

    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 10), leads=[c.pref_drc, c.pref_finance])
    signed(c, task)
    frozen.move_to(at(dt.date(2026, 6, 5)))
    sweep()
    frozen.move_to(at(dt.date(2026, 6, 11)))
    sweep()
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    es.urge_send(actor=c.supervisor, assignment=a, message="请于本周五前报送进展。")
    burden = {row.unit_id: row for row in unit_burden(month=dt.date(2026, 6, 1))}
    drc = burden[c.pref_drc.pk]
    assert (drc.urges, drc.assignments, drc.notices) == (3, 1, 7)
    # The finance bureau never signed: its urges are the sign-in one, the reminder and the 催办.
    assert burden[c.pref_finance.pk].urges == 3
    assert unit_burden(month=dt.date(2026, 7, 1)) == []


# ---- Manual urging, 批示, 交办 ----


def test_it_tells_a_unit_of_new_work_at_once(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30), coops=[c.pref_finance])
    for person in (c.drc_liaison, c.drc_head, c.finance_liaison, c.finance_head):
        notice = Notice.objects.get(recipient=person)
        assert (notice.urge.step, notice.urgent) == ("assign", True)
    from duban.escalation.texts import urge_lines

    assert urge_lines(Urge.objects.filter(task=task, unit=c.pref_drc).get()) == [
        "州发改委：收到新交办事项，请于2026年6月2日前签收，完成时限为2026年6月30日。"]
    # 改派: the unit that receives the returned work is told too.
    a = Assignment.objects.get(task=task, unit=c.pref_finance)
    a = s.assignment_return(actor=c.finance_liaison, assignment=a, reason="不属于本单位职责。")
    s.assignment_reassign(actor=c.supervisor, assignment=a, unit=c.county)
    assert Notice.objects.filter(recipient=c.county_liaison, urge__step="assign").count() == 1


def test_it_lets_a_supervisor_urge_with_a_message_at_once(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    frozen.move_to(at(dt.date(2026, 6, 2), 22))  # late evening: an urge still goes at once
    urge = es.urge_send(actor=c.supervisor, assignment=a, message="请立即签收并报送推进计划。")
    assert (urge.step, urge.urgent, urge.created_by) == ("manual", True, c.supervisor)
    assert notices_of(c.drc_liaison) == [("manual", "manual")]
    assert notices_of(c.drc_head) == [("manual", "manual")]
    event = Event.objects.get(verb="assignment.urge")
    assert (event.actor_id, event.object_id, event.payload["message"]) == (c.supervisor.pk, a.pk,
                                                                          "请立即签收并报送推进计划。")
    # Two urges on one day are two urges: 催办单 are not deduplicated.
    es.urge_send(actor=c.supervisor, assignment=a, message="再次催办。")
    assert Urge.objects.filter(assignment=a, step="manual").count() == 2


def test_it_refuses_urging_to_those_who_may_not(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    with pytest.raises(PermissionDenied):
        es.urge_send(actor=c.drc_liaison, assignment=a, message="催")
    with pytest.raises(NotFound):
        es.urge_send(actor=c.other_supervisor, assignment=a, message="催")
    with pytest.raises(DomainError) as err:
        es.urge_send(actor=c.supervisor, assignment=a, message="   ")
    assert err.value.code == "urge_message_required"
    assert not Urge.objects.filter(step="manual").exists()
    assert not Event.objects.filter(verb="assignment.urge").exists()


def test_it_carries_a_leaders_instruction_to_every_unit_on_the_task(cast, frozen):
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30), coops=[c.pref_finance])
    s.instruction_write(actor=c.leader, task=task, text="请加快进度，月底前务必开工。")
    for person in (c.drc_liaison, c.drc_head, c.finance_liaison, c.finance_head):
        assert notices_of(person) == [("instruction", "instruction")]
    urge = Urge.objects.filter(step="instruction").first()
    assert urge.message == "请加快进度，月底前务必开工。"
    assert urge.urgent


# ---- The inbox ----


def test_it_keeps_an_inbox_with_unread_counts(cast, frozen):
    from duban.escalation.selectors import notice_list_for, unread_count_for

    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    es.urge_send(actor=c.supervisor, assignment=a, message="第一次催办。")
    es.urge_send(actor=c.supervisor, assignment=a, message="第二次催办。")
    assert unread_count_for(user=c.drc_liaison) == 3  # the 交办通知 and two 催办单
    newest = notice_list_for(user=c.drc_liaison)[0]
    assert newest.urge.message == "第二次催办。"
    es.notice_read(actor=c.drc_liaison, notice_id=newest.pk)
    es.notice_read(actor=c.drc_liaison, notice_id=newest.pk)  # once is recorded once
    assert unread_count_for(user=c.drc_liaison) == 2
    assert Event.objects.filter(verb="notice.read").count() == 1
    with pytest.raises(NotFound):
        es.notice_read(actor=c.drc_head, notice_id=newest.pk)  # someone else's notice
    assert es.notices_read_all(actor=c.drc_liaison) == 2
    assert unread_count_for(user=c.drc_liaison) == 0


def test_it_saves_a_persons_channel_choice(cast):
    es.preference_set(actor=cast.drc_liaison, email=False, sms=True)
    pref = NoticePreference.objects.get(user=cast.drc_liaison)
    assert (pref.email, pref.sms) == (False, True)
    assert Event.objects.filter(verb="notice.preference", actor=cast.drc_liaison).exists()


# ---- Through the API ----


def test_it_urges_and_reads_the_inbox_through_the_api(cast, frozen):
    import json

    from django.test import Client

    from duban.api.services import token_create

    def client(person):
        _, token = token_create(actor=person, name="测试", days=30)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    supervisor, liaison = client(c.supervisor), client(c.drc_liaison)
    r = supervisor.post(f"/api/v1/assignments/{a.pk}/urges", json.dumps({"message": "请今日内签收。"}),
                        content_type="application/json")
    assert r.status_code == 201, r.content
    assert (r.json()["step"], r.json()["step_label"], r.json()["unit_name"]) == ("manual", "催办单", "州发展和改革委员会")
    r = liaison.post(f"/api/v1/assignments/{a.pk}/urges", json.dumps({"message": "自己催自己"}),
                     content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert liaison.get("/api/v1/notices/unread-count").json() == {"unread": 2}  # with the 交办通知
    inbox = liaison.get("/api/v1/notices").json()["items"]
    assert inbox[0]["title"].startswith("【催办单】") and inbox[0]["lines"][1] == "请今日内签收。"
    r = liaison.post(f"/api/v1/notices/{inbox[0]['id']}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert client(c.drc_head).post(f"/api/v1/notices/{inbox[0]['id']}/read").status_code == 404
    assert [n["step"] for n in liaison.get("/api/v1/notices", {"unread": "true"}).json()["items"]] == ["assign"]
    urges = supervisor.get(f"/api/v1/tasks/{task.pk}/urges").json()["items"]
    assert [(u["step"], u["message"]) for u in urges] == [("manual", "请今日内签收。"), ("assign", "")]
    assert client(c.other_supervisor).get(f"/api/v1/tasks/{task.pk}/urges").status_code == 404
    r = liaison.put("/api/v1/me/notice-preference", json.dumps({"email": False, "sms": True}),
                    content_type="application/json")
    assert r.json() == {"inbox": True, "email": False, "sms": True}
    assert liaison.get("/api/v1/me/notice-preference").json()["sms"] is True
