"""The background worker: small `handle_one_*` steps, each claiming its work with a conditional UPDATE.

Nothing here needs a broker; any number of workers may run against one database.
"""

import datetime as dt
import logging
import signal
import time

from django.conf import settings
from django.db import connection, transaction

from duban.core import clock
from duban.core.models import ScheduledJob

log = logging.getLogger("duban.worker")


def claim_job(name: str, interval: dt.timedelta) -> bool:
    """Claim one run of a periodic job; True for exactly one worker per due run."""
    now = clock.now()
    ScheduledJob.objects.get_or_create(name=name, defaults={"next_run_at": now})
    claimed = ScheduledJob.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + interval, last_run_at=now
    )
    return claimed == 1


def handle_one_sweep() -> bool:
    """Recompute lights for the passage of time, if the sweep is due."""
    from duban.supervision.lights import lights_refresh

    if not claim_job("lights_sweep", dt.timedelta(seconds=settings.DUBAN_SWEEP_INTERVAL)):
        return False
    with transaction.atomic():
        changed = lights_refresh()
    ScheduledJob.objects.filter(name="lights_sweep").update(
        last_result=f"assignments={changed[0]} tasks={changed[1]}"
    )
    log.info("lights sweep: %s assignments, %s tasks changed", *changed)
    return True


def handle_one_escalation() -> bool:
    """Write the urges, notices and deliveries of every cause now due, if the sweep is due."""
    from duban.escalation.sweep import escalation_sweep

    if not claim_job("escalation_sweep", dt.timedelta(seconds=settings.DUBAN_SWEEP_INTERVAL)):
        return False
    with transaction.atomic():
        result = escalation_sweep()
    ScheduledJob.objects.filter(name="escalation_sweep").update(last_result=str(result)[:200])
    log.info("escalation sweep: %s", result)
    return True


def handle_one_digest() -> bool:
    """Merge due routine deliveries into the day's digests, once a minute."""
    from duban.escalation.delivery import digests_build

    if not claim_job("digest_build", dt.timedelta(seconds=60)):
        return False
    with transaction.atomic():
        merged = digests_build()
    if merged:
        log.info("digests: %s routine deliveries merged", merged)
    return True


def handle_one_delivery() -> bool:
    """Claim a batch of due messages and send them; True when there was something to send."""
    from duban.escalation.delivery import deliveries_run, worker_name

    outcome = deliveries_run(worker=worker_name())
    return bool(outcome.sent or outcome.retried or outcome.failed or outcome.released)


def handle_one_analyze() -> bool:
    """Refresh SQLite's planner statistics once a day (PostgreSQL's autovacuum does this itself).

    Without them SQLite guesses, and on a large table a filtered list can take seconds instead of
    milliseconds. `analysis_limit` bounds the work to a sample of each index.
    """
    if connection.vendor != "sqlite":
        return False
    if not claim_job("db_analyze", dt.timedelta(hours=24)):
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=2000")
        cursor.execute("ANALYZE")
    log.info("sqlite statistics refreshed")
    return True


def handle_one_bulletin() -> bool:
    """Last month's 督查通报 for every supervision office, once a month (duban.bulletins.worker)."""
    from duban.bulletins.worker import handle_one_bulletin as monthly_bulletins

    if not settings.DUBAN_MONTHLY_BULLETIN:
        return False
    return monthly_bulletins()


def handle_one_clue_sweep() -> bool:
    """Close answered clues left unrated, forget old abuse counters (duban.voice.worker)."""
    from duban.voice.worker import handle_one_clue_sweep as clue_sweep

    return clue_sweep()


STEPS = [handle_one_sweep, handle_one_escalation, handle_one_digest, handle_one_delivery, handle_one_bulletin,
         handle_one_clue_sweep, handle_one_analyze]


class Worker:
    def __init__(self, idle_seconds: float = 2.0):
        self.idle_seconds = idle_seconds
        self.stopping = False

    def stop(self, *_args) -> None:
        log.info("worker stopping")
        self.stopping = True

    def run(self, once: bool = False) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("worker started")
        while not self.stopping:
            did_work = False
            for step in STEPS:
                try:
                    did_work = step() or did_work
                except Exception:  # a failing step must not stop the others
                    log.exception("worker step %s failed", step.__name__)
            if once:
                return
            if not did_work:
                deadline = time.monotonic() + self.idle_seconds
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(0.2)
