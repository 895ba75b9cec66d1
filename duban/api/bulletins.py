"""督查通报: list the bulletins in the caller's scope, make one, read its figures, download its files."""

import datetime as dt

from ninja import Query, Router, Schema, Status
from pydantic import Field

from duban.api.common import Page, PageIn, caller, filters_of, paged
from duban.api.errors import ERRORS
from duban.api.schemas import Id, text
from duban.bulletins.files import bulletin_file_response
from duban.bulletins.periods import period_parse
from duban.bulletins.selectors import bulletin_get_for, bulletin_list_for
from duban.bulletins.services import bulletin_generate
from duban.org.selectors import unit_get_for

router = Router(tags=["督查通报"])


class BulletinOut(Schema):
    id: int
    title: str
    scope_unit_id: int
    scope_unit_name: str = Field(..., alias="scope_unit.name")
    period: str = Field(..., alias="period_key")
    period_start: dt.date
    period_end: dt.date
    version: int
    has_docx: bool
    has_pdf: bool
    created_by_id: int | None = Field(..., description="生成人；按月自动生成的为 null")
    created_at: dt.datetime

    @staticmethod
    def resolve_has_docx(obj) -> bool:
        return bool(obj.docx)

    @staticmethod
    def resolve_has_pdf(obj) -> bool:
        return bool(obj.pdf)


class BulletinDetailOut(BulletinOut):
    figures: dict = Field(..., description="通报所用的全部数据（总体情况、各单位、指标、逾期、挂牌、堵点）")
    masthead: dict = Field(..., description="版头：份号、密级、紧急程度、文号、发文机关标志")


class BulletinFilters(PageIn):
    scope: Id | None = Field(None, description="通报范围的单位 id")
    period: text(30) | None = Field(None, description="期间，如 2026-11、2026-Q4")


class BulletinIn(Schema):
    scope_unit_id: Id = Field(..., description="通报范围：本单位或下级单位的 id")
    period: text(30, 1) = Field(..., description="月份（2026-11）、季度（2026-Q4）或起止日期（2026-11-01..2026-11-15）")
    formats: list[text(10)] = Field(["docx", "pdf"], max_length=2,
                                    description="docx、pdf（PDF 由 Word 文档转换，需要数秒）")
    doc_number: text(50) = Field("", description="文号")
    urgency: text(10) = Field("", description="紧急程度")
    secrecy: text(20) = Field("", description="密级")
    copy_no: text(6) = Field("", description="份号")


@router.get("/bulletins", response={200: Page[BulletinOut], **ERRORS}, operation_id="bulletin_list")
def bulletin_list(request, params: Query[BulletinFilters]):
    """The bulletins whose scope lies in the caller's unit subtree (supervisors, leaders, inspectors)."""
    return paged(bulletin_list_for(user=caller(request), filters=filters_of(params)), params)


@router.post("/bulletins", response={201: BulletinDetailOut, **ERRORS}, operation_id="bulletin_generate")
def bulletin_make(request, body: BulletinIn):
    """Generate the next version for the scope and period, synchronously (a PDF takes a few seconds).

    Supervisors and leaders, for their own unit or a unit below it."""
    user = caller(request)
    scope = unit_get_for(user=user, id=body.scope_unit_id)
    bulletin = bulletin_generate(actor=user, scope_unit=scope, period=period_parse(body.period),
                                 formats=body.formats,
                                 masthead={"doc_number": body.doc_number, "urgency": body.urgency,
                                           "secrecy": body.secrecy, "copy_no": body.copy_no})
    return Status(201, bulletin)


@router.get("/bulletins/{bulletin_id}", response={200: BulletinDetailOut, **ERRORS}, operation_id="bulletin_get")
def bulletin_get(request, bulletin_id: Id):
    return bulletin_get_for(user=caller(request), id=bulletin_id)


@router.get("/bulletins/{bulletin_id}/{kind}", response={200: None, **ERRORS}, operation_id="bulletin_file")
def bulletin_file(request, bulletin_id: Id, kind: text(10)):
    """The .docx or PDF file (kind: docx | pdf), as a download; 404 when the bulletin has no such file."""
    return bulletin_file_response(bulletin_get_for(user=caller(request), id=bulletin_id), kind)
