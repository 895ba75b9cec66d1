"""The sysadmin keeps the ladder, the group robots and the delivery log in the back office, audited."""

import datetime as dt

import pytest
from test_separation import enter

from duban.audit.models import Event
from duban.core import clock
from duban.escalation.models import Delivery, LadderStep, Robot

pytestmark = pytest.mark.django_db


def test_it_lets_the_sysadmin_add_a_rung_to_a_categorys_ladder(client, cast):
    enter(client, cast.sysadmin)
    r = client.post("/admin/escalation/ladderstep/add/", {
        "category": "安全生产", "step": "reminder", "cause": "deadline", "offset_workdays": "-5",
        "to_unit_head": "on", "urgent": "on", "is_active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    step = LadderStep.objects.get(category="安全生产")
    assert (step.offset_workdays, step.to_unit_head, step.to_liaison, step.urgent) == (-5, True, False, True)
    event = Event.objects.get(verb="ladder.create")
    assert (event.actor_id, event.payload["recipients"]) == (cast.sysadmin.pk, ["to_unit_head"])


def test_it_refuses_a_rung_that_tells_nobody(client, cast):
    enter(client, cast.sysadmin)
    r = client.post("/admin/escalation/ladderstep/add/", {
        "category": "安全生产", "step": "reminder", "cause": "deadline", "offset_workdays": "-5", "is_active": "on"})
    assert r.status_code == 200
    assert "请至少选择一类通知对象" in r.content.decode()
    assert not LadderStep.objects.filter(category="安全生产").exists()
    assert not Event.objects.filter(verb="ladder.create").exists()


def test_it_keeps_a_robots_secret_out_of_the_page_and_the_trail(client, cast):
    enter(client, cast.sysadmin)
    r = client.post("/admin/escalation/robot/add/", {
        "unit": cast.pref_drc.pk, "kind": "dingtalk", "name": "发改委工作群",
        "webhook": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "SECabc123",
        "is_active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    robot = Robot.objects.get()
    assert robot.secret == "SECabc123"
    page = client.get(f"/admin/escalation/robot/{robot.pk}/change/").content.decode()
    assert "SECabc123" not in page
    # Saved again without typing the secret: it is kept.
    r = client.post(f"/admin/escalation/robot/{robot.pk}/change/", {
        "unit": cast.pref_drc.pk, "kind": "dingtalk", "name": "发改委督办群",
        "webhook": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "", "is_active": "on"})
    assert r.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.secret) == ("发改委督办群", "SECabc123")
    events = list(Event.objects.filter(verb__startswith="robot.").order_by("seq"))
    assert [e.verb for e in events] == ["robot.create", "robot.update"]
    assert all("SECabc123" not in str(e.payload) and e.payload["signed"] for e in events)


def test_it_lets_the_sysadmin_send_a_failed_delivery_again(client, cast):
    now = clock.now()
    failed = Delivery.objects.create(channel="sms", target=f"user:{cast.drc_liaison.pk}", urgent=True,
                                     state="failed", due_at=now, attempts=6, last_error="http 503", created_at=now,
                                     digest_day=dt.date(2026, 6, 1))
    enter(client, cast.sysadmin)
    page = client.get("/admin/escalation/delivery/?state__exact=failed").content.decode()
    assert "http 503" in page
    r = client.post("/admin/escalation/delivery/", {"action": "retry", "_selected_action": [failed.pk]})
    assert r.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert Event.objects.filter(verb="delivery.retry", object_id=failed.pk, actor=cast.sysadmin).exists()
