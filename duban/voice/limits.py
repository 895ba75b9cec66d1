"""Abuse limits of the public portal, with nothing from outside: counted windows in the database and a
challenge a person answers at a glance (no third-party captcha: offices run on intranets).

A window is counted in its own short transaction, before the submission is checked, so that a flood of
rejected submissions is still a flood. Addresses and phone numbers are counted by keyed hash only."""

import datetime as dt
import ipaddress
import secrets

from django.conf import settings
from django.core import signing
from django.db import connection, transaction

from duban.core import clock
from duban.core.errors import DomainError
from duban.core.sealed import keyed_hash
from duban.voice.models import RateWindow

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
CHALLENGE_MAX_AGE = 30 * 60  # seconds a challenge stays answerable
_CHALLENGE_SALT = "duban.voice.challenge"


class RateLimited(DomainError):
    """Too many attempts from one address or one phone: the API answers 429."""

    def __init__(self, message: str, retry_after: int):
        super().__init__("rate_limited", message, {"retry_after": retry_after})
        self.retry_after = retry_after


def _window_start(now: dt.datetime, width: dt.timedelta) -> dt.datetime:
    seconds = int(width.total_seconds())
    stamp = int(now.timestamp())
    return dt.datetime.fromtimestamp(stamp - stamp % seconds, tz=dt.UTC)


def _count(key: str, width: dt.timedelta, start: dt.datetime | None = None) -> tuple[int, int]:
    """Add one to the key's current window (or the window beginning at `start`); the count so far and the
    seconds until the window ends."""
    now = clock.now()
    start = start or _window_start(now, width)
    table = RateWindow._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key, start],
        )
        count = cursor.fetchone()[0]
    return count, max(1, int((start + width - now).total_seconds()) + 1)


def address_key(address: str) -> str:
    """The address as counted: an IPv6 host is counted by its /64, which one subscriber holds whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _wait_text(seconds: int) -> str:
    if seconds >= 3600:
        return f"{(seconds + 3599) // 3600}小时"
    return f"{max(1, (seconds + 59) // 60)}分钟"


def body_limit() -> int:
    """The largest submission worth reading: every photo at its largest, and a megabyte for the text."""
    return settings.DUBAN_PHOTO_MAX_COUNT * settings.DUBAN_PHOTO_MAX_BYTES + 1024 * 1024


def too_large_message() -> str:
    return (f"提交的内容过大：最多上传{settings.DUBAN_PHOTO_MAX_COUNT}张照片，每张不超过"
            f"{settings.DUBAN_PHOTO_MAX_BYTES // (1024 * 1024)}MB，请压缩后重新提交。")


def declared_length(request) -> int:
    """The body's size as the client declares it, read before the body itself."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def admit_attempt(*, address: str) -> None:
    """One more POST of the submission form from this address, counted before its body is read or checked:
    failed attempts cost too, and a client cannot send upload after upload for free."""
    count, left = _count("attempt:" + keyed_hash("address", address_key(address)), HOUR)
    if count > settings.DUBAN_CLUE_ATTEMPTS_PER_ADDRESS:
        raise RateLimited(f"提交过于频繁，请{_wait_text(left)}后再试。如情况紧急，请拨打当地12345热线。", left)


def admit_submission(*, address: str, phone: str = "") -> None:
    """One more clue from this address (and phone): refuse past the hourly and daily limits."""
    count, left = _count("submit:" + keyed_hash("address", address_key(address)), HOUR)
    if count > settings.DUBAN_CLUE_LIMIT_PER_ADDRESS:
        raise RateLimited(f"提交过于频繁，请{_wait_text(left)}后再试。如情况紧急，请拨打当地12345热线。", left)
    if phone:
        count, left = _count("submit-phone:" + keyed_hash("phone", phone), DAY)
        if count > settings.DUBAN_CLUE_LIMIT_PER_PHONE:
            raise RateLimited(f"同一手机号今天已提交{settings.DUBAN_CLUE_LIMIT_PER_PHONE}条线索，请明天再试。", left)


def admit_lookup(*, address: str) -> None:
    """One more look-up by tracking code from this address: codes cannot be guessed by trying."""
    count, left = _count("lookup:" + keyed_hash("address", address_key(address)), HOUR)
    if count > settings.DUBAN_CLUE_LOOKUPS_PER_ADDRESS:
        raise RateLimited(f"查询过于频繁，请{_wait_text(left)}后再试。", left)


def windows_prune(*, before: dt.datetime) -> int:
    """Forget windows that ended long ago (the worker calls this)."""
    return RateWindow.objects.filter(window_start__lt=before).delete()[0]


# ---- the challenge ----


def challenge_new() -> tuple[str, str]:
    """A question (the sum of two small numbers) and a signed token holding its answer and a nonce."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps({"s": a + b, "n": secrets.token_hex(8), "t": int(clock.now().timestamp())},
                          salt=_CHALLENGE_SALT, compress=True)
    return f"{a} 加 {b} 等于几？", token


def challenge_check(token: str, answer: str) -> None:
    """The answer is right, the challenge is fresh, and it was not answered before (each token works once)."""
    try:
        data = signing.loads(token or "", salt=_CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError("challenge_expired", "验证题已过期，请重新作答。") from None
    except signing.BadSignature:
        raise DomainError("challenge_invalid", "验证题无效，请刷新页面后重新作答。") from None
    text = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not text.isdigit() or int(text) != data["s"]:
        raise DomainError("challenge_wrong", "验证题答案不正确，请重新计算。")
    # Counted in one window that begins when the token was made and outlives it: used once, whatever the hour.
    issued = dt.datetime.fromtimestamp(data.get("t", 0), tz=dt.UTC)
    used, _ = _count("challenge:" + data["n"], dt.timedelta(seconds=CHALLENGE_MAX_AGE * 2), start=issued)
    if used > 1:
        raise DomainError("challenge_used", "验证题已使用过，请刷新页面后重新作答。")
