"""实地督查: the plan, who sees and who may act on an inspection, visits and their photos, findings turned into
rectification tasks (整改), 复查 and 销号 with evidence, and the report read back from its .docx."""

import datetime as dt
import io

import pytest
from docx import Document
from PIL import Image

from duban.audit.models import Event
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.inspection import services as ins
from duban.inspection.models import Finding, FindingState, InspectionState, VisitPhoto
from duban.inspection.report import inspection_report_docx
from duban.inspection.rules import finding_state, rectification_close_check
from duban.inspection.selectors import (
    finding_get_for,
    finding_list_for,
    inspection_detail,
    inspection_get_for,
    inspection_list_for,
    visit_photo_get_for,
)
from duban.supervision import services as s
from duban.supervision.models import Assignment, AssignmentState, DecisionKind, Task, TaskState
from duban.workdays.store import get_calendar

D = dt.date
TODAY = D(2026, 6, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def plan(c, *, actor=None, team=None, leader=None, places=None, **options):
    actor = actor or c.supervisor
    team = team if team is not None else [c.inspector, c.supervisor]
    options.setdefault("starts_on", TODAY)
    options.setdefault("ends_on", TODAY + dt.timedelta(days=4))
    return ins.inspection_create(actor=actor, title=options.pop("title", "优化营商环境专项督查"),
                                 team_leader_id=(leader or team[0]).pk, team_ids=[u.pk for u in team],
                                 place_ids=[u.pk for u in (places if places is not None else [c.pref_drc])],
                                 focus="审批时限、涉企收费", **options)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (26.0, 35.0, 12.0)
    gps[3], gps[4] = "E", (106.0, 42.0, 30.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def trip(cast, frozen):
    """周督查's inspection of 州发改委, 韩组员 (督查组成员) leading the team, under way with one visit."""
    inspection = plan(cast)
    ins.visit_record(actor=cast.inspector, inspection=inspection, visited_on=TODAY, unit=cast.pref_drc,
                     notes="查看审批窗口，抽查办件。", people_met="窗口工作人员3名")
    return fresh(inspection)


def rectify(c, finding, *, evidence=True, head=None, unit_person=None):
    """The unit signs and asks to close (申请办结), with or without a photo as evidence."""
    a = Assignment.objects.get(task=finding.task_id)
    person = unit_person or c.drc_liaison
    s.assignment_sign(actor=person, assignment=a)
    files = [("整改后.jpg", jpeg_with_gps())] if evidence else None
    s.report_submit(actor=head or c.drc_head, assignment=fresh(a), text="已全部整改到位。", progress=100,
                    is_final=True, files=files)
    return fresh(a)


def state_of(finding) -> str:
    """The finding's state as every reader sees it: read from its task (nothing keeps a copy in step)."""
    return Finding.objects.annotate(current_state=finding_state()).get(pk=finding.pk).current_state


def found(c, inspection, actor=None, **options):
    return ins.finding_record(actor=actor or c.supervisor, inspection=inspection, unit=options.pop("unit", c.pref_drc),
                              text=options.pop("text", "审批超时限，部分事项超过承诺时限5个工作日。"),
                              requirement=options.pop("requirement", "压缩审批时限，建立超时预警。"), **options)


# ---- the plan ------------------------------------------------------------------------------------------


def test_a_supervisor_plans_an_inspection_for_their_office(cast, frozen):
    task = s.task_create(actor=cast.supervisor, decision=s.decision_create(
        actor=cast.supervisor, kind="meeting", title="常务会议", issued_on=TODAY), title="清理涉企收费",
        lead_unit_ids=[cast.pref_drc.pk])
    s.task_assign(actor=cast.supervisor, task=task)
    inspection = plan(cast, task_ids=[task.pk], place_notes="政务服务大厅")
    assert inspection.office == cast.prefecture
    assert inspection.state == InspectionState.PLANNED
    assert set(inspection.team.all()) == {cast.inspector, cast.supervisor}
    assert list(inspection.tasks.all()) == [task]
    assert Event.objects.filter(verb="inspection.create", object_id=inspection.pk, actor=cast.supervisor).exists()


def test_the_team_leader_joins_the_team(cast, frozen):
    inspection = plan(cast, team=[cast.supervisor], leader=cast.inspector)
    assert set(inspection.team.all()) == {cast.inspector, cast.supervisor}


@pytest.mark.parametrize("who", ["inspector", "leader", "drc_liaison", "drc_head", "sysadmin"])
def test_only_a_supervisor_plans(cast, frozen, who):
    with pytest.raises(PermissionDenied):
        plan(cast, actor=getattr(cast, who))


def test_the_plan_names_only_people_and_units_of_the_office(cast, frozen):
    with pytest.raises(DomainError) as e:
        plan(cast, team=[cast.inspector, cast.drc_liaison])  # a liaison is no inspector
    assert e.value.code == "inspection_team_invalid"
    with pytest.raises(DomainError) as e:  # 甲县's supervisor cannot send a prefecture inspector
        plan(cast, actor=cast.county_supervisor, team=[cast.inspector], places=[cast.county_drc])
    assert e.value.code == "inspection_team_invalid"
    with pytest.raises(DomainError) as e:
        plan(cast, actor=cast.county_supervisor, team=[cast.county_supervisor], places=[cast.other_drc])
    assert e.value.code == "inspection_place_invalid"
    with pytest.raises(DomainError) as e:
        plan(cast, places=[cast.prefecture])  # the office does not inspect itself
    assert e.value.code == "inspection_place_invalid"
    with pytest.raises(DomainError) as e:
        plan(cast, starts_on=TODAY, ends_on=TODAY - dt.timedelta(days=1))
    assert e.value.code == "inspection_dates_order"


def test_a_county_supervisor_plans_with_county_people_and_units(cast, frozen):
    inspection = plan(cast, actor=cast.county_supervisor, team=[cast.county_supervisor],
                      places=[cast.county_drc, cast.township])
    assert inspection.office == cast.county


# ---- who sees ----------------------------------------------------------------------------------------


SEES = {"supervisor": True, "leader": True, "inspector": True, "county_supervisor": False,
        "other_supervisor": False, "drc_liaison": False, "drc_head": False, "county_liaison": False,
        "sysadmin": False}


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_who_sees_the_prefecture_inspection(cast, trip, who, sees):
    user = getattr(cast, who)
    assert (trip in inspection_list_for(user=user)) is sees
    photo_less_visit = trip.visits.get()
    if sees:
        assert inspection_get_for(user=user, id=trip.pk) == trip
    else:
        with pytest.raises(NotFound):
            inspection_get_for(user=user, id=trip.pk)
        with pytest.raises(NotFound):
            ins.visit_record(actor=user, inspection=trip, visited_on=TODAY, unit=cast.pref_drc, notes="x")
    assert photo_less_visit.inspection_id == trip.pk


def test_a_supervisor_lent_to_the_team_sees_it_and_an_inspector_off_the_team_does_not(cast, frozen):
    with_county = plan(cast, team=[cast.supervisor, cast.county_supervisor])
    assert inspection_get_for(user=cast.county_supervisor, id=with_county.pk) == with_county
    with pytest.raises(NotFound):
        inspection_get_for(user=cast.inspector, id=with_county.pk)
    county_own = plan(cast, actor=cast.county_supervisor, team=[cast.county_supervisor], places=[cast.county_drc])
    assert inspection_get_for(user=cast.supervisor, id=county_own.pk) == county_own
    with pytest.raises(NotFound):
        inspection_get_for(user=cast.other_supervisor, id=county_own.pk)


def test_the_list_filters_by_state(cast, trip):
    planned = plan(cast, title="安全生产督查")
    assert list(inspection_list_for(user=cast.supervisor, filters={"state": "planned"})) == [planned]
    row = inspection_list_for(user=cast.supervisor, filters={"state": "under_way"}).get()
    assert (row, row.visit_count, row.finding_count) == (trip, 1, 0)
    with pytest.raises(DomainError):
        list(inspection_list_for(user=cast.supervisor, filters={"state": "nonsense"}))


# ---- states ------------------------------------------------------------------------------------------


def test_the_first_visit_starts_the_inspection(cast, trip):
    assert trip.state == InspectionState.UNDER_WAY
    assert Event.objects.filter(verb="inspection.start", object_id=trip.pk, actor=cast.inspector).exists()
    with pytest.raises(DomainError) as e:
        ins.inspection_start(actor=cast.supervisor, inspection=trip)
    assert e.value.code == "inspection_illegal_transition"


def test_start_finish_and_cancel(cast, frozen):
    inspection = plan(cast, team=[cast.supervisor, cast.inspector])  # 周督查 leads
    with pytest.raises(PermissionDenied):
        ins.inspection_start(actor=cast.leader, inspection=inspection)
    ins.inspection_start(actor=cast.inspector, inspection=inspection)
    with pytest.raises(PermissionDenied):  # a member, not the leader
        ins.inspection_finish(actor=cast.inspector, inspection=inspection)
    ins.inspection_finish(actor=cast.supervisor, inspection=inspection)
    assert fresh(inspection).state == InspectionState.FINISHED
    with pytest.raises(DomainError):
        ins.inspection_cancel(actor=cast.supervisor, inspection=inspection, reason="不再需要")
    with pytest.raises(DomainError) as e:
        ins.visit_record(actor=cast.inspector, inspection=inspection, visited_on=TODAY, place="某地", notes="x")
    assert e.value.code == "inspection_not_open"

    other = plan(cast, title="另一次督查")
    with pytest.raises(PermissionDenied):
        ins.inspection_cancel(actor=cast.inspector, inspection=other, reason="天气")
    with pytest.raises(DomainError):
        ins.inspection_cancel(actor=cast.supervisor, inspection=other, reason=" ")
    ins.inspection_cancel(actor=cast.supervisor, inspection=other, reason="因汛期推迟")
    assert fresh(other).state == InspectionState.CANCELLED


def test_an_inspection_with_findings_being_rectified_cannot_be_cancelled(cast, trip):
    found(cast, trip)
    with pytest.raises(DomainError) as e:
        ins.inspection_cancel(actor=cast.supervisor, inspection=trip, reason="x")
    assert e.value.code == "inspection_has_findings"


# ---- visits and photos -------------------------------------------------------------------------------


def test_visit_dates_and_places_are_checked(cast, trip):
    def visit(**kw):
        kw.setdefault("visited_on", TODAY)
        kw.setdefault("notes", "现场查看")
        with pytest.raises(DomainError) as e:
            ins.visit_record(actor=cast.inspector, inspection=trip, **kw)
        return e.value.code

    assert visit(visited_on=TODAY + dt.timedelta(days=1), unit=cast.pref_drc) == "visit_date_future"
    assert visit(visited_on=TODAY - dt.timedelta(days=10), unit=cast.pref_drc) == "visit_date_early"
    assert visit() == "visit_place_required"
    assert visit(unit=cast.province) == "visit_unit_out_of_scope"
    assert visit(unit=cast.pref_drc, notes=" ") == "visit_notes_required"
    ok = ins.visit_record(actor=cast.supervisor, inspection=trip, visited_on=TODAY - dt.timedelta(days=2),
                          place="城南工业园", notes="座谈")
    assert ok.unit is None and ok.place == "城南工业园"


def test_photos_are_re_encoded_without_their_gps(cast, trip, settings):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    visit = ins.visit_record(actor=cast.inspector, inspection=trip, visited_on=TODAY, unit=cast.pref_drc,
                             notes="拍照留存", photos=[("现场.jpg", original), ("窗口.jpg", original)])
    photos = list(visit.photos.order_by("pk"))
    assert len(photos) == 2
    with photos[0].file.open("rb") as handle:
        stored = handle.read()
    assert stored != original
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif()
    assert b"Exif" not in stored[:200]
    assert (photos[0].width, photos[0].height) == (64, 48)
    assert photos[0].file.name.startswith(f"inspections/{trip.pk}/")
    assert visit_photo_get_for(user=cast.leader, id=photos[0].pk) == photos[0]
    with pytest.raises(NotFound):
        visit_photo_get_for(user=cast.drc_liaison, id=photos[0].pk)
    with pytest.raises(NotFound):
        visit_photo_get_for(user=cast.county_supervisor, id=photos[0].pk)


def test_too_many_or_broken_photos_refuse_the_visit_whole(cast, trip, settings):
    settings.DUBAN_PHOTO_MAX_COUNT = 2
    with pytest.raises(DomainError) as e:
        ins.visit_record(actor=cast.inspector, inspection=trip, visited_on=TODAY, unit=cast.pref_drc,
                         notes="x", photos=[("a.jpg", jpeg_with_gps())] * 3)
    assert e.value.code == "visit_photos_too_many"
    with pytest.raises(DomainError) as e:
        ins.visit_record(actor=cast.inspector, inspection=trip, visited_on=TODAY, unit=cast.pref_drc,
                         notes="x", photos=[("a.jpg", jpeg_with_gps()), ("b.jpg", b"not a picture")])
    assert e.value.code == "photo_unreadable"
    assert trip.visits.count() == 1 and VisitPhoto.objects.count() == 0


# ---- findings become rectification tasks --------------------------------------------------------------


def test_a_supervisors_finding_becomes_an_assigned_rectification_task(cast, trip):
    finding = found(cast, trip)
    task = Task.objects.select_related("decision").get(pk=finding.task_id)
    assert task.decision.kind == DecisionKind.INSPECTION
    assert task.decision.title == "优化营商环境专项督查发现问题整改"
    assert task.category == "整改" and task.state == TaskState.ASSIGNED
    assert task.owner_unit == cast.prefecture
    assert "审批超时限" in task.title and "压缩审批时限" in task.requirements
    assert finding.deadline == get_calendar().add_workdays(TODAY, 20) == task.deadline
    a = Assignment.objects.get(task=task)
    assert (a.unit, a.role, a.deadline) == (cast.pref_drc, "lead", finding.deadline)
    assert fresh(trip).decision == task.decision
    second = found(cast, trip, text="涉企收费公示不全。", deadline=D(2026, 6, 30))
    assert Task.objects.get(pk=second.task_id).decision == task.decision
    assert Task.objects.get(pk=second.task_id).deadline == D(2026, 6, 30)
    assert finding.requires_recheck is True
    # The unit sees the rectification as any task of its own; the finding itself stays with the office.
    from duban.supervision.selectors import task_get_for

    assert task_get_for(user=cast.drc_liaison, id=task.pk) == task
    with pytest.raises(NotFound):
        finding_get_for(user=cast.drc_liaison, id=finding.pk)


def test_an_inspectors_finding_waits_for_the_office_to_issue_it(cast, trip):
    finding = found(cast, trip, actor=cast.inspector)
    assert finding.task is None and finding.state == FindingState.RECTIFYING
    event = Event.objects.get(verb="finding.record", object_id=finding.pk)
    assert event.actor == cast.inspector and event.payload["issued"] is False
    with pytest.raises(PermissionDenied):
        ins.finding_issue(actor=cast.inspector, finding=finding)
    with pytest.raises(NotFound):
        ins.finding_issue(actor=cast.county_supervisor, finding=finding)
    ins.finding_issue(actor=cast.supervisor, finding=finding)
    finding = fresh(finding)
    assert finding.task.decision.kind == DecisionKind.INSPECTION
    assert Event.objects.get(verb="task.create", task_id=finding.task_id).actor == cast.supervisor
    assert Event.objects.get(verb="finding.issue", object_id=finding.pk).actor == cast.supervisor
    with pytest.raises(DomainError):
        ins.finding_issue(actor=cast.supervisor, finding=finding)


@pytest.mark.parametrize("who", ["leader", "drc_liaison", "drc_head", "county_supervisor", "other_supervisor",
                                 "sysadmin"])
def test_only_the_team_and_the_office_record_findings(cast, trip, who):
    user = getattr(cast, who)
    with pytest.raises((PermissionDenied, NotFound)):
        found(cast, trip, actor=user)


def test_finding_units_and_deadlines_are_checked(cast, trip):
    def code(**kw):
        with pytest.raises(DomainError) as e:
            found(cast, trip, **kw)
        return e.value.code

    assert code(unit=cast.prefecture) == "finding_unit_out_of_scope"
    assert code(unit=cast.province) == "finding_unit_out_of_scope"
    assert code(deadline=TODAY) == "finding_deadline_past"
    assert code(deadline=D(2026, 6, 6)) == "finding_deadline_not_workday"  # a Saturday
    assert code(text="  ") == "finding_text_required"
    planned = plan(cast, title="未开始的督查")
    with pytest.raises(DomainError) as e:
        found(cast, planned)
    assert e.value.code == "inspection_not_under_way"


# ---- 复查 and 销号 --------------------------------------------------------------------------------------


def test_closing_needs_evidence(cast, trip):
    finding = found(cast, trip)
    a = rectify(cast, finding, evidence=False)
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="现场已整改。", checked_on=TODAY)
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    task = Task.objects.get(pk=finding.task_id)
    with pytest.raises(DomainError) as e:
        rectification_close_check(task)
    assert e.value.code == "rectification_evidence_missing" and "州发展和改革委员会" in e.value.message
    with pytest.raises(DomainError) as e:
        ins.finding_close(actor=cast.supervisor, finding=finding, note="核验")
    assert e.value.code == "rectification_evidence_missing"
    assert fresh(task).state == TaskState.CLOSING


def test_closing_needs_a_passed_recheck_when_the_plan_asks(cast, trip):
    finding = found(cast, trip)
    a = rectify(cast, finding)
    assert state_of(finding) == FindingState.RECHECK
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    with pytest.raises(DomainError) as e:
        ins.finding_close(actor=cast.supervisor, finding=finding, note="核验")
    assert e.value.code == "rectification_recheck_missing"


def test_with_evidence_and_a_passed_recheck_it_closes(cast, trip, frozen):
    finding = found(cast, trip)
    a = rectify(cast, finding)
    frozen.move_to(clock.at_local(D(2026, 6, 3), 9))
    recheck = ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="复查整改到位。",
                                  checked_on=D(2026, 6, 3))
    assert recheck.checked_by == cast.inspector
    assert state_of(finding) == FindingState.RECHECK
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    with pytest.raises(PermissionDenied):
        ins.finding_close(actor=cast.inspector, finding=finding, note="核验")
    ins.finding_close(actor=cast.supervisor, finding=finding, note="佐证齐全，复查通过。")
    finding = fresh(finding)
    assert state_of(finding) == FindingState.CLOSED and finding.task.closed_at is not None
    assert finding.task.state == TaskState.CLOSED
    assert Event.objects.filter(verb="finding.close", object_id=finding.pk).exists()


def test_without_a_recheck_in_the_plan_evidence_is_enough(cast, frozen):
    inspection = plan(cast, requires_recheck=False)
    ins.inspection_start(actor=cast.supervisor, inspection=inspection)
    finding = found(cast, inspection)
    assert finding.requires_recheck is False
    a = rectify(cast, finding)
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    ins.finding_close(actor=cast.supervisor, finding=finding, note="佐证齐全。")
    assert state_of(finding) == FindingState.CLOSED


def test_a_failed_recheck_by_the_office_sends_the_unit_back_to_work(cast, trip):
    finding = found(cast, trip)
    rectify(cast, finding)
    ins.finding_recheck(actor=cast.supervisor, finding=finding, passed=False, notes="窗口仍未公示收费目录。",
                        checked_on=TODAY)
    a = Assignment.objects.get(task=finding.task_id)
    assert a.state == AssignmentState.IN_PROGRESS and a.return_count == 1
    assert state_of(finding) == FindingState.RECTIFYING
    assert a.reports.get().review_comment.endswith("窗口仍未公示收费目录。")


def test_a_failed_recheck_by_an_inspector_waits_for_the_office_to_return_it(cast, trip, frozen):
    finding = found(cast, trip)
    rectify(cast, finding)
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=False, notes="整改不到位。", checked_on=TODAY)
    a = Assignment.objects.get(task=finding.task_id)
    assert a.state == AssignmentState.REVIEW
    assert state_of(finding) == FindingState.RECTIFYING
    with pytest.raises(PermissionDenied):
        ins.finding_return(actor=cast.inspector, finding=finding)
    ins.finding_return(actor=cast.supervisor, finding=finding)
    assert fresh(a).state == AssignmentState.IN_PROGRESS
    with pytest.raises(DomainError):
        ins.finding_return(actor=cast.supervisor, finding=finding)
    # The unit asks again the next day: the finding waits for a new 复查.
    frozen.move_to(clock.at_local(D(2026, 6, 2), 10))
    s.report_submit(actor=cast.drc_head, assignment=fresh(a), text="再次整改。", progress=100, is_final=True,
                    files=[("公示.jpg", jpeg_with_gps())])
    assert state_of(finding) == FindingState.RECHECK


def test_a_recheck_waits_for_the_units_request(cast, trip):
    finding = found(cast, trip)
    with pytest.raises(DomainError) as e:
        ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="x", checked_on=TODAY)
    assert e.value.code == "finding_not_ready_for_recheck"
    rectify(cast, finding)
    with pytest.raises(DomainError) as e:
        ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="x",
                            checked_on=TODAY + dt.timedelta(days=1))
    assert e.value.code == "recheck_date_future"
    for who in ("drc_liaison", "leader"):
        with pytest.raises((PermissionDenied, NotFound)):
            ins.finding_recheck(actor=getattr(cast, who), finding=finding, passed=True, notes="x", checked_on=TODAY)


def test_cancelling_a_finding_cancels_its_task(cast, trip):
    finding = found(cast, trip)
    ins.finding_cancel(actor=cast.supervisor, finding=finding, reason="经核实不属实。")
    finding = fresh(finding)
    assert state_of(finding) == FindingState.CANCELLED and finding.task.state == TaskState.CANCELLED
    ins.inspection_cancel(actor=cast.supervisor, inspection=trip, reason="改期")


def test_task_close_itself_refuses_a_rectification_without_its_recheck(cast, trip):
    finding = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))
    with pytest.raises(DomainError) as e:
        s.task_close(actor=cast.supervisor, task=Task.objects.get(pk=finding.task_id), note="核验")
    assert e.value.code == "rectification_recheck_missing"


def test_a_failed_recheck_after_verification_opens_the_work_again(cast, trip):
    finding = found(cast, trip)
    a = rectify(cast, finding)
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    assert fresh(a).state == AssignmentState.DONE
    ins.finding_recheck(actor=cast.supervisor, finding=finding, passed=False, notes="护栏仍未修复。",
                        checked_on=TODAY)
    a = fresh(a)
    assert a.state == AssignmentState.PENDING  # asked again: the unit signs for the rectification anew
    assert Task.objects.get(pk=finding.task_id).state == "assigned"
    assert Event.objects.filter(verb="task.redo_by_recheck", task_id=finding.task_id).exists()


def test_a_second_round_closes_only_on_its_own_evidence(cast, trip, frozen):
    """After a failed 复查 reopened the verified work, the first round's evidence does not close the second."""
    finding = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))
    frozen.move_to(clock.at_local(D(2026, 6, 2), 9))
    ins.finding_recheck(actor=cast.supervisor, finding=finding, passed=False, notes="护栏仍未修复。",
                        checked_on=D(2026, 6, 2))
    frozen.move_to(clock.at_local(D(2026, 6, 3), 9))
    a = rectify(cast, finding, evidence=False)  # signs again, asks to close with no evidence this time
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    ins.finding_recheck(actor=cast.supervisor, finding=finding, passed=True, notes="到位。", checked_on=D(2026, 6, 3))
    with pytest.raises(DomainError) as e:
        ins.finding_close(actor=cast.supervisor, finding=finding, note="销号")
    assert e.value.code == "rectification_evidence_missing"
    with pytest.raises(DomainError):
        s.task_close(actor=cast.supervisor, task=Task.objects.get(pk=finding.task_id), note="销号")
    assert Task.objects.get(pk=finding.task_id).state == TaskState.CLOSING


def test_evidence_sent_before_a_failed_recheck_does_not_close_the_work(cast, trip, frozen):
    """The office verified the request a failed 复查 had found wanting: the evidence must come after that 复查."""
    finding = found(cast, trip)
    a = rectify(cast, finding)
    frozen.move_to(clock.at_local(D(2026, 6, 2), 9))
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=False, notes="未整改。", checked_on=D(2026, 6, 2))
    s.assignment_verify(actor=cast.supervisor, assignment=fresh(a))  # verified without returning it
    frozen.move_to(clock.at_local(D(2026, 6, 3), 9))
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="到位。", checked_on=D(2026, 6, 3))
    with pytest.raises(DomainError) as e:
        ins.finding_close(actor=cast.supervisor, finding=finding, note="销号")
    assert e.value.code == "rectification_evidence_missing" and "复查未通过（2026年6月2日）后" in e.value.message
    assert Task.objects.get(pk=finding.task_id).state == TaskState.CLOSING


def test_a_second_round_with_new_evidence_closes(cast, trip, frozen):
    finding = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))
    ins.finding_recheck(actor=cast.supervisor, finding=finding, passed=False, notes="护栏仍未修复。",
                        checked_on=TODAY)
    assert state_of(finding) == FindingState.RECTIFYING
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))  # same instant: still after
    ins.finding_recheck(actor=cast.supervisor, finding=finding, passed=True, notes="到位。", checked_on=TODAY)
    ins.finding_close(actor=cast.supervisor, finding=finding, note="销号")
    assert state_of(finding) == FindingState.CLOSED


def test_a_task_closed_on_its_own_page_closes_the_finding_for_every_reader(cast, trip):
    """Nothing but the task moves: the list's counts, the state filter and the report read it from the task."""
    finding = found(cast, trip)
    a = rectify(cast, finding)
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="到位。", checked_on=TODAY)
    s.assignment_verify(actor=cast.supervisor, assignment=a)
    row = inspection_list_for(user=cast.supervisor).get(pk=trip.pk)
    assert (row.finding_count, row.open_finding_count) == (1, 1)
    s.task_close(actor=cast.supervisor, task=Task.objects.get(pk=finding.task_id), note="销号")
    assert state_of(finding) == FindingState.CLOSED
    row = inspection_list_for(user=cast.supervisor).get(pk=trip.pk)
    assert (row.finding_count, row.open_finding_count) == (1, 0)
    assert [f.pk for f in finding_list_for(user=cast.supervisor, filters={"state": "closed"})] == [finding.pk]
    assert not finding_list_for(user=cast.supervisor, filters={"state": "rectifying"}).exists()
    assert inspection_detail(trip)["findings"][0].current_state == FindingState.CLOSED
    with pytest.raises(DomainError):
        finding_list_for(user=cast.supervisor, filters={"state": "nonsense"})


def test_the_state_follows_the_task_through_every_step(cast, trip, frozen):
    """Each step below is taken by the task's own services (or the 复查); the state is read, never copied."""
    finding = found(cast, trip)
    seen = [state_of(finding)]
    a = rectify(cast, finding)  # report_submit: the task waits for 销号 and the plan asks for a 复查
    seen.append(state_of(finding))
    frozen.move_to(clock.at_local(D(2026, 6, 2), 9))
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=False, notes="未整改。", checked_on=D(2026, 6, 2))
    seen.append(state_of(finding))  # failed after the request: to be returned
    s.assignment_reject(actor=cast.supervisor, assignment=fresh(a), comment="复查未通过。")
    seen.append(state_of(finding))
    frozen.move_to(clock.at_local(D(2026, 6, 3), 9))
    s.report_submit(actor=cast.drc_head, assignment=fresh(a), text="再次整改。", progress=100, is_final=True,
                    files=[("公示.jpg", jpeg_with_gps())])
    seen.append(state_of(finding))  # asked again after the failed 复查: waits for a new one
    assert seen == ["rectifying", "recheck", "rectifying", "rectifying", "recheck"]
    s.task_cancel(actor=cast.supervisor, task=Task.objects.get(pk=finding.task_id), reason="另行处理")
    assert state_of(finding) == FindingState.CANCELLED
    assert inspection_list_for(user=cast.supervisor).get(pk=trip.pk).open_finding_count == 0
    with pytest.raises(DomainError) as e:
        ins.finding_cancel(actor=cast.supervisor, finding=finding, reason="重复")
    assert e.value.code == "finding_ended"


def test_a_finding_waiting_to_be_issued_counts_as_open_until_withdrawn(cast, trip):
    finding = found(cast, trip, actor=cast.inspector)
    assert finding.task_id is None and state_of(finding) == FindingState.RECTIFYING
    assert inspection_list_for(user=cast.supervisor).get(pk=trip.pk).open_finding_count == 1
    ins.finding_cancel(actor=cast.supervisor, finding=finding, reason="经核实不属实。")
    assert state_of(finding) == FindingState.CANCELLED
    assert inspection_list_for(user=cast.supervisor).get(pk=trip.pk).open_finding_count == 0


def test_closing_a_finding_writes_nothing_on_the_finding(cast, trip):
    """The stored state holds only the finding's own 撤销; 销号 lives on the task."""
    finding = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="到位。", checked_on=TODAY)
    version = fresh(finding).version
    ins.finding_close(actor=cast.supervisor, finding=finding, note="销号")
    assert fresh(finding).version == version and fresh(finding).state == FindingState.RECTIFYING
    assert state_of(finding) == FindingState.CLOSED


def test_other_tasks_pass_the_close_check(cast, frozen):
    decision = s.decision_create(actor=cast.supervisor, kind="meeting", title="会议", issued_on=TODAY)
    task = s.task_create(actor=cast.supervisor, decision=decision, title="一般事项", lead_unit_ids=[cast.pref_drc.pk])
    rectification_close_check(task)


# ---- the report --------------------------------------------------------------------------------------


def test_the_report_lists_findings_and_their_state(cast, trip):
    closed = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, closed))
    ins.finding_recheck(actor=cast.inspector, finding=closed, passed=True, notes="到位。", checked_on=TODAY)
    ins.finding_close(actor=cast.supervisor, finding=closed, note="销号")
    found(cast, trip, unit=cast.county_drc, text="项目台账不完整。", requirement="补齐台账。")
    found(cast, trip, actor=cast.inspector, unit=cast.township, text="惠民资金公示不及时。")
    data = inspection_report_docx(inspection_get_for(user=cast.supervisor, id=trip.pk))
    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "关于优化营商环境专项督查情况的报告" in text
    assert "韩组员（组长）" in text and "查看审批窗口" in text
    assert "共发现问题3个，其中整改中2个、已整改销号1个" in text
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["单位", "问题", "整改要求", "时限", "状态", "复查"]
    assert rows[1][0] == "州发展和改革委员会" and rows[1][4] == "已整改销号" and rows[1][5] == "2026.6.1通过"
    assert rows[2][:3] == ["甲县发展和改革局", "项目台账不完整。", "补齐台账。"] and rows[2][5] == "未复查"
    assert rows[3][4] == "待交办"
    section = document.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
