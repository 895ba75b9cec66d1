"""The lifecycle: every state change of the supervision domain is one function here."""

from duban.supervision.services.assignments import (
    assignment_objective_reason,
    assignment_reassign,
    assignment_reject,
    assignment_return,
    assignment_sign,
    assignment_verify,
    extension_decide,
    extension_request,
)
from duban.supervision.services.reports import (
    blocker_answer,
    blocker_escalate,
    blocker_raise,
    report_review,
    report_submit,
    report_unit_approve,
)
from duban.supervision.services.tasks import (
    decision_create,
    instruction_write,
    milestone_complete,
    task_assign,
    task_cancel,
    task_close,
    task_create,
    task_leader_read,
    task_redo,
    task_update,
)

__all__ = [
    "assignment_objective_reason",
    "assignment_reassign", "assignment_reject", "assignment_return", "assignment_sign", "assignment_verify",
    "blocker_answer", "blocker_escalate", "blocker_raise", "decision_create", "extension_decide",
    "extension_request", "instruction_write", "milestone_complete", "report_review", "report_submit", "report_unit_approve",
    "task_assign", "task_cancel", "task_close", "task_create", "task_leader_read", "task_redo",
    "task_update",
]
