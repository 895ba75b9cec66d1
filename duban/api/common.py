"""Pieces every router uses: the caller, the address, filters, pages."""

from typing import Generic, TypeVar

from django.conf import settings
from ninja import Field, Schema

from duban.api.pagination import page
from duban.api.schemas import text


def caller(request):
    return request.auth


def address(request) -> str | None:
    from duban.security.client_ip import client_ip

    return client_ip(request)


class PageIn(Schema):
    cursor: text(100) | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=200)


T = TypeVar("T")


class Page(Schema, Generic[T]):
    """One page of a list, newest first; pass next_cursor back for the next one (null: the last page)."""

    items: list[T]
    next_cursor: str | None


def filters_of(params: Schema) -> dict:
    """The filters a selector takes: every given value except the paging ones."""
    return {k: v for k, v in params.dict().items() if k not in ("cursor", "limit") and v is not None}


def paged(qs, params: PageIn) -> dict:
    items, next_cursor = page(qs, cursor=params.cursor, limit=min(params.limit, settings.DUBAN_API_PAGE_MAX))
    return {"items": items, "next_cursor": next_cursor}
