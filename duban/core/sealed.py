"""Sealed fields: personal data stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256), and keyed hashes
that let rows be matched on such data without storing it.

The key is DUBAN_FIELD_KEY (any long random string; set it in production, apart from DUBAN_SECRET_KEY, and keep
it out of database backups). Older keys go on in DUBAN_FIELD_KEYS_OLD, so that rows sealed before a rotation
still open; new rows are sealed with the current key."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"duban-sealed-v1", info=purpose).derive(
        secret.encode())


@cache
def _fernet() -> MultiFernet:
    secrets = [settings.DUBAN_FIELD_KEY, *settings.DUBAN_FIELD_KEYS_OLD]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(s, b"fernet"))) for s in secrets])


@cache
def _hash_key() -> bytes:
    return _derive(settings.DUBAN_FIELD_KEY, b"keyed-hash")


def seal(text: str) -> str:
    """The text encrypted (a random IV each time), or "" for no text."""
    if not text:
        return ""
    return _fernet().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        # A row sealed under a key that is no longer configured: say so rather than fail the page.
        return "（无法解密：密钥已更换）"


def keyed_hash(purpose: str, value: str) -> str:
    """A stable pseudonym for `value` (an address, a phone number): equal inputs match, the input is not kept."""
    return hmac.new(_hash_key(), f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****1234: the first three and last four digits of a mobile number."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)
