"""One error shape for every answer that is not a success: {"code", "message", "detail"}.

`code` is stable English for programs and logs; `message` is Chinese for people.
"""

import logging

from django.db import IntegrityError, OperationalError
from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from duban.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from duban.voice.limits import RateLimited

log = logging.getLogger("duban.api")


class ErrorOut(Schema):
    code: str
    message: str
    detail: dict


# Every operation may answer these besides its success.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
          503: ErrorOut}


def status_of(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied) or exc.code in ("csrf_failed", "password_expired",
                                                          "password_change_required", "otp_required"):
        return 403
    if exc.code == "not_authenticated":
        return 401
    if isinstance(exc, Conflict) or exc.code.endswith("_illegal_transition"):
        return 409
    return 400


def install(api) -> None:
    def answer(request, status: int, code: str, message: str, detail: dict | None = None):
        return api.create_response(request, {"code": code, "message": message, "detail": detail or {}},
                                   status=status)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        status = status_of(exc)
        if status == 403:
            _audit_denial(request, exc)
        return answer(request, status, exc.code, exc.message, exc.detail)

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc: RateLimited):
        response = answer(request, 429, exc.code, exc.message, exc.detail)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def invalid_input(request, exc: ValidationError):
        fields = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors
        ]
        return answer(request, 422, "invalid_input", "请求参数有误，请检查后重试。", {"errors": fields})

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return answer(request, 401, "not_authenticated", "请先登录，或在请求头中提供有效的接口令牌。")

    @api.exception_handler(AuthorizationError)
    def forbidden(request, exc):
        return answer(request, 403, "permission_denied", "您无权执行此操作。")

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return answer(request, 404, "not_found", "找不到该记录，或您无权查看。")

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        codes = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
                 405: "method_not_allowed", 413: "payload_too_large", 429: "too_many_requests"}
        # Our own refusals (413 of an oversized clue) carry a Chinese message; ninja's own are English.
        message = str(exc) if exc.status_code == 413 else "请求无法处理。"
        return answer(request, exc.status_code, codes.get(exc.status_code, "http_error"), message,
                      {"reason": str(exc)})

    @api.exception_handler(OperationalError)
    def busy(request, exc):
        # SQLite under heavy write load: the write waited its whole busy timeout. Nothing was written.
        log.warning("database busy: %s", exc)
        return answer(request, 503, "database_busy", "系统繁忙，请稍后重试。")

    @api.exception_handler(IntegrityError)
    def integrity(request, exc):
        # Two writers raced for one unique row; the loser changed nothing.
        log.warning("integrity conflict in %s %s: %s", request.method, request.path, exc)
        return answer(request, 409, "conflict", "该记录已被他人修改，请刷新后重试。")


def _audit_denial(request, exc: DomainError) -> None:
    from duban.security.events import security_event

    user = getattr(request, "auth", None)
    security_event(request=request, verb="security.denied", actor=user if getattr(user, "pk", None) else None,
                   outcome="denied", code=exc.code, path=request.path[:200], method=request.method)
