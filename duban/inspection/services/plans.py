"""The inspection itself: the plan (督查方案), its start, end or cancellation, and the visits made on site."""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.core.images import photo_clean
from duban.inspection.models import Finding, FindingState, Inspection, InspectionState, Visit, VisitPhoto
from duban.inspection.rules import (
    OPEN_INSPECTION_STATES,
    access_lead_team,
    access_run,
    access_work,
    check_inspection_transition,
)
from duban.inspection.selectors import clue_candidates, task_candidates, team_candidates, unit_candidates
from duban.org.models import Role, Unit
from duban.supervision.access import in_subtree
from duban.supervision.models import TaskState
from duban.supervision.services.common import check_version, lock, record, require_text, save_versioned

# A visit may be written up a little before the plan's first day (a preparatory talk, an early arrival).
VISIT_EARLY_DAYS = 3


def _ids(values) -> list[int]:
    try:
        return list(dict.fromkeys(int(v) for v in values or []))
    except (TypeError, ValueError):
        raise DomainError("inspection_id_invalid", "所选内容无效，请刷新后重新选择。") from None


def _pick(qs, ids: list[int], code: str, message: str) -> list:
    found = list(qs.filter(pk__in=ids)) if ids else []
    if len(found) != len(ids):
        raise DomainError(code, message)
    by_id = {x.pk: x for x in found}
    return [by_id[i] for i in ids]


@transaction.atomic
def inspection_create(*, actor, title: str, starts_on: dt.date, ends_on: dt.date, team_leader_id: int,
                      team_ids: list[int], place_ids: list[int] | None = None, place_notes: str = "",
                      task_ids: list[int] | None = None, clue_ids: list[int] | None = None, focus: str = "",
                      requires_recheck: bool = True) -> Inspection:
    """督查方案: a supervisor plans an inspection for their own office."""
    if actor is None or not actor.is_active or not actor.has_role(Role.SUPERVISOR) or actor.unit is None:
        raise PermissionDenied("只有督查员可以制定实地督查方案。")
    office = actor.unit
    title = require_text(title, "inspection_title_required", "请填写督查名称。", 200)
    if starts_on is None or ends_on is None:
        raise DomainError("inspection_dates_required", "请填写督查的开始和结束日期。", {"field": "starts_on"})
    if ends_on < starts_on:
        raise DomainError("inspection_dates_order", "结束日期不能早于开始日期。", {"field": "ends_on"})
    team_ids = _ids(team_ids)
    leader_id = _ids([team_leader_id])[0] if team_leader_id else None
    if leader_id is None:
        raise DomainError("inspection_leader_required", "请指定督查组组长。", {"field": "team_leader"})
    if leader_id not in team_ids:
        team_ids.insert(0, leader_id)
    team = _pick(team_candidates(office), team_ids, "inspection_team_invalid",
                 "督查组成员须为本单位及下属单位在岗的督查员或督查组成员。")
    places = _pick(unit_candidates(office), _ids(place_ids), "inspection_place_invalid",
                   "督查对象须为本单位下属的在用单位。")
    tasks = _pick(task_candidates(user=actor), _ids(task_ids), "inspection_task_invalid",
                  "检查事项须为本单位范围内正在办理的督办事项。")
    clues = _pick(clue_candidates(user=actor, office=office), _ids(clue_ids), "inspection_clue_invalid",
                  "核查线索须为本单位及下属单位受理、尚未办结的群众线索。")
    inspection = Inspection(
        title=title, office=office, team_leader_id=leader_id, place_notes=(place_notes or "").strip()[:10000],
        starts_on=starts_on, ends_on=ends_on, focus=(focus or "").strip()[:10000],
        requires_recheck=bool(requires_recheck), state=InspectionState.PLANNED, created_by=actor,
        created_at=clock.now(),
    )
    inspection.full_clean(exclude=["team", "places", "tasks", "clues", "decision"])
    inspection.save()
    inspection.team.set(team)
    inspection.places.set(places)
    inspection.tasks.set(tasks)
    inspection.clues.set(clues)
    record(actor=actor, verb="inspection.create", obj=inspection, task=None, unit_id=office.pk, title=title,
           starts_on=starts_on, ends_on=ends_on, team_leader=leader_id, team=[u.pk for u in team],
           places=[u.pk for u in places], tasks=[t.pk for t in tasks], clues=[c.pk for c in clues],
           requires_recheck=inspection.requires_recheck)
    return inspection


def _move(inspection: Inspection, to_state: str) -> None:
    check_inspection_transition(inspection, to_state)
    inspection.state = to_state


@transaction.atomic
def inspection_start(*, actor, inspection: Inspection, expected_version: int | None = None) -> Inspection:
    """开始督查 (a first visit starts it too)."""
    inspection = lock(Inspection, inspection.pk, "inspection")
    access_work(actor, inspection)
    check_version(inspection, expected_version, "inspection")
    _move(inspection, InspectionState.UNDER_WAY)
    save_versioned(inspection, ["state"], "inspection")
    record(actor=actor, verb="inspection.start", obj=inspection, task=None, unit_id=inspection.office_id)
    return inspection


@transaction.atomic
def inspection_finish(*, actor, inspection: Inspection, expected_version: int | None = None) -> Inspection:
    """结束督查: the field work is over; the findings go on being rectified."""
    inspection = lock(Inspection, inspection.pk, "inspection")
    access_lead_team(actor, inspection)
    check_version(inspection, expected_version, "inspection")
    _move(inspection, InspectionState.FINISHED)
    save_versioned(inspection, ["state"], "inspection")
    record(actor=actor, verb="inspection.finish", obj=inspection, task=None, unit_id=inspection.office_id)
    return inspection


@transaction.atomic
def inspection_cancel(*, actor, inspection: Inspection, reason: str,
                      expected_version: int | None = None) -> Inspection:
    """取消督查, before anything found on it is being rectified."""
    inspection = lock(Inspection, inspection.pk, "inspection")
    access_run(actor, inspection)
    check_version(inspection, expected_version, "inspection")
    reason = require_text(reason, "inspection_cancel_reason_required", "取消督查须写明理由。")
    _move(inspection, InspectionState.CANCELLED)
    live = (Finding.objects.filter(inspection=inspection).exclude(state=FindingState.CANCELLED)
            .exclude(task__state=TaskState.CANCELLED))  # a task cancelled on its own page ends its finding
    if live.exists():
        raise DomainError("inspection_has_findings", "本次督查已有发现问题在整改，不能取消；请先撤销这些问题。")
    save_versioned(inspection, ["state"], "inspection")
    record(actor=actor, verb="inspection.cancel", obj=inspection, task=None, unit_id=inspection.office_id,
           reason=reason)
    return inspection


@transaction.atomic
def visit_record(*, actor, inspection: Inspection, visited_on: dt.date, notes: str, unit: Unit | None = None,
                 place: str = "", people_met: str = "", photos: list[tuple[str, bytes]] | None = None) -> Visit:
    """记录走访: where, when, what was seen, whom the team met, and the photos taken (re-encoded, no EXIF)."""
    inspection = lock(Inspection, inspection.pk, "inspection")
    access_work(actor, inspection)
    if inspection.state not in OPEN_INSPECTION_STATES:
        raise DomainError("inspection_not_open", "督查已结束或已取消，不能再记录走访。")
    notes = require_text(notes, "visit_notes_required", "请填写现场情况。")
    place = (place or "").strip()
    if len(place) > 200:
        raise DomainError("visit_place_too_long", "地点不超过200字。", {"field": "place"})
    if unit is not None and (not unit.is_active or not in_subtree(unit, inspection.office)
                             or unit.pk == inspection.office_id):
        raise DomainError("visit_unit_out_of_scope", f"“{unit.name}”不在本次督查组织单位的下属范围内。",
                          {"field": "unit"})
    if unit is None and not place:
        raise DomainError("visit_place_required", "请选择被督查单位或填写地点。", {"field": "place"})
    if visited_on is None or visited_on > clock.today():
        raise DomainError("visit_date_future", "走访日期不能晚于今天。", {"field": "visited_on"})
    if visited_on < inspection.starts_on - dt.timedelta(days=VISIT_EARLY_DAYS):
        raise DomainError("visit_date_early", "走访日期早于督查开始日期，请核对。", {"field": "visited_on"})
    photos = photos or []
    if len(photos) > settings.DUBAN_PHOTO_MAX_COUNT:
        raise DomainError("visit_photos_too_many", f"每次走访最多上传{settings.DUBAN_PHOTO_MAX_COUNT}张照片。",
                          {"field": "photos"})
    # Every photo is checked and re-encoded before anything is written: a bad one refuses the visit whole.
    cleaned = [photo_clean(name, content) for name, content in photos]
    started = inspection.state == InspectionState.PLANNED
    if started:
        _move(inspection, InspectionState.UNDER_WAY)
        save_versioned(inspection, ["state"], "inspection")
        record(actor=actor, verb="inspection.start", obj=inspection, task=None, unit_id=inspection.office_id,
               by_visit=True)
    visit = Visit(inspection=inspection, unit=unit, place=place, visited_on=visited_on, notes=notes,
                  people_met=(people_met or "").strip()[:10000], recorded_by=actor, recorded_at=clock.now())
    visit.save()
    stored = []
    for photo in cleaned:
        row = VisitPhoto(visit=visit, width=photo.width, height=photo.height, size=len(photo.content),
                         sha256=photo.sha256)
        row.file.save(photo.name, ContentFile(photo.content), save=False)
        row.save()
        stored.append(row.pk)
    record(actor=actor, verb="visit.record", obj=visit, task=None, unit_id=unit.pk if unit else None,
           inspection=inspection.pk, visited_on=visited_on, place=place, photos=stored)
    return visit
