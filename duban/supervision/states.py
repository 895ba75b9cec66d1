"""The allowed transitions of each state machine, and the words each audience uses for a state."""

from duban.core.errors import DomainError

TRANSITIONS: dict[str, dict[str, set[str]]] = {
    "task": {
        "draft": {"assigned", "cancelled"},
        "assigned": {"in_progress", "closing", "cancelled"},
        "in_progress": {"assigned", "closing", "cancelled"},
        "closing": {"in_progress", "assigned", "closed", "cancelled"},
        "closed": {"assigned"},  # a new 批示 opens a new round
        "cancelled": set(),
    },
    "assignment": {
        "pending": {"in_progress", "returned", "cancelled"},
        "in_progress": {"review", "cancelled", "done"},
        "review": {"done", "in_progress", "cancelled"},
        "returned": {"reassigned", "cancelled"},
        "done": {"pending"},  # a new round
        "reassigned": set(),
        "cancelled": set(),
    },
    "report": {
        "unit_review": {"submitted", "unit_returned"},
        "submitted": {"accepted", "returned"},
        "unit_returned": set(),
        "accepted": set(),
        "returned": set(),
    },
    "extension": {"pending": {"approved", "denied"}, "approved": set(), "denied": set()},
    "blocker": {"open": {"escalated", "answered"}, "escalated": {"answered"}, "answered": set()},
}

STATE_NAMES_ZH = {
    "task": {"draft": "草稿", "assigned": "已交办", "in_progress": "办理中", "closing": "待销号",
             "closed": "已销号", "cancelled": "已撤销"},
    "assignment": {"pending": "待签收", "in_progress": "办理中", "review": "待审核", "done": "已办结",
                   "returned": "待改派", "reassigned": "已改派", "cancelled": "已撤销"},
    "report": {"unit_review": "待单位审核", "unit_returned": "单位退回", "submitted": "已报送",
               "accepted": "已采纳", "returned": "退回重报"},
    "extension": {"pending": "待批复", "approved": "已批准", "denied": "未批准"},
    "blocker": {"open": "待协调", "escalated": "已提请协调", "answered": "已答复"},
}


def check_transition(machine: str, from_state: str, to_state: str) -> None:
    if to_state not in TRANSITIONS[machine].get(from_state, set()):
        names = STATE_NAMES_ZH[machine]
        raise DomainError(
            f"{machine}_illegal_transition",
            f"当前状态为“{names.get(from_state, from_state)}”，不能变为“{names.get(to_state, to_state)}”。",
            {"from": from_state, "to": to_state},
        )


# Offices use different words for one state depending on who is looking.
# The unit sees the work it must do; the supervisor sees what it has done.
AUDIENCE_LABELS = {
    "assignment": {
        "unit": {"pending": "待签收", "in_progress": "办理中", "review": "已申请办结", "done": "已办结",
                 "returned": "已退办", "reassigned": "已改派", "cancelled": "已撤销"},
        "supervisor": {"pending": "已交办", "in_progress": "办理中", "review": "待审核", "done": "已办结",
                       "returned": "待改派", "reassigned": "已改派", "cancelled": "已撤销"},
        "leader": {"pending": "已交办", "in_progress": "推进中", "review": "待审核", "done": "已办结",
                   "returned": "待改派", "reassigned": "已改派", "cancelled": "已撤销"},
    },
    "task": {
        "unit": {"assigned": "待签收", "in_progress": "办理中", "closing": "已申请办结", "closed": "已办结"},
        "supervisor": {"draft": "待交办", "assigned": "已交办", "in_progress": "办理中", "closing": "待销号",
                       "closed": "已销号", "cancelled": "已撤销"},
        "leader": {"assigned": "已交办", "in_progress": "推进中", "closing": "待销号", "closed": "已办结"},
    },
    "report": {
        "unit": {"unit_review": "待负责人审核", "unit_returned": "负责人退回", "submitted": "已报送",
                 "accepted": "已采纳", "returned": "被退回重报"},
        "supervisor": {"submitted": "待审核", "accepted": "已采纳", "returned": "已退回"},
    },
}


def audience_of(user) -> str:
    if user is None:
        return "supervisor"
    if user.has_role("supervisor", "inspector"):
        return "supervisor"
    if user.has_role("leader"):
        return "leader"
    return "unit"


def state_label(machine: str, state: str, user=None) -> str:
    """The word this user's office uses for `state`."""
    labels = AUDIENCE_LABELS.get(machine, {}).get(audience_of(user), {})
    return labels.get(state) or STATE_NAMES_ZH[machine].get(state, state)
