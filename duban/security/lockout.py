"""Glue between the second factor and django-axes: a wrong code counts like a wrong password.

Lockout is keyed on (account, real client address). The password step alone
does not clear the count when a second factor is still owed; otherwise someone
holding the password could alternate one good password and four bad codes
forever. The count is cleared only when the whole sign-in succeeds.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed

from duban.security.client_ip import client_ip
from duban.security.events import security_event

# request attribute telling the audit receivers which step failed
FAILED_STEP = "duban_failed_step"


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def attempt_allowed(request, user) -> bool:
    """False when this account is locked out from this client address."""
    return AxesProxyHandler.is_allowed(request, _credentials(user))


def login_refused(request, username: str) -> bool:
    """True (and the refusal is in the trail) when `username` is locked out from this client address.

    The login page asks before checking any password: a locked pair gets the lockout page at once,
    which is what django-axes's backend would also answer, for a fraction of the work. Under a
    password-guessing flood that matters.
    """
    if not username or AxesProxyHandler.is_allowed(request, {"username": username}):
        return False
    security_event(request=request, verb="security.login_failed", outcome="locked_out", username=username)
    return True


def second_factor_failed(request, user) -> bool:
    """Count a wrong code towards the lockout; True when it has now locked the account here."""
    setattr(request, FAILED_STEP, "otp")
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def sign_in_completed(request, user) -> None:
    """The whole sign-in succeeded: forget this pair's earlier failures."""
    AxesProxyHandler.reset_attempts(ip_address=client_ip(request), username=user.get_username())
