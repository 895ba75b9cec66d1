"""Receivers of the sign-in signals: audit rows and the lockout count, never anything in the domain."""

from duban.security.events import security_event
from duban.security.lockout import FAILED_STEP, sign_in_completed
from duban.security.policy import otp_needed

LOCKED_OUT = "locked_out"


def on_logged_in(sender, request, user, **kwargs):
    if request is None:
        return
    second_factor_due = otp_needed(user)
    security_event(request=request, verb="security.login", actor=user, outcome="success",
                   second_factor_due=second_factor_due)
    if not second_factor_due:
        sign_in_completed(request, user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    username = (credentials or {}).get("username")
    # django-axes has handled the signal already: axes_failures_since_start is set when it counted
    # this failure, and stays None when the attempt was refused because the pair is locked.
    refused = bool(getattr(request, "axes_locked_out", False)) and getattr(
        request, "axes_failures_since_start", None) is None
    outcome = LOCKED_OUT if refused else "failed"
    if getattr(request, FAILED_STEP, None) == "otp":
        security_event(request=request, verb="security.otp_failed", actor=request.user, outcome=outcome)
    else:
        security_event(request=request, verb="security.login_failed", outcome=outcome,
                       username=username if isinstance(username, str) else None)


def on_locked_out(sender, request, username, ip_address, **kwargs):
    # axes signals on the failure that reaches the limit and again on every refusal during the lock;
    # only the first is a lockout (the refusals are already in the trail as login_failed/locked_out).
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    security_event(request=request, verb="security.lockout", outcome=LOCKED_OUT,
                   username=username if isinstance(username, str) else None,
                   failures=request.axes_failures_since_start)


def on_logged_out(sender, request, user, **kwargs):
    if request is None or user is None:
        return
    security_event(request=request, verb="security.logout", actor=user, outcome="success",
                   reason=getattr(request, "duban_logout_reason", "user"))
