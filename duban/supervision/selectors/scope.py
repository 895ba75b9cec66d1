"""The visibility rule of every supervision object kind, each one SQL condition (DESIGN.md, Data scope).

- A supervisor, leader or inspector oversees their unit's subtree: the tasks a
  unit in it owns or is assigned, with everything that hangs from them.
- A liaison or unit head sees what is assigned to their own unit.
- A task's responsible leader (责任领导) sees that task.
- Reports still inside the unit (待单位审核, 单位退回) are the unit's own draft
  round: only its liaisons and unit head see them, with their blockers and files.

`via` is the lookup path from the model being filtered to the object the rule
is about ("" for the object itself, "task__" from an assignment, ...), so that
each rule is written once and applied by join, not by a list of ids.
"""

from django.db.models import Exists, OuterRef, Q

from duban.org.models import Role
from duban.org.selectors import Viewer, viewer_of
from duban.supervision.models import Assignment, ReportState, Task

NOTHING = Q(pk__in=[])
# Reports the unit has let go out; the others are its internal draft round.
RELEASED_REPORT_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.RETURNED)
LIVE_ASSIGNMENT = ~Q(state__in=["reassigned", "cancelled"])


def task_followed(v: Viewer, via: str = "") -> Q:
    """Tasks the viewer follows from above: in their subtree, or theirs as responsible leader."""
    # Only a leader can be a task's responsible leader; asking it of others would make the planner
    # weigh an OR it can never use an index for.
    condition = Q(**{f"{via}responsible_leader_id": v.pk}) if v.holds(Role.LEADER) else NOTHING
    if v.oversees:
        below = Assignment.objects.filter(task_id=OuterRef(f"{via}pk"), unit__path__startswith=v.unit_path)
        condition |= Q(**{f"{via}owner_unit__path__startswith": v.unit_path}) | Q(Exists(below))
    return condition


def task_at_own_unit(v: Viewer, via: str = "") -> Q:
    """Tasks assigned to the viewer's own unit, for its liaisons and unit head."""
    if not v.works_in_unit:
        return NOTHING
    # An IN over the unit's (indexed) assignments: both databases start from the few rows of one unit
    # instead of probing every task with EXISTS.
    return Q(**{f"{via}pk__in": Assignment.objects.filter(unit_id=v.unit_id).values("task_id")})


def task_scope(v: Viewer, via: str = "") -> Q:
    return task_followed(v, via) | task_at_own_unit(v, via)


def decision_scope(v: Viewer) -> Q:
    """Decisions registered in a supervisor's or leader's subtree, and those behind any visible task."""
    condition = Q(Exists(Task.objects.filter(task_scope(v), decision_id=OuterRef("pk"))))
    if v.unit_path is not None and v.holds(Role.SUPERVISOR, Role.LEADER):
        condition |= Q(owner_unit__path__startswith=v.unit_path)
    return condition


def assignment_scope(v: Viewer, via: str = "") -> Q:
    """Every assignment of a followed task; only the own unit's assignment of any other task."""
    condition = task_followed(v, f"{via}task__")
    if v.works_in_unit:
        condition |= Q(**{f"{via}unit_id": v.unit_id})
    return condition


def report_scope(v: Viewer, via: str = "") -> Q:
    """The own unit's reports in every state; others' reports of a followed task once released."""
    condition = task_followed(v, f"{via}assignment__task__") & Q(**{f"{via}state__in": RELEASED_REPORT_STATES})
    if v.works_in_unit:
        condition |= Q(**{f"{via}assignment__unit_id": v.unit_id})
    return condition


def blocker_scope(v: Viewer) -> Q:
    """As its assignment, unless it came with a report still in the unit; always for the leader it went to."""
    released = Q(report__isnull=True) | Q(report__state__in=RELEASED_REPORT_STATES)
    condition = (task_followed(v, "assignment__task__") & released) | Q(escalated_to_id=v.pk)
    if v.works_in_unit:
        condition |= Q(assignment__unit_id=v.unit_id)
    return condition


def extension_scope(v: Viewer) -> Q:
    return assignment_scope(v, "assignment__")


def evidence_scope(v: Viewer) -> Q:
    return report_scope(v, "report__")


def task_part_scope(v: Viewer) -> Q:
    """Milestones, targets and instructions: as their task."""
    return task_scope(v, "task__")


def visible(model, rule, user):
    """`model`'s rows that `rule` lets `user` see; none for someone who is no viewer."""
    v = viewer_of(user)
    if v is None:
        return model.objects.none()
    return model.objects.filter(rule(v))
