"""Assignments (承办) and what units send: reports, evidence, extensions, blockers."""

import json

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from duban.api.common import Page, PageIn, caller, filters_of, paged
from duban.api.errors import ERRORS
from duban.api.schemas import (
    AssignmentOut,
    BlockerAnswerIn,
    BlockerEscalateIn,
    BlockerIn,
    BlockerOut,
    CommentIn,
    Date,
    ExtensionDecideIn,
    ExtensionIn,
    ExtensionOut,
    Id,
    ReasonIn,
    ReassignIn,
    ReportOut,
    ReviewIn,
    UnitReviewIn,
    VersionIn,
    text,
)
from duban.core.errors import DomainError
from duban.org.selectors import leader_above_get_for, unit_get_for
from duban.supervision import selectors as sel
from duban.supervision import services as s
from duban.supervision.services.reports import EVIDENCE_MAX_BYTES

router = Router(tags=["承办与反馈"])

MAX_FILES = 10


class AssignmentFilters(PageIn):
    unit: Id | None = None
    state: text(20) | None = None
    light: text(20) | None = None
    deadline_from: Date | None = None
    deadline_to: Date | None = None
    decision: Id | None = None
    task: Id | None = None
    is_key: bool | None = None
    q: text(100) | None = None


class ReportFilters(PageIn):
    """Filters of what hangs from an assignment: reports, extensions, blockers."""

    assignment: Id | None = None
    task: Id | None = None
    state: text(20) | None = None


class ReportForm(Schema):
    text: text(20000, 1)
    progress: int
    is_final: bool = False
    target_values: text(10000) = "{}"
    blockers: list[text(10000, 1)] = []


def _assignment(request, pk: int):
    return sel.assignment_get_for(user=caller(request), id=pk)


def _report(request, pk: int):
    return sel.report_get_for(user=caller(request), id=pk)


@router.get("/assignments", response={200: Page[AssignmentOut], **ERRORS}, operation_id="assignment_list")
def assignment_list(request, params: Query[AssignmentFilters]):
    return paged(sel.assignment_list_for(user=caller(request), filters=filters_of(params)), params)


@router.get("/assignments/{assignment_id}", response={200: AssignmentOut, **ERRORS}, operation_id="assignment_get")
def assignment_get(request, assignment_id: Id):
    return _assignment(request, assignment_id)


@router.post("/assignments/{assignment_id}/sign", response={200: AssignmentOut, **ERRORS},
             operation_id="assignment_sign")
def assignment_sign(request, assignment_id: Id, body: VersionIn):
    s.assignment_sign(actor=caller(request), assignment=_assignment(request, assignment_id),
                      expected_version=body.version)
    return _assignment(request, assignment_id)


@router.post("/assignments/{assignment_id}/return", response={200: AssignmentOut, **ERRORS},
             operation_id="assignment_return")
def assignment_return(request, assignment_id: Id, body: ReasonIn):
    s.assignment_return(actor=caller(request), assignment=_assignment(request, assignment_id), reason=body.reason,
                        expected_version=body.version)
    return _assignment(request, assignment_id)


@router.post("/assignments/{assignment_id}/reassign", response={201: AssignmentOut, **ERRORS},
             operation_id="assignment_reassign")
def assignment_reassign(request, assignment_id: Id, body: ReassignIn):
    user = caller(request)
    unit = unit_get_for(user=user, id=body.unit_id)
    new = s.assignment_reassign(actor=user, assignment=_assignment(request, assignment_id), unit=unit,
                                expected_version=body.version)
    return Status(201, _assignment(request, new.pk))


@router.post("/assignments/{assignment_id}/verify", response={200: AssignmentOut, **ERRORS},
             operation_id="assignment_verify")
def assignment_verify(request, assignment_id: Id, body: CommentIn):
    s.assignment_verify(actor=caller(request), assignment=_assignment(request, assignment_id), comment=body.comment,
                        expected_version=body.version)
    return _assignment(request, assignment_id)


@router.post("/assignments/{assignment_id}/reject", response={200: AssignmentOut, **ERRORS},
             operation_id="assignment_reject")
def assignment_reject(request, assignment_id: Id, body: CommentIn):
    s.assignment_reject(actor=caller(request), assignment=_assignment(request, assignment_id), comment=body.comment,
                        expected_version=body.version)
    return _assignment(request, assignment_id)


@router.post("/assignments/{assignment_id}/reports", response={201: ReportOut, **ERRORS},
             operation_id="report_submit")
def report_submit(request, assignment_id: Id, form: Form[ReportForm], files: File[list[UploadedFile]] = None):
    """反馈进展 (or 申请办结 with is_final). Evidence files travel in the same multipart request."""
    user = caller(request)
    assignment = _assignment(request, assignment_id)
    try:
        values = json.loads(form.target_values or "{}")
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise DomainError("report_values_invalid", "指标值应为 {指标编号: 数值} 形式的JSON。")
    uploads = list(files or [])
    if len(uploads) > MAX_FILES:
        raise DomainError("evidence_too_many", f"一次最多上传{MAX_FILES}个佐证材料。")
    contents = []
    for upload in uploads:
        if upload.size > EVIDENCE_MAX_BYTES:
            raise DomainError("evidence_too_large", "佐证材料单个文件不超过20MB。", {"name": upload.name})
        contents.append((upload.name or "", upload.read()))
    report = s.report_submit(actor=user, assignment=assignment, text=form.text, progress=form.progress,
                             is_final=form.is_final, target_values=values, blockers=form.blockers, files=contents)
    return Status(201, _report(request, report.pk))


@router.post("/assignments/{assignment_id}/extensions", response={201: ExtensionOut, **ERRORS},
             operation_id="extension_request")
def extension_request(request, assignment_id: Id, body: ExtensionIn):
    extension = s.extension_request(actor=caller(request), assignment=_assignment(request, assignment_id),
                                    reason=body.reason, requested_deadline=body.requested_deadline)
    return Status(201, extension)


@router.post("/assignments/{assignment_id}/blockers", response={201: BlockerOut, **ERRORS},
             operation_id="blocker_raise")
def blocker_raise(request, assignment_id: Id, body: BlockerIn):
    blocker = s.blocker_raise(actor=caller(request), assignment=_assignment(request, assignment_id), text=body.text)
    return Status(201, blocker)


@router.get("/reports", response={200: Page[ReportOut], **ERRORS}, operation_id="report_list")
def report_list(request, params: Query[ReportFilters]):
    reports = sel.report_list_for(user=caller(request), filters=filters_of(params))
    return paged(reports.prefetch_related("evidence", "values"), params)


@router.get("/reports/{report_id}", response={200: ReportOut, **ERRORS}, operation_id="report_get")
def report_get(request, report_id: Id):
    return _report(request, report_id)


@router.post("/reports/{report_id}/unit-review", response={200: ReportOut, **ERRORS},
             operation_id="report_unit_review")
def report_unit_review(request, report_id: Id, body: UnitReviewIn):
    s.report_unit_approve(actor=caller(request), report=_report(request, report_id), approve=body.approve,
                          comment=body.comment)
    return _report(request, report_id)


@router.post("/reports/{report_id}/review", response={200: ReportOut, **ERRORS}, operation_id="report_review")
def report_review(request, report_id: Id, body: ReviewIn):
    s.report_review(actor=caller(request), report=_report(request, report_id), accept=body.accept,
                    comment=body.comment)
    return _report(request, report_id)


@router.get("/evidence/{evidence_id}/download", response={200: None, **ERRORS}, operation_id="evidence_download")
def evidence_download(request, evidence_id: Id):
    from duban.supervision.views import evidence_file_response

    return evidence_file_response(sel.evidence_get_for(user=caller(request), id=evidence_id))


@router.get("/extensions", response={200: Page[ExtensionOut], **ERRORS}, operation_id="extension_list")
def extension_list(request, params: Query[ReportFilters]):
    return paged(sel.extension_list_for(user=caller(request), filters=filters_of(params)), params)


@router.get("/extensions/{extension_id}", response={200: ExtensionOut, **ERRORS}, operation_id="extension_get")
def extension_get(request, extension_id: Id):
    return sel.extension_get_for(user=caller(request), id=extension_id)


@router.post("/extensions/{extension_id}/decide", response={200: ExtensionOut, **ERRORS},
             operation_id="extension_decide")
def extension_decide(request, extension_id: Id, body: ExtensionDecideIn):
    user = caller(request)
    s.extension_decide(actor=user, extension=sel.extension_get_for(user=user, id=extension_id),
                       approve=body.approve, comment=body.comment, granted_deadline=body.granted_deadline)
    return sel.extension_get_for(user=user, id=extension_id)


@router.get("/blockers", response={200: Page[BlockerOut], **ERRORS}, operation_id="blocker_list")
def blocker_list(request, params: Query[ReportFilters]):
    return paged(sel.blocker_list_for(user=caller(request), filters=filters_of(params)), params)


@router.get("/blockers/{blocker_id}", response={200: BlockerOut, **ERRORS}, operation_id="blocker_get")
def blocker_get(request, blocker_id: Id):
    return sel.blocker_get_for(user=caller(request), id=blocker_id)


@router.post("/blockers/{blocker_id}/escalate", response={200: BlockerOut, **ERRORS},
             operation_id="blocker_escalate")
def blocker_escalate(request, blocker_id: Id, body: BlockerEscalateIn):
    user = caller(request)
    leader = leader_above_get_for(user=user, id=body.leader_id)
    s.blocker_escalate(actor=user, blocker=sel.blocker_get_for(user=user, id=blocker_id), leader=leader)
    return sel.blocker_get_for(user=user, id=blocker_id)


@router.post("/blockers/{blocker_id}/answer", response={200: BlockerOut, **ERRORS}, operation_id="blocker_answer")
def blocker_answer(request, blocker_id: Id, body: BlockerAnswerIn):
    user = caller(request)
    s.blocker_answer(actor=user, blocker=sel.blocker_get_for(user=user, id=blocker_id), answer=body.answer)
    return sel.blocker_get_for(user=user, id=blocker_id)
