"""Writes of the sign-in policy: passwords and second-factor devices, each with its audit event."""

from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.core.errors import DomainError
from duban.security.events import security_event

DEVICE_NAME = "动态口令"


@transaction.atomic
def password_change(*, request, user, new_password: str) -> None:
    """The person sets their own password (already validated): the clock restarts, the duty is met."""
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    security_event(request=request, verb="security.password_change", actor=user, outcome="success")


def otp_device_pending(*, user) -> TOTPDevice:
    """The device being enrolled: the same secret on every visit until it is confirmed."""
    if any(True for _ in devices_for_user(user, confirmed=True)):
        raise DomainError("otp_already_enrolled", "您已启用动态口令；如需更换设备，请联系安全管理员。")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def otp_device_confirm(*, request, user, token: str) -> TOTPDevice | None:
    """Confirm the pending device with a code from the authenticator; None when the code is wrong."""
    device = (TOTPDevice.objects.select_for_update()
              .filter(user=user, confirmed=False).order_by("pk").first())
    if device is None or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    security_event(request=request, verb="security.otp_enrol", actor=user, outcome="success",
                   device=device.persistent_id)
    return device


def otp_device_match(*, request, user, token: str):
    """The confirmed device that accepts `token`, or None. Each device throttles its own failures."""
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                security_event(request=request, verb="security.otp_verified", actor=user, outcome="success",
                               device=device.persistent_id)
                return device
    return None
