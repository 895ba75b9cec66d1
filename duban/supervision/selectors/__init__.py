"""Reads, scoped: `<kind>_get_for(*, user, id)` and `<kind>_list_for(*, user, filters)` for every kind.

The visibility rules live in `scope`; a row out of scope and a row that does not
exist both raise NotFound (never PermissionDenied), so existence does not leak.
Every list orders by -id and fetches what a list page shows in a fixed number
of queries, however many rows it has.
"""

from duban.supervision.selectors.tasks import (
    decision_get_for,
    decision_list_for,
    instruction_get_for,
    instruction_list_for,
    light_counts_for,
    milestone_get_for,
    milestone_list_for,
    target_get_for,
    target_list_for,
    task_get_for,
    task_list_for,
)
from duban.supervision.selectors.work import (
    assignment_get_for,
    assignment_list_for,
    blocker_get_for,
    blocker_list_for,
    evidence_get_for,
    evidence_list_for,
    extension_get_for,
    extension_list_for,
    report_get_for,
    report_list_for,
)

__all__ = [
    "assignment_get_for", "assignment_list_for", "blocker_get_for", "blocker_list_for", "decision_get_for",
    "decision_list_for", "evidence_get_for", "evidence_list_for", "extension_get_for", "extension_list_for",
    "instruction_get_for", "instruction_list_for", "light_counts_for", "milestone_get_for", "milestone_list_for",
    "report_get_for", "report_list_for", "target_get_for", "target_list_for", "task_get_for", "task_list_for",
]
