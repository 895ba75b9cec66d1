"""For tests of pages behind the sign-in policy: a session that has passed every step."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def force_login_verified(client, user) -> TOTPDevice:
    """Log `user` in on the test client as if password and second factor had both been given.

    Needed for the administrators (三员) and back-office staff, whose sessions are refused until
    a second factor is verified; harmless for everyone else.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="测试设备", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
