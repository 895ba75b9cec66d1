"""A unit's work on a task: assignments, reports, extensions, blockers and evidence files, scoped."""

from django.db.models import Q, QuerySet

from duban.org.selectors import Filters, get_one
from duban.supervision.models import (
    ACTIVE_ASSIGNMENT_STATES,
    Assignment,
    Blocker,
    Evidence,
    Extension,
    Report,
)
from duban.supervision.selectors.scope import (
    assignment_scope,
    blocker_scope,
    evidence_scope,
    extension_scope,
    report_scope,
    visible,
)

# ---- assignments ---------------------------------------------------------------------------------


def _assignments(user) -> QuerySet[Assignment]:
    return visible(Assignment, assignment_scope, user).select_related(
        "task", "task__decision", "task__owner_unit", "unit")


def assignment_list_for(*, user, filters: dict | None = None) -> QuerySet[Assignment]:
    """Filters: unit, state (or "open": pending, in progress or in review), light, deadline_from, deadline_to
    (inclusive), decision, task, is_key, q (task code or title)."""
    f = Filters(filters, ("unit", "state", "light", "deadline_from", "deadline_to", "decision", "task", "is_key",
                          "q"), "assignment_list_for")
    qs = _assignments(user)
    if (unit := f.int_of("unit")) is not None:
        qs = qs.filter(unit_id=unit)
    if (state := f.text_of("state")) is not None:
        qs = qs.filter(state__in=ACTIVE_ASSIGNMENT_STATES) if state == "open" else qs.filter(state=state)
    if (light := f.text_of("light")) is not None:
        qs = qs.filter(light=light)
    if (since := f.date_of("deadline_from")) is not None:
        qs = qs.filter(deadline__gte=since)
    if (until := f.date_of("deadline_to")) is not None:
        qs = qs.filter(deadline__lte=until)
    if (decision := f.int_of("decision")) is not None:
        qs = qs.filter(task__decision_id=decision)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(task_id=task)
    if (is_key := f.bool_of("is_key")) is not None:
        qs = qs.filter(task__is_key=is_key)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(task__code__icontains=q) | Q(task__title__icontains=q))
    return qs.order_by("-id")


def assignment_get_for(*, user, id: int) -> Assignment:
    return get_one(_assignments(user), id, "assignment")


# ---- reports -------------------------------------------------------------------------------------


def _reports(user) -> QuerySet[Report]:
    return (visible(Report, report_scope, user)
            .select_related("assignment", "assignment__task", "assignment__unit", "author")
            .prefetch_related("evidence"))


def report_list_for(*, user, filters: dict | None = None) -> QuerySet[Report]:
    """Filters: assignment, task, state. Each report's evidence files are prefetched."""
    f = Filters(filters, ("assignment", "task", "state"), "report_list_for")
    qs = _reports(user)
    if (assignment := f.int_of("assignment")) is not None:
        qs = qs.filter(assignment_id=assignment)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(assignment__task_id=task)
    if (state := f.text_of("state")) is not None:
        qs = qs.filter(state=state)
    return qs.order_by("-id")


def report_get_for(*, user, id: int) -> Report:
    return get_one(_reports(user), id, "report")


# ---- extensions ----------------------------------------------------------------------------------


def _extensions(user) -> QuerySet[Extension]:
    return visible(Extension, extension_scope, user).select_related(
        "assignment", "assignment__task", "assignment__unit", "requested_by", "decided_by")


def extension_list_for(*, user, filters: dict | None = None) -> QuerySet[Extension]:
    """Filters: state, assignment, task."""
    f = Filters(filters, ("state", "assignment", "task"), "extension_list_for")
    qs = _extensions(user)
    if (state := f.text_of("state")) is not None:
        qs = qs.filter(state=state)
    if (assignment := f.int_of("assignment")) is not None:
        qs = qs.filter(assignment_id=assignment)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(assignment__task_id=task)
    return qs.order_by("-id")


def extension_get_for(*, user, id: int) -> Extension:
    return get_one(_extensions(user), id, "extension")


# ---- blockers ------------------------------------------------------------------------------------


def _blockers(user) -> QuerySet[Blocker]:
    return visible(Blocker, blocker_scope, user).select_related(
        "assignment", "assignment__task", "assignment__unit", "raised_by", "escalated_to", "answered_by")


def blocker_list_for(*, user, filters: dict | None = None) -> QuerySet[Blocker]:
    """Filters: state, task, assignment."""
    f = Filters(filters, ("state", "task", "assignment"), "blocker_list_for")
    qs = _blockers(user)
    if (state := f.text_of("state")) is not None:
        qs = qs.filter(state=state)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(assignment__task_id=task)
    if (assignment := f.int_of("assignment")) is not None:
        qs = qs.filter(assignment_id=assignment)
    return qs.order_by("-id")


def blocker_get_for(*, user, id: int) -> Blocker:
    return get_one(_blockers(user), id, "blocker")


# ---- evidence ------------------------------------------------------------------------------------


def _evidence(user) -> QuerySet[Evidence]:
    return visible(Evidence, evidence_scope, user).select_related(
        "report", "report__assignment", "report__assignment__task", "report__assignment__unit")


def evidence_list_for(*, user, filters: dict | None = None) -> QuerySet[Evidence]:
    """Filters: report. Download a file through `evidence_file_response`, never through a storage URL."""
    f = Filters(filters, ("report",), "evidence_list_for")
    qs = _evidence(user)
    if (report := f.int_of("report")) is not None:
        qs = qs.filter(report_id=report)
    return qs.order_by("-id")


def evidence_get_for(*, user, id: int) -> Evidence:
    return get_one(_evidence(user), id, "evidence")
