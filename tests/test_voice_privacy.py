"""The sender of a 群众线索 stays private everywhere but the audited contact read of the triage office.

A clue's whole life runs through the API — sent with a name and phone, sent twice more by the same person
(merged, declined), a fourth time refused for flooding, read and routed by 甲县's office, its sender read once
by that office and refused to the leader, answered (and let go out by the unit head), rated 不满意, answered
again, rated 满意 — with every log
line captured at DEBUG (SQL statements and their parameters included). Then the sender's name and phone, in
every form (tests/api_world.contact_traces), are looked for in the logs, the audit trail, every column of
every table, the 台账 export and a 督查通报. The API's answers are searched by the permission matrix
(tests/test_api_matrix.py, rule vii) for every endpoint and role.
"""

import io
import json
import logging
from dataclasses import dataclass

import pytest
from api_world import contact_traces, readable
from django.db import connection
from docx import Document
from openpyxl import load_workbook
from test_api_clues import ANSWER, NAME, PHONE, Api, Public, approve

from duban.audit.models import Event
from duban.bulletins.services import bulletin_generate
from duban.core.periods import month
from duban.org.models import Role
from duban.org.services import person_create
from duban.supervision.models import Assignment
from duban.voice.models import Clue

# Where the stored forms (the sealed columns, the phone's keyed hash) may be: the clue, and the per-phone
# rate window, which is keyed by that hash.
STORED_IN = {"voice_clue", "voice_ratewindow"}


@dataclass
class Story:
    clue: Clue
    plain: set  # the name and phone in every readable form
    stored: set  # the sealed columns and the keyed hash
    logs: list
    contact: dict  # what the triage office read


def _found(text: str, traces: set) -> list:
    return sorted(t for t in traces if t in text)


@pytest.fixture
def story(cast, frozen, caplog, settings, tmp_path) -> Story:
    settings.MEDIA_ROOT = tmp_path / "media"
    c = cast
    for name in (None, "django", "django.db.backends", "axes"):  # Django's own loggers stop at INFO
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # every SQL statement is logged, with its parameters
    try:
        contact = _lifecycle(c, frozen)
    finally:
        connection.force_debug_cursor = False
    clue = Clue.objects.get(state="closed")
    traces = contact_traces(NAME, PHONE, clue)
    plain = contact_traces(NAME, PHONE)
    logs = [f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records]
    return Story(clue=clue, plain=plain, stored=traces - plain, logs=logs + [caplog.text], contact=contact)


def _lifecycle(c, frozen) -> dict:
    public, office, unit = Public("203.0.113.90"), Api(c.county_supervisor), Api(c.county_drc_liaison)
    created = public.submit(c)
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    again = [public.submit(c, phone="139 1234 5678", description=f"幸福小区路灯的事情，第{n}次反映，还是没人来修。")
             for n in (2, 3)]
    assert [r.status_code for r in again] == [201, 201]
    flood = Public("203.0.113.91").submit(c, phone="+86 139 1234 5678")  # the fourth from one phone in a day
    assert flood.status_code == 429, flood.content

    clues = {x["number"]: x for x in office.get("/clues").json()["items"]}
    first = clues[created.json()["number"]]
    second, third = (clues[r.json()["number"]] for r in again)
    read = office.post(f"/clues/{first['id']}/contact")
    assert read.status_code == 200 and read.json()["name"] == NAME
    assert Api(c.leader).post(f"/clues/{first['id']}/contact").status_code == 403
    assert office.post(f"/clues/{second['id']}/merge",
                       {"version": second["version"], "into_id": first["id"]}).status_code == 200
    assert office.post(f"/clues/{third['id']}/decline",
                       {"version": third["version"], "reason": "同一事项已并案办理。"}).status_code == 200
    forwarded = office.post(f"/clues/{first['id']}/forward", {"version": first["version"],
                                                              "unit_ids": [c.county_drc.pk]}).json()
    a = Assignment.objects.get(task_id=forwarded["task_id"], unit=c.county_drc)
    assert unit.post(f"/assignments/{a.pk}/sign", {"version": a.version}).status_code == 200
    answered = unit.post(f"/clues/{first['id']}/answer", {"version": forwarded["version"], "text": ANSWER})
    assert answered.status_code == 200, answered.content
    approve(c, first["id"])
    assert public.lookup(code).json()["state"] == "answered"
    assert public.rate(code, "unsatisfied", "还是不亮。").json()["state"] == "reopened"
    clue = office.get(f"/clues/{first['id']}").json()
    assert unit.post(f"/clues/{first['id']}/answer", {"version": clue["version"],
                                                      "text": ANSWER + "已再次检修。"}).status_code == 200
    approve(c, first["id"])
    assert public.rate(code, "satisfied", "满意。").json()["state"] == "closed"
    return read.json()


def test_the_triage_office_did_read_the_sender(story):
    """The control for the searches below: the contact is there to be found, and was read once."""
    assert story.contact == {"name": NAME, "phone": PHONE, "phone_masked": "139****5678"}
    assert story.stored and Event.objects.filter(verb="clue.contact_view").count() == 1


def test_no_log_line_holds_the_sender(story):
    sql = [line for line in story.logs if line.startswith("django.db.backends")]
    assert len(sql) > 100, "the SQL was not logged: the search below would prove nothing"
    assert any(_found(line, story.stored) for line in sql), "the SQL parameters were not logged"
    leaks = [(line[:200], _found(line, story.plain)) for line in story.logs if _found(line, story.plain)]
    assert not leaks


def test_no_event_holds_the_sender(story, cast):
    events = list(Event.objects.order_by("seq"))
    assert {"clue.submit", "clue.merge", "clue.decline", "clue.forward", "clue.answer", "clue.rate",
            "clue.contact_view", "security.denied"} <= {e.verb for e in events}
    for event in events:
        text = json.dumps([event.verb, event.object_type, event.payload, event.hash], ensure_ascii=False,
                          default=str)
        assert not _found(text, story.plain | story.stored), (event.seq, event.verb, text[:300])
    # As the auditor reads the trail through the API.
    auditor = person_create(actor=None, username="shenji.admin", full_name="杨审计", unit=cast.prefecture,
                            roles=[Role.AUDITOR], password=None)
    r = Api(auditor).get("/audit/events", limit=200)
    assert r.status_code == 200 and len(r.json()["items"]) >= len(events)
    assert not _found(readable(r.content), story.plain | story.stored)


def test_no_plain_column_of_any_table_holds_the_sender(story):
    """Every column of every table, read through SQL: voice_clue and audit_event among them."""
    tables = connection.introspection.table_names()
    assert {"voice_clue", "audit_event"} <= set(tables)
    rows_seen = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = cursor.fetchall()
            rows_seen[table] = len(rows)
            for row in rows:
                text = " ".join(bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview)
                                else str(v) for v in row)
                assert not _found(text, story.plain), (table, text[:300])
                if table not in STORED_IN:
                    assert not _found(text, story.stored), (table, text[:300])
    assert rows_seen["voice_clue"] == 3 and rows_seen["audit_event"] > 10


def test_no_ledger_export_holds_the_sender(story, cast):
    c = cast
    task_title = story.clue.task.title
    for reader in (c.county_supervisor, c.supervisor, c.county_drc_liaison):
        r = Api(reader).get("/ledger/export")
        assert r.status_code == 200, r.content
        book = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
        cells = "\n".join(str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows()
                          for cell in row if cell.value is not None)
        assert task_title in cells, "the clue's task is not in the 台账: the search would prove nothing"
        assert not _found(cells, story.plain | story.stored), reader


def test_no_bulletin_holds_the_sender(story, cast):
    c = cast
    bulletin = bulletin_generate(actor=c.county_supervisor, scope_unit=c.county, period=month(2026, 6),
                                 formats=("docx",))
    with bulletin.docx.open("rb") as f:
        data = f.read()
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    text = "\n".join(parts)
    assert "甲县" in text, "an empty bulletin would prove nothing"
    assert not _found(text, story.plain | story.stored)
    assert not _found(readable(data), story.plain | story.stored)  # every part of the file, as XML


# ---- one sender's words never reach another sender ----------------------------------------------------

FIRST_SENDER = "李秀英"
FIRST_PHONE = "13900001111"
COMMENT = f"我是5栋302的{FIRST_SENDER}，电话{FIRST_PHONE}，路灯换了还是不亮，晚上请来看看。"


def _track_page(code: str, address: str) -> str:
    from django.test import Client

    browser = Client(REMOTE_ADDR=address)
    assert browser.post("/voice/track", {"code": code}).status_code == 302
    return browser.get("/voice/status").content.decode()


def test_the_sender_of_a_merged_clue_reads_the_handling_never_the_first_senders_rating(cast, frozen, settings,
                                                                                       tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DUBAN_UNIT_APPROVAL = False
    c = cast
    public, office, unit = Public("203.0.113.120"), Api(c.county_supervisor), Api(c.county_drc_liaison)
    first = Clue.objects.get(code=public.submit(c, name=FIRST_SENDER, phone=FIRST_PHONE).json()["code"])
    second = Clue.objects.get(code=Public("203.0.113.121").submit(c, name="", phone="").json()["code"])
    assert office.post(f"/clues/{second.pk}/merge", {"version": second.version, "into_id": first.pk}).status_code == 200
    forwarded = office.post(f"/clues/{first.pk}/forward", {"version": first.version,
                                                           "unit_ids": [c.county_drc.pk]}).json()
    a = Assignment.objects.get(task_id=forwarded["task_id"], unit=c.county_drc)
    unit.post(f"/assignments/{a.pk}/sign", {"version": a.version})
    assert unit.post(f"/clues/{first.pk}/answer", {"version": forwarded["version"], "text": ANSWER}).status_code == 200
    assert public.rate(first.code, "unsatisfied", COMMENT).json()["state"] == "reopened"
    # The first sender reads their own words back; the control for the searches below.
    assert COMMENT in _track_page(first.code, "203.0.113.122")
    assert "您的评价" in _track_page(first.code, "203.0.113.123")

    page = _track_page(second.code, "203.0.113.124")
    looked_up = Public("203.0.113.125").lookup(second.code)
    assert looked_up.status_code == 200
    for shown in (page, readable(looked_up.content)):
        for trace in (COMMENT, FIRST_SENDER, FIRST_PHONE, "不满意", "还是不亮"):
            assert trace not in shown, trace
    assert "合并办理事项的答复" in page and ANSWER in page and "您的评价" not in page and "重办中" in page
    view = looked_up.json()
    assert view["ratings"] == [] and view["merged_into"]["state"] == "reopened"
    assert [r["text"] for r in view["merged_into"]["replies"]] == [ANSWER]


def test_an_answer_waiting_for_the_unit_head_reaches_no_public_door(cast, frozen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DUBAN_UNIT_APPROVAL = True
    c = cast
    public, office, unit = Public("203.0.113.130"), Api(c.county_supervisor), Api(c.county_drc_liaison)
    first = Clue.objects.get(code=public.submit(c, phone="").json()["code"])
    second = Clue.objects.get(code=Public("203.0.113.131").submit(c, phone="").json()["code"])
    office.post(f"/clues/{second.pk}/merge", {"version": second.version, "into_id": first.pk})
    forwarded = office.post(f"/clues/{first.pk}/forward", {"version": first.version,
                                                           "unit_ids": [c.county_drc.pk]}).json()
    a = Assignment.objects.get(task_id=forwarded["task_id"], unit=c.county_drc)
    unit.post(f"/assignments/{a.pk}/sign", {"version": a.version})
    staff = unit.post(f"/clues/{first.pk}/answer", {"version": forwarded["version"], "text": ANSWER}).json()
    assert staff["state"] == "forwarded" and [r["published"] for r in staff["replies"]] == [False]

    for code, address in ((first.code, "203.0.113.132"), (second.code, "203.0.113.133")):
        assert ANSWER not in _track_page(code, address)
        assert ANSWER not in readable(Public(address).lookup(code).content)
    assert Public("203.0.113.134").lookup(first.code).json()["replies"] == []

    report = Clue.objects.get(pk=first.pk).replies.get().report
    head = Api(c.county_drc_head)
    assert head.post(f"/reports/{report.pk}/unit-review", {"approve": True}).status_code == 200
    view = Public("203.0.113.135").lookup(first.code).json()
    assert view["state"] == "answered" and [r["text"] for r in view["replies"]] == [ANSWER]
    assert [r["text"] for r in Public("203.0.113.136").lookup(second.code).json()["merged_into"]["replies"]] == [ANSWER]
    assert [r["published"] for r in office.get(f"/clues/{first.pk}").json()["replies"]] == [True]
