"""Cursor pagination over `-id`: a page costs the same whatever its depth, and rows added meanwhile never shift it."""

import base64

from django.conf import settings
from ninja import Schema

from duban.core.errors import DomainError


class Cursor:
    """An opaque cursor: the last id of the page before, base64-encoded."""

    @staticmethod
    def encode(last_id: int) -> str:
        return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            kind, value = raw.split(":", 1)
            last_id = int(value)
        except (ValueError, UnicodeDecodeError):
            raise DomainError("cursor_invalid", "分页游标无效，请从第一页重新开始。") from None
        if kind != "id" or not 0 < last_id < 2**63:
            raise DomainError("cursor_invalid", "分页游标无效，请从第一页重新开始。")
        return last_id


def page(qs, *, cursor: str | None, limit: int, field: str = "pk") -> tuple[list, str | None]:
    """One page of `qs` (newest first) after `cursor`; the cursor of the next page or None."""
    limit = max(1, min(limit, settings.DUBAN_API_PAGE_MAX))
    qs = qs.order_by(f"-{field}")
    if cursor:
        qs = qs.filter(**{f"{field}__lt": Cursor.decode(cursor)})
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (Cursor.encode(getattr(rows[-1], field)) if more and rows else None)


class PageMeta(Schema):
    next_cursor: str | None = None
