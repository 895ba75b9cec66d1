import datetime as dt

from duban.audit.chain import chain_verify
from duban.supervision import services as s
from duban.supervision.models import Assignment, Light, Task


def test_it_runs_a_task_from_decision_to_close(cast, frozen):
    c = cast
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=dt.date(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk], cooperating_unit_ids=[c.pref_finance.pk])
    task = s.task_assign(actor=c.supervisor, task=task)
    assert task.deadline == dt.date(2026, 6, 30)  # 20 working days; 端午节 2026-06-19 is off (else 06-29)
    lead = Assignment.objects.get(task=task, unit=c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    assert Task.objects.get(pk=task.pk).state == "in_progress"
    report = s.report_submit(actor=c.drc_liaison, assignment=lead, text="12个项目全部开工。", progress=100,
                             is_final=True)
    assert report.state == "unit_review"
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    assert Task.objects.get(pk=task.pk).state == "closing"
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    task = s.task_close(actor=c.supervisor, task=task, note="现场核验，佐证齐全。")
    assert (task.state, task.light) == ("closed", Light.DONE_ON_TIME)
    assert chain_verify().ok
