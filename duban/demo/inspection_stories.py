"""实地督查, told through the real services (duban.inspection).

The office plans an inspection (its team, places, days, the tasks and clues to look at); the team's first
visit starts it, each visit is written up with whom the team met, and the leader ends the field work on
the last day. What the team finds becomes a rectification task: issued at once when a supervisor of the
office records it, a day or two later when a 督查组成员 does (finding_issue). The task lives like any
other (duban.demo.stories) except at its end: the unit's request to close carries a photo as evidence,
the team goes back to recheck it (复查) when the plan asks, a failed recheck sends it back, and the
office closes the finding (finding_close) rather than the bare task.
"""

from duban.core import clock
from duban.demo import inspection_words as words
from duban.demo.history import History, Story, TaskRun
from duban.demo.pictures import picture
from duban.demo.planned import PlannedInspection, PlannedTask, PlannedVisit
from duban.demo.stories import ACTIVE_TASK, begin_task, submit
from duban.inspection.services import (
    finding_cancel,
    finding_close,
    finding_issue,
    finding_recheck,
    finding_record,
    finding_return,
    inspection_create,
    inspection_finish,
    visit_record,
)
from duban.supervision.models import Assignment, Task
from duban.voice.models import OPEN_CLUE_STATES, Clue

LOOKED_AT = 3  # tasks and clues of the places the plan names for the team to look at


def inspection_story(h: History, plan: PlannedInspection) -> Story:
    rng = h.rng("inspection", plan.key)
    places = [h.units[k] for k in plan.places]
    lead_here = Assignment.objects.filter(unit__in=places, role="lead").values("task_id")
    tasks = list(Task.objects.filter(pk__in=lead_here, state__in=ACTIVE_TASK, parent_assignment__isnull=True,
                                     owner_unit=h.units["pref"]).order_by("deadline", "pk")
                 .values_list("pk", flat=True)[:LOOKED_AT])
    clues = list(Clue.objects.filter(state__in=OPEN_CLUE_STATES, place_unit__parent__in=places)
                 .order_by("submitted_at").values_list("pk", flat=True)[:2])
    team = [h.people[u] for u in plan.team]
    inspection = h.act(inspection_create, actor=h.people[plan.creator], title=plan.title,
                       starts_on=plan.starts_on, ends_on=plan.ends_on, team_leader_id=h.people[plan.leader].pk,
                       team_ids=[u.pk for u in team], place_ids=[u.pk for u in places], place_notes=plan.place_notes,
                       task_ids=tasks, clue_ids=clues, focus=plan.focus, requires_recheck=plan.requires_recheck)
    if inspection is None:
        return
    h.inspections[plan.key] = inspection
    for visit in plan.visits:
        h.spawn(visit_story(h, inspection, visit), at=clock.at_local(visit.day, 9, rng.randint(0, 40)))
    yield clock.at_local(plan.ends_on, 17, rng.randint(20, 50))
    h.act(inspection_finish, actor=h.people[plan.leader], inspection=inspection)


def visit_story(h: History, inspection, plan: PlannedVisit) -> Story:
    rng = h.rng("visit", plan.key)
    photos = [(f"走访{i + 1}.jpg", picture(rng)) for i in range(rng.randint(1, 2))] if plan.photo else None
    visit = h.act(visit_record, actor=h.people[plan.recorder], inspection=inspection, visited_on=plan.day,
                  notes=plan.notes, unit=h.units[plan.unit], place=plan.place, people_met=plan.people_met,
                  photos=photos)
    if visit is not None:
        h.visits[plan.key] = visit
    return
    yield


def finding_story(h: History, spec: PlannedTask) -> Story:
    """督查发现, recorded on the visit's day; issued as a rectification task at once or by the office later."""
    rng = h.rng("task", spec.index)
    plan = spec.finding
    inspection = h.inspections.get(plan.inspection)
    if inspection is None:
        return
    finding = h.act(finding_record, actor=h.people[plan.recorder], inspection=inspection,
                    unit=h.units[spec.lead[0]], text=plan.text, requirement=plan.requirement,
                    deadline=spec.deadline, visit=h.visits.get(plan.visit))
    if finding is None:
        return
    supervisor = h.people[spec.supervisor]
    if finding.task_id is None:  # a 督查组成员 recorded it: it waits for the office (待交办)
        yield h.on(spec.created_on, rng)
        finding = h.act(finding_issue, actor=supervisor, finding=finding)
        if finding is None:
            return
    yield h.after(rng, 0)
    task = Task.objects.select_related("decision").get(pk=finding.task_id)
    begin_task(h, spec, task, supervisor, finding=finding, finding_plan=plan, final=evidenced_request,
               check=recheck if inspection.requires_recheck else None, close=close_finding, cancel=cancel_finding)


def evidenced_request(h: History, run: TaskRun, a: Assignment, rng) -> Story:
    """申请办结 of a rectification, with photos of the result as evidence (销号 needs them)."""
    files = [(f"整改后现场照片{i + 1}.jpg", picture(rng)) for i in range(rng.randint(1, 2))]
    return (yield from submit(h, run, a, rng, 100, final=True, files=files))


def recheck(h: History, run: TaskRun, a: Assignment, rng, attempt: int) -> Story:
    """复查: a member of the team goes back. The first fails when the fate sends the request back; a team
    member's failed recheck waits for the office to return the request (finding_return)."""
    yield h.after(rng, rng.randint(1, 4))
    if h.fresh(a).state != "review":
        return None
    passed = not (attempt == 1 and run.fate.reject_final)
    notes = rng.choice(words.RECHECK_PASSED if passed else words.RECHECK_FAILED)
    if h.act(finding_recheck, actor=h.people[run.finding_plan.rechecker], finding=run.finding, passed=passed,
             notes=notes, checked_on=h.today()) is None:
        return None
    if not passed and h.fresh(a).state == "review":
        yield h.after(rng, rng.randint(0, 1))
        if h.act(finding_return, actor=run.supervisor, finding=run.finding) is None:
            return None
    return passed


def close_finding(h: History, run: TaskRun, note: str):
    return h.act(finding_close, actor=run.supervisor, finding=run.finding, note=h.rng("note", run.key).choice(
        words.FINDING_CLOSE_NOTES))


def cancel_finding(h: History, run: TaskRun, reason: str):
    return h.act(finding_cancel, actor=run.supervisor, finding=run.finding,
                 reason=words.FINDING_CANCEL_REASONS[0])
