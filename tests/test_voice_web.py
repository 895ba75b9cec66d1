"""群众线索 through the pages: the public portal (send, challenge, honeypot, flood, track by code, rate) and the
office's pages (queue, clue page, routing, the sender's contact, the unit's answer), tried by every role."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from duban.audit.models import Event
from duban.supervision import services as s
from duban.supervision.models import Assignment, ReportState, Task, TaskState
from duban.voice import suggest
from duban.voice.models import Clue, CluePhoto, ClueReply, ClueState
from duban.voice.selectors import clue_list_for
from duban.voice.services import (
    clue_answer,
    clue_attach,
    clue_decline,
    clue_forward,
    clue_merge,
    clue_rate,
    clue_submit,
)
from duban.voice.store import Match
from duban.web.views import clues as clue_views
from duban.web.views import voice_public

pytestmark = pytest.mark.django_db

NAME = "欧阳举报"
PHONE = "13987654321"
STORY = "甲县城关镇幸福小区5栋门前的路灯坏了三个月，晚上一片漆黑，老人孩子出行很不安全，多次反映没人管。"
ANSWER = "经核实，幸福小区5栋门前路灯线路老化，城关镇已于6月3日更换线路和灯具，现已恢复照明。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _jpeg_with_gps() -> bytes:
    """A phone's photo: EXIF with the maker and where it was taken."""
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (26.0, 34.0, 12.5), 3: "E", 4: (106.0, 42.0, 7.25)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    content = out.getvalue()
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)  # the GPS position is there to strip
    return content


def _challenge(html: str) -> dict[str, str]:
    a, b = re.search(r"验证题：(\d+) 加 (\d+) 等于几", html).groups()
    token = re.search(r'name="challenge_token" value="([^"]+)"', html).group(1)
    return {"challenge_token": token, "challenge_answer": str(int(a) + int(b))}


def _form(c, **fields) -> dict:
    data = {"category": "housing", "place": str(c.township.pk), "place_text": "幸福小区5栋", "description": STORY,
            "name": "", "phone": "", "website": ""}
    data.update(fields)
    return data


def _send(client, c, **fields):
    """Open the form, answer its challenge, post it."""
    page = client.get("/voice/new")
    assert page.status_code == 200
    data = _form(c, **fields)
    data.update({k: v for k, v in _challenge(page.content.decode()).items() if k not in fields})
    return client.post("/voice/new", data)


def _service_clue(c, address="10.9.0.1", **kw):
    fields = dict(category="housing", description=STORY, place_unit_id=c.township.pk, place_text="幸福小区5栋",
                  name=NAME, phone=PHONE, address=address)
    fields.update(kw)
    return clue_submit(**fields)


def _forwarded(c, clue):
    return clue_forward(actor=c.county_supervisor, clue=clue, unit_ids=[c.county_drc.pk])


def _drafted(c, clue, text=ANSWER) -> ClueReply:
    """The liaison signs and writes the answer: with 二级审核 it waits for the unit head."""
    a = Assignment.objects.get(task=clue.task, unit=c.county_drc)
    if a.state == "pending":
        s.assignment_sign(actor=c.county_drc_liaison, assignment=a)
    return clue_answer(actor=c.county_drc_liaison, clue=Clue.objects.get(pk=clue.pk), text=text)


def _answered(c, clue, text=ANSWER):
    """…and the unit head lets it go out: the sender reads it now."""
    reply = _drafted(c, clue, text)
    if reply.report is not None and reply.report.state == ReportState.UNIT_REVIEW:
        s.report_unit_approve(actor=c.county_drc_head, report=reply.report, approve=True)
    return Clue.objects.get(pk=clue.pk)


def _tracking(code: str, address="10.8.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/voice/track", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/voice/status"
    return client


# ---- the portal -------------------------------------------------------------------------------------


def test_the_portal_needs_no_login_and_loads_nothing_inline(client, cast):
    for url in ("/voice/", "/voice/new", "/voice/track"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script" not in html and "style=" not in html and "<style" not in html
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    landing = client.get("/voice/").content.decode()
    assert "我要反映" in landing and "查询进度" in landing
    form = client.get("/voice/new").content.decode()
    assert "仅受理督查室可见，依法保护反映人" in form
    assert 'accept="image/*"' in form and "multiple" in form
    assert "<optgroup label=\"甲县\">" in form  # places grouped by county


def test_it_takes_a_clue_with_a_photo_and_strips_where_it_was_taken(cast, frozen):
    c = cast
    client = Client(REMOTE_ADDR="10.0.0.7")
    photo = SimpleUploadedFile("IMG_0001.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    response = _send(client, c, name=NAME, phone=PHONE, photos=[photo])
    assert response.status_code == 302 and response["Location"] == "/voice/done"
    clue = Clue.objects.get()
    assert clue.code not in response["Location"]
    done = client.get("/voice/done").content.decode()
    assert clue.code in done and "请牢记查询码" in done and "/voice/status" in done
    assert (clue.category, clue.place_unit, clue.place_text, clue.description) == (
        "housing", c.township, "幸福小区5栋", STORY)
    assert clue.has_contact

    stored = CluePhoto.objects.get(clue=clue)
    content = stored.file.read()
    assert b"Exif" not in content and b"PhoneMaker" not in content
    assert not Image.open(io.BytesIO(content)).getexif()

    status = client.get("/voice/status")
    html = status.content.decode()
    assert status.status_code == 200 and STORY in html and "已受理" in html
    assert NAME not in html and PHONE not in html
    served = client.get(f"/voice/photo/{stored.pk}")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == content
    assert Client().get(f"/voice/photo/{stored.pk}").status_code == 404  # another browser, no code


def test_errors_are_said_beside_the_fields(client, cast):
    response = _send(client, cast, category="", description="路灯坏了", place="", place_text="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择问题类别。" in html and "问题描述太短" in html
    response = _send(client, cast, phone="12345")
    assert response.status_code == 400 and "请填写正确的手机号码或固定电话" in response.content.decode()
    response = _send(client, cast, place="", place_text="")
    assert "请选择所在地区，或填写具体地点。" in response.content.decode()
    assert not Clue.objects.exists()


def test_the_challenge_must_be_answered_right_and_only_once(client, cast):
    c = cast
    page = client.get("/voice/new").content.decode()
    solved = _challenge(page)
    wrong = _send(client, c, challenge_token=solved["challenge_token"],
                  challenge_answer=str(int(solved["challenge_answer"]) + 1))
    assert wrong.status_code == 400 and "验证题答案不正确" in wrong.content.decode()
    assert _challenge(wrong.content.decode())["challenge_token"] != solved["challenge_token"]  # a new one
    assert _send(client, c, **solved).status_code == 302
    again = _send(client, c, **solved)
    assert again.status_code == 400 and "验证题已使用过" in again.content.decode()
    forged = _send(client, c, challenge_token=solved["challenge_token"][:-3] + "abc",
                   challenge_answer=solved["challenge_answer"])
    assert "验证题无效" in forged.content.decode()
    assert Clue.objects.count() == 1


def test_a_filled_honeypot_is_refused(client, cast):
    response = _send(client, cast, website="http://spam.example")
    assert response.status_code == 400 and "提交未成功" in response.content.decode()
    assert not Clue.objects.exists()


def test_a_flood_from_one_address_gets_429_while_another_address_still_sends(cast, settings):
    settings.DUBAN_CLUE_LIMIT_PER_ADDRESS = 2
    flood = Client(REMOTE_ADDR="10.66.0.1")
    assert [_send(flood, cast).status_code for _ in range(2)] == [302, 302]
    refused = _send(flood, cast)
    assert refused.status_code == 429
    assert "提交过于频繁" in refused.content.decode() and "12345" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert _send(Client(REMOTE_ADDR="10.66.0.2"), cast).status_code == 302
    assert Clue.objects.count() == 3


def test_tracking_by_code_keeps_the_code_out_of_every_url(cast, settings):
    c = cast
    clue = _service_clue(c)
    client = _tracking(clue.code.lower().replace("-", " "))
    html = client.get("/voice/status").content.decode()
    assert STORY in html and "甲县城关镇" in html and "已受理" in html
    assert NAME not in html and PHONE not in html and "查看联系方式" not in html
    assert clue.code not in html  # the page is reached by the session, and does not repeat the key

    stranger = Client(REMOTE_ADDR="10.8.0.2")
    assert stranger.get("/voice/status")["Location"] == "/voice/track"
    wrong = stranger.post("/voice/track", {"code": "ABCD-EFGH-JKMN"})
    assert wrong.status_code == 400 and "查询码不正确" in wrong.content.decode()
    settings.DUBAN_CLUE_LOOKUPS_PER_ADDRESS = 2
    stranger.post("/voice/track", {"code": "ABCD-EFGH-JKMP"})
    limited = stranger.post("/voice/track", {"code": clue.code})
    assert limited.status_code == 429 and "查询过于频繁" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0

    left = client.post("/voice/leave")
    assert left.status_code == 302 and client.get("/voice/status")["Location"] == "/voice/track"


def test_the_sender_reads_the_answer_rates_it_and_the_clue_reopens_then_closes(cast, frozen, settings):
    c = cast
    clue = _answered(c, _forwarded(c, _service_clue(c)))
    client = _tracking(clue.code)
    html = client.get("/voice/status").content.decode()
    assert ANSWER in html and "甲县发展和改革局" in html and "评价答复" in html
    assert 'aria-current="step"' in html and "<span class=\"step-label\">评价</span>" in html

    bare = client.post("/voice/status", {"rating": "unsatisfied", "comment": ""})
    assert bare.status_code == 400 and "请说明不满意的原因" in bare.content.decode()
    response = client.post("/voice/status", {"rating": "unsatisfied", "comment": "路灯换了但还是不亮。"})
    assert response.status_code == 302
    clue = Clue.objects.get(pk=clue.pk)
    assert (clue.state, clue.round) == (ClueState.REOPENED, 2)
    html = client.get("/voice/status").content.decode()
    assert "重办" in html and "评价答复" not in html and "不满意" in html

    _answered(c, clue, ANSWER + "6月5日再次检修，已连续三晚正常亮灯。")
    assert client.post("/voice/status", {"rating": "satisfied"}).status_code == 302
    html = client.get("/voice/status").content.decode()
    assert Clue.objects.get(pk=clue.pk).state == ClueState.CLOSED
    assert "已办结" in html and 'aria-current="step"' not in html and "评价答复" not in html
    assert client.post("/voice/status", {"rating": "satisfied"}).status_code == 400  # once only


def test_a_merged_clue_shows_the_one_it_joined_and_a_declined_one_its_reason(cast, frozen):
    c = cast
    first = _answered(c, _forwarded(c, _service_clue(c, address="10.9.1.1")))
    second = clue_merge(actor=c.county_supervisor, clue=_service_clue(c, address="10.9.1.2", name="", phone=""),
                        into=first)
    html = _tracking(second.code).get("/voice/status").content.decode()
    assert "合并办理" in html and ANSWER in html and "评价答复" not in html
    third = clue_decline(actor=c.county_supervisor, clue=_service_clue(c, address="10.9.1.3"),
                         reason="反映事项已由法院判决，不属于督查范围。")
    html = _tracking(third.code, "10.8.0.9").get("/voice/status").content.decode()
    assert "不予受理" in html and "已由法院判决" in html


# ---- the office's pages -----------------------------------------------------------------------------


def _bodies(client, urls) -> list[tuple[str, int, str]]:
    out = []
    for method, url in urls:
        response = client.post(url) if method == "POST" else client.get(url)
        body = (b"".join(response.streaming_content) if response.streaming else response.content)
        out.append((url, response.status_code, body.decode("utf-8", "replace")))
    return out


def test_only_the_triage_office_sees_who_sent_it(client, cast, frozen):
    c = cast
    clue = _service_clue(c, photos=[("p.jpg", _jpeg_with_gps())])
    photo = CluePhoto.objects.get(clue=clue)
    client.force_login(c.county_supervisor)
    page = client.get(f"/clues/{clue.pk}/").content.decode()
    assert "查看联系方式" in page and NAME not in page and PHONE not in page
    shown = client.post(f"/clues/{clue.pk}/contact/").content.decode()
    assert NAME in shown and "139****4321" in shown and PHONE not in shown and "显示完整号码" in shown
    full = client.post(f"/clues/{clue.pk}/contact/", {"full": "1"}).content.decode()
    assert PHONE in full
    reads = Event.objects.filter(verb="clue.contact_view", actor=c.county_supervisor).order_by("seq")
    assert [e.payload["full"] for e in reads] == [False, True]  # the audit says when the whole number was shown
    assert NAME not in client.get(f"/clues/{clue.pk}/").content.decode()  # never kept on the page

    clue = _forwarded(c, clue)
    pages = [("GET", "/clues/"), ("GET", f"/clues/{clue.pk}/"), ("GET", f"/tasks/{clue.task_id}/"),
             ("GET", f"/clues/photos/{photo.pk}/"), ("POST", f"/clues/{clue.pk}/contact/"), ("GET", "/"),
             ("GET", "/tasks/"), ("GET", "/inbox/")]
    for person in (c.leader, c.inspector, c.county_drc_liaison, c.county_drc_head,
                   c.other_supervisor, c.drc_liaison):
        client.force_login(person)
        for url, _code, body in _bodies(client, pages):
            assert NAME not in body and PHONE not in body and "4321" not in body, (person.username, url)
            assert "查看联系方式" not in body and "匿名反映" not in body, (person.username, url)
    client.force_login(c.county_drc_liaison)
    page = client.get(f"/clues/{clue.pk}/")
    assert page.status_code == 200 and STORY in page.content.decode()
    assert client.get(f"/clues/photos/{photo.pk}/").status_code == 200  # the unit sees the problem
    client.force_login(c.other_supervisor)
    assert client.get(f"/clues/{clue.pk}/").status_code == 404
    assert client.get(f"/clues/photos/{photo.pk}/").status_code == 404
    assert client.post(f"/clues/{clue.pk}/contact/").status_code == 404
    assert not Event.objects.filter(verb="clue.contact_view").exclude(actor=c.county_supervisor).exists()


def test_the_queue_shows_open_clues_new_first_in_a_fixed_number_of_queries(client, cast, frozen):
    c = cast
    old = _forwarded(c, _service_clue(c, address="10.7.0.1", name="", phone=""))
    answered = _answered(c, _forwarded(c, _service_clue(c, address="10.7.0.2", name="", phone="")))
    declined = clue_decline(actor=c.county_supervisor, clue=_service_clue(c, address="10.7.0.3", name="", phone=""),
                            reason="不属于督查范围。")
    frozen.shift(dt.timedelta(days=30))
    for i in range(2):
        _service_clue(c, address=f"10.7.1.{i}", name="", phone="")
    client.force_login(c.county_supervisor)

    def count(url="/clues/") -> tuple[int, str]:
        with CaptureQueriesContext(connection) as seen:
            response = client.get(url)
        assert response.status_code == 200
        return len(seen), response.content.decode()

    few, html = count()
    assert html.index("已受理") < html.index("已转办")
    assert "已逾期" in html  # the forwarded one is 30 days old
    # By default the open ones: what was answered or declined waits for nobody here.
    assert f"/clues/{answered.pk}/" not in html and f"/clues/{declined.pk}/" not in html
    assert '<option value="open" selected>' in html
    few_all, every = count("/clues/?state=all")
    assert f"/clues/{answered.pk}/" in every and f"/clues/{declined.pk}/" in every
    for i in range(20):
        _service_clue(c, address=f"10.7.2.{i}", name="", phone="")
    many, html = count()
    assert many == few and many <= 12
    assert count("/clues/?state=all")[0] == few_all == few
    assert client.get("/clues/?state=forwarded").content.decode().count(f"/clues/{old.pk}/") == 1
    assert "请从列表中选择状态" in client.get("/clues/?state=gossip").content.decode()

    client.force_login(c.county_drc_liaison)
    html = client.get("/clues/").content.decode()
    assert f"/clues/{old.pk}/" in html and html.count("<tr>") == 2  # the header and the unit's open clue


def test_the_default_queue_reads_the_open_clues_by_index_not_the_whole_history(cast, frozen):
    """The office's part of the scope reads the clue's own office_id against the subtree's unit ids, not a
    path on the joined unit; with the open states by default, SQLite reads the clues through an index."""
    c = cast
    mine = _service_clue(c, address="10.7.3.1", name="", phone="")
    theirs = _service_clue(c, address="10.7.3.2", name="", phone="", place_unit_id=c.other_county.pk)
    rows = clue_list_for(user=c.county_supervisor, filters={"state": "open"}).order_by(
        clue_views.QUEUE_ORDER, "-submitted_at", "-id")[:20]
    sql, params = rows.query.sql_with_params()
    assert '"voice_clue"."office_id" IN (SELECT' in sql.replace("`", '"')
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
        assert "SCAN voice_clue" not in plan, plan
    seen = set(clue_list_for(user=c.county_supervisor).values_list("pk", flat=True))
    assert mine.pk in seen and theirs.pk not in seen
    assert {mine.pk, theirs.pk} <= set(clue_list_for(user=c.supervisor).values_list("pk", flat=True))


def test_the_office_routes_through_the_page(client, cast, frozen):
    c = cast
    first, second, third, fourth = (_service_clue(c, address=f"10.6.0.{i}", name="", phone="") for i in range(4))
    client.force_login(c.county_supervisor)
    page = client.get(f"/clues/{first.pk}/").content.decode()
    assert "转办到承办单位" in page and "甲县城关镇" in page and 'value="2026-06-15"' in page
    missing = client.post(f"/clues/{first.pk}/do/forward/", {"deadline": "2026-06-15", "version": first.version})
    assert missing.status_code == 400 and "请选择承办单位。" in missing.content.decode()
    done = client.post(f"/clues/{first.pk}/do/forward/", {"units": [c.county_drc.pk], "deadline": "2026-06-15",
                                                           "version": first.version})
    assert done.status_code == 302
    first = Clue.objects.get(pk=first.pk)
    assert first.state == ClueState.FORWARDED and first.task.deadline == dt.date(2026, 6, 15)

    wrong = client.post(f"/clues/{second.pk}/do/merge/", {"into_number": "XS2026-999999"})
    assert wrong.status_code == 400 and "找不到该线索" in wrong.content.decode()
    assert client.post(f"/clues/{second.pk}/do/merge/", {"into_number": first.number.lower()}).status_code == 302
    assert Clue.objects.get(pk=second.pk).merged_into == first
    assert client.post(f"/clues/{third.pk}/do/attach/", {"task_code": first.task.code}).status_code == 302
    assert Clue.objects.get(pk=third.pk).task == first.task
    bare = client.post(f"/clues/{fourth.pk}/do/decline/", {"reason": ""})
    assert bare.status_code == 400 and "请写明不予受理的理由" in bare.content.decode()
    assert client.post(f"/clues/{fourth.pk}/do/decline/", {"reason": "不属于督查范围。"}).status_code == 302
    assert Clue.objects.get(pk=fourth.pk).state == ClueState.DECLINED

    fifth = _service_clue(c, address="10.6.1.1", name="", phone="")
    stale = client.post(f"/clues/{fifth.pk}/do/decline/", {"reason": "不属于督查范围。", "version": 99})
    assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()
    client.force_login(c.leader)
    page = client.get(f"/clues/{fifth.pk}/").content.decode()
    assert "转办到承办单位" not in page and "查看联系方式" not in page
    response = client.post(f"/clues/{fifth.pk}/do/decline/", {"reason": "领导不分办。"})
    assert response.status_code == 302 and Clue.objects.get(pk=fifth.pk).state == ClueState.RECEIVED
    assert client.post(f"/clues/{fifth.pk}/do/gossip/").status_code == 404


def test_the_lead_unit_signs_on_the_task_page_then_answers_on_the_clue_page(client, cast, frozen, settings):
    settings.DUBAN_UNIT_APPROVAL = True
    c = cast
    clue = _forwarded(c, _service_clue(c))
    client.force_login(c.county_drc_liaison)
    page = client.get(f"/clues/{clue.pk}/").content.decode()
    assert "请先在" in page and f"/tasks/{clue.task_id}/" in page and "提交答复" not in page
    s.assignment_sign(actor=c.county_drc_liaison, assignment=Assignment.objects.get(task=clue.task))
    page = client.get(f"/clues/{clue.pk}/").content.decode()
    assert "提交答复" in page and "经单位负责人审核后" in page
    short = client.post(f"/clues/{clue.pk}/do/answer/", {"text": "已处理。"})
    assert short.status_code == 400 and "答复内容太短" in short.content.decode()
    done = client.post(f"/clues/{clue.pk}/do/answer/", {"text": ANSWER}, follow=True).content.decode()
    assert "答复已提交，待单位负责人审核后向群众公开" in done
    clue = Clue.objects.get(pk=clue.pk)
    assert clue.state == ClueState.FORWARDED and clue.replies.get().published_at is None
    # The office page shows the draft as waiting, with its text and unit, and no second form meanwhile.
    for person in (c.county_drc_liaison, c.county_supervisor):
        client.force_login(person)
        page = client.get(f"/clues/{clue.pk}/").content.decode()
        assert "答复已提交，待单位负责人审核后向群众公开" in page and ANSWER in page, person.username
        assert "甲县发展和改革局" in page and "提交答复" not in page, person.username
    # The sender reads nothing of it yet.
    public = _tracking(clue.code).get("/voice/status").content.decode()
    assert ANSWER not in public and "尚未答复" in public and "评价答复" not in public

    s.report_unit_approve(actor=c.county_drc_head, report=clue.replies.get().report, approve=True)
    clue = Clue.objects.get(pk=clue.pk)
    assert clue.state == ClueState.ANSWERED and clue.replies.get().unit == c.county_drc
    client.force_login(c.county_drc_liaison)
    page = client.get(f"/clues/{clue.pk}/").content.decode()
    assert ANSWER in page and "提交答复" not in page and "待单位负责人审核" not in page
    client.force_login(c.county_supervisor)  # the office does not answer for the unit here
    assert "提交答复" not in client.get(f"/clues/{clue.pk}/").content.decode()
    assert ANSWER in _tracking(clue.code, "10.8.0.3").get("/voice/status").content.decode()


def test_the_office_answers_a_clue_whose_task_was_cancelled_or_that_joined_a_larger_task(client, cast, frozen):
    c = cast
    clue = _answered(c, _forwarded(c, _service_clue(c)))
    s.task_cancel(actor=c.county_supervisor, task=Task.objects.get(pk=clue.task_id), reason="职能调整，改由他处办理。")
    clue_rate(clue=Clue.objects.get(pk=clue.pk), rating="unsatisfied", comment="没有人管了。")
    client.force_login(c.county_supervisor)
    page = client.get(f"/clues/{clue.pk}/").content.decode()
    assert "提交答复" in page and "督办事项已撤销" in page
    text = "县督查室已协调城关镇于6月8日前修复路灯，并将回访。请您留意。"
    assert client.post(f"/clues/{clue.pk}/do/answer/", {"text": text}).status_code == 302
    clue = Clue.objects.get(pk=clue.pk)
    assert clue.state == ClueState.ANSWERED and clue.replies.get(round=2).unit == c.county
    assert text in _tracking(clue.code).get("/voice/status").content.decode()

    decision = s.decision_create(actor=c.county_supervisor, kind="plan", title="城乡照明提升",
                                 issued_on=dt.date(2026, 5, 1))
    task = s.task_assign(actor=c.county_supervisor, task=s.task_create(
        actor=c.county_supervisor, decision=decision, title="城关镇路灯整治", lead_unit_ids=[c.county_drc.pk],
        deadline=dt.date(2026, 7, 31)))
    joined = clue_attach(actor=c.county_supervisor, clue=_service_clue(c, address="10.9.2.1"), task=task)
    page = client.get(f"/clues/{joined.pk}/").content.decode()
    assert "提交答复" in page and "照常办理" in page
    client.force_login(c.leader)  # not the triage office
    assert "提交答复" not in client.get(f"/clues/{joined.pk}/").content.decode()
    assert Task.objects.get(pk=task.pk).state != TaskState.CANCELLED


def test_similar_clues_and_tasks_shown_are_those_the_person_may_open(client, cast, frozen, monkeypatch,
                                                                    django_assert_max_num_queries):
    c = cast
    clue = _service_clue(c, address="10.5.0.1", name="", phone="")
    earlier = _service_clue(c, address="10.5.0.2", name="", phone="")
    elsewhere = _service_clue(c, address="10.5.0.3", name="", phone="", place_unit_id=c.other_county.pk)
    decision = s.decision_create(actor=c.county_supervisor, kind="plan", title="城乡照明提升",
                                 issued_on=dt.date(2026, 5, 1))
    ours = s.task_assign(actor=c.county_supervisor, task=s.task_create(
        actor=c.county_supervisor, decision=decision, title="城关镇路灯整治", lead_unit_ids=[c.county_drc.pk],
        deadline=dt.date(2026, 7, 31)))
    matches = [Match("clue", elsewhere.pk, 0.9, "同为路灯"), Match("task", ours.pk, 0.8, "都提到 城关镇、路灯"),
               Match("clue", earlier.pk, 0.7, "都提到 幸福小区5栋"), Match("task", 987654, 0.6, "看不到")]
    monkeypatch.setattr(suggest, "similar_matches", lambda clue, office_ids: matches)
    client.force_login(c.county_supervisor)
    with django_assert_max_num_queries(40):
        html = client.get(f"/clues/{clue.pk}/").content.decode()
    assert earlier.number in html and "都提到 幸福小区5栋" in html and ours.code in html
    assert elsewhere.number not in html and "看不到" not in html
    assert "相似度 0.80" in html
    assert client.post(f"/clues/{clue.pk}/do/attach/", {"task": ours.pk}).status_code == 302
    assert Clue.objects.get(pk=clue.pk).task == ours


def test_the_task_page_can_list_its_clues(client, cast, frozen):
    from django.template.loader import render_to_string

    c = cast
    clue = _forwarded(c, _service_clue(c))
    html = render_to_string("web/clues/_task_clues.html", {"task": Task.objects.get(pk=clue.task_id)})
    assert f"/clues/{clue.pk}/" in html and "待答复群众" in html


class Unreadable:
    """A request body that must not be read: the request is to be refused on its headers alone."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_post_is_counted_before_its_body_is_read_even_by_the_csrf_check(cast, settings):
    settings.DUBAN_CLUE_ATTEMPTS_PER_ADDRESS = 2
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.55.0.1")
    page = browser.get("/voice/new").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    wrong = browser.post("/voice/new", {**_form(cast), "csrfmiddlewaretoken": token, **_challenge(page),
                                        "challenge_answer": "99"})
    assert wrong.status_code == 400 and "验证题答案不正确" in wrong.content.decode()  # a failed attempt: counted
    forged = browser.post("/voice/new", _form(cast))  # no CSRF token: refused, and counted
    assert forged.status_code == 403
    refused = browser.post("/voice/new", content_type="multipart/form-data; boundary=x",
                           **{"wsgi.input": Unreadable(), "CONTENT_LENGTH": "5000000"})
    assert refused.status_code == 429 and "提交过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0 and "no-store" in refused["Cache-Control"]
    assert Client(REMOTE_ADDR="10.55.0.2").get("/voice/new").status_code == 200  # GETs are not counted
    assert not Clue.objects.exists()


def test_a_body_larger_than_any_clue_is_refused_unread(cast, settings):
    limit = settings.DUBAN_PHOTO_MAX_COUNT * settings.DUBAN_PHOTO_MAX_BYTES + 1024 * 1024
    client = Client(REMOTE_ADDR="10.55.1.1")
    refused = client.post("/voice/new", content_type="multipart/form-data; boundary=x",
                          **{"wsgi.input": Unreadable(), "CONTENT_LENGTH": str(limit + 1)})
    html = refused.content.decode()
    assert refused.status_code == 413 and "提交的内容过大" in html and "请压缩后重新提交" in html
    assert _send(client, cast).status_code == 302  # a clue of ordinary size goes through


def test_the_sender_and_the_code_are_kept_out_of_error_reports(cast):
    """If a submission ever fails with a 500, an error report (ADMINS mail, a reporter) shows no contact."""
    from django.test import RequestFactory
    from django.views.debug import SafeExceptionReporterFilter

    factory = RequestFactory(REMOTE_ADDR="10.55.2.1")
    cases = [(voice_public.new, {**_form(cast), "name": NAME, "phone": PHONE}, {"name", "phone"}),
             (voice_public.track, {"code": "ABCD-EFGH-JKMN"}, {"code"})]
    for view, data, hidden in cases:
        request = factory.post("/voice/x", data)
        request.session = {}
        view(request)
        shown = SafeExceptionReporterFilter().get_post_parameters(request)
        for key in hidden:
            assert shown[key] != data[key] and set(shown[key]) == {"*"}, (view.__name__, key)
        assert shown.get("category", "housing") == data.get("category", "housing")
