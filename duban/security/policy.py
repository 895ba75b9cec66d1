"""Whether a signed-in session may be used yet, in one place for pages and the API.

After the password step a session can still owe something: the second factor
(mandatory for the three administrators, optional for everyone else), or a new
password (expired, or set by an administrator). Pages redirect to the step that is owed; the API answers with
the reason code.
"""

from django_otp import user_has_device

from duban.org.models import ADMIN_ROLES
from duban.security.passwords import password_expired

OTP_REQUIRED = "otp_required"
PASSWORD_CHANGE_REQUIRED = "password_change_required"
PASSWORD_EXPIRED = "password_expired"


def otp_mandatory(user) -> bool:
    """The three administrators (三员) must use a second factor; they are the ones who reach the back office."""
    return bool(ADMIN_ROLES.intersection(user.roles))


def otp_verified(user) -> bool:
    # django_otp's middleware sets otp_device on request.user; a user object without it is not verified.
    return getattr(user, "otp_device", None) is not None


def otp_needed(user) -> bool:
    """True when this user must pass the second factor before using the session."""
    if otp_verified(user):
        return False
    return otp_mandatory(user) or user_has_device(user, confirmed=True)


def session_refusal(request) -> str | None:
    """Why this authenticated session may not be used yet ("otp_required", "password_change_required",
    "password_expired"), or None. The second factor comes first: nothing, not even a new
    password, is accepted from a session that has not proved it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if otp_needed(user):
        return OTP_REQUIRED
    if user.must_change_password:
        return PASSWORD_CHANGE_REQUIRED
    if password_expired(user):
        return PASSWORD_EXPIRED
    return None
