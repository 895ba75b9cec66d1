"""Issuing and revoking API tokens: each one audited as a security event."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction

from duban.api.models import ApiToken
from duban.audit.chain import event_append
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied

TOKEN_PREFIX = "dbn_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, actor, name: str, days: int, address: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `actor` themself. Returns the row and the token, which is never shown again."""
    if actor is None or not actor.is_active:
        raise PermissionDenied()
    name = (name or "").strip()
    if not name:
        raise DomainError("token_name_required", "请写明令牌的用途。")
    if len(name) > 100:
        raise DomainError("token_name_too_long", "用途不超过100字。")
    limit = settings.DUBAN_API_TOKEN_MAX_DAYS
    if not 1 <= days <= limit:
        raise DomainError("token_days_invalid", f"有效期应在1至{limit}天之间。", {"max_days": limit})
    live = ApiToken.objects.filter(user=actor, revoked_at=None, expires_at__gt=clock.now()).count()
    if live >= settings.DUBAN_API_TOKENS_PER_PERSON:
        raise DomainError("token_limit_reached", "有效令牌数量已达上限，请先吊销不用的令牌。")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken.objects.create(user=actor, name=name, prefix=token[:12], digest=token_digest(token),
                                  created_at=now, expires_at=now + dt.timedelta(days=days))
    event_append(actor=actor, verb="security.token_create", object_type="api_token", object_id=row.pk,
                 unit_id=actor.unit_id,
                 payload={"ip": address, "outcome": "success", "name": name, "prefix": row.prefix,
                          "expires_at": row.expires_at.isoformat()})
    return row, token


@transaction.atomic
def token_revoke(*, actor, token: ApiToken, address: str | None = None) -> ApiToken:
    """吊销. A person revokes their own tokens; a security administrator revokes anyone's."""
    from duban.org.models import Role

    row = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
    if row is None or actor is None:
        raise NotFound("token")
    if row.user_id != actor.pk and not actor.has_role(Role.SECADMIN):
        raise NotFound("token")
    if row.revoked_at is not None:
        raise DomainError("token_already_revoked", "该令牌已吊销。")
    row.revoked_at = clock.now()
    row.save(update_fields=["revoked_at"])
    event_append(actor=actor, verb="security.token_revoke", object_type="api_token", object_id=row.pk,
                 unit_id=actor.unit_id,
                 payload={"ip": address, "outcome": "success", "prefix": row.prefix, "owner": row.user_id})
    return row
