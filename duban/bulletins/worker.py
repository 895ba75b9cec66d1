"""The monthly bulletins: once a month, last month's bulletin of every unit that has a supervision office."""

import datetime as dt
import logging

from django.db.models import Exists, OuterRef

from duban.bulletins.models import Bulletin
from duban.bulletins.pdf import pdf_available
from duban.core import clock
from duban.core.errors import DomainError
from duban.core.models import ScheduledJob
from duban.core.periods import last_month
from duban.org.models import Role, RoleGrant, Unit, User

log = logging.getLogger("duban.worker")

# Each month's run is its own job row: claimed once, it never comes due again.
ONCE = dt.timedelta(days=3650)


def supervisor_office_units():
    """Active units where at least one active person holds the supervisor role (督查室), top down."""
    supervisors = RoleGrant.objects.filter(role=Role.SUPERVISOR, user__unit_id=OuterRef("pk"), user__is_active=True)
    return Unit.objects.filter(Exists(supervisors), is_active=True).order_by("path")


def handle_one_bulletin() -> bool:
    """From the 1st of a month on, make last month's bulletin for each supervision office's unit, once.

    The month's job key makes the run happen once however many workers there are; a unit that already has a
    bulletin for the month (made by hand, or by a run cut short) is skipped, so running it again is harmless.
    Each bulletin is read as one of the unit's supervisors and recorded as made by the system.
    """
    # Imported here: duban.core.worker lists this step and so imports this module.
    from duban.bulletins.services import bulletin_generate
    from duban.core.worker import claim_job

    period = last_month(clock.today())
    if not claim_job(f"monthly_bulletin:{period.key}", ONCE):
        return False
    formats = ("docx", "pdf") if pdf_available() else ("docx",)
    made = failed = 0
    for unit in supervisor_office_units():
        if Bulletin.objects.filter(scope_unit=unit, period_start=period.start, period_end=period.end).exists():
            continue
        reader = (User.objects.filter(unit=unit, is_active=True, role_grants__role=Role.SUPERVISOR)
                  .order_by("pk").first())
        try:
            try:
                bulletin_generate(actor=None, viewer=reader, scope_unit=unit, period=period, formats=formats)
            except DomainError as error:
                if not error.code.startswith("pdf_"):
                    raise
                # A failed conversion still leaves the office its Word document.
                log.warning("monthly bulletin for unit %s: %s; made as Word only", unit.pk, error.code)
                bulletin_generate(actor=None, viewer=reader, scope_unit=unit, period=period, formats=("docx",))
            made += 1
        except Exception:  # one unit's failure must not stop the others
            failed += 1
            log.exception("monthly bulletin for unit %s (%s) failed", unit.pk, period.key)
    ScheduledJob.objects.filter(name=f"monthly_bulletin:{period.key}").update(
        last_result=f"made={made} failed={failed}")
    log.info("monthly bulletins %s: %s made, %s failed", period.key, made, failed)
    return True
