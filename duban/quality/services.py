"""Checking a report as it is submitted: near-copies of earlier reports (MinHash/LSH candidates from the band
table, then the exact Jaccard), stock phrases against facts, and target values left out. The result is stored
with the report, in the submitting transaction, as advice the reviewer reads; nothing is refused for it.

`report_quality_preview` runs the same checks on a draft without writing, for the warning a unit sees before it
submits. It tells the unit how alike and what kind of report it resembles, never another unit's words.
"""

import logging
from dataclasses import dataclass, field

from django.db import connection, transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.org.models import Role, Unit
from duban.quality import padding, similarity
from duban.quality.models import MatchKind, ReportBand, ReportQuality, StockPhrase
from duban.supervision.models import Report, Target

log = logging.getLogger("duban.quality")

CANDIDATES_MAX = 50  # reports sharing the most band keys, checked exactly
BUCKET_MAX = 200  # reports read per band key, the newest
PHRASES_MAX = 500


@dataclass
class Check:
    similarity: float | None = None
    match_id: int | None = None
    match_kind: str = ""
    copied: bool = False
    padded: bool = False
    missing_values: bool = False
    stock_share: float = 0.0
    facts: int = 0
    flags: list[dict] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)


def phrases_for(unit: Unit) -> tuple[str, ...]:
    """The stock phrases read for a unit's reports: its own office's list, else the nearest above, else the
    default (duban.quality.padding)."""
    ids = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
    rows = list(StockPhrase.objects.filter(unit_id__in=ids).order_by("id").values_list("unit_id", "text"))
    for pk in reversed(ids):
        own = [text for unit_id, text in rows if unit_id == pk]
        if own:
            return tuple(own)
    return tuple(padding.DEFAULT_STOCK_PHRASES)


def _candidates(keys: list[int], exclude_report: int | None) -> list[int]:
    """The reports sharing the most band keys with `keys`: of each key's bucket only the newest BUCKET_MAX are
    read, so a stock sentence stored a million times (已完成。) costs no more than a rare text. Raw SQL: a
    limit inside each part of a UNION cannot be written with the ORM on SQLite."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return []
    table = connection.ops.quote_name(ReportBand._meta.db_table)
    per_key = BUCKET_MAX + (1 if exclude_report else 0)  # the report itself may take a slot
    part = (f"SELECT * FROM (SELECT report_id FROM {table} WHERE key = %s ORDER BY report_id DESC "
            f"LIMIT {per_key}) AS b{{i}}")
    sql = (f"SELECT report_id, COUNT(*) AS n FROM ({' UNION ALL '.join(part.format(i=i) for i in range(len(keys)))}) "
           f"AS u WHERE report_id <> %s GROUP BY report_id ORDER BY n DESC, report_id DESC LIMIT {CANDIDATES_MAX}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*keys, exclude_report or 0])
        return [row[0] for row in cursor.fetchall()]


def _kind(found: dict, task_id: int, unit_id: int) -> str:
    if found["assignment__task_id"] == task_id:
        return MatchKind.SAME_UNIT if found["assignment__unit_id"] == unit_id else MatchKind.OTHER_UNIT
    return MatchKind.OTHER_TASK


def check_text(text: str, *, task_id: int, unit: Unit, values_given: bool, expects_values: bool,
               exclude_report: int | None = None) -> Check:
    """Every check on `text` for a report on `task_id` by `unit`; nothing written."""
    result = Check()
    sig = similarity.signature(text)
    result.keys = similarity.band_keys(sig)
    ids = _candidates(result.keys, exclude_report)
    if ids:
        # Not through a scope selector on purpose: a copy is a copy whoever wrote the original. What a person
        # is shown of the match is scoped where it is shown (the comparison page, the unit's warning).
        rows = {r["pk"]: r for r in Report.objects.filter(pk__in=ids).values(
            "pk", "text", "assignment__task_id", "assignment__unit_id")}
        found = similarity.near_duplicates(text, ((pk, r["text"]) for pk, r in rows.items()), 0.0)
        if found:
            best, score = found[0]
            result.similarity, result.match_id = score, best
            result.match_kind = _kind(rows[best], task_id, unit.pk)
            result.copied = score >= similarity.DEFAULT_THRESHOLD
    if result.copied:
        result.flags.append({"code": "copied", "reason": _copied_reason(result)})
    assessment = padding.assess(text, phrases=phrases_for(unit), expects_values=expects_values,
                                values_given=values_given)
    result.stock_share, result.facts = assessment.stock_share, len(assessment.concrete)
    result.padded = assessment.padded  # stock phrases with few facts, or a long text with none
    for code, reason in assessment.flags:
        result.flags.append({"code": code, "reason": reason})
        if code == "missing_values":
            result.missing_values = True
    return result


def _copied_reason(check: Check) -> str:
    percent = round((check.similarity or 0) * 100)
    what = MatchKind(check.match_kind).label
    if check.match_kind == MatchKind.SAME_UNIT:
        return f"与{what}相似度{percent}%，本次反馈可能没有新进展。"
    return f"与{what}相似度{percent}%，可能照抄了他人的材料。"


def report_quality_record(report: Report) -> ReportQuality:
    """Inside report_submit's transaction: check the report, store what was noticed and index its band keys."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("report_quality_record runs inside the submitting transaction")
    a = report.assignment
    expects = Target.objects.filter(task_id=a.task_id).exists()
    values_given = report.values.exists() if expects else False
    check = check_text(report.text, task_id=a.task_id, unit=a.unit, values_given=values_given,
                       expects_values=expects, exclude_report=report.pk)
    quality = ReportQuality.objects.create(
        report=report, similarity=check.similarity, match_id=check.match_id, match_kind=check.match_kind,
        copied=check.copied, padded=check.padded, missing_values=check.missing_values,
        stock_share=round(check.stock_share, 4), facts=check.facts, flags=check.flags, checked_at=clock.now())
    ReportBand.objects.bulk_create([ReportBand(key=k, report=report) for k in dict.fromkeys(check.keys)])
    if check.flags:
        log.info("report %s: %s", report.pk, ", ".join(f["code"] for f in check.flags))
    return quality


def report_quality_preview(*, actor, assignment, text: str, values_given: bool = False) -> Check:
    """The warning a unit reads before it submits: how alike its draft is to an earlier report and of what
    kind, and the padding advice — read for the unit that may report on `assignment`."""
    from duban.supervision.access import access_act_for_unit

    access_act_for_unit(actor, assignment)
    expects = Target.objects.filter(task_id=assignment.task_id).exists()
    return check_text(text or "", task_id=assignment.task_id, unit=assignment.unit, values_given=values_given,
                      expects_values=expects)


@transaction.atomic
def stock_phrases_save(*, actor, phrases: list[str]) -> list[str]:
    """An office's own stock-phrase list, replacing its previous one (empty: back to the one above)."""
    if actor is None or actor.unit_id is None or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督查员可以维护本单位的套话清单。", code="stock_phrases_denied")
    cleaned = list(dict.fromkeys(p.strip() for p in phrases if p and p.strip()))
    if len(cleaned) > PHRASES_MAX:
        raise DomainError("stock_phrases_too_many", f"套话清单不超过{PHRASES_MAX}条。", {"field": "phrases"})
    too_long = [p for p in cleaned if len(p) > 40]
    if too_long:
        raise DomainError("stock_phrase_too_long", f"每条套话不超过40字：“{too_long[0][:20]}…”", {"field": "phrases"})
    too_short = [p for p in cleaned if len(p) < 2]
    if too_short:
        raise DomainError("stock_phrase_too_short", f"每条套话至少2个字：“{too_short[0]}”", {"field": "phrases"})
    StockPhrase.objects.filter(unit_id=actor.unit_id).delete()
    StockPhrase.objects.bulk_create([StockPhrase(unit_id=actor.unit_id, text=p, updated_by=actor) for p in cleaned])
    event_append(actor=actor, verb="quality.stock_phrases", object_type="unit", object_id=actor.unit_id,
                 unit_id=actor.unit_id, payload={"count": len(cleaned)})
    return cleaned
