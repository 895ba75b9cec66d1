"""Security events in the audit trail: who tried what, from where, with what outcome.

Sign-in, its failures, lockouts, logouts, password changes and the second factor
all land in the same hash chain as the business actions (object_type "security"),
so that the 审计管理员 reads one trail.
"""

from django.db import transaction

from duban.audit.chain import event_append
from duban.audit.models import Event
from duban.security.client_ip import client_ip

USER_AGENT_MAX = 200
USERNAME_MAX = 150


def security_event(*, request, verb: str, actor=None, outcome: str, **payload) -> Event:
    """Append one security event; `actor` is the person concerned, None when unknown.

    A failed sign-in has no actor: pass the attempted name as `username=`.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    meta = getattr(request, "META", {}) if request is not None else {}
    body = {
        "ip": client_ip(request) if request is not None else None,
        "outcome": outcome,
        "user_agent": (meta.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX],
        "path": getattr(request, "path", "")[:200] if request is not None else "",
    }
    if actor is not None:
        body["username"] = actor.get_username()
    if isinstance(payload.get("username"), str):
        payload["username"] = payload["username"][:USERNAME_MAX]
    body.update(payload)
    with transaction.atomic():
        return event_append(actor=actor, verb=verb, object_type="security",
                            object_id=actor.pk if actor is not None else None,
                            unit_id=getattr(actor, "unit_id", None), payload=body)
