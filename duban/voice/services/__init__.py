"""Every write about a clue: the public's (intake) and the office's and units' (triage)."""

from duban.voice.services.answers import clue_answer
from duban.voice.services.intake import clue_rate, clue_submit
from duban.voice.services.triage import (
    clue_attach,
    clue_contact_reveal,
    clue_decline,
    clue_forward,
    clue_merge,
)

__all__ = ["clue_answer", "clue_attach", "clue_contact_reveal", "clue_decline", "clue_forward", "clue_merge",
           "clue_rate", "clue_submit"]
