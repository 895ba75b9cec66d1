"""实地督查: every write is one function here (plans and visits; findings, 复查 and 销号)."""

from duban.inspection.services.findings import (
    default_rectify_deadline,
    finding_cancel,
    finding_close,
    finding_issue,
    finding_recheck,
    finding_record,
    finding_return,
)
from duban.inspection.services.plans import (
    inspection_cancel,
    inspection_create,
    inspection_finish,
    inspection_start,
    visit_record,
)

__all__ = [
    "default_rectify_deadline", "finding_cancel", "finding_close", "finding_issue", "finding_recheck",
    "finding_record", "finding_return", "inspection_cancel", "inspection_create",
    "inspection_finish", "inspection_start", "visit_record",
]
