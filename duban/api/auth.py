"""Who is calling: a bearer token, or the browser's session with its CSRF token.

django-ninja marks its views CSRF-exempt and leaves the check to the auth
class, so the session class below checks CSRF itself on every unsafe method.
"""

import datetime as dt

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security import APIKeyCookie, HttpBearer

from duban.api.models import ApiToken
from duban.api.services import token_digest
from duban.core import clock
from duban.core.errors import DomainError

# last_used_at is a hint, not a log: write it at most this often per token.
LAST_USED_GRANULARITY = dt.timedelta(minutes=5)


class NotAuthenticated(DomainError):
    def __init__(self):
        super().__init__("not_authenticated", "请先登录，或在请求头中提供有效的接口令牌。")


class TokenAuth(HttpBearer):
    """`Authorization: Bearer dbn_…`."""

    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        row = (ApiToken.objects.select_related("user", "user__unit")
               .filter(digest=token_digest(token), revoked_at=None, expires_at__gt=clock.now()).first())
        if row is None or not row.user.is_active:
            return None
        now = clock.now()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.api_token = row
        return row.user


def _reject_csrf(request, reason):
    return reason


class SessionAuth(APIKeyCookie):
    """The signed-in browser. Unsafe methods need the CSRF token (header X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)  # also tells the docs page to send X-CSRFToken

    def _get_key(self, request):
        # The CSRF check happens in authenticate(), once we know there is a session at all:
        # a request with neither session nor token is answered 401, not 403.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            check = CsrfViewMiddleware(lambda r: None)
            request.csrf_processing_done = False
            check.process_request(request)
            if check.process_view(request, _reject_csrf, (), {}) is not None:
                raise DomainError("csrf_failed", "请求缺少有效的CSRF令牌，请刷新页面后重试。")
        from duban.security.policy import session_refusal

        reason = session_refusal(request)
        if reason is not None:
            raise DomainError(reason, SESSION_REFUSALS.get(reason, "当前会话暂不能使用，请先完成登录要求的步骤。"))
        return user


SESSION_REFUSALS = {
    "password_expired": "密码已过期，请先在页面上修改密码。",
    "password_change_required": "请先在页面上修改初始密码。",
    "otp_required": "请先完成动态口令（双因素）验证。",
}
