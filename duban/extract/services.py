"""智能分解's writes: read a document into proposed tasks, let a supervisor settle them (edit, merge, split, drop),
then accept them as a Decision and its draft Tasks through the lifecycle services — each one transaction with
its Event. Reading and proposing are pure and run before the transaction, which holds only the rows.
"""

import datetime as dt
import re

from django.db import transaction

from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.extract.matching import UnitMatcher
from duban.extract.models import Extraction, ExtractionState, ProposedTask, SourceKind
from duban.extract.proposal import Proposal, document_date, propose
from duban.extract.reading import DocumentUnreadable, Source, read_document, read_text
from duban.extract.responsibility import responsibility_of
from duban.extract.structure import marker_of
from duban.org.models import Role
from duban.org.selectors import unit_list_for
from duban.supervision import services as lifecycle
from duban.supervision.models import Cadence
from duban.supervision.services.common import check_version, lock, save_versioned
from duban.workdays.store import get_calendar

MAX_ITEMS = 2000
ITEM_TEXT_MAX = 5000
POSITION_STEP = 1024
TITLE_MAX = 300
DOC_TITLE = re.compile(r"关于|方案|纪要|意见|通知|要点|清单|办法|规定|计划|报告")


def _require_supervisor(actor) -> None:
    if actor is None or not actor.is_active or actor.unit_id is None or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督查员可以使用智能分解。", code="extract_role_denied")


def access_extraction(actor, extraction: Extraction) -> None:
    """The supervisors of the office that read the document; others do not learn it exists."""
    _require_supervisor(actor)
    if extraction.unit_id != actor.unit_id:
        raise NotFound("extraction")


def units_for(actor):
    """The units a supervisor may give work to: active units strictly below their own."""
    return (unit_list_for(user=actor).filter(path__startswith=actor.unit.path).exclude(pk=actor.unit_id)
            .select_related(None).only("pk", "name", "short_name", "aliases", "path"))


def _source(filename: str, data: bytes | None, text: str | None) -> tuple[Source, str]:
    try:
        if data is not None:
            source = read_document(filename, data)
            kind = source.kind
        else:
            source, kind = read_text(text or ""), SourceKind.PASTE
    except DocumentUnreadable as error:
        raise DomainError("extract_unreadable", str(error), {"field": "document"}) from None
    if not source.text.strip():
        raise DomainError("extract_empty", "没有读到文字：请上传有文字内容的文档，或粘贴文件正文。", {"field": "document"})
    return source, kind


def _document_title(source: Source) -> str:
    for block in source.blocks[:12]:
        line = source.block_text(block).strip()
        if 6 <= len(line) <= 100 and DOC_TITLE.search(line) and not line.endswith(("。", "：")):
            return line[:200]
    first = next((source.block_text(b).strip() for b in source.blocks if source.block_text(b).strip()), "")
    return first[:200]


def _item(extraction: Extraction, position: int, p: Proposal) -> ProposedTask:
    matches = dict(zip(p.lead_units + p.other_units, p.matched_units, strict=True))
    lead = list(dict.fromkeys(matches[n] for n in p.lead_units if matches.get(n) is not None))
    other = [pk for pk in dict.fromkeys(matches[n] for n in p.other_units if matches.get(n) is not None)
             if pk not in lead]
    return ProposedTask(
        extraction=extraction, position=position, section=p.section, text=p.text[:ITEM_TEXT_MAX],
        span_start=p.span[0], span_end=p.span[1], lead_names=p.lead_units, other_names=p.other_units,
        matches=matches, lead_unit_ids=lead, other_unit_ids=other, deadline_text=(p.deadline_text or "")[:100],
        deadline=p.deadline, cadence=p.cadence if p.cadence in Cadence.values else Cadence.NONE,
        report_day=p.report_day if p.report_day and 1 <= p.report_day <= 28 else None,
    )


def extraction_create(*, actor, filename: str = "", data: bytes | None = None, text: str | None = None,
                      issued_on: dt.date | None = None) -> Extraction:
    """Read a document (`data`, a .docx, text PDF or .txt) or pasted `text`, and keep the tasks it proposes,
    with the units matched to the supervisor's part of the tree. `issued_on` (else the date the document
    carries, else today) reads deadlines written without a year."""
    _require_supervisor(actor)
    source, kind = _source(filename, data, text)
    reference = issued_on or document_date(source) or clock.today()
    proposals = propose(source, calendar=get_calendar(), reference=reference, matcher=UnitMatcher(units_for(actor)))
    if len(proposals) > MAX_ITEMS:
        raise DomainError("extract_too_many", f"文档中拟分解的事项超过{MAX_ITEMS}项，请拆分文档后再上传。")
    with transaction.atomic():
        extraction = Extraction(unit=actor.unit, created_by=actor, created_at=clock.now(), filename=filename[:200],
                                kind=kind, title=_document_title(source), text=source.text, document_date=reference)
        extraction.full_clean()
        extraction.save()
        ProposedTask.objects.bulk_create(
            [_item(extraction, (i + 1) * POSITION_STEP, p) for i, p in enumerate(proposals)], batch_size=500)
        event_append(actor=actor, verb="extraction.create", object_type="extraction", object_id=extraction.pk,
                     unit_id=actor.unit_id, payload={"filename": extraction.filename, "kind": kind,
                                                     "items": len(proposals), "document_date": reference.isoformat()})
    return extraction


# ---- settling the proposals ---------------------------------------------------------------------------


def _open_draft(actor, extraction_id: int, version: int | None) -> Extraction:
    extraction = lock(Extraction, extraction_id, "extraction")
    access_extraction(actor, extraction)
    check_version(extraction, version, "extraction")
    if extraction.state != ExtractionState.DRAFT:
        raise DomainError("extraction_illegal_transition", "该文档的分解结果已确认或已放弃，不能再修改。")
    return extraction


def _bump(extraction: Extraction) -> None:
    save_versioned(extraction, [], "extraction")


def _edited(actor, extraction: Extraction, op: str, item: ProposedTask, **payload) -> None:
    _bump(extraction)
    event_append(actor=actor, verb="extraction.edit", object_type="extraction", object_id=extraction.pk,
                 unit_id=extraction.unit_id, payload={"op": op, "item": item.pk, **payload})


def _checked_units(actor, lead_unit_ids, other_unit_ids) -> tuple[list[int], list[int]]:
    lead = list(dict.fromkeys(int(i) for i in lead_unit_ids or []))
    other = list(dict.fromkeys(int(i) for i in other_unit_ids or []))
    allowed = set(units_for(actor).filter(pk__in=lead + other).values_list("pk", flat=True))
    if set(lead + other) - allowed:
        raise DomainError("extract_unit_out_of_scope", "所选单位不在本单位的交办范围内，或已停用。",
                          {"field": "lead_units"})
    if set(lead) & set(other):
        raise DomainError("extract_unit_twice", "同一单位不能既牵头又配合。", {"field": "other_units"})
    return lead, other


@transaction.atomic
def extraction_item_update(*, actor, item_id: int, version: int | None, text: str, lead_unit_ids, other_unit_ids,
                           deadline: dt.date | None, cadence: str = Cadence.NONE,
                           report_day: int | None = None) -> ProposedTask:
    """Settle one proposed task: its wording, its units from the tree, its deadline and cadence."""
    item = ProposedTask.objects.select_related(None).filter(pk=item_id).first()
    if item is None:
        raise NotFound("proposed_task")
    extraction = _open_draft(actor, item.extraction_id, version)
    text = (text or "").strip()
    if not text:
        raise DomainError("extract_text_required", "请填写事项内容。", {"field": "text"})
    if len(text) > ITEM_TEXT_MAX:
        raise DomainError("extract_text_too_long", f"事项内容不超过{ITEM_TEXT_MAX}字。", {"field": "text"})
    if cadence not in Cadence.values:
        raise DomainError("extract_cadence_invalid", "报送周期无效。", {"field": "cadence"})
    if report_day is not None and not 1 <= report_day <= 28:
        raise DomainError("extract_report_day_invalid", "每期报送日应在1日至28日之间。", {"field": "report_day"})
    item.lead_unit_ids, item.other_unit_ids = _checked_units(actor, lead_unit_ids, other_unit_ids)
    item.text, item.deadline, item.cadence, item.report_day = text, deadline, cadence, report_day
    item.settled = True
    item.save(update_fields=["text", "lead_unit_ids", "other_unit_ids", "deadline", "cadence", "report_day",
                             "settled"])
    _edited(actor, extraction, "update", item)
    return item


@transaction.atomic
def extraction_item_drop(*, actor, item_id: int, version: int | None, dropped: bool = True) -> ProposedTask:
    """Leave a proposed task out (it is no task), or take it back."""
    item = ProposedTask.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("proposed_task")
    extraction = _open_draft(actor, item.extraction_id, version)
    item.dropped = dropped
    item.save(update_fields=["dropped"])
    _edited(actor, extraction, "drop" if dropped else "restore", item)
    return item


def _next_after(item: ProposedTask) -> ProposedTask | None:
    return (ProposedTask.objects.filter(extraction_id=item.extraction_id, dropped=False)
            .filter(position__gt=item.position).order_by("position", "id").first())


@transaction.atomic
def extraction_item_merge(*, actor, item_id: int, version: int | None) -> ProposedTask:
    """Merge a proposed task with the next one kept: one task from the first's start to the second's end, with
    the units of both and the later deadline."""
    item = ProposedTask.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("proposed_task")
    extraction = _open_draft(actor, item.extraction_id, version)
    following = _next_after(item)
    if following is None or item.dropped:
        raise DomainError("extract_merge_nothing", "这是最后一项，没有可以合并的下一项。")
    start, end = min(item.span_start, following.span_start), max(item.span_end, following.span_end)
    unchanged = (item.text == extraction.text[item.span_start:item.span_end]
                 and following.text == extraction.text[following.span_start:following.span_end])
    item.text = (extraction.text[start:end] if unchanged else f"{item.text}\n{following.text}")[:ITEM_TEXT_MAX]
    item.span_start, item.span_end = start, end
    item.lead_names = list(dict.fromkeys(item.lead_names + following.lead_names))
    item.other_names = [n for n in dict.fromkeys(item.other_names + following.other_names) if n not in item.lead_names]
    item.matches = {**following.matches, **item.matches}
    item.lead_unit_ids = list(dict.fromkeys(item.lead_unit_ids + following.lead_unit_ids))
    item.other_unit_ids = [u for u in dict.fromkeys(item.other_unit_ids + following.other_unit_ids)
                           if u not in item.lead_unit_ids]
    if following.deadline and (item.deadline is None or following.deadline > item.deadline):
        item.deadline, item.deadline_text = following.deadline, following.deadline_text
    item.save()
    gone = following.pk
    following.delete()
    _edited(actor, extraction, "merge", item, merged=gone)
    return item


@transaction.atomic
def extraction_item_split(*, actor, item_id: int, version: int | None, at: int) -> tuple[ProposedTask, ProposedTask]:
    """Split a proposed task in two at character `at` of its text; each part reads its own units and deadline
    again (a part that names none keeps the whole's)."""
    item = ProposedTask.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("proposed_task")
    extraction = _open_draft(actor, item.extraction_id, version)
    head, tail = item.text[:at].strip(), item.text[at:].strip()
    if not (0 < at < len(item.text)) or not head or not tail:
        raise DomainError("extract_split_invalid", "请在事项内容中间选择拆分位置。", {"field": "at"})
    unchanged = item.text == extraction.text[item.span_start:item.span_end]
    middle = item.span_start + at if unchanged else item.span_end
    following = _next_after(item)
    position = item.position + ((following.position - item.position) // 2 if following else POSITION_STEP)
    if position == item.position:
        _respace(extraction)
        item.refresh_from_db()
        following = _next_after(item)
        position = item.position + ((following.position - item.position) // 2 if following else POSITION_STEP)
    second = ProposedTask(extraction=extraction, position=position, section=item.section, text=tail,
                          span_start=middle if unchanged else item.span_start, span_end=item.span_end,
                          deadline_text=item.deadline_text, deadline=item.deadline, cadence=item.cadence,
                          report_day=item.report_day)
    item.text, item.span_end = head, middle if unchanged else item.span_end
    matcher = UnitMatcher(units_for(actor))
    for part in (item, second):
        found = responsibility_of(part.text)
        if found:
            part.lead_names, part.other_names = found.lead, found.other
            part.matches = {n: matcher.match(n) for n in found.lead + found.other}
            part.lead_unit_ids = list(dict.fromkeys(u for n in found.lead if (u := part.matches[n]) is not None))
            part.other_unit_ids = [u for n in found.other if (u := part.matches[n]) is not None
                                   and u not in part.lead_unit_ids]
        elif part is second:
            part.lead_names, part.other_names, part.matches = item.lead_names, item.other_names, item.matches
            part.lead_unit_ids, part.other_unit_ids = item.lead_unit_ids, item.other_unit_ids
    item.save()
    second.save()
    _edited(actor, extraction, "split", item, new=second.pk, at=at)
    return item, second


def _respace(extraction: Extraction) -> None:
    items = list(ProposedTask.objects.filter(extraction=extraction).order_by("position", "id"))
    for i, item in enumerate(items, start=1):
        item.position = i * POSITION_STEP
    ProposedTask.objects.bulk_update(items, ["position"], batch_size=500)


@transaction.atomic
def extraction_discard(*, actor, extraction_id: int, version: int | None) -> Extraction:
    extraction = _open_draft(actor, extraction_id, version)
    extraction.state = ExtractionState.DISCARDED
    save_versioned(extraction, ["state"], "extraction")
    event_append(actor=actor, verb="extraction.discard", object_type="extraction", object_id=extraction.pk,
                 unit_id=extraction.unit_id, payload={})
    return extraction


# ---- accepting -------------------------------------------------------------------------------------------


def task_title(text: str) -> str:
    """A task's name from its words: the first sentence, without its number (1.推进…。 → 推进…)."""
    marker = marker_of(text)
    body = text[marker[1]:] if marker else text
    first = re.split(r"(?<=[。；;])|\n", body.strip(), maxsplit=1)[0].strip().rstrip("。；;")
    first = re.sub(r"[（(][^（()）]*(?:牵头|负责|责任单位)[^（()）]*[）)]$", "", first).strip() or body.strip()
    return first if len(first) <= TITLE_MAX else first[:TITLE_MAX - 1] + "…"


def _problems(items: list[ProposedTask], number: dict[int, int]) -> list[dict]:
    problems = []
    for item in items:
        if not item.lead_unit_ids:
            written = "、".join(item.lead_names)
            hint = f"（文中写的是“{written}”，未能对应到单位）" if written else ""
            problems.append({"item": item.pk, "number": number[item.pk], "code": "extract_lead_required",
                             "message": f"第{number[item.pk]}项未指定牵头单位{hint}。"})
    return problems


@transaction.atomic
def extraction_accept(*, actor, extraction_id: int, version: int | None, kind: str, title: str,
                      issued_on: dt.date, doc_number: str = "", issuer: str = ""):
    """Accept the kept proposals: the Decision and one draft Task each, through the lifecycle services, all or
    none. A proposal without a lead unit, or one a task may not have (a deadline already past), stops it all,
    named by its number."""
    extraction = _open_draft(actor, extraction_id, version)
    items = list(ProposedTask.objects.filter(extraction=extraction, dropped=False).order_by("position", "id"))
    if not items:
        raise DomainError("extract_nothing", "没有可确认的事项：请至少保留一项。")
    number = {item.pk: i for i, item in enumerate(items, start=1)}
    problems = _problems(items, number)
    if problems:
        raise DomainError("extract_items_incomplete",
                          f"有{len(problems)}项尚不能交办：" + "；".join(p["message"] for p in problems[:5])
                          + ("……" if len(problems) > 5 else ""), {"problems": problems})
    decision = lifecycle.decision_create(actor=actor, kind=kind, title=title or extraction.title, issued_on=issued_on,
                                         doc_number=doc_number, issuer=issuer, body=extraction.text)
    for item in items:
        try:
            task = lifecycle.task_create(
                actor=actor, decision=decision, title=task_title(item.text), requirements=item.text,
                lead_unit_ids=item.lead_unit_ids, cooperating_unit_ids=item.other_unit_ids, deadline=item.deadline,
                cadence=item.cadence, report_day=item.report_day if item.cadence != Cadence.NONE else None)
        except DomainError as error:
            raise DomainError(error.code, f"第{number[item.pk]}项：{error.message}",
                              {**(error.detail or {}), "item": item.pk, "number": number[item.pk]}) from None
        item.task = task
    ProposedTask.objects.bulk_update(items, ["task"], batch_size=500)
    extraction.state, extraction.decision, extraction.accepted_at = ExtractionState.ACCEPTED, decision, clock.now()
    save_versioned(extraction, ["state", "decision", "accepted_at"], "extraction")
    event_append(actor=actor, verb="extraction.accept", object_type="extraction", object_id=extraction.pk,
                 unit_id=extraction.unit_id, payload={"decision": decision.pk, "tasks": len(items)})
    return decision
