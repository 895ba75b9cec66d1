"""Delivery: quiet hours, holidays, digests, retries and claims, against a local receiver."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from sink import Sink

from duban.core import clock
from duban.core.errors import DomainError
from duban.escalation import services as es
from duban.escalation.delivery import deliveries_claim, deliveries_run, delivery_send, digests_build
from duban.escalation.models import Delivery, DeliveryAttempt, Robot
from duban.escalation.sweep import escalation_sweep
from duban.supervision import services as s
from duban.supervision.models import Assignment, Task

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return clock.at_local(day, hour, minute)


@pytest.fixture
def sink():
    receiver = Sink().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def channels(settings, sink, cast):
    """The DRC's liaison gets SMS (to the sink) and e-mail (kept in memory)."""
    settings.DUBAN_SMS_URL = f"{sink.url}/sms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DUBAN_DELIVERY_TIMEOUT = 5
    liaison = cast.drc_liaison
    liaison.email, liaison.phone = "wang@fgw.example.cn", "13800000001"
    liaison.save(update_fields=["email", "phone"])
    es.preference_set(actor=liaison, email=True, sms=True)
    return settings


def make_task(c, *, deadline: dt.date, title="推进重点项目开工", **extra) -> Task:
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, lead_unit_ids=[c.pref_drc.pk],
                         deadline=deadline, responsible_leader=c.leader, **extra)
    task = s.task_assign(actor=c.supervisor, task=task)
    s.assignment_sign(actor=c.drc_liaison, assignment=Assignment.objects.get(task=task, unit=c.pref_drc))
    return task


def run_worker() -> None:
    """What one pass of `duban worker` does for notices: sweep, digest, deliver until idle."""
    with transaction.atomic():
        escalation_sweep()
    with transaction.atomic():
        digests_build()
    while deliveries_run(worker="test").sent:
        pass


def sms_texts(sink) -> list[str]:
    """SMS received, other than the 交办通知 each new task brings."""
    return [r.body["text"] for r in sink.received() if r.path == "/sms" and "【交办通知】" not in r.body["text"]]


def mails() -> list:
    return [m for m in mail.outbox if "【交办通知】" not in m.subject]


def test_it_holds_a_routine_notice_overnight_and_sends_an_urgent_one_at_once(cast, frozen, channels, sink,
                                                                               settings):
    c = cast
    settings.DUBAN_BASE_URL = "https://duban.example.gov.cn"
    task = make_task(c, deadline=dt.date(2026, 6, 3))
    frozen.move_to(at(dt.date(2026, 6, 4), 22))  # the deadline passed; it is late evening
    a = Assignment.objects.get(task=task, unit=c.pref_drc)
    es.urge_send(actor=c.supervisor, assignment=a, message="请今晚报送进展。")
    run_worker()
    texts = sms_texts(sink)
    assert len(texts) == 1 and "请今晚报送进展。" in texts[0] and "【催办单】" in texts[0]
    assert len(mails()) == 1
    assert f"https://duban.example.gov.cn/tasks/{task.pk}/" in mails()[0].body  # the urge opens its task
    routine = Delivery.objects.filter(urgent=False, digest_day__isnull=True)
    assert {d.state for d in routine} == {"pending"}
    assert {d.due_at for d in routine} == {at(dt.date(2026, 6, 5), 8)}

    frozen.move_to(at(dt.date(2026, 6, 5), 7, 59))
    run_worker()
    assert len(sms_texts(sink)) == 1
    frozen.move_to(at(dt.date(2026, 6, 5), 8, 1))
    run_worker()
    texts = sms_texts(sink)
    assert len(texts) == 2 and "【督办提醒】6月5日 共1项" in texts[1] and "【催办】" in texts[1]
    assert len(mails()) == 2
    assert mails()[1].to == ["wang@fgw.example.cn"]
    assert "https://duban.example.gov.cn/\n" in mails()[1].body + "\n"  # a digest opens the workbench


def test_it_sends_a_reminder_due_on_a_holiday_on_the_next_working_day(cast, channels, sink):
    c = cast
    with clock.frozen(at(dt.date(2026, 9, 28))):
        make_task(c, deadline=dt.date(2026, 10, 9))  # reminded 3 working days before: 09-29
    import time_machine

    with time_machine.travel(at(dt.date(2026, 10, 1), 10), tick=False) as traveller:  # 国庆节
        run_worker()
        assert sms_texts(sink) == []
        held = Delivery.objects.exclude(urge__step="assign").get(channel="sms")
        assert held.due_at == at(dt.date(2026, 10, 8), 8)
        traveller.move_to(at(dt.date(2026, 10, 7), 18))
        run_worker()
        assert sms_texts(sink) == []
        traveller.move_to(at(dt.date(2026, 10, 8), 8, 5))
        run_worker()
    texts = sms_texts(sink)
    assert len(texts) == 1 and "【提醒】" in texts[0] and "2026年10月9日" in texts[0]


def test_it_merges_a_days_routine_notices_into_one_digest_per_channel(cast, frozen, channels, sink):
    c = cast
    make_task(c, deadline=dt.date(2026, 6, 4), title="推进重点项目开工")
    make_task(c, deadline=dt.date(2026, 6, 4), title="完成老旧小区改造")
    frozen.move_to(at(dt.date(2026, 6, 5), 9))
    run_worker()
    texts = sms_texts(sink)
    assert len(texts) == 1
    assert "共2项" in texts[0] and "推进重点项目开工" in texts[0] and "完成老旧小区改造" in texts[0]
    assert len(mails()) == 1 and "共2项" in mails()[0].subject
    digest = Delivery.objects.get(channel="sms", digest_day=dt.date(2026, 6, 5))
    assert digest.items.filter(state="sent").count() == 2

    # Later that day another routine reminder: today's digest has gone, it waits for tomorrow's.
    make_task(c, deadline=dt.date(2026, 6, 10), title="开展安全生产大检查")
    frozen.move_to(at(dt.date(2026, 6, 5), 15))
    run_worker()
    assert len(sms_texts(sink)) == 1
    late = Delivery.objects.get(channel="sms", urge__task__title="开展安全生产大检查", urge__step="reminder")
    assert (late.state, late.due_at) == ("pending", at(dt.date(2026, 6, 8), 8))
    frozen.move_to(at(dt.date(2026, 6, 8), 8, 30))
    run_worker()
    assert len(sms_texts(sink)) == 2 and "共1项" in sms_texts(sink)[1]


def test_it_retries_a_transient_failure_with_backoff_then_gives_up(cast, frozen, channels, sink, settings):
    settings.DUBAN_DELIVERY_BACKOFF = [60, 300]
    sink.answer = lambda got: (503, {"message": "busy"})
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    es.urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请加快进度。")
    deliveries_run(worker="test")
    sms = Delivery.objects.get(channel="sms", urge__step="manual")
    assert (sms.state, sms.attempts, sms.due_at) == ("pending", 1, clock.now() + dt.timedelta(seconds=60))
    assert "503" in sms.last_error
    assert deliveries_run(worker="test").retried == 0  # not due yet
    frozen.shift(61)
    deliveries_run(worker="test")
    frozen.shift(301)
    deliveries_run(worker="test")
    sms.refresh_from_db()
    assert (sms.state, sms.attempts) == ("failed", 3)
    tries = list(DeliveryAttempt.objects.filter(delivery=sms).values_list("ok", "transient"))
    assert tries == [(False, True)] * 3

    # The administrator fixes the gateway and sends it again.
    sink.answer = None
    es.delivery_retry(actor=c.sysadmin, delivery=sms)
    deliveries_run(worker="test")
    sms.refresh_from_db()
    assert sms.state == "sent"
    with pytest.raises(DomainError):
        es.delivery_retry(actor=c.sysadmin, delivery=sms)


def test_it_gives_up_at_once_on_a_permanent_failure(cast, frozen, channels, sink):
    sink.answer = lambda got: (200, {"errcode": 310000, "errmsg": "keywords not in content"})
    c = cast
    robot = Robot.objects.create(unit=c.pref_drc, kind="dingtalk", name="发改委工作群",
                                 webhook=f"{sink.url}/robot/send?access_token=abc", secret="SEC123")
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    es.urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请加快进度。")
    deliveries_run(worker="test")
    post = Delivery.objects.get(target=f"robot:{robot.pk}", urge__step="manual")
    assert (post.state, post.attempts) == ("failed", 1)
    assert "310000" in post.last_error
    got = [r for r in sink.received() if r.path == "/robot/send"][0]
    assert got.body["msgtype"] == "markdown" and "sign" in got.query and "timestamp" in got.query


def test_it_never_hands_one_row_to_two_workers(cast, frozen, channels, sink, settings):
    settings.DUBAN_DELIVERY_LEASE_SECONDS = 60
    c = cast
    task = make_task(c, deadline=dt.date(2026, 6, 30))
    es.urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请加快进度。")
    first_token, first = deliveries_claim(limit=10)
    assert {d.channel for d in first} == {"sms", "email"}
    _, second = deliveries_claim(limit=10)
    assert second == []
    frozen.shift(61)  # the first worker died holding them: its lease runs out
    second_token, second = deliveries_claim(limit=10)
    assert sorted(d.pk for d in second) == sorted(d.pk for d in first)
    assert {d.attempts for d in second} == {2}
    # The first worker wakes up and finishes: its claim is gone, so it writes nothing.
    delivery_send(first[0], first_token, worker="stale")
    assert Delivery.objects.get(pk=first[0].pk).state == "sending"
    delivery_send(second[0], second_token, worker="live")
    assert Delivery.objects.get(pk=second[0].pk).state == "sent"
