"""What every clue service shares: the clue's state machine, its Events, its answer deadline."""

import datetime as dt

from django.conf import settings

from duban.audit.chain import event_append
from duban.core.errors import DomainError
from duban.voice.models import CLUE_TRANSITIONS, Clue, ClueState
from duban.workdays.store import get_calendar


def move_clue(clue: Clue, to_state: str) -> None:
    if to_state not in CLUE_TRANSITIONS[ClueState(clue.state)]:
        raise DomainError("clue_illegal_transition",
                          f"线索当前状态为“{ClueState(clue.state).label}”，不能变为“{ClueState(to_state).label}”。",
                          {"from": clue.state, "to": to_state})
    clue.state = to_state


def record_clue(*, actor, verb: str, clue: Clue, on_task: bool = True, **payload) -> None:
    """The clue's Event. Never the sender's name or phone: the audit trail is read by others than triage.
    `on_task=False` keeps it off the task's timeline, which the handling unit reads."""
    event_append(actor=actor, verb=verb, object_type="clue", object_id=clue.pk,
                 task_id=clue.task_id if on_task else None, unit_id=clue.office_id, payload=payload)


def answer_deadline(start: dt.date) -> dt.date:
    return get_calendar().add_workdays(start, settings.DUBAN_CLUE_ANSWER_WORKDAYS)
