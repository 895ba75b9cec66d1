"""Urging (催办单), a task's urges, the caller's inbox and the channels they choose."""

import datetime as dt

from ninja import Query, Router, Schema, Status
from pydantic import Field

from duban.api.common import Page, PageIn, caller, paged
from duban.api.errors import ERRORS
from duban.api.schemas import Id, text
from duban.escalation import selectors as esel
from duban.escalation import services as es
from duban.escalation import texts
from duban.escalation.models import Step
from duban.supervision import selectors as sel

router = Router(tags=["催办与通知"])


class UrgeIn(Schema):
    message: text(2000, 1) = Field(..., description="催办内容")


class UrgeOut(Schema):
    id: int
    step: str
    step_label: str
    cause: str
    due_on: dt.date
    task_id: int
    assignment_id: int
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    urgent: bool
    message: str
    created_by_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_step_label(obj) -> str:
        return Step(obj.step).label


class NoticeOut(Schema):
    id: int
    urge_id: int
    step: str = Field(..., alias="urge.step")
    title: str
    lines: list[str]
    task_id: int = Field(..., alias="urge.task_id")
    unit_id: int = Field(..., alias="urge.unit_id")
    urgent: bool
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_title(obj) -> str:
        return texts.urge_title(obj.urge)

    @staticmethod
    def resolve_lines(obj) -> list[str]:
        return texts.urge_lines(obj.urge)


class NoticeFilters(PageIn):
    unread: bool | None = None


class UnreadOut(Schema):
    unread: int


class CountOut(Schema):
    count: int


class PreferenceIn(Schema):
    email: bool
    sms: bool


class PreferenceOut(Schema):
    inbox: bool = True
    email: bool
    sms: bool


@router.post("/assignments/{assignment_id}/urges", response={201: UrgeOut, **ERRORS}, operation_id="assignment_urge")
def assignment_urge(request, assignment_id: Id, body: UrgeIn):
    user = caller(request)
    assignment = sel.assignment_get_for(user=user, id=assignment_id)
    urge = es.urge_send(actor=user, assignment=assignment, message=body.message)
    return Status(201, urge)


@router.get("/tasks/{task_id}/urges", response={200: Page[UrgeOut], **ERRORS}, operation_id="task_urges")
def task_urges(request, task_id: Id, params: Query[PageIn]):
    user = caller(request)
    task = sel.task_get_for(user=user, id=task_id)
    return paged(esel.urge_list_for(user=user, task=task), params)


@router.get("/notices", response={200: Page[NoticeOut], **ERRORS}, operation_id="notice_list")
def notice_list(request, params: Query[NoticeFilters]):
    return paged(esel.notice_list_for(user=caller(request), unread=params.unread), params)


@router.get("/notices/unread-count", response={200: UnreadOut, **ERRORS}, operation_id="notice_unread_count")
def notice_unread_count(request):
    return {"unread": esel.unread_count_for(user=caller(request))}


@router.post("/notices/{notice_id}/read", response={200: NoticeOut, **ERRORS}, operation_id="notice_read")
def notice_read(request, notice_id: Id):
    user = caller(request)
    es.notice_read(actor=user, notice_id=notice_id)
    return esel.notice_list_for(user=user).get(pk=notice_id)


@router.post("/notices/read-all", response={200: CountOut, **ERRORS}, operation_id="notice_read_all")
def notice_read_all(request):
    return {"count": es.notices_read_all(actor=caller(request))}


@router.get("/me/notice-preference", response={200: PreferenceOut, **ERRORS}, operation_id="preference_get")
def preference_get(request):
    return esel.preference_for(user=caller(request))


@router.put("/me/notice-preference", response={200: PreferenceOut, **ERRORS}, operation_id="preference_set")
def preference_set(request, body: PreferenceIn):
    es.preference_set(actor=caller(request), email=body.email, sms=body.sms)
    return esel.preference_for(user=caller(request))

