"""The clue sweep: answers the sender never rated close after a while, clues joined to a larger task are urged
when their answer is late, and old abuse counters are forgotten.

A clue forwarded as its own task is urged through its task (the escalation ladder); one joined to a larger
task (并入) has its own answer deadline, which the task's ladder does not know: this sweep urges it once."""

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from duban.audit.chain import event_append
from duban.core import clock
from duban.escalation.models import Cause, Step, Urge
from duban.escalation.services import clue_notify
from duban.supervision.models import Assignment, AssignmentRole, AssignmentState
from duban.voice.limits import windows_prune
from duban.voice.models import Clue, ClueState
from duban.workdays.store import get_calendar

log = logging.getLogger("duban.worker")

BATCH = 500
UNRATED_NOTE = "答复后逾期未评价，自动办结。"


def _claimable(qs):
    """On PostgreSQL rows another transaction holds (a rating being saved) are skipped, not waited for."""
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True)
    return qs


def clues_close_unrated() -> int:
    """Clues answered more than DUBAN_CLUE_RATE_WORKDAYS working days ago and never rated: 办结 (未评价).

    Each batch is locked as it is read (SQLite holds the write lock already), so the Events name exactly the
    clues this sweep closed: one rated meanwhile is not among them."""
    cutoff_day = get_calendar().add_workdays(clock.today(), -settings.DUBAN_CLUE_RATE_WORKDAYS)
    cutoff = clock.at_local(cutoff_day, 0)
    closed = 0
    while True:
        with transaction.atomic():
            rows = list(_claimable(Clue.objects.filter(state=ClueState.ANSWERED, answered_at__lt=cutoff)
                                   .order_by("pk")).values_list("pk", "office_id", "task_id", "round")[:BATCH])
            if not rows:
                return closed
            now = clock.now()
            changed = Clue.objects.filter(pk__in=[r[0] for r in rows], state=ClueState.ANSWERED).update(
                state=ClueState.CLOSED, closed_at=now, close_reason=UNRATED_NOTE, version=F("version") + 1)
            if changed != len(rows):
                raise RuntimeError("clue sweep: locked rows changed under the lock")
            for pk, office_id, task_id, round_ in rows:
                event_append(actor=None, verb="clue.close_unrated", object_type="clue", object_id=pk,
                             task_id=task_id, unit_id=office_id, payload={"round": round_})
            closed += changed


def clues_urge_late() -> int:
    """催办 the lead units of tasks that clues were joined to, once per clue and round, when the answer is late."""
    today = clock.today()
    # Only those not urged yet for this round: a clue urged once is not read again on every later sweep.
    urged_before = Urge.objects.filter(cause=Cause.CLUE, step=Step.URGE,
                                       ref_id=OuterRef("pk") * 10 + OuterRef("round"))
    late = list(Clue.objects.filter(state__in=[ClueState.FORWARDED, ClueState.REOPENED], owns_task=False,
                                    task__isnull=False, deadline__lt=today)
                .exclude(Exists(urged_before))
                .values_list("pk", "task_id", "round", "deadline", "submitted_at"))
    if not late:
        return 0
    leads: dict[int, list[Assignment]] = {}
    for a in Assignment.objects.filter(task_id__in={row[1] for row in late}, role=AssignmentRole.LEAD,
                                       state__in=[AssignmentState.PENDING, AssignmentState.IN_PROGRESS,
                                                  AssignmentState.REVIEW]):
        leads.setdefault(a.task_id, []).append(a)
    urged = 0
    with transaction.atomic():
        for pk, task_id, round_, deadline, submitted_at in late:
            if leads.get(task_id):
                number = Clue(pk=pk, submitted_at=submitted_at).number
                urged += len(clue_notify(assignments=leads[task_id], ref_id=pk * 10 + round_, due_on=deadline,
                                         overdue=True, actor=None,
                                         message=f"群众线索{number}答复已逾期，请即核实并答复群众。"))
    return urged


def handle_one_clue_sweep() -> bool:
    from duban.core.worker import claim_job

    if not claim_job("clue_sweep", dt.timedelta(seconds=settings.DUBAN_SWEEP_INTERVAL)):
        return False
    closed = clues_close_unrated()
    urged = clues_urge_late()
    pruned = windows_prune(before=clock.now() - dt.timedelta(days=2))
    if closed or urged or pruned:
        log.info("clue sweep: %s unrated clues closed, %s late answers urged, %s rate windows pruned",
                 closed, urged, pruned)
    return True
