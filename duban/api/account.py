"""The caller, their API tokens, the unit tree, people, and the audit trail."""

from ninja import Query, Router, Schema, Status

from duban.api import services as token_services
from duban.api.common import Page, PageIn, address, caller, filters_of, paged
from duban.api.errors import ERRORS
from duban.api.models import ApiToken
from duban.api.pagination import page
from duban.api.schemas import (
    EventOut,
    Id,
    MeOut,
    PersonOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UnitOut,
    text,
)
from duban.audit.selectors import event_list_for
from duban.core.errors import NotFound, PermissionDenied
from duban.org.models import Role
from duban.org.selectors import person_get_for, person_list_for, unit_get_for, unit_list_for

router = Router(tags=["人员与令牌"])


class UnitFilters(Schema):
    q: text(100) | None = None
    parent: Id | None = None


class PersonFilters(PageIn):
    q: text(100) | None = None
    unit: Id | None = None
    role: text(20) | None = None


class AuditFilters(PageIn):
    task: Id | None = None
    verb: text(60) | None = None
    actor: Id | None = None
    object_type: text(40) | None = None


@router.get("/me", response={200: MeOut, **ERRORS}, operation_id="me")
def me(request):
    user = caller(request)
    return {"id": user.pk, "username": user.username, "full_name": user.full_name, "unit_id": user.unit_id,
            "unit_name": user.unit.name if user.unit_id else None, "roles": sorted(user.roles)}


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, operation_id="token_list")
def token_list(request):
    return list(ApiToken.objects.filter(user=caller(request)).order_by("-id")[:100])


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, operation_id="token_create")
def token_create(request, body: TokenIn):
    row, token = token_services.token_create(actor=caller(request), name=body.name, days=body.days,
                                             address=address(request))
    row.token = token
    return Status(201, row)


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, operation_id="token_revoke")
def token_revoke(request, token_id: Id):
    row = ApiToken.objects.filter(pk=token_id).first()
    if row is None:
        raise NotFound("token")
    return token_services.token_revoke(actor=caller(request), token=row, address=address(request))


@router.get("/units", response={200: list[UnitOut], **ERRORS}, operation_id="unit_list")
def unit_list(request, params: Query[UnitFilters]):
    """The unit tree in scope (to pick lead and cooperating units). Not paged: a tree is read whole."""
    return list(unit_list_for(user=caller(request), filters=filters_of(params))[:5000])


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, operation_id="unit_get")
def unit_get(request, unit_id: Id):
    return unit_get_for(user=caller(request), id=unit_id)


@router.get("/people", response={200: Page[PersonOut], **ERRORS}, operation_id="person_list")
def person_list(request, params: Query[PersonFilters]):
    return paged(person_list_for(user=caller(request), filters=filters_of(params)), params)


@router.get("/people/{person_id}", response={200: PersonOut, **ERRORS}, operation_id="person_get")
def person_get(request, person_id: Id):
    return person_get_for(user=caller(request), id=person_id)


@router.get("/audit/events", response={200: Page[EventOut], **ERRORS}, operation_id="audit_event_list")
def audit_event_list(request, params: Query[AuditFilters]):
    """The audit trail (审计管理员). Others see the timelines of their tasks under /tasks/{id}/events."""
    user = caller(request)
    if not user.has_role(Role.AUDITOR):
        raise PermissionDenied("只有审计管理员可以查阅审计记录。")
    items, next_cursor = page(event_list_for(user=caller(request), filters=filters_of(params)),
                              cursor=params.cursor, limit=params.limit, field="seq")
    return {"items": items, "next_cursor": next_cursor}
