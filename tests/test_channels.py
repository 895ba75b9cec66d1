"""The delivery channels against local stand-ins for the robots, the SMS gateway and an SMTP server.

Nothing leaves 127.0.0.1: each test gets its own HTTP receiver that records what arrived and answers
as the test tells it, and the signatures are recomputed here from what the receiver saw.
"""

import base64
import hashlib
import hmac
import json
import socket
import socketserver
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core import mail

from duban.escalation.channels import TRANSPORTS, DeliveryError, Message, transport_for

NOTICE = Message(
    key="notice-42-wecom",
    title="【催办】关于推进重点项目开工的事项",
    lines=("承办单位：县发展和改革局", "办理时限：2026年6月5日（剩余2个工作日）", "请于时限前报送办理进展。"),
    link="https://duban.example.gov.cn/tasks/42",
    mobiles=("13800000001", "13900000002"),
)


class Receiver:
    """A local HTTP endpoint that records every POST and answers with `status` and `answer`."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.answer = {"errcode": 0, "errmsg": "ok"}
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urllib.parse.urlsplit(self.path)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                receiver.requests.append(
                    SimpleNamespace(
                        path=parts.path,
                        raw_query=parts.query,
                        query=urllib.parse.parse_qs(parts.query),
                        headers=self.headers,
                        raw=raw,
                        json=body,
                    )
                )
                time.sleep(receiver.delay)
                answer = receiver.answer
                out = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                try:
                    self.send_response(receiver.status)
                    if receiver.status in (301, 302):
                        self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the timeout tests hang up before the slow answer comes

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path="/cgi-bin/webhook/send", query="key=wecom-robot-key"):
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}{path}" + (f"?{query}" if query else "")

    @property
    def only(self):
        assert len(self.requests) == 1
        return self.requests[0]


@pytest.fixture
def receiver(monkeypatch):
    # A proxy from the environment must not carry the test's requests off the machine.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def sms(settings, receiver):
    settings.DUBAN_SMS_URL = receiver.url("/api/sms/send", "")
    receiver.answer = {"result": "OK"}
    return receiver


def deliver(channel, receiver, message=NOTICE, secret=""):
    address = {"sms": "13800000001"}.get(channel) or receiver.url()
    return transport_for(channel).send(message, address=address, secret=secret)


def failure(channel, receiver, **kwargs) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        deliver(channel, receiver, **kwargs)
    return info.value


# --- what every HTTP request carries ---------------------------------------------------------------


@pytest.mark.parametrize("channel", ["wecom", "dingtalk", "feishu", "sms"])
def test_it_posts_utf8_json_with_the_idempotency_key(channel, sms):
    if channel == "feishu":
        sms.answer = {"code": 0, "msg": "success", "data": {}}
    elif channel != "sms":
        sms.answer = {"errcode": 0, "errmsg": "ok"}
    deliver(channel, sms)
    got = sms.only
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["Idempotency-Key"] == "notice-42-wecom"
    assert "推进重点项目开工".encode() in got.raw  # UTF-8 on the wire, not \\u escapes
    assert got.json is not None


def test_it_lists_one_transport_per_channel():
    assert sorted(TRANSPORTS) == ["dingtalk", "email", "feishu", "sms", "wecom"]
    assert all(transport.channel == name for name, transport in TRANSPORTS.items())
    assert transport_for("dingtalk") is TRANSPORTS["dingtalk"]


def test_it_refuses_an_unknown_channel_for_good():
    with pytest.raises(DeliveryError) as info:
        transport_for("fax")
    assert info.value.transient is False
    assert "fax" in str(info.value)


# --- 企业微信 ------------------------------------------------------------------------------------


def test_it_sends_wecom_markdown(receiver):
    summary = deliver("wecom", receiver)
    got = receiver.only
    assert summary == "wecom errcode=0"
    assert got.path == "/cgi-bin/webhook/send"
    assert got.query == {"key": ["wecom-robot-key"]}
    assert got.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**【催办】关于推进重点项目开工的事项**\n"
            "承办单位：县发展和改革局\n"
            "办理时限：2026年6月5日（剩余2个工作日）\n"
            "请于时限前报送办理进展。\n"
            "[在督办系统中查看](https://duban.example.gov.cn/tasks/42)"
        },
    }


def test_it_cuts_a_long_wecom_message_on_a_character_boundary(receiver):
    # 300 items of 3-byte characters: ~16 KB, four times what a WeCom markdown message may hold.
    items = tuple(f"{n:03d}. 关于推进第{n}个重点项目开工建设的事项" for n in range(300))
    digest = Message(
        key="digest-7", title="【周报】本周逾期事项", lines=items, link="https://duban.example.gov.cn/d/7"
    )
    deliver("wecom", receiver, message=digest)
    content = receiver.only.json["markdown"]["content"]
    tail = "\n[在督办系统中查看](https://duban.example.gov.cn/d/7)"
    full = "\n".join(("**【周报】本周逾期事项**", *items))
    assert len(content.encode()) <= 4096
    assert content.endswith("……" + tail)
    kept = content.removesuffix("……" + tail)
    assert full.startswith(kept)
    assert "\ufffd" not in content
    # As much as fits: less than one 3-byte character was given up to the boundary.
    assert len(kept.encode()) > 4096 - len(tail.encode()) - len("……".encode()) - 3


def test_it_mentions_mobiles_in_an_urgent_wecom_message_as_text(receiver):
    urgent = Message(**{**NOTICE.__dict__, "urgent": True})
    deliver("wecom", receiver, message=urgent)
    assert receiver.only.json == {
        "msgtype": "text",
        "text": {
            "content": "【催办】关于推进重点项目开工的事项\n"
            "承办单位：县发展和改革局\n"
            "办理时限：2026年6月5日（剩余2个工作日）\n"
            "请于时限前报送办理进展。\n"
            "在督办系统中查看：https://duban.example.gov.cn/tasks/42",
            "mentioned_mobile_list": ["13800000001", "13900000002"],
        },
    }


def test_it_keeps_an_urgent_wecom_text_within_2048_bytes(receiver):
    urgent = Message(
        key="u-1", title="【紧急】逾期", lines=("逾期事项" * 300,), urgent=True, mobiles=("13800000001",)
    )
    deliver("wecom", receiver, message=urgent)
    content = receiver.only.json["text"]["content"]
    assert 2000 < len(content.encode()) <= 2048
    assert content.endswith("……")


def test_it_colours_an_urgent_wecom_markdown_without_mobiles(receiver):
    urgent = Message(key="u-2", title="【紧急】逾期", lines=("一项",), urgent=True)
    deliver("wecom", receiver, message=urgent)
    assert receiver.only.json == {
        "msgtype": "markdown",
        "markdown": {"content": '<font color="warning">【紧急】逾期</font>\n一项'},
    }


# --- 钉钉 ----------------------------------------------------------------------------------------


def test_it_sends_dingtalk_markdown_with_mentions_and_no_signature_without_a_secret(receiver):
    address = receiver.url("/robot/send", "access_token=dd-token")
    summary = transport_for("dingtalk").send(NOTICE, address=address)
    got = receiver.only
    assert summary == "dingtalk errcode=0"
    assert got.query == {"access_token": ["dd-token"]}  # no timestamp, no sign
    assert got.json == {
        "msgtype": "markdown",
        "markdown": {
            "title": "【催办】关于推进重点项目开工的事项",
            "text": "#### 【催办】关于推进重点项目开工的事项\n\n"
            "承办单位：县发展和改革局\n\n"
            "办理时限：2026年6月5日（剩余2个工作日）\n\n"
            "请于时限前报送办理进展。\n\n"
            "[在督办系统中查看](https://duban.example.gov.cn/tasks/42)\n\n"
            "@13800000001 @13900000002",
        },
        "at": {"atMobiles": ["13800000001", "13900000002"], "isAtAll": False},
    }


def test_it_signs_dingtalk_requests_with_the_documented_hmac(receiver):
    secret = "SEC0123456789abcdef+/=test"
    before = int(time.time() * 1000)
    transport_for("dingtalk").send(
        NOTICE, address=receiver.url("/robot/send", "access_token=dd"), secret=secret
    )
    got = receiver.only
    timestamp = got.query["timestamp"][0]
    assert before <= int(timestamp) <= int(time.time() * 1000)  # milliseconds
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    assert got.query["sign"] == [expected]
    assert got.query["access_token"] == ["dd"]
    # URL-encoded as DingTalk documents it: '+', '/' and '=' of base64 do not appear raw.
    assert f"sign={urllib.parse.quote_plus(expected)}" in got.raw_query
    assert "timestamp" not in got.json and "sign" not in got.json


# --- 飞书 ----------------------------------------------------------------------------------------


def test_it_sends_feishu_post_rich_text_without_a_signature_without_a_secret(receiver):
    receiver.answer = {"code": 0, "msg": "success", "data": {}}
    summary = deliver("feishu", receiver)
    assert summary == "feishu code=0"
    assert receiver.only.json == {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "【催办】关于推进重点项目开工的事项",
                    "content": [
                        [{"tag": "text", "text": "承办单位：县发展和改革局"}],
                        [{"tag": "text", "text": "办理时限：2026年6月5日（剩余2个工作日）"}],
                        [{"tag": "text", "text": "请于时限前报送办理进展。"}],
                        [
                            {
                                "tag": "a",
                                "text": "在督办系统中查看",
                                "href": "https://duban.example.gov.cn/tasks/42",
                            }
                        ],
                    ],
                }
            }
        },
    }


def test_it_leaves_out_the_feishu_link_row_without_a_link(receiver):
    receiver.answer = {"code": 0}
    deliver("feishu", receiver, message=Message(key="k", title="标题", lines=("一行",)))
    assert receiver.only.json["content"]["post"]["zh_cn"]["content"] == [[{"tag": "text", "text": "一行"}]]


def test_it_signs_feishu_requests_with_the_documented_hmac(receiver):
    receiver.answer = {"code": 0}
    secret = "feishu-secret-Qx9"
    before = int(time.time())
    deliver("feishu", receiver, secret=secret)
    body = receiver.only.json
    timestamp = body["timestamp"]
    assert isinstance(timestamp, str)
    assert before <= int(timestamp) <= int(time.time())  # seconds
    # Feishu keys the HMAC with the string to sign and signs an empty message.
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    assert body["sign"] == base64.b64encode(digest).decode()
    assert receiver.only.query == {"key": ["wecom-robot-key"]}  # nothing added to the URL


def test_it_accepts_the_older_feishu_status_code(receiver):
    receiver.answer = {"StatusCode": 0, "StatusMessage": "success"}
    assert deliver("feishu", receiver) == "feishu code=0"


def test_it_shortens_a_huge_feishu_digest_by_whole_lines(receiver):
    receiver.answer = {"code": 0}
    items = tuple(f"第{n}项：关于推进重点项目开工建设的事项" for n in range(2000))
    deliver("feishu", receiver, message=Message(key="d", title="周报", lines=items))
    got = receiver.only
    rows = got.json["content"]["post"]["zh_cn"]["content"]
    assert 17_000 < len(got.raw) < 20_000  # as much as fits under Feishu's 20 KB request body limit
    assert [row[0]["text"] for row in rows[:-1]] == list(items[: len(rows) - 1])
    assert rows[-1][0]["text"] == f"……（另有 {2000 - len(rows) + 1} 行未列出，请在督办系统中查看）"


# --- how failures are classified -------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["wecom", "dingtalk", "feishu", "sms"])
@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (404, False), (400, False)]
)
def test_it_classifies_http_failures(channel, status, transient, sms):
    sms.status = status
    sms.answer = b"<html>gateway says no</html>"
    error = failure(channel, sms)
    assert error.transient is transient
    assert f"http {status}" in str(error)


@pytest.mark.parametrize(
    ("channel", "answer", "transient", "code"),
    [
        ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, True, "errcode=45009"),
        ("wecom", {"errcode": -1, "errmsg": "system busy"}, True, "errcode=-1"),
        ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, False, "errcode=93000"),
        ("dingtalk", {"errcode": 130101, "errmsg": "send too fast"}, True, "errcode=130101"),
        ("dingtalk", {"errcode": 310000, "errmsg": "sign not match"}, False, "errcode=310000"),
        ("feishu", {"code": 11232, "msg": "frequency limited"}, True, "code=11232"),
        ("feishu", {"code": 9499, "msg": "Bad Request"}, False, "code=9499"),
        ("feishu", {"code": 19021, "msg": "sign match fail"}, False, "code=19021"),
        ("feishu", {"code": 19024, "msg": "Key Words Not Found"}, False, "code=19024"),
        ("feishu", {"StatusCode": 19021, "StatusMessage": "sign match fail"}, False, "code=19021"),
    ],
)
def test_it_classifies_provider_codes(channel, answer, transient, code, receiver):
    receiver.answer = answer
    error = failure(channel, receiver)
    assert error.transient is transient
    assert str(error).startswith(f"{channel} {code}")


def test_it_lets_a_rate_limit_code_win_over_a_4xx_status(receiver):
    receiver.status = 400
    receiver.answer = {"code": 11232, "msg": "frequency limited"}
    error = failure("feishu", receiver)
    assert error.transient is True
    assert str(error) == "feishu http 400 code=11232: frequency limited"


@pytest.mark.parametrize("channel", ["wecom", "dingtalk", "feishu"])
def test_it_retries_a_robot_answer_that_is_not_json(channel, receiver):
    receiver.answer = b"<html>portal login</html>"
    error = failure(channel, receiver)
    assert error.transient is True
    assert "not JSON" in str(error)


def test_it_retries_when_the_connection_is_refused():
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryError) as info:
        transport_for("wecom").send(NOTICE, address=f"http://127.0.0.1:{port}/send?key=x")
    assert info.value.transient is True
    assert "network error" in str(info.value)


def test_it_retries_when_the_robot_is_too_slow(settings, receiver):
    settings.DUBAN_DELIVERY_TIMEOUT = 0.3
    receiver.delay = 1.0
    started = time.monotonic()
    error = failure("dingtalk", receiver)
    assert error.transient is True
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize(
    "address",
    ["ftp://127.0.0.1/send?key=secret-token", "javascript:alert(1)", "", "127.0.0.1/send", "http:///send"],
)
@pytest.mark.parametrize("channel", ["wecom", "dingtalk", "feishu"])
def test_it_refuses_a_webhook_address_that_is_not_http(channel, address, receiver):
    with pytest.raises(DeliveryError) as info:
        transport_for(channel).send(NOTICE, address=address, secret="s")
    assert info.value.transient is False
    assert "secret-token" not in str(info.value)  # the address's token stays out of the log
    assert receiver.requests == []


def test_it_does_not_follow_a_redirecting_webhook(receiver):
    receiver.status = 302
    error = failure("wecom", receiver)
    assert error.transient is False
    assert len(receiver.requests) == 1


# --- SMS gateway ---------------------------------------------------------------------------------


def test_it_renders_the_sms_template_into_valid_json(settings, sms):
    settings.DUBAN_SMS_HEADERS = {"X-Api-Key": "gw-key-1", "Authorization": "Bearer abc"}
    settings.DUBAN_SMS_BODY = (
        '{"to": "+86{phone}", "content": "{text}", "ref": "{key}", "sign": "【州委督查室】"}'
    )
    tricky = Message(key="sms-9", title='【催办】"引号"与\\反斜杠', lines=("第二行 {key} {phone}",))
    summary = transport_for("sms").send(tricky, address="13800000001")
    got = sms.only
    assert summary == "sms http 200"
    assert got.path == "/api/sms/send"
    assert got.json == {
        "to": "+8613800000001",
        "content": '【催办】"引号"与\\反斜杠\n第二行 {key} {phone}',
        "ref": "sms-9",
        "sign": "【州委督查室】",
    }
    assert got.headers["X-Api-Key"] == "gw-key-1"
    assert got.headers["Authorization"] == "Bearer abc"
    assert got.headers["Idempotency-Key"] == "sms-9"


def test_it_uses_the_default_sms_template(sms):
    transport_for("sms").send(NOTICE, address="+8613800000001")
    assert sms.only.json == {
        "phone": "+8613800000001",
        "text": "\n".join((NOTICE.title, *NOTICE.lines)),
        "key": "notice-42-wecom",
    }


def test_it_caps_the_sms_text(settings, sms):
    settings.DUBAN_SMS_MAX_CHARS = 21
    transport_for("sms").send(NOTICE, address="13800000001")
    text = sms.only.json["text"]
    assert len(text) == 21
    assert text == "【催办】关于推进重点项目开工的事项\n承……"


@pytest.mark.parametrize(
    ("field", "expected", "answer", "outcome"),
    [
        ("result", "OK", {"result": "OK"}, "sms http 200 result=OK"),
        ("data.code", "0", {"data": {"code": 0}}, "sms http 200 data.code=0"),
        ("success", "true", {"success": True}, "sms http 200 success=true"),
        ("result", "OK", {"result": "FAIL", "reason": "黑名单号码"}, False),
        ("data.code", "0", {"data": {"code": 1001}}, False),
        ("result", "OK", {"other": "OK"}, False),
        ("result", "OK", b"OK", True),
    ],
)
def test_it_checks_the_sms_gateway_ok_field(settings, sms, field, expected, answer, outcome):
    settings.DUBAN_SMS_OK_FIELD = field
    settings.DUBAN_SMS_OK_VALUE = expected
    sms.answer = answer
    if isinstance(outcome, str):
        assert transport_for("sms").send(NOTICE, address="13800000001") == outcome
    else:
        error = failure("sms", sms)
        assert error.transient is outcome


def test_it_refuses_sms_without_a_gateway(settings):
    settings.DUBAN_SMS_URL = ""
    with pytest.raises(DeliveryError) as info:
        transport_for("sms").send(NOTICE, address="13800000001")
    assert info.value.transient is False
    assert "sms gateway not configured" in str(info.value)


@pytest.mark.parametrize(
    "address",
    ["138-0000-0001", "１３８００００００01", "", "1380000000a", "13800000001\n", "mail@example.com"],
)
def test_it_refuses_an_sms_address_that_is_not_a_number(address, sms):
    with pytest.raises(DeliveryError) as info:
        transport_for("sms").send(NOTICE, address=address)
    assert info.value.transient is False
    assert sms.requests == []


def test_it_refuses_a_template_that_is_not_json(settings, sms):
    settings.DUBAN_SMS_BODY = "phone={phone}&text={text}"
    error = failure("sms", sms)
    assert error.transient is False
    assert sms.requests == []


# --- e-mail ----------------------------------------------------------------------------------------


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "督办系统 <duban@example.gov.cn>"
    mail.outbox = []
    return mail.outbox


def test_it_sends_an_email_with_a_message_id_from_the_key(outbox):
    summary = transport_for("email").send(NOTICE, address="liaison@fgj.example.gov.cn")
    transport_for("email").send(NOTICE, address="liaison@fgj.example.gov.cn")  # a retry
    assert summary == "email accepted"
    first, retry = outbox
    assert first.subject == "【催办】关于推进重点项目开工的事项"
    assert first.body == (
        "承办单位：县发展和改革局\n"
        "办理时限：2026年6月5日（剩余2个工作日）\n"
        "请于时限前报送办理进展。\n\n"
        "在督办系统中查看：https://duban.example.gov.cn/tasks/42"
    )
    assert first.to == ["liaison@fgj.example.gov.cn"]
    assert first.from_email == "督办系统 <duban@example.gov.cn>"
    assert first.message()["Message-ID"] == "<notice-42-wecom@duban>"
    assert retry.message()["Message-ID"] == first.message()["Message-ID"]
    assert "Importance" not in first.message()


def test_it_marks_an_urgent_email_important(outbox):
    transport_for("email").send(
        Message(key="u-3", title="【紧急】逾期", lines=("一项",), urgent=True), address="a@b.cn"
    )
    sent = outbox[0].message()
    assert sent["Importance"] == "high"
    assert sent["X-Priority"] == "1"


def test_it_hashes_a_key_unfit_for_a_message_id(outbox):
    odd = Message(key="notice:42 <email>", title="标题", lines=())
    transport_for("email").send(odd, address="a@b.cn")
    expected = "<k" + hashlib.sha256(b"notice:42 <email>").hexdigest()[:40] + "@duban>"
    assert outbox[0].message()["Message-ID"] == expected


@pytest.mark.parametrize("address", ["liaison.example.gov.cn", "", "a b@c.cn"])
def test_it_refuses_an_email_address_without_at(address, outbox):
    with pytest.raises(DeliveryError) as info:
        transport_for("email").send(NOTICE, address=address)
    assert info.value.transient is False
    assert outbox == []


class SmtpStandIn:
    """A scripted SMTP server: `replies` maps a verb (MAIL, RCPT, DATA) to its answer, or to DROP."""

    def __init__(self, replies):
        stand_in = self
        self.replies = replies
        self.verbs = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 smtp.example.gov.cn ESMTP\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].decode().upper()
                    stand_in.verbs.append(verb)
                    if verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    if verb == "DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        while self.rfile.readline() not in (b".\r\n", b""):
                            pass
                    reply = stand_in.replies.get(verb, "250 ok")
                    if reply == "DROP":
                        return
                    self.wfile.write(reply.encode() + b"\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.mark.parametrize(
    ("replies", "transient"),
    [
        ({}, None),
        ({"RCPT": "550 5.1.1 mailbox unavailable"}, False),
        ({"RCPT": "451 4.7.1 greylisted, try later"}, True),
        ({"MAIL": "553 5.7.1 sender not allowed"}, False),
        ({"DATA": "554 5.6.0 message refused"}, False),
        ({"DATA": "452 4.3.1 insufficient storage"}, True),
        ({"MAIL": "DROP"}, True),
    ],
)
def test_it_classifies_smtp_answers(settings, replies, transient):
    smtp = SmtpStandIn(replies)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.server.server_address
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        if transient is None:
            assert transport_for("email").send(NOTICE, address="liaison@example.gov.cn") == "email accepted"
            assert smtp.verbs[1:5] == ["MAIL", "RCPT", "DATA", "QUIT"]
        else:
            with pytest.raises(DeliveryError) as info:
                transport_for("email").send(NOTICE, address="liaison@example.gov.cn")
            assert info.value.transient is transient
            code = replies.popitem()[1].split()[0]
            assert code == "DROP" or code in str(info.value)
    finally:
        smtp.server.shutdown()
        smtp.server.server_close()


def test_it_retries_when_the_smtp_server_is_down(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    with pytest.raises(DeliveryError) as info:
        transport_for("email").send(NOTICE, address="liaison@example.gov.cn")
    assert info.value.transient is True
