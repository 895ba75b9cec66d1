"""Making a bulletin: its figures read through the scoped selectors, the .docx written, the PDF converted,
then the row, its files and its Event in one transaction, as the next version for its scope and period."""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max

from duban.audit.chain import event_append
from duban.bulletins.document import Masthead, bulletin_docx, bulletin_title
from duban.bulletins.figures import bulletin_figures
from duban.bulletins.models import Bulletin
from duban.bulletins.pdf import docx_to_pdf
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.core.periods import Period
from duban.org.models import Role, Unit

log = logging.getLogger("duban.bulletins")

FORMATS = ("docx", "pdf")
MASTHEAD_FIELDS = {"copy_no": 6, "secrecy": 20, "urgency": 10, "doc_number": 50, "issuer_mark": 30}


def access_bulletin_scope(actor, scope_unit: Unit) -> None:
    """A supervisor or leader, for their own unit or a unit below it."""
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    if not actor.has_role(Role.SUPERVISOR, Role.LEADER):
        raise PermissionDenied("只有督查员或领导可以生成督查通报。", code="bulletin_role_denied")
    if actor.unit is None or not scope_unit.is_within(actor.unit):
        raise PermissionDenied("只能为本单位及下级单位生成督查通报。", code="bulletin_scope_denied")


def _masthead(given: dict | None, issuer: Unit) -> Masthead:
    fields = {}
    for key, limit in MASTHEAD_FIELDS.items():
        value = str((given or {}).get(key) or "").strip()
        if len(value) > limit:
            raise DomainError("bulletin_masthead_too_long", f"版头内容过长（不超过{limit}字）。", {"field": key})
        fields[key] = value
    return Masthead(issuer_mark=fields["issuer_mark"] or f"{issuer.display_name}督查通报",
                    doc_number=fields["doc_number"], copy_no=fields["copy_no"], secrecy=fields["secrecy"],
                    urgency=fields["urgency"], signature=f"{issuer.name}督查室", date=clock.today())


def _formats(formats) -> tuple[str, ...]:
    chosen = tuple(f for f in FORMATS if f in set(formats or ()))
    unknown = set(formats or ()) - set(FORMATS)
    if unknown or not chosen:
        raise DomainError("bulletin_format_invalid", "请选择通报的格式：Word（docx）或 PDF。", {"field": "formats"})
    return chosen


def bulletin_generate(*, actor, scope_unit: Unit, period: Period, formats=FORMATS, masthead: dict | None = None,
                      viewer=None) -> Bulletin:
    """Make the next version of the bulletin of `scope_unit` for `period`.

    The figures are read as `actor` (or, for the monthly run where `actor` is None, as `viewer`, a supervisor
    of the scope unit), so a bulletin never shows what its maker could not open. The .docx is always kept
    (the PDF is made from it); the PDF when asked for. Writing the document and converting it take seconds
    and run before the transaction, which holds only the row, its files and its Event.
    """
    reader = actor if actor is not None else viewer
    access_bulletin_scope(reader, scope_unit)
    chosen = _formats(formats)
    head = _masthead(masthead, reader.unit if actor is not None else scope_unit)
    figures = bulletin_figures(user=reader, scope=scope_unit, period=period)
    content = bulletin_docx(figures, head)
    pdf = docx_to_pdf(content) if "pdf" in chosen else None
    stored: list = []
    try:
        with transaction.atomic():
            if connection.features.has_select_for_update:
                # Versions of one scope are numbered one at a time.
                list(Unit.objects.select_for_update().filter(pk=scope_unit.pk).values_list("pk"))
            last = (Bulletin.objects.filter(scope_unit=scope_unit, period_start=period.start, period_end=period.end)
                    .aggregate(v=Max("version"))["v"])
            bulletin = Bulletin(scope_unit=scope_unit, period_start=period.start, period_end=period.end,
                                period_key=period.key, version=(last or 0) + 1, title=bulletin_title(figures),
                                figures=figures, masthead={k: v for k, v in vars(head).items()
                                                           if isinstance(v, str)},
                                created_by=actor, created_at=clock.now())
            bulletin.docx.save("bulletin.docx", ContentFile(content), save=False)
            stored.append(bulletin.docx)
            if pdf is not None:
                bulletin.pdf.save("bulletin.pdf", ContentFile(pdf), save=False)
                stored.append(bulletin.pdf)
            bulletin.full_clean(exclude=["docx", "pdf", "figures", "masthead"])
            bulletin.save()
            event_append(actor=actor, verb="bulletin.generate", object_type="bulletin", object_id=bulletin.pk,
                         unit_id=scope_unit.pk,
                         payload={"period": period.key, "version": bulletin.version, "formats": list(chosen),
                                  "scheduled": actor is None, "reader": reader.pk,
                                  "docx_sha256": hashlib.sha256(content).hexdigest(),
                                  "pdf_sha256": hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
                                  "headline": figures["headline"]})
    except BaseException:
        for field in stored:  # the row did not land: neither do its files
            field.storage.delete(field.name)
        raise
    log.info("bulletin %s v%s for unit %s (%s)", bulletin.pk, bulletin.version, scope_unit.pk, period.key)
    return bulletin
