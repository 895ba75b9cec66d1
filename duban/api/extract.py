"""智能分解 through the API: read a document into proposed tasks, settle them (edit, merge, split, drop) and accept
them as a decision with its draft tasks — the services, versions and scope of the page (duban/web/views/extract.py).

Only the supervisors of the office that read a document see it: to anyone else it and its items do not exist
(404), and people without the supervisor role may not read a new one (403). Every change sends the extraction's
`version` and answers the extraction as it now is, items and new version included; a stale version answers 409
and writes nothing.
"""

import datetime as dt
from pathlib import PurePath
from typing import Literal

from django.db import transaction
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from duban.api.common import Page, PageIn, caller, filters_of, paged
from duban.api.errors import ERRORS
from duban.api.schemas import Cadence, Date, DecisionOut, Id, TaskOut, Version
from duban.api.schemas import text as bounded
from duban.core.errors import DomainError, PermissionDenied
from duban.extract import services
from duban.extract.models import ExtractionState
from duban.extract.selectors import (
    extraction_get_for,
    extraction_list_for,
    proposed_task_get_for,
    proposed_task_list_for,
)
from duban.org.models import Role
from duban.supervision.models import DecisionKind
from duban.supervision.selectors import task_list_for

router = Router(tags=["智能分解"])

UPLOAD_MAX = 20 * 1024 * 1024
PASTE_MAX = 500_000
SUFFIXES = (".docx", ".pdf", ".txt")
UNITS_MAX = 100


# ---- shapes ---------------------------------------------------------------------------------------

class ExtractionOut(Schema):
    id: int
    title: str = Field(..., description="文档标题（取自文中；没有则为首行）")
    filename: str = Field(..., description="上传的文件名；粘贴正文时为空")
    kind: str = Field(..., description="来源：docx、pdf、txt、paste")
    state: str = Field(..., description="draft（待确认）、accepted（已确认）、discarded（已放弃）")
    state_label: str
    document_date: dt.date = Field(..., description="推算未写年份的时限所依据的日期")
    unit_id: int
    created_by_id: int
    created_by_name: str = Field(..., alias="created_by.full_name")
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    decision_id: int | None = Field(..., description="确认后登记的决策部署")
    proposed: int = Field(..., description="拟分解事项数")
    kept: int = Field(..., description="其中保留（未删除）的事项数")
    version: int

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()


class ExtractionItemOut(Schema):
    id: int
    number: int | None = Field(..., description="在保留的事项中的序号（确认时的“第N项”）；已删除的为 null")
    section: list[str] = Field(..., description="所属章节，由外到内")
    text: str
    span: list[int] = Field(..., description="[起点, 终点]：事项在文档正文 text 中的字符位置")
    lead_names: list[str] = Field(..., description="文中写的牵头单位")
    other_names: list[str] = Field(..., description="文中写的配合单位")
    matches: dict[str, int | None] = Field(..., description="文中单位名 → 匹配到的单位 id，未能匹配为 null")
    unmatched_names: list[str] = Field(..., description="未能对应到单位的名称")
    lead_unit_ids: list[int]
    other_unit_ids: list[int]
    deadline_text: str = Field(..., description="文中时限的原文")
    deadline: dt.date | None
    cadence: str
    report_day: int | None
    dropped: bool = Field(..., description="已删除：确认时不作为督办事项")
    settled: bool = Field(..., description="已人工核对")
    task_id: int | None = Field(..., description="确认后生成的督办事项")

    @staticmethod
    def resolve_span(obj) -> list[int]:
        return [obj.span_start, obj.span_end]


class ExtractionDetailOut(ExtractionOut):
    text: str = Field(..., description="从文档中提取的正文")
    items: list[ExtractionItemOut] = Field(..., description="拟分解事项，按文中顺序")

    @staticmethod
    def resolve_items(obj) -> list:
        return obj.listed_items


class ExtractionAcceptOut(Schema):
    extraction: ExtractionDetailOut
    decision: DecisionOut
    tasks: list[TaskOut] = Field(..., description="生成的草稿督办事项，按文中顺序，核对后交办")


class ExtractionFilters(PageIn):
    state: Literal[tuple(ExtractionState.values)] | None = None


class ExtractionForm(Schema):
    text: bounded(PASTE_MAX) = Field("", description="没有文件时粘贴的正文")
    issued_on: Date | None = Field(None, description="文档日期：推算“6月底前”等未写年份的时限；"
                                                     "不填则取文中落款日期，再无则取今天")


class ItemUpdateIn(Schema):
    """Fields left out keep their value; `deadline` and `report_day` null clear it."""

    version: Version
    text: bounded(services.ITEM_TEXT_MAX * 2) | None = Field(
        None, description=f"事项内容（不超过{services.ITEM_TEXT_MAX}字）：第一句作为事项名称，全文作为工作要求")
    lead_unit_ids: list[Id] | None = Field(None, max_length=UNITS_MAX, description="牵头单位：本单位的下级单位")
    other_unit_ids: list[Id] | None = Field(None, max_length=UNITS_MAX, description="配合单位")
    deadline: Date | None = None
    cadence: Cadence | None = None
    report_day: int | None = Field(None, ge=1, le=28, description="每期报送日（1至28日）")


class DropIn(Schema):
    version: Version
    dropped: bool = Field(True, description="true 删除（不作为事项），false 恢复")


class SplitIn(Schema):
    version: Version
    at: int = Field(..., ge=1, le=services.ITEM_TEXT_MAX, description="在事项内容的第几个字符处拆分（从0数起）")


class VersionIn(Schema):
    version: Version


class AcceptIn(Schema):
    version: Version
    kind: Literal[tuple(DecisionKind.values)] = Field(DecisionKind.DOCUMENT.value, description="决策部署类型")
    title: bounded(200) = Field("", description="决策部署标题；不填则取文档标题")
    issued_on: Date | None = Field(None, description="日期；不填则取文档日期")
    doc_number: bounded(100) = Field("", description="文号")
    issuer: bounded(100) = Field("", description="发文机关/会议")


# ---- reading --------------------------------------------------------------------------------------

def _require_supervisor(user) -> None:
    if Role.SUPERVISOR not in user.roles or user.unit_id is None:
        raise PermissionDenied("只有督查员可以使用智能分解。", code="extract_role_denied")


def _detail(user, extraction_id: int):
    """The extraction with its items numbered as the page numbers them: two queries whatever their number."""
    extraction = extraction_get_for(user=user, id=extraction_id)
    items = list(proposed_task_list_for(user=user, extraction=extraction))
    number = 0
    for item in items:
        number += not item.dropped
        item.number = None if item.dropped else number
    extraction.listed_items = items
    extraction.proposed, extraction.kept = len(items), number
    return extraction


def _source(form: ExtractionForm, upload: UploadedFile | None) -> dict:
    pasted = form.text.strip()
    if upload is None:
        if not pasted:
            raise DomainError("extract_source_required", "请上传文件，或粘贴文件正文。", {"field": "file"})
        return {"filename": "", "text": form.text}
    if pasted:
        raise DomainError("extract_source_twice", "请只上传文件或只粘贴正文，二者选其一。", {"field": "text"})
    name = PurePath(upload.name or "").name
    if not name.lower().endswith(SUFFIXES):
        raise DomainError("extract_file_type", "只能读取 Word（.docx）、PDF 和文本（.txt）文件；旧版 .doc 请先另存为 .docx。",
                          {"field": "file"})
    if upload.size > UPLOAD_MAX:
        raise DomainError("extract_file_too_large", f"文件不能超过{UPLOAD_MAX // 2**20}MB。", {"field": "file"})
    return {"filename": name, "data": upload.read()}


# ---- endpoints ------------------------------------------------------------------------------------

@router.get("/extractions", response={200: Page[ExtractionOut], **ERRORS}, operation_id="extraction_list")
def extraction_list(request, params: Query[ExtractionFilters]):
    """The documents the caller's office has read, newest first, without their text (its supervisors only;
    anyone else gets an empty list)."""
    return paged(extraction_list_for(user=caller(request), filters=filters_of(params)), params)


@router.post("/extractions", response={201: ExtractionDetailOut, **ERRORS}, operation_id="extraction_create")
def extraction_create(request, form: Form[ExtractionForm], file: File[UploadedFile] = None):
    """Read a document (multipart `file`: .docx, text PDF or .txt, at most 20 MB) or pasted `text` into proposed
    tasks, with units matched below the caller's unit. Supervisors. Nothing is a task until it is accepted."""
    user = caller(request)
    _require_supervisor(user)
    extraction = services.extraction_create(actor=user, issued_on=form.issued_on, **_source(form, file))
    return Status(201, _detail(user, extraction.pk))


@router.get("/extractions/{extraction_id}", response={200: ExtractionDetailOut, **ERRORS},
            operation_id="extraction_get")
def extraction_get(request, extraction_id: Id):
    """The extraction with its text and its proposed tasks, in document order."""
    return _detail(caller(request), extraction_id)


@router.patch("/extraction-items/{item_id}", response={200: ExtractionDetailOut, **ERRORS},
              operation_id="extraction_item_update")
def extraction_item_update(request, item_id: Id, body: ItemUpdateIn):
    """Settle one proposed task: its wording, its units (below the caller's unit), its deadline and cadence."""
    user = caller(request)
    item = proposed_task_get_for(user=user, id=item_id)
    given = body.model_fields_set

    def keep(name):
        value = getattr(body, name)
        return getattr(item, name) if value is None and name not in given else value

    with transaction.atomic():
        services.extraction_item_update(
            actor=user, item_id=item.pk, version=body.version, text=body.text if body.text is not None else item.text,
            lead_unit_ids=body.lead_unit_ids if body.lead_unit_ids is not None else item.lead_unit_ids,
            other_unit_ids=body.other_unit_ids if body.other_unit_ids is not None else item.other_unit_ids,
            deadline=keep("deadline"), cadence=body.cadence or item.cadence, report_day=keep("report_day"))
        return _detail(user, item.extraction_id)


@router.post("/extraction-items/{item_id}/drop", response={200: ExtractionDetailOut, **ERRORS},
             operation_id="extraction_item_drop")
def extraction_item_drop(request, item_id: Id, body: DropIn):
    """Leave a proposed task out (`dropped: true`: it becomes no task), or take it back (`false`)."""
    user = caller(request)
    item = proposed_task_get_for(user=user, id=item_id)
    with transaction.atomic():
        services.extraction_item_drop(actor=user, item_id=item.pk, version=body.version, dropped=body.dropped)
        return _detail(user, item.extraction_id)


@router.post("/extraction-items/{item_id}/merge", response={200: ExtractionDetailOut, **ERRORS},
             operation_id="extraction_item_merge")
def extraction_item_merge(request, item_id: Id, body: VersionIn):
    """Merge a proposed task with the next one kept: the units of both, the later deadline."""
    user = caller(request)
    item = proposed_task_get_for(user=user, id=item_id)
    with transaction.atomic():
        services.extraction_item_merge(actor=user, item_id=item.pk, version=body.version)
        return _detail(user, item.extraction_id)


@router.post("/extraction-items/{item_id}/split", response={200: ExtractionDetailOut, **ERRORS},
             operation_id="extraction_item_split")
def extraction_item_split(request, item_id: Id, body: SplitIn):
    """Split a proposed task in two at character `at` of its text; each part reads its units and deadline
    again (a part naming none keeps the whole's). The second part follows the first."""
    user = caller(request)
    item = proposed_task_get_for(user=user, id=item_id)
    with transaction.atomic():
        services.extraction_item_split(actor=user, item_id=item.pk, version=body.version, at=body.at)
        return _detail(user, item.extraction_id)


@router.post("/extractions/{extraction_id}/accept", response={201: ExtractionAcceptOut, **ERRORS},
             operation_id="extraction_accept")
def extraction_accept(request, extraction_id: Id, body: AcceptIn):
    """Register the decision and one draft task per kept proposal, all or none: a proposal without a lead unit,
    or one the lifecycle refuses (a deadline already past), stops it all, named by its number."""
    user = caller(request)
    extraction = extraction_get_for(user=user, id=extraction_id)
    with transaction.atomic():
        decision = services.extraction_accept(
            actor=user, extraction_id=extraction.pk, version=body.version, kind=body.kind, title=body.title,
            issued_on=body.issued_on or extraction.document_date, doc_number=body.doc_number, issuer=body.issuer)
        detail = _detail(user, extraction.pk)
    ids = [item.task_id for item in detail.listed_items if item.task_id is not None]
    order = {pk: i for i, pk in enumerate(ids)}
    tasks = sorted(task_list_for(user=user).filter(pk__in=ids), key=lambda t: order[t.pk])
    return Status(201, {"extraction": detail, "decision": decision, "tasks": tasks})


@router.post("/extractions/{extraction_id}/discard", response={200: ExtractionDetailOut, **ERRORS},
             operation_id="extraction_discard")
def extraction_discard(request, extraction_id: Id, body: VersionIn):
    """Abandon the document's proposals; it stays in the list as 已放弃."""
    user = caller(request)
    extraction = extraction_get_for(user=user, id=extraction_id)
    with transaction.atomic():
        services.extraction_discard(actor=user, extraction_id=extraction.pk, version=body.version)
        return _detail(user, extraction.pk)
