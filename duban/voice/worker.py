"""The clue sweep: answers the sender never rated close after a while, and old abuse counters are forgotten.

Set-based: one UPDATE of the clues whose rating time is over (each with its Event), one DELETE of windows."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.voice.limits import windows_prune
from duban.voice.models import Clue, ClueState
from duban.workdays.store import get_calendar

log = logging.getLogger("duban.worker")

BATCH = 500


def clues_close_unrated() -> int:
    """Clues answered more than DUBAN_CLUE_RATE_WORKDAYS working days ago and never rated: 办结 (未评价)."""
    cutoff_day = get_calendar().add_workdays(clock.today(), -settings.DUBAN_CLUE_RATE_WORKDAYS)
    cutoff = clock.at_local(cutoff_day, 0)
    closed = 0
    while True:
        with transaction.atomic():
            ids = list(Clue.objects.filter(state=ClueState.ANSWERED, answered_at__lt=cutoff)
                       .order_by("pk").values_list("pk", "office_id", "task_id", "round")[:BATCH])
            if not ids:
                return closed
            now = clock.now()
            changed = Clue.objects.filter(pk__in=[i[0] for i in ids], state=ClueState.ANSWERED).update(
                state=ClueState.CLOSED, closed_at=now, close_reason="答复后逾期未评价，自动办结。")
            for pk, office_id, task_id, round_ in ids:
                event_append(actor=None, verb="clue.close_unrated", object_type="clue", object_id=pk,
                             task_id=task_id, unit_id=office_id, payload={"round": round_})
            closed += changed


def handle_one_clue_sweep() -> bool:
    from duban.core.worker import claim_job

    if not claim_job("clue_sweep", dt.timedelta(seconds=settings.DUBAN_SWEEP_INTERVAL)):
        return False
    closed = clues_close_unrated()
    pruned = windows_prune(before=clock.now() - dt.timedelta(days=2))
    if closed or pruned:
        log.info("clue sweep: %s unrated clues closed, %s rate windows pruned", closed, pruned)
    return True
