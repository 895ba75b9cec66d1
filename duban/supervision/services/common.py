"""Pieces every lifecycle service uses: locking, versioned saves, events, state sync."""

import datetime as dt

from django.conf import settings
from django.db import connection

from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import Conflict, DomainError, NotFound
from duban.supervision.lights import lights_refresh
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    DecisionKind,
    Light,
    Report,
    ReportState,
    Task,
    TaskState,
)
from duban.supervision.states import check_transition
from duban.workdays.store import get_calendar


def lock(model, pk, what: str):
    """Fetch a row for update. PostgreSQL locks it; SQLite already holds the write lock (IMMEDIATE)."""
    qs = model.objects.all()
    if connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except model.DoesNotExist:
        raise NotFound(what) from None


def check_version(obj, expected_version: int | None, what: str) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(what)


def save_versioned(obj, fields: list[str], what: str) -> None:
    """Write `fields` only if nobody else bumped the version since we read it."""
    values = {name: getattr(obj, name) for name in fields}
    changed = type(obj).objects.filter(pk=obj.pk, version=obj.version).update(version=obj.version + 1, **values)
    if changed != 1:
        raise Conflict(what)
    obj.version += 1


def move(obj, machine: str, to_state: str) -> None:
    check_transition(machine, obj.state, to_state)
    obj.state = to_state


def record(*, actor, verb: str, obj, task: Task | None, unit_id: int | None = None, **payload):
    return event_append(
        actor=actor,
        verb=verb,
        object_type=type(obj)._meta.model_name,
        object_id=obj.pk,
        task_id=task.pk if task is not None else None,
        unit_id=unit_id,
        payload=payload,
    )


def require_text(value: str | None, code: str, message: str, max_length: int = 10000) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(code, message)
    if len(text) > max_length:
        raise DomainError(f"{code}_too_long", f"内容过长（不超过{max_length}字）。")
    return text


def default_deadline(kind: str, urgency: str, start: dt.date) -> dt.date:
    table = settings.DUBAN_DEFAULT_DEADLINE_WORKDAYS
    if kind == DecisionKind.INSTRUCTION:
        days = table.get(f"instruction:{urgency}", table["other"])
    else:
        days = table.get(kind, table["other"])
    return get_calendar().add_workdays(start, days)


def sign_due_from(start: dt.date) -> dt.date:
    return get_calendar().add_workdays(start, settings.DUBAN_SIGN_SLA_WORKDAYS)


def implied_task_state(lead_states: list[str]) -> str:
    """What a live task's state is, given its lead assignments' states."""
    live = [s for s in lead_states if s not in (AssignmentState.REASSIGNED, AssignmentState.CANCELLED)]
    if live and all(s in (AssignmentState.REVIEW, AssignmentState.DONE) for s in live):
        return TaskState.CLOSING
    if live and all(s in (AssignmentState.IN_PROGRESS, AssignmentState.REVIEW, AssignmentState.DONE) for s in live):
        return TaskState.IN_PROGRESS
    return TaskState.ASSIGNED


def sync_task(task: Task) -> None:
    """Bring a live task's state in line with its lead assignments, then refresh its lights."""
    if task.state in (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING):
        lead_states = list(
            Assignment.objects.filter(task=task, role=AssignmentRole.LEAD).values_list("state", flat=True)
        )
        implied = implied_task_state(lead_states)
        if implied != task.state:
            task.state = implied
            save_versioned(task, ["state"], "task")
    lights_refresh(task_ids=[task.pk])


def today() -> dt.date:
    return clock.today()


def done_light(a: Assignment) -> str:
    """按期 when the unit asked to close on or before its deadline (today, if it never asked)."""
    finished_on = a.submitted_on or clock.today()
    on_time = a.deadline is None or finished_on <= a.deadline
    return Light.DONE_ON_TIME if on_time else Light.DONE_LATE


def withdraw_unit_reviews(assignment_ids: list[int], comment: str = "事项已结束，本次反馈不再报送。") -> list[int]:
    """Reports still waiting for a unit head when their assignment ends (or reopens) go back to the liaison."""
    stale = list(Report.objects.filter(assignment_id__in=assignment_ids, state=ReportState.UNIT_REVIEW)
                 .values_list("pk", flat=True))
    if stale:
        Report.objects.filter(pk__in=stale).update(state=ReportState.UNIT_RETURNED, review_comment=comment)
    return stale
