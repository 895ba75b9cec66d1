"""Decisions (决策部署), tasks (督办事项) and their milestones."""

from django.db import transaction
from django.db.models import prefetch_related_objects
from ninja import Query, Router, Schema, Status

from duban.api.common import Page, PageIn, caller, filters_of, paged
from duban.api.errors import ERRORS
from duban.api.pagination import page
from duban.api.schemas import (
    Date,
    DecisionIn,
    DecisionOut,
    EventOut,
    Id,
    InstructionIn,
    InstructionOut,
    MilestoneOut,
    NoteIn,
    ReasonIn,
    TaskDetailOut,
    TaskIn,
    TaskOut,
    TaskUpdateIn,
    VersionIn,
    text,
)
from duban.audit.selectors import event_list_for
from duban.core.errors import DomainError
from duban.org.selectors import person_get_for
from duban.supervision import selectors as sel
from duban.supervision import services as s

router = Router(tags=["督办事项"])


class DecisionFilters(PageIn):
    q: text(100) | None = None
    kind: text(20) | None = None


class TaskFilterFields(Schema):
    """What the task list is filtered by; the 台账 export (duban/api/ledger.py) takes the same."""

    unit: Id | None = None
    state: text(20) | None = None
    light: text(20) | None = None
    deadline_from: Date | None = None
    deadline_to: Date | None = None
    decision: Id | None = None
    is_key: bool | None = None
    parent: Id | None = None
    q: text(100) | None = None


class TaskFilters(PageIn, TaskFilterFields):
    pass


class EventFilters(PageIn):
    verb: text(60) | None = None


def _task_detail(user, pk: int):
    task = sel.task_get_for(user=user, id=pk)
    prefetch_related_objects([task], "milestones", "targets", "instructions")
    return task


@router.get("/decisions", response={200: Page[DecisionOut], **ERRORS}, operation_id="decision_list")
def decision_list(request, params: Query[DecisionFilters]):
    return paged(sel.decision_list_for(user=caller(request), filters=filters_of(params)), params)


@router.get("/decisions/{decision_id}", response={200: DecisionOut, **ERRORS}, operation_id="decision_get")
def decision_get(request, decision_id: Id):
    return sel.decision_get_for(user=caller(request), id=decision_id)


@router.post("/decisions", response={201: DecisionOut, **ERRORS}, operation_id="decision_create")
def decision_create(request, body: DecisionIn):
    decision = s.decision_create(actor=caller(request), kind=body.kind, title=body.title, issued_on=body.issued_on,
                                 doc_number=body.doc_number, issuer=body.issuer, body=body.body)
    return Status(201, decision)


@router.get("/tasks", response={200: Page[TaskOut], **ERRORS}, operation_id="task_list")
def task_list(request, params: Query[TaskFilters]):
    return paged(sel.task_list_for(user=caller(request), filters=filters_of(params)), params)


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS}, operation_id="task_get")
def task_get(request, task_id: Id):
    return _task_detail(caller(request), task_id)


@router.post("/tasks", response={201: TaskDetailOut, **ERRORS}, operation_id="task_create")
def task_create(request, body: TaskIn):
    user = caller(request)
    parent_assignment = decision = None
    if body.parent_assignment_id is not None:
        parent_assignment = sel.assignment_get_for(user=user, id=body.parent_assignment_id)
    elif body.decision_id is not None:
        decision = sel.decision_get_for(user=user, id=body.decision_id)
    else:
        raise DomainError("task_decision_required", "请指定决策部署，或指定要分解的承办事项。")
    leader = person_get_for(user=user, id=body.responsible_leader_id) if body.responsible_leader_id else None
    task = s.task_create(
        actor=user, decision=decision, parent_assignment=parent_assignment, title=body.title,
        requirements=body.requirements, lead_unit_ids=body.lead_unit_ids,
        cooperating_unit_ids=body.cooperating_unit_ids, deadline=body.deadline, cadence=body.cadence,
        report_day=body.report_day, responsible_leader=leader, urgency=body.urgency, is_key=body.is_key,
        category=body.category, milestones=[(m.title, m.due) for m in body.milestones],
        targets=[t.dict() for t in body.targets],
    )
    return Status(201, _task_detail(user, task.pk))


@router.patch("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS}, operation_id="task_update")
def task_update(request, task_id: Id, body: TaskUpdateIn):
    user = caller(request)
    task = sel.task_get_for(user=user, id=task_id)
    leader = person_get_for(user=user, id=body.responsible_leader_id) if body.responsible_leader_id else None
    # The answer is read while the service's row lock is still held: afterwards a concurrent edit
    # could land first, and its version would be reported as this call's.
    with transaction.atomic():
        s.task_update(actor=user, task=task, expected_version=body.version, title=body.title,
                      requirements=body.requirements, category=body.category, urgency=body.urgency,
                      is_key=body.is_key, responsible_leader=leader, deadline=body.deadline)
        return _task_detail(user, task_id)


@router.post("/tasks/{task_id}/assign", response={200: TaskDetailOut, **ERRORS}, operation_id="task_assign")
def task_assign(request, task_id: Id, body: VersionIn):
    user = caller(request)
    s.task_assign(actor=user, task=sel.task_get_for(user=user, id=task_id), expected_version=body.version)
    return _task_detail(user, task_id)


@router.post("/tasks/{task_id}/close", response={200: TaskDetailOut, **ERRORS}, operation_id="task_close")
def task_close(request, task_id: Id, body: NoteIn):
    user = caller(request)
    s.task_close(actor=user, task=sel.task_get_for(user=user, id=task_id), note=body.note,
                 expected_version=body.version)
    return _task_detail(user, task_id)


@router.post("/tasks/{task_id}/cancel", response={200: TaskDetailOut, **ERRORS}, operation_id="task_cancel")
def task_cancel(request, task_id: Id, body: ReasonIn):
    user = caller(request)
    s.task_cancel(actor=user, task=sel.task_get_for(user=user, id=task_id), reason=body.reason,
                  expected_version=body.version)
    return _task_detail(user, task_id)


@router.post("/tasks/{task_id}/instructions", response={201: InstructionOut, **ERRORS},
             operation_id="task_instruct")
def task_instruct(request, task_id: Id, body: InstructionIn):
    user = caller(request)
    instruction = s.instruction_write(actor=user, task=sel.task_get_for(user=user, id=task_id), text=body.text,
                                      expected_version=body.version)
    return Status(201, instruction)


@router.post("/tasks/{task_id}/leader-read", response={200: TaskDetailOut, **ERRORS},
             operation_id="task_leader_read")
def task_leader_read(request, task_id: Id, body: VersionIn):
    user = caller(request)
    s.task_leader_read(actor=user, task=sel.task_get_for(user=user, id=task_id), expected_version=body.version)
    return _task_detail(user, task_id)


@router.get("/tasks/{task_id}/events", response={200: Page[EventOut], **ERRORS}, operation_id="task_events")
def task_events(request, task_id: Id, params: Query[EventFilters]):
    user = caller(request)
    sel.task_get_for(user=user, id=task_id)
    filters = {"task": task_id, **filters_of(params)}
    items, next_cursor = page(event_list_for(user=user, filters=filters), cursor=params.cursor,
                              limit=params.limit, field="seq")
    return {"items": items, "next_cursor": next_cursor}


@router.post("/milestones/{milestone_id}/complete", response={200: MilestoneOut, **ERRORS},
             operation_id="milestone_complete")
def milestone_complete(request, milestone_id: Id):
    user = caller(request)
    return s.milestone_complete(actor=user, milestone=sel.milestone_get_for(user=user, id=milestone_id))
