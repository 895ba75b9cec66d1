"""群众线索 through the services: intake, routing, answer, rating, 重办, and who may read the sender."""

import datetime as dt

import pytest
from django.db import connection

from duban.audit.models import Event
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.escalation.models import Step, Urge
from duban.supervision import services as s
from duban.supervision.models import Assignment, AssignmentState, ReportState, Task, TaskState
from duban.voice import limits
from duban.voice.models import Clue, ClueReply, ClueState
from duban.voice.selectors import clue_for_code, clue_list_for
from duban.voice.services import (
    clue_answer,
    clue_attach,
    clue_contact_reveal,
    clue_decline,
    clue_forward,
    clue_merge,
    clue_rate,
    clue_submit,
)

PHONE = "13812341234"
NAME = "欧阳举报"
STORY = "甲县城关镇幸福小区5栋门前的路灯坏了三个月，晚上一片漆黑，老人孩子出行很不安全，多次反映没人管。"
ANSWER = "经核实，幸福小区5栋门前路灯线路老化，城关镇已于6月3日更换线路和灯具，现已恢复照明。"


def _submit(c, address="10.0.0.1", **kw):
    fields = dict(category="housing", description=STORY, place_unit_id=c.township.pk, place_text="幸福小区5栋",
                  name=NAME, phone=PHONE, address=address)
    fields.update(kw)
    return clue_submit(**fields)


def test_it_takes_a_clue_from_the_public_and_seals_the_sender(cast, frozen):
    clue = _submit(cast)
    assert clue.state == ClueState.RECEIVED
    assert clue.office == cast.county  # the nearest office above 城关镇 with a supervisor
    assert clue_for_code(clue.code.lower().replace("-", " ")).pk == clue.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_name_sealed, contact_phone_sealed, phone_key FROM voice_clue")
        row = " ".join(cursor.fetchone())
    assert PHONE not in row and NAME not in row and "1234" not in row.replace(clue.phone_key, "")
    event = Event.objects.get(verb="clue.submit")
    assert PHONE not in str(event.payload) and NAME not in str(event.payload)


def test_it_lets_the_public_stay_anonymous_and_checks_what_is_given(cast, frozen):
    clue = _submit(cast, name="", phone="")
    assert not clue.has_contact
    with pytest.raises(DomainError) as bad:
        _submit(cast, phone="12345")
    assert bad.value.code == "clue_phone_invalid"
    with pytest.raises(DomainError) as bad:
        _submit(cast, description="路灯坏了")
    assert bad.value.code == "clue_description_short"
    with pytest.raises(DomainError) as bad:
        _submit(cast, place_unit_id=None, place_text="")
    assert bad.value.code == "clue_place_required"
    with pytest.raises(DomainError) as bad:
        _submit(cast, category="gossip")
    assert bad.value.code == "clue_category_invalid"


def test_it_limits_one_address_and_one_phone_but_not_the_next(cast, frozen, settings):
    settings.DUBAN_CLUE_LIMIT_PER_ADDRESS = 3
    settings.DUBAN_CLUE_LIMIT_PER_PHONE = 2
    for _ in range(3):
        _submit(cast, address="10.0.0.9", phone="")
    with pytest.raises(limits.RateLimited) as flood:
        _submit(cast, address="10.0.0.9", phone="")
    assert "频繁" in flood.value.message and flood.value.retry_after > 0
    _submit(cast, address="10.0.0.10", phone="")  # another address still gets through
    _submit(cast, address="10.0.1.1")
    _submit(cast, address="10.0.1.2")
    with pytest.raises(limits.RateLimited):
        _submit(cast, address="10.0.1.3")  # the same phone from a third address
    frozen.shift(dt.timedelta(hours=1, minutes=1))
    _submit(cast, address="10.0.0.9", phone="")  # the window has passed


def test_the_challenge_is_answered_once(db, frozen):
    question, token = limits.challenge_new()
    a, b = (int(x) for x in question.split(" 等于")[0].split(" 加 "))
    with pytest.raises(DomainError) as wrong:
        limits.challenge_check(token, str(a + b + 1))
    assert wrong.value.code == "challenge_wrong"
    limits.challenge_check(token, f" {a + b} ")
    with pytest.raises(DomainError) as again:
        limits.challenge_check(token, str(a + b))
    assert again.value.code == "challenge_used"
    with pytest.raises(DomainError) as forged:
        limits.challenge_check(token[:-2] + "xx", str(a + b))
    assert forged.value.code == "challenge_invalid"


def _through_unit(c, clue, text=ANSWER, approve=True):
    """The unit answers: the liaison signs and writes it; the head lets it go out (二级审核)."""
    a = Assignment.objects.get(task=clue.task, unit=c.county_drc)
    if a.state == AssignmentState.PENDING:
        s.assignment_sign(actor=c.county_drc_liaison, assignment=a)
    reply = clue_answer(actor=c.county_drc_liaison, clue=clue, text=text)
    if approve and reply.report is not None and reply.report.state == ReportState.UNIT_REVIEW:
        s.report_unit_approve(actor=c.county_drc_head, report=reply.report, approve=True)
        reply.refresh_from_db()
    return reply


def test_it_runs_a_clue_from_the_public_to_an_unsatisfied_rating_and_back_to_closed(cast, frozen):
    c = cast
    clue = _submit(c)
    clue = clue_forward(actor=c.county_supervisor, clue=clue, unit_ids=[c.county_drc.pk])
    task = Task.objects.get(pk=clue.task_id)
    assert (task.decision.kind, task.state, task.category) == ("clue", TaskState.ASSIGNED, "群众线索")
    assert task.deadline == clue.deadline == dt.date(2026, 6, 15)  # 10 working days from Monday 6-1
    assert PHONE not in task.requirements and NAME not in task.requirements
    with pytest.raises(DomainError) as unsigned:
        clue_answer(actor=c.county_drc_liaison, clue=clue, text=ANSWER)
    assert unsigned.value.code == "clue_answer_needs_sign"
    draft = _through_unit(c, clue, text="经核实路灯已修好。" * 3, approve=False)
    assert draft.published_at is None and clue_for_code(clue.code).state == ClueState.FORWARDED  # 二级审核 first
    with pytest.raises(DomainError) as waiting:
        clue_answer(actor=c.county_drc_liaison, clue=clue, text=ANSWER)
    assert waiting.value.code == "clue_answer_awaiting_unit"
    s.report_unit_approve(actor=c.county_drc_head, report=draft.report, approve=False, comment="写明更换日期。")
    assert not ClueReply.objects.filter(pk=draft.pk).exists()  # the answer went back with its report
    reply = _through_unit(c, clue)
    assert reply.unit == c.county_drc and reply.round == 1 and reply.published_at is not None
    a = Assignment.objects.get(task=task, unit=c.county_drc)
    assert a.state == AssignmentState.REVIEW and a.reports.filter(state=ReportState.SUBMITTED).count() == 1
    clue = clue_for_code(clue.code)
    assert clue.state == ClueState.ANSWERED

    frozen.shift(dt.timedelta(days=2))
    clue = clue_rate(clue=clue, rating="unsatisfied", comment="路灯换了但还是不亮。")
    assert (clue.state, clue.round) == (ClueState.REOPENED, 2)
    assert clue.deadline == dt.date(2026, 6, 17)
    a.refresh_from_db()
    assert (a.state, a.deadline) == (AssignmentState.IN_PROGRESS, clue.deadline)
    returned = a.reports.get(state=ReportState.RETURNED)  # the request to close it carried goes back
    assert "还是不亮" in returned.review_comment
    redo = Urge.objects.get(step=Step.REDO, assignment=a)
    assert "还是不亮" in redo.message

    _through_unit(c, clue, text=ANSWER + "6月5日再次检修，已连续三晚正常亮灯。")
    clue = clue_rate(clue=clue_for_code(clue.code), rating="satisfied")
    assert clue.state == ClueState.CLOSED and clue.rating == "satisfied" and clue.closed_at is not None
    with pytest.raises(DomainError):
        clue_rate(clue=clue, rating="unsatisfied", comment="再试一次")
    assert [e.verb for e in Event.objects.filter(object_type="clue").order_by("seq")] == [
        "clue.submit", "clue.forward", "clue.answer", "clue.answer_withdraw", "clue.answer", "clue.answer_publish",
        "clue.rate", "clue.answer", "clue.answer_publish", "clue.rate"]


def test_a_second_unsatisfied_rating_closes_it_and_a_closed_task_reopens_for_the_first(cast, frozen, settings):
    settings.DUBAN_UNIT_APPROVAL = False
    c = cast
    clue = clue_forward(actor=c.county_supervisor, clue=_submit(c), unit_ids=[c.county_drc.pk])
    _through_unit(c, clue)
    a = Assignment.objects.get(task=clue.task, unit=c.county_drc)
    s.assignment_verify(actor=c.county_supervisor, assignment=a)
    s.task_close(actor=c.county_supervisor, task=clue.task, note="已核实，路灯恢复。")
    clue = clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="unsatisfied", comment="只修了一盏。")
    task = Task.objects.get(pk=clue.task_id)
    assert (task.state, task.round) == (TaskState.ASSIGNED, 2)
    a.refresh_from_db()
    assert a.state == AssignmentState.PENDING
    _through_unit(c, clue)
    clue = clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="unsatisfied", comment="还是不行。")
    assert clue.state == ClueState.CLOSED and clue.rating == "unsatisfied"


def test_an_unsatisfied_rating_says_why(cast, frozen):
    c = cast
    clue = clue_forward(actor=c.county_supervisor, clue=_submit(c), unit_ids=[c.county_drc.pk])
    _through_unit(c, clue)
    with pytest.raises(DomainError) as bare:
        clue_rate(clue=clue, rating="unsatisfied")
    assert bare.value.code == "clue_rating_reason_required"


def test_it_merges_declines_and_attaches(cast, frozen):
    c = cast
    first, second, third, fourth = (_submit(c, address=f"10.0.2.{i}", phone="") for i in range(4))
    merged = clue_merge(actor=c.county_supervisor, clue=second, into=first)
    assert merged.state == ClueState.MERGED and merged.merged_into == first
    with pytest.raises(DomainError):
        clue_merge(actor=c.county_supervisor, clue=third, into=second)  # into a merged one
    declined = clue_decline(actor=c.supervisor, clue=third, reason="反映事项已由法院判决，不属于督查范围。")
    assert declined.state == ClueState.DECLINED and "法院" in clue_for_code(third.code).close_reason
    decision = s.decision_create(actor=c.county_supervisor, kind="plan", title="城乡照明提升",
                                 issued_on=dt.date(2026, 5, 1))
    task = s.task_assign(actor=c.county_supervisor, task=s.task_create(
        actor=c.county_supervisor, decision=decision, title="城关镇路灯整治", lead_unit_ids=[c.county_drc.pk],
        deadline=dt.date(2026, 7, 31)))
    attached = clue_attach(actor=c.county_supervisor, clue=fourth, task=task)
    assert attached.task == task and not attached.owns_task and attached.state == ClueState.FORWARDED
    reply = _through_unit(c, attached)
    assert reply.unit == c.county_drc
    a = Assignment.objects.get(task=task, unit=c.county_drc)
    assert not a.reports.exists()  # answering one clue does not close the whole task


def test_only_the_triage_office_routes_and_reads_the_sender(cast, frozen):
    c = cast
    clue = _submit(c)
    for outsider in (c.other_supervisor, c.drc_liaison, c.sysadmin):
        with pytest.raises(NotFound):
            clue_forward(actor=outsider, clue=clue, unit_ids=[c.county_drc.pk])
        with pytest.raises(NotFound):
            clue_contact_reveal(actor=outsider, clue=clue)
    for inside in (c.leader, c.inspector):
        with pytest.raises(PermissionDenied):
            clue_contact_reveal(actor=inside, clue=clue)
    contact = clue_contact_reveal(actor=c.supervisor, clue=clue)  # 州委督查室 is above the county's office
    assert contact == {"name": NAME, "phone": PHONE, "phone_masked": "138****1234"}
    viewed = Event.objects.get(verb="clue.contact_view")
    assert viewed.actor == c.supervisor and PHONE not in str(viewed.payload)
    clue = clue_forward(actor=c.county_supervisor, clue=clue, unit_ids=[c.county_drc.pk])
    with pytest.raises(PermissionDenied):
        clue_contact_reveal(actor=c.county_drc_liaison, clue=clue)  # the handling unit sees the clue, not who
    assert clue_list_for(user=c.county_drc_liaison).filter(pk=clue.pk).exists()
    assert not clue_list_for(user=c.drc_liaison).filter(pk=clue.pk).exists()
    assert not clue_list_for(user=c.other_supervisor).exists()


def test_clue_lists_take_a_fixed_number_of_queries(cast, frozen, django_assert_max_num_queries):
    c = cast
    for i in range(6):
        _submit(c, address=f"10.0.3.{i}", phone="")
    with django_assert_max_num_queries(2):
        rows = [(x.number, x.office.name, x.place_unit and x.place_unit.name, x.task_id)
                for x in clue_list_for(user=c.supervisor, filters={"state": "open"})]
    assert len(rows) == 6


def test_answers_and_ratings_feed_the_scorecard(cast, frozen):
    from duban.core.periods import month
    from duban.scorecards.figures import score_units, scorecard_for
    from duban.scorecards.models import ScoreRule

    c = cast
    clue = clue_forward(actor=c.county_supervisor, clue=_submit(c), unit_ids=[c.county_drc.pk])
    _through_unit(c, clue)
    clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="unsatisfied", comment="还是不亮。")
    frozen.shift(dt.timedelta(days=30))  # the second answer comes after its deadline (6-17)
    _through_unit(c, clue)
    clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="basic")
    card = {u.unit_id: u for u in scorecard_for(user=c.supervisor, period=month(2026, 6)).units}[c.county_drc.pk]
    assert (card.answered, card.answered_on_time, card.rated, card.satisfied) == (1, 1, 1, 0)
    july = {u.unit_id: u for u in scorecard_for(user=c.supervisor, period=month(2026, 7)).units}[c.county_drc.pk]
    assert (july.answered, july.answered_on_time, july.rated, july.satisfied) == (1, 0, 1, 1)
    assert july.satisfaction_rate == 1.0 and july.ratios["w_satisfaction"] == 1.0
    weighted = ScoreRule(name="满意度", w_sign=0, w_on_time=0, w_overdue=0, w_returns=0, w_extensions=0,
                         w_satisfaction=100)
    score_units([card], weighted)
    assert card.score == 0.0  # June's only rating was 不满意
    assert not any(u.answered for u in scorecard_for(user=c.other_supervisor, period=month(2026, 6)).units)


def test_the_worker_closes_answers_left_unrated_and_forgets_old_counters(cast, frozen):
    from duban.core.worker import handle_one_clue_sweep
    from duban.voice.models import RateWindow

    c = cast
    clue = clue_forward(actor=c.county_supervisor, clue=_submit(c), unit_ids=[c.county_drc.pk])
    _through_unit(c, clue)  # answered on Monday 6-1
    assert handle_one_clue_sweep() is True
    assert Clue.objects.get(pk=clue.pk).state == ClueState.ANSWERED
    frozen.move_to(dt.datetime(2026, 6, 10, 9, tzinfo=dt.UTC))  # 7 working days after the answer: still time to rate
    from duban.core.models import ScheduledJob

    ScheduledJob.objects.filter(name="clue_sweep").update(next_run_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    handle_one_clue_sweep()
    assert Clue.objects.get(pk=clue.pk).state == ClueState.ANSWERED
    frozen.move_to(dt.datetime(2026, 6, 12, 9, tzinfo=dt.UTC))
    ScheduledJob.objects.filter(name="clue_sweep").update(next_run_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    handle_one_clue_sweep()
    closed = Clue.objects.get(pk=clue.pk)
    assert closed.state == ClueState.CLOSED and closed.rating == "" and "未评价" in closed.close_reason
    assert Event.objects.filter(verb="clue.close_unrated", object_id=clue.pk).count() == 1
    assert not RateWindow.objects.exists()  # the windows of 6-1 are more than two days old


def _open_task(c):
    decision = s.decision_create(actor=c.county_supervisor, kind="plan", title="城乡照明提升",
                                 issued_on=dt.date(2026, 5, 1))
    return s.task_assign(actor=c.county_supervisor, task=s.task_create(
        actor=c.county_supervisor, decision=decision, title="城关镇路灯整治", lead_unit_ids=[c.county_drc.pk],
        deadline=dt.date(2026, 7, 31)))


def test_a_clue_joined_to_a_task_is_told_urged_when_late_and_asked_again_when_reopened(cast, frozen):
    from duban.core.models import ScheduledJob
    from duban.core.worker import handle_one_clue_sweep

    c = cast
    task = _open_task(c)
    clue = clue_attach(actor=c.county_supervisor, clue=_submit(c, phone=""), task=task)
    a = Assignment.objects.get(task=task, unit=c.county_drc)
    told = Urge.objects.get(step=Step.CLUE, assignment=a)
    assert clue.number in told.message and told.due_on == clue.deadline == dt.date(2026, 6, 15)
    frozen.move_to(dt.datetime(2026, 6, 16, 2, tzinfo=dt.UTC))  # 6-16 10:00 in Shanghai: the answer is late
    for _ in range(2):  # twice: urged once
        ScheduledJob.objects.filter(name="clue_sweep").update(next_run_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        handle_one_clue_sweep()
    late = Urge.objects.get(step=Step.URGE, cause="clue", assignment=a)
    assert "逾期" in late.message
    from duban.voice.worker import clues_urge_late

    assert clues_urge_late() == 0  # an urged clue is not read again on later sweeps
    _through_unit(c, Clue.objects.get(pk=clue.pk))
    clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="unsatisfied", comment="灯还是不亮。")
    asked_again = Urge.objects.filter(step=Step.CLUE, assignment=a).order_by("pk").last()
    assert "灯还是不亮" in asked_again.message and asked_again.pk != told.pk
    assert Task.objects.get(pk=task.pk).state == TaskState.IN_PROGRESS  # the larger task goes on untouched


def test_a_clue_whose_task_was_cancelled_can_still_be_rated_and_answered_by_the_office(cast, frozen):
    c = cast
    clue = clue_forward(actor=c.county_supervisor, clue=_submit(c), unit_ids=[c.county_drc.pk])
    _through_unit(c, clue)
    s.task_cancel(actor=c.county_supervisor, task=Task.objects.get(pk=clue.task_id), reason="职能调整，改由他处办理。")
    clue = clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="unsatisfied", comment="没有人管了。")
    assert clue.state == ClueState.REOPENED
    reply = clue_answer(actor=c.county_supervisor, clue=clue, text="县督查室已协调城关镇于6月8日前修复路灯，并将回访。")
    assert reply.unit == c.county and reply.published_at is not None


def test_merged_and_declined_clues_leave_the_similar_index_and_merges_cannot_cross(cast, frozen):
    from duban.voice.models import VoiceDoc

    c = cast
    first, second, third = (_submit(c, address=f"10.0.4.{i}", phone="") for i in range(3))
    clue_merge(actor=c.county_supervisor, clue=second, into=first)
    clue_decline(actor=c.county_supervisor, clue=third, reason="重复反映，已在办理。")
    assert set(VoiceDoc.objects.values_list("ref_id", flat=True)) == {first.pk}
    with pytest.raises(DomainError) as crossed:
        clue_merge(actor=c.county_supervisor, clue=first, into=second)
    assert crossed.value.code == "clue_merge_target_closed"


def test_the_redo_of_a_task_checks_who_asks(cast, frozen):
    c = cast
    clue = clue_forward(actor=c.county_supervisor, clue=_submit(c), unit_ids=[c.county_drc.pk])
    with pytest.raises(NotFound):
        s.task_redo(actor=c.other_supervisor, task=clue.task, reason="无权", deadline=dt.date(2026, 6, 30), ref_id=1)


def test_a_challenge_is_used_once_across_the_hour(db, frozen):
    frozen.move_to(dt.datetime(2026, 6, 1, 1, 59, 50, tzinfo=dt.UTC))
    question, token = limits.challenge_new()
    a, b = (int(x) for x in question.split(" 等于")[0].split(" 加 "))
    limits.challenge_check(token, str(a + b))
    frozen.move_to(dt.datetime(2026, 6, 1, 2, 0, 10, tzinfo=dt.UTC))
    with pytest.raises(DomainError) as again:
        limits.challenge_check(token, str(a + b))
    assert again.value.code == "challenge_used"


def test_an_ipv6_host_is_counted_by_its_64(cast, frozen, settings):
    settings.DUBAN_CLUE_LIMIT_PER_ADDRESS = 2
    _submit(cast, address="2001:db8:1:2::10", phone="")
    _submit(cast, address="2001:db8:1:2::11", phone="")
    with pytest.raises(limits.RateLimited):
        _submit(cast, address="2001:db8:1:2:ffff::1", phone="")
    _submit(cast, address="2001:db8:1:3::10", phone="")  # the next /64 is someone else
