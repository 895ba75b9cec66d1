"""Delivery channels for notices: e-mail, the WeCom / DingTalk / Feishu group robots, and an SMS gateway.

A transport delivers one `Message` once. It returns a short summary for the attempt log, or raises
`DeliveryError` saying whether trying again later may help. Retries, backoff and bookkeeping belong
to the worker; nothing here touches the database. Settings are read at call time with defaults, so
an office that uses no channel needs no configuration (docs/channels.md).
"""

import base64
import functools
import hashlib
import hmac
import http.client
import json
import re
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

LINK_TEXT = "在督办系统中查看"
ELLIPSIS = "……"
# A robot answers in a few hundred bytes; reading more would only let a bad endpoint stall the worker.
MAX_ANSWER_BYTES = 64 * 1024
# Feishu refuses request bodies over 20 KB; DingTalk states no limit, and a chat window gains nothing
# from a longer digest either. The rest of the body (title, link, JSON) stays well under 2 KB.
ROBOT_LINES_BUDGET = 18_000
WECOM_MARKDOWN_LIMIT = 4096  # bytes of markdown.content (WeCom group robot documentation)
WECOM_TEXT_LIMIT = 2048  # bytes of text.content

# Provider codes that mean "busy or too fast, try later". Every other nonzero code is a refusal that
# a retry would only repeat (bad address, sign mismatch 19021, IP not allowed, keyword missing …).
WECOM_TRANSIENT = frozenset({-1, 45009})  # system busy; api freq out of limit
DINGTALK_TRANSIENT = frozenset({-1, 130101})  # system busy; send too fast
FEISHU_TRANSIENT = frozenset({11232})  # frequency limited

_PHONE = re.compile(r"\+?\d{5,20}", re.ASCII)
_DOT_ATOM = re.compile(r"[A-Za-z0-9_+=-]+(\.[A-Za-z0-9_+=-]+)*")
_SMS_PLACEHOLDER = re.compile(r"\{(phone|text|key)\}")
DEFAULT_SMS_BODY = '{"phone": "{phone}", "text": "{text}", "key": "{key}"}'


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key, stable across retries of the same delivery
    title: str  # one line, e.g. "【催办】关于……的事项"
    lines: tuple[str, ...]  # body lines, plain text (a digest has one per item)
    urgent: bool = False
    link: str = ""  # absolute URL into duban, may be empty
    mobiles: tuple[str, ...] = ()  # phone numbers to @-mention in group robots


class DeliveryError(Exception):
    """One failed delivery. `transient` tells the worker whether a later retry may succeed."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


class Transport:
    channel: str = ""

    def send(self, message: Message, *, address: str, secret: str = "") -> str:
        """Deliver once. Returns a short provider response summary (for the attempt log). Raises DeliveryError."""
        raise NotImplementedError


# --- shared pieces -------------------------------------------------------------------------------


def _timeout() -> float:
    return getattr(settings, "DUBAN_DELIVERY_TIMEOUT", 10)


def _snippet(raw: bytes) -> str:
    return raw[:200].decode("utf-8", errors="replace").replace("\n", " ")


def _fit_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes on a character boundary, ending in an ellipsis when cut."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    room = max(limit - len(ELLIPSIS.encode()), 0)
    # Only the character split by the cut can be invalid: the bytes came from a str.
    return raw[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def _fit_lines(lines: tuple[str, ...], cost: Callable[[str], int]) -> list[str]:
    """As many whole lines as fit in ROBOT_LINES_BUDGET bytes of JSON, then one saying how many were left out."""
    kept, used = [], 0
    for line in lines:
        used += cost(line)
        if used > ROBOT_LINES_BUDGET:
            left_out = len(lines) - len(kept)
            return [*kept, f"{ELLIPSIS}（另有 {left_out} 行未列出，请在督办系统中查看）"]
        kept.append(line)
    return kept


def _json_bytes(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def _check_url(url: str, what: str) -> None:
    # The address is never put in the error: a robot's URL carries its access token.
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        scheme = parts.scheme if parts else "?"
        raise DeliveryError(f"{what} is not an http(s) URL (scheme {scheme!r})", transient=False)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A webhook that redirects is misconfigured, and urllib would turn the POST into a bodiless GET.
    def redirect_request(self, *args, **kwargs):
        return None


@functools.lru_cache(maxsize=8)
def _opener(proxies: tuple) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler(dict(proxies)), _NoRedirect)


def _post(url: str, body: bytes, *, key: str, headers: dict | None = None) -> tuple[int, bytes]:
    """POST once; the HTTP status and the start of the answer. Only network failures raise."""
    if not key or not key.isascii() or not key.isprintable():
        raise DeliveryError("idempotency key must be non-empty printable ASCII", transient=False)
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    # Receivers that know the header drop a retried duplicate with it; robots ignore it.
    request.add_header("Idempotency-Key", key)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    # Proxy settings (HTTPS_PROXY, NO_PROXY) are read as they are now; the opener is built once per setting.
    opener = _opener(tuple(sorted(urllib.request.getproxies().items())))
    try:
        with opener.open(request, timeout=_timeout()) as response:
            return response.status, response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        try:
            answer = exc.read(MAX_ANSWER_BYTES)
        except (OSError, http.client.HTTPException):
            answer = b""
        return exc.code, answer
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, DNS, TLS, timeouts
        raise DeliveryError(f"network error: {getattr(exc, 'reason', exc)}", transient=True) from exc


def _post_json(url: str, payload: dict, *, key: str) -> tuple[int, bytes]:
    return _post(url, json.dumps(payload, ensure_ascii=False).encode(), key=key)


def _http_transient(status: int) -> bool:
    # 5xx and 429 say "not now"; any other refusal would be repeated on every retry.
    return status >= 500 or status == 429


def _hmac_b64(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


# --- the channels --------------------------------------------------------------------------------


class _Robot(Transport):
    """What the three group robots share: how their JSON answer is read and judged."""

    label = "errcode"
    transient_codes: frozenset[int] = frozenset()

    @staticmethod
    def read_code(answer: dict) -> tuple[object, object]:
        return answer.get("errcode"), answer.get("errmsg")

    def verdict(self, status: int, body: bytes) -> str:
        channel, label = self.channel, self.label
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        code, text = self.read_code(answer) if isinstance(answer, dict) else (None, None)
        retry_code = isinstance(code, int) and code in self.transient_codes
        if not 200 <= status < 300:
            said = f"{label}={code}: {text}" if code is not None else _snippet(body)
            # A rate-limit code is more specific than the status it came with.
            raise DeliveryError(
                f"{channel} http {status} {said}", transient=_http_transient(status) or retry_code
            )
        if not isinstance(answer, dict):
            # A 2xx page that is not the robot's JSON comes from a proxy or gateway in between.
            raise DeliveryError(
                f"{channel} http {status} answer is not JSON: {_snippet(body)}", transient=True
            )
        if code == 0:
            return f"{channel} {label}=0"
        if code is None:
            raise DeliveryError(
                f"{channel} http {status} answer has no {label}: {_snippet(body)}", transient=True
            )
        raise DeliveryError(f"{channel} {label}={code}: {text}", transient=retry_code)


class WecomTransport(_Robot):
    channel = "wecom"
    transient_codes = WECOM_TRANSIENT

    def send(self, message: Message, *, address: str, secret: str = "") -> str:
        _check_url(address, "wecom webhook address")
        if message.urgent and message.mobiles:
            # Markdown cannot mention by mobile number: an urgent notice trades formatting for the mention.
            tail = f"\n{LINK_TEXT}：{message.link}" if message.link else ""
            head = "\n".join((message.title, *message.lines))
            content = _fit_bytes(head, WECOM_TEXT_LIMIT - len(tail.encode())) + tail
            payload = {
                "msgtype": "text",
                "text": {"content": content, "mentioned_mobile_list": list(message.mobiles)},
            }
        else:
            title = (
                f'<font color="warning">{message.title}</font>' if message.urgent else f"**{message.title}**"
            )
            # The link is kept whole and last, so a long digest still opens in duban.
            tail = f"\n[{LINK_TEXT}]({message.link})" if message.link else ""
            head = "\n".join((title, *message.lines))
            content = _fit_bytes(head, WECOM_MARKDOWN_LIMIT - len(tail.encode())) + tail
            payload = {"msgtype": "markdown", "markdown": {"content": content}}
        status, body = _post_json(address, payload, key=message.key)
        return self.verdict(status, body)


class DingtalkTransport(_Robot):
    channel = "dingtalk"
    transient_codes = DINGTALK_TRANSIENT

    def send(self, message: Message, *, address: str, secret: str = "") -> str:
        _check_url(address, "dingtalk webhook address")
        # DingTalk markdown joins single newlines into one paragraph; a blank line breaks the line.
        parts = [f"#### {message.title}", *_fit_lines(message.lines, lambda line: _json_bytes(line + "\n\n"))]
        if message.link:
            parts.append(f"[{LINK_TEXT}]({message.link})")
        if message.mobiles:
            # atMobiles notifies; the "@mobile" text is what shows the mention in the message.
            parts.append(" ".join(f"@{mobile}" for mobile in message.mobiles))
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": "\n\n".join(parts)},
            "at": {"atMobiles": list(message.mobiles), "isAtAll": False},
        }
        url = address
        if secret:
            timestamp = str(int(time.time() * 1000))
            sign = _hmac_b64(secret.encode(), f"{timestamp}\n{secret}".encode())
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
                {"timestamp": timestamp, "sign": sign}
            )
        status, body = _post_json(url, payload, key=message.key)
        return self.verdict(status, body)


class FeishuTransport(_Robot):
    channel = "feishu"
    label = "code"
    transient_codes = FEISHU_TRANSIENT

    @staticmethod
    def read_code(answer: dict) -> tuple[object, object]:
        # Older Feishu answers carry only StatusCode / StatusMessage.
        return answer.get("code", answer.get("StatusCode")), answer.get("msg", answer.get("StatusMessage"))

    def send(self, message: Message, *, address: str, secret: str = "") -> str:
        _check_url(address, "feishu webhook address")
        # Custom robots can mention only by Feishu user id, not by mobile: `mobiles` is not used here.
        rows: list[list[dict]] = [
            [{"tag": "text", "text": line}] for line in _fit_lines(message.lines, self._row_cost)
        ]
        if message.link:
            rows.append([{"tag": "a", "text": LINK_TEXT, "href": message.link}])
        payload: dict = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": message.title, "content": rows}}},
        }
        if secret:
            timestamp = str(int(time.time()))
            # Feishu keys the HMAC with the string to sign and signs nothing, unlike DingTalk.
            payload["timestamp"] = timestamp
            payload["sign"] = _hmac_b64(f"{timestamp}\n{secret}".encode(), b"")
        status, body = _post_json(address, payload, key=message.key)
        return self.verdict(status, body)

    @staticmethod
    def _row_cost(line: str) -> int:
        return _json_bytes([{"tag": "text", "text": line}]) + 2  # the row and the ", " after it


class SmsTransport(Transport):
    """A generic HTTP gateway: the office describes its gateway's request and success answer in settings."""

    channel = "sms"

    def send(self, message: Message, *, address: str, secret: str = "") -> str:
        url = getattr(settings, "DUBAN_SMS_URL", "")
        if not url:
            raise DeliveryError("sms gateway not configured (DUBAN_SMS_URL is empty)", transient=False)
        _check_url(url, "DUBAN_SMS_URL")
        if not _PHONE.fullmatch(address):
            raise DeliveryError(f"sms address is not a mobile number: {address[:30]!r}", transient=False)
        values = {"phone": address, "text": self._text(message), "key": message.key}
        template = getattr(settings, "DUBAN_SMS_BODY", DEFAULT_SMS_BODY)
        # One pass, so a "{key}" inside the text is not substituted again; [1:-1] drops json's quotes.
        body = _SMS_PLACEHOLDER.sub(lambda m: json.dumps(values[m[1]], ensure_ascii=False)[1:-1], template)
        try:
            json.loads(body)
        except ValueError as exc:
            raise DeliveryError(f"DUBAN_SMS_BODY does not render to JSON: {exc}", transient=False) from exc
        headers = getattr(settings, "DUBAN_SMS_HEADERS", {})
        status, answer = _post(url, body.encode(), key=message.key, headers=headers)
        if not 200 <= status < 300:
            raise DeliveryError(f"sms http {status}: {_snippet(answer)}", transient=_http_transient(status))
        field = getattr(settings, "DUBAN_SMS_OK_FIELD", "")
        if not field:
            return f"sms http {status}"
        expected = str(getattr(settings, "DUBAN_SMS_OK_VALUE", ""))
        try:
            value = json.loads(answer)
        except ValueError:
            raise DeliveryError(
                f"sms http {status} answer is not JSON: {_snippet(answer)}", transient=True
            ) from None
        for part in field.split("."):  # "result.code" reaches into a nested object
            value = value.get(part) if isinstance(value, dict) else None
        # Compare as the gateway wrote it: 0 as "0", true as "true", a string as itself.
        got = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if got != expected:
            # The gateway refused in its own words; retrying would most likely be refused the same way.
            raise DeliveryError(
                f"sms {field}={got} (expected {expected}): {_snippet(answer)}", transient=False
            )
        return f"sms http {status} {field}={got}"

    @staticmethod
    def _text(message: Message) -> str:
        cap = getattr(settings, "DUBAN_SMS_MAX_CHARS", 300)
        text = "\n".join((message.title, *message.lines))
        return text if len(text) <= cap else text[: max(cap - len(ELLIPSIS), 0)] + ELLIPSIS


class EmailTransport(Transport):
    channel = "email"

    def send(self, message: Message, *, address: str, secret: str = "") -> str:
        if "@" not in address or any(c.isspace() for c in address):
            raise DeliveryError(f"email address is not valid: {address[:80]!r}", transient=False)
        body = "\n".join(message.lines)
        if message.link:
            body += f"\n\n{LINK_TEXT}：{message.link}"
        # The same key gives the same Message-ID, so a mail system can recognise a retried duplicate.
        headers = {"Message-ID": _message_id(message.key)}
        if message.urgent:
            headers.update({"Importance": "high", "X-Priority": "1"})
        # Without a timeout a stalled SMTP server would hold the worker indefinitely.
        connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or _timeout())
        email = EmailMessage(
            subject=" ".join(message.title.splitlines()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers=headers,
            connection=connection,
        )
        try:
            sent = email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryError(
                f"smtp recipient refused: {codes}", transient=min(codes, default=0) < 500
            ) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth, helo
            text = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            raise DeliveryError(f"smtp {exc.smtp_code}: {text}", transient=exc.smtp_code < 500) from exc
        except OSError as exc:  # disconnected, refused, timed out (SMTPException is an OSError)
            raise DeliveryError(f"smtp error: {exc!r}", transient=True) from exc
        except ValueError as exc:  # a header Django will not write: retrying cannot fix it
            raise DeliveryError(f"email not built: {exc}", transient=False) from exc
        if sent != 1:
            raise DeliveryError("email backend accepted no message", transient=True)
        return "email accepted"


def _message_id(key: str) -> str:
    # A key that is not a valid Message-ID left part is hashed: still deterministic, always well-formed.
    local = key if _DOT_ATOM.fullmatch(key) else "k" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{local}@duban>"


TRANSPORTS: dict[str, Transport] = {
    transport.channel: transport
    for transport in (
        EmailTransport(),
        WecomTransport(),
        DingtalkTransport(),
        FeishuTransport(),
        SmsTransport(),
    )
}


def transport_for(channel: str) -> Transport:
    try:
        return TRANSPORTS[channel]
    except KeyError:
        raise DeliveryError(f"unknown delivery channel {channel!r}", transient=False) from None
