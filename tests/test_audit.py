"""留痕: every action leaves exactly one link in a hash chain, and tampering behind the application's back shows."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from duban.audit.chain import chain_verify
from duban.audit.models import Event
from duban.core import clock
from duban.supervision import services as s
from duban.supervision.models import Assignment


def last_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


class Trail:
    """Watches the trail across one service call: exactly one new Event, with the verb we expect."""

    def __init__(self):
        self.seq = last_seq()

    def one(self, verb: str) -> Event:
        new = list(Event.objects.filter(seq__gt=self.seq).order_by("seq"))
        assert [e.verb for e in new] == [verb]
        self.seq = new[-1].seq
        return new[0]


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_fails() -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", stdout=out)
    return out.getvalue(), str(caught.value)


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def history(cast, frozen):
    """A task taken from decision to 销号, plus an extension, a blocker and a 批示."""
    c = cast
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=dt.date(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk], responsible_leader=c.leader)
    s.task_assign(actor=c.supervisor, task=task)
    lead = Assignment.objects.get(task=task, unit=c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    report = s.report_submit(actor=c.drc_head, assignment=lead, text="12个项目全部开工。", progress=100,
                             is_final=True)
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    s.task_close(actor=c.supervisor, task=task, note="现场核验，佐证齐全。")
    return {"task": task, "lead": lead, "report": report}


# ---- one action, one event -------------------------------------------------------------------


def test_it_records_each_step_of_a_task_with_its_own_verb(cast, frozen):
    c = cast
    trail = Trail()
    decision = s.decision_create(actor=c.supervisor, kind="document", title="关于加快项目建设的通知",
                                 issued_on=dt.date(2026, 5, 28))
    event = trail.one("decision.create")
    assert (event.actor_id, event.object_type, event.object_id) == (c.supervisor.pk, "decision", decision.pk)

    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk], cooperating_unit_ids=[c.pref_finance.pk])
    assert trail.one("task.create").task_id == task.pk
    s.task_assign(actor=c.supervisor, task=task)
    trail.one("task.assign")

    lead = Assignment.objects.get(task=task, unit=c.pref_drc)
    helper = Assignment.objects.get(task=task, unit=c.pref_finance)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    assert trail.one("assignment.sign").unit_id == c.pref_drc.pk
    s.assignment_return(actor=c.finance_liaison, assignment=helper, reason="不属于本单位职责。")
    trail.one("assignment.return")
    s.assignment_reassign(actor=c.supervisor, assignment=helper, unit=c.county)
    trail.one("assignment.reassign")

    report = s.report_submit(actor=c.drc_liaison, assignment=lead, text="已完成选址。", progress=30)
    trail.one("report.submit")
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    trail.one("report.unit_approve")
    s.report_review(actor=c.supervisor, report=report, accept=False, comment="请补充开工项目清单。")
    trail.one("report.review")

    ext = s.extension_request(actor=c.drc_liaison, assignment=lead, reason="用地审批尚未完成。",
                              requested_deadline=dt.date(2026, 8, 31))
    trail.one("extension.request")
    s.extension_decide(actor=c.supervisor, extension=ext, approve=True)
    trail.one("extension.decide")

    blocker = s.blocker_raise(actor=c.drc_liaison, assignment=lead, text="用地指标不足。")
    trail.one("blocker.raise")
    s.blocker_escalate(actor=c.supervisor, blocker=blocker, leader=c.leader)
    trail.one("blocker.escalate")
    s.blocker_answer(actor=c.leader, blocker=blocker, answer="请自然资源局统筹调剂。")
    trail.one("blocker.answer")

    final = s.report_submit(actor=c.drc_head, assignment=lead, text="全部开工。", progress=100, is_final=True)
    assert trail.one("report.submit").object_id == final.pk
    s.assignment_reject(actor=c.supervisor, assignment=lead, comment="缺少开工证明。")
    trail.one("assignment.reject")
    s.report_submit(actor=c.drc_head, assignment=lead, text="补充开工证明。", progress=100, is_final=True)
    trail.one("report.submit")
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    trail.one("assignment.verify")
    s.task_close(actor=c.supervisor, task=task, note="现场核验，佐证齐全。")
    trail.one("task.close")
    assert chain_verify().ok


def test_it_records_a_leaders_instruction_and_reading(cast, frozen, history):
    c, task = cast, history["task"]
    trail = Trail()
    s.task_leader_read(actor=c.leader, task=task)
    trail.one("task.leader_read")
    s.instruction_write(actor=c.leader, task=task, text="请持续跟踪项目投产情况。")
    event = trail.one("task.instruct")
    assert event.payload["reopened"] is True
    assert event.payload["round"] == 2


def test_it_records_a_late_signature_as_late(cast, frozen):
    c = cast
    decision = s.decision_create(actor=c.supervisor, kind="document", title="关于加快项目建设的通知",
                                 issued_on=dt.date(2026, 5, 28))
    task = s.task_assign(actor=c.supervisor, task=s.task_create(
        actor=c.supervisor, decision=decision, title="推进重点项目开工", lead_unit_ids=[c.pref_drc.pk]))
    frozen.move_to(clock.at_local(dt.date(2026, 6, 3), 9))  # sign_due was 06-02
    trail = Trail()
    s.assignment_sign(actor=c.drc_liaison, assignment=Assignment.objects.get(task=task))
    assert trail.one("assignment.sign").payload == {"late": True}


def test_it_records_a_cancellation(cast, frozen):
    c = cast
    decision = s.decision_create(actor=c.supervisor, kind="document", title="关于加快项目建设的通知",
                                 issued_on=dt.date(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk])
    s.task_assign(actor=c.supervisor, task=task)
    trail = Trail()
    s.task_cancel(actor=c.supervisor, task=task, reason="决策已调整。")
    assert trail.one("task.cancel").payload["reason"] == "决策已调整。"


def test_it_records_nothing_when_a_service_refuses(cast, frozen, history):
    c = cast
    trail = Trail()
    with pytest.raises(Exception):  # noqa: B017 - any refusal; the point is the trail
        s.task_close(actor=c.supervisor, task=history["task"], note="再销一次")
    assert last_seq() == trail.seq


# ---- append-only -------------------------------------------------------------------------------


def test_it_refuses_to_save_an_existing_event_again(history):
    event = Event.objects.order_by("seq").last()
    event.payload = {"note": "改过了"}
    with pytest.raises(TypeError):
        event.save()
    assert Event.objects.get(pk=event.pk).payload != {"note": "改过了"}


def test_it_refuses_to_overwrite_an_event_through_a_fresh_copy_with_its_id(history):
    stored = Event.objects.order_by("seq").last()
    copy = Event(pk=stored.pk, seq=stored.seq, created_at=stored.created_at, verb="task.close",
                 object_type=stored.object_type, object_id=stored.object_id, payload={"note": "改过了"},
                 prev_hash=stored.prev_hash, hash=stored.hash)
    with pytest.raises(Exception):  # noqa: B017 - refused one way or another; the row must not change
        with transaction.atomic():
            copy.save()
    assert Event.objects.get(pk=stored.pk).payload == stored.payload


def test_it_refuses_to_delete_an_event(history):
    event = Event.objects.order_by("seq").last()
    with pytest.raises(TypeError):
        event.delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_it_refuses_queryset_updates_and_deletes(history):
    count = Event.objects.count()
    with pytest.raises(TypeError):
        Event.objects.filter(verb="task.close").update(payload={})
    with pytest.raises(TypeError):
        Event.objects.all().delete()
    with pytest.raises(TypeError):
        Event.objects.filter(verb="task.close").delete()
    events = list(Event.objects.all()[:2])
    for e in events:
        e.verb = "x"
    with pytest.raises(TypeError), transaction.atomic():
        Event.objects.bulk_update(events, ["verb"])
    assert Event.objects.count() == count
    assert chain_verify().ok


# ---- `duban audit verify` -----------------------------------------------------------------------


def test_it_passes_an_intact_chain_and_counts_it(history):
    total = Event.objects.count()
    assert total > 20  # the cast and the task's history
    assert verify().strip() == f"留痕链完整：共校验 {total} 条记录。"


def test_it_keeps_the_chain_whole_when_many_events_are_appended_at_once(history):
    from duban.audit.chain import event_append, events_append

    before = Event.objects.count()
    with transaction.atomic():
        assert events_append([{"verb": "task.listed", "object_type": "task", "object_id": n, "task_id": n,
                               "payload": {"reason": "逾期挂牌督办"}} for n in range(1, 2501)]) == 2500
        event_append(actor=None, verb="escalation.sweep", object_type="urge", object_id=None, payload={"urges": 1})
    assert Event.objects.count() == before + 2501
    verdict = chain_verify()
    assert verdict.ok, verdict.reason
    assert verdict.checked == before + 2501
    assert list(Event.objects.order_by("-seq").values_list("verb", flat=True)[:2]) == ["escalation.sweep",
                                                                                       "task.listed"]


def test_it_verifies_events_appended_while_replaying_history(cast):
    # The demo generator replays a year by setting the clock (clock.frozen, Shanghai time).
    with clock.frozen(clock.at_local(dt.date(2026, 3, 2), 9, 30)):
        s.decision_create(actor=cast.supervisor, kind="document", title="关于加快项目建设的通知",
                          issued_on=dt.date(2026, 3, 1))
    verdict = chain_verify()
    assert verdict.ok, verdict.reason


def test_it_names_the_event_edited_behind_the_applications_back(history):
    victim = Event.objects.get(verb="task.close")
    payload = dict(victim.payload, note="未经核验。")
    raw("UPDATE audit_event SET payload = %s WHERE seq = %s", [json.dumps(payload, ensure_ascii=False), victim.seq])
    out, error = verify_fails()
    assert f"第 {victim.seq} 号记录" in out
    assert "content does not match its hash" in out
    assert str(victim.seq) in error


def test_it_names_an_edited_event_in_the_middle_of_the_chain(history):
    victim = Event.objects.get(verb="task.assign")
    raw("UPDATE audit_event SET verb = %s WHERE seq = %s", ["task.cancel", victim.seq])
    out, _ = verify_fails()
    assert f"第 {victim.seq} 号记录" in out
    assert f"此前 {victim.seq - 1} 条记录完好" in out


def test_it_detects_an_edit_whose_hash_was_recomputed(history):
    # A forger who also rewrites the row's own hash still breaks the next link.
    from duban.audit.chain import link_hash

    victim = Event.objects.get(verb="assignment.verify")
    forged = Event.objects.get(pk=victim.pk)
    forged.payload = {"comment": "", "on_time": True, "forged": True}
    raw("UPDATE audit_event SET payload = %s, hash = %s WHERE seq = %s",
        [json.dumps(forged.payload), link_hash(forged), victim.seq])
    out, _ = verify_fails()
    assert f"第 {victim.seq + 1} 号记录" in out
    assert "prev_hash" in out


def test_it_detects_a_changed_hash(history):
    victim = Event.objects.get(verb="report.submit")
    raw("UPDATE audit_event SET hash = %s WHERE seq = %s", ["f" * 64, victim.seq])
    out, _ = verify_fails()
    assert f"第 {victim.seq} 号记录" in out


def test_it_detects_two_events_swapped(history):
    first = Event.objects.get(verb="assignment.sign")
    second = Event.objects.get(verb="report.submit")
    raw("UPDATE audit_event SET seq = %s WHERE seq = %s", [-1, first.seq])
    raw("UPDATE audit_event SET seq = %s WHERE seq = %s", [first.seq, second.seq])
    raw("UPDATE audit_event SET seq = %s WHERE seq = %s", [second.seq, -1])
    out, _ = verify_fails()
    assert f"第 {first.seq} 号记录" in out


def test_it_detects_the_last_event_deleted(history):
    last = Event.objects.order_by("-seq").first()
    raw("DELETE FROM audit_event WHERE seq = %s", [last.seq])
    out, error = verify_fails()
    assert f"第 {last.seq} 号记录" in out
    assert "chain head" in out


def test_it_detects_an_event_deleted_in_the_middle(history):
    victim = Event.objects.get(verb="task.assign")
    raw("DELETE FROM audit_event WHERE seq = %s", [victim.seq])
    out, _ = verify_fails()
    assert f"第 {victim.seq + 1} 号记录" in out


def test_it_detects_the_whole_trail_deleted(history):
    raw("DELETE FROM audit_event")
    out, error = verify_fails()
    assert "audit chain broken" in error
