"""智能分解 through the JSON API, as a script would use it: upload a document, read its proposed tasks, settle
them (edit, merge, split, drop) and accept them as a decision with draft tasks — the same services, versions
and scope as the page. A stale version answers 409 and writes nothing; an unreadable file answers 400 in
Chinese and writes nothing; nobody outside the office that read the document learns that it exists."""

import datetime as dt
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from docx import Document

from duban.api.services import token_create
from duban.audit.models import Event
from duban.extract import services as x
from duban.extract.models import Extraction, ProposedTask
from duban.supervision.models import Decision, Task, TaskPlan

D = dt.date
API = "/api/v1"
ABSENT = 2**62
CJK = re.compile(r"[\u4e00-\u9fff]")
pytestmark = pytest.mark.usefixtures("frozen")

MINUTES = """示范州人民政府常务会议纪要
2026年5月28日
一、关于重点项目建设
（一）由州发改委牵头，州财政局配合，于2026年7月底前完成重点项目年度投资计划调整。
（二）甲县发展和改革局要加快项目前期工作，年底前完成可研批复。
（三）州财政局负责统筹专项债券资金，每月5日前报送支付进度。
二、关于营商环境
会议要求，州市场监督管理局牵头，州财政局配合，9月底前完成涉企收费清理。
"""


class Api:
    """A client acting as one person through a bearer token."""

    def __init__(self, user):
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=user, name='测试', days=30)[1]}")

    def get(self, path, **params):
        return self.client.get(API + path, params)

    def post(self, path, body=None):
        return self.client.post(API + path, json.dumps(body or {}), content_type="application/json")

    def patch(self, path, body):
        return self.client.patch(API + path, json.dumps(body), content_type="application/json")

    def upload(self, name: str, data: bytes, **fields):
        return self.client.post(API + "/extractions", {"file": SimpleUploadedFile(name, data), **fields})

    def paste(self, text: str, **fields):
        return self.client.post(API + "/extractions", {"text": text, **fields})


def docx(text: str) -> bytes:
    document = Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def written():
    """What a change writes: the document's rows, decisions, tasks and Events (a refusal's security Event aside)."""
    return (list(Extraction.objects.order_by("pk").values_list("pk", "version", "state")),
            list(ProposedTask.objects.order_by("pk").values()), Decision.objects.count(), Task.objects.count(),
            Event.objects.exclude(verb="security.denied").count())


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def refused(response, status: int, code: str) -> dict:
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), response.content.decode()
    assert CJK.search(body["message"]), body
    return body


# ---- the whole review ----------------------------------------------------------------------------------------


def test_a_document_goes_from_upload_to_draft_tasks_through_the_api(cast):
    c = cast
    sup = Api(c.supervisor)
    made = ok(sup.upload("纪要.docx", docx(MINUTES)), 201)
    assert (made["kind"], made["state"], made["state_label"], made["filename"]) == ("docx", "draft", "待确认",
                                                                                    "纪要.docx")
    assert (made["title"], made["document_date"], made["version"]) == ("示范州人民政府常务会议纪要", "2026-05-28", 1)
    assert (made["unit_id"], made["created_by_id"], made["created_by_name"]) == (c.prefecture.pk, c.supervisor.pk,
                                                                                 "周督查")
    first, second, third, fourth = made["items"]
    assert (made["proposed"], made["kept"]) == (4, 4) and [i["number"] for i in made["items"]] == [1, 2, 3, 4]
    assert first["section"] == ["一、关于重点项目建设"]
    assert made["text"][first["span"][0]:first["span"][1]] == first["text"]
    assert (first["lead_names"], first["other_names"]) == (["州发改委"], ["州财政局"])
    assert first["matches"] == {"州发改委": c.pref_drc.pk, "州财政局": c.pref_finance.pk}
    assert (first["lead_unit_ids"], first["other_unit_ids"]) == ([c.pref_drc.pk], [c.pref_finance.pk])
    assert (first["deadline"], first["deadline_text"], first["cadence"]) == ("2026-07-31", "2026年7月底前", "none")
    assert (third["cadence"], third["report_day"], third["deadline"]) == ("monthly", 5, None)
    assert fourth["matches"]["州市场监督管理局"] is None and fourth["unmatched_names"] == ["州市场监督管理局"]
    assert fourth["lead_unit_ids"] == [] and not fourth["settled"] and fourth["task_id"] is None
    pk = made["id"]
    assert ok(sup.get(f"/extractions/{pk}")) == made
    assert Event.objects.get(verb="extraction.create").object_id == pk

    # Not yet: the fourth has no lead unit. Every problem is named by its number, and nothing is written.
    before = written()
    incomplete = refused(sup.post(f"/extractions/{pk}/accept", {"version": 1, "kind": "meeting"}), 400,
                         "extract_items_incomplete")
    assert "第4项未指定牵头单位" in incomplete["message"] and "州市场监督管理局" in incomplete["message"]
    assert [(p["item"], p["number"]) for p in incomplete["detail"]["problems"]] == [(fourth["id"], 4)]
    assert written() == before

    # Fields left out keep their value: 州财政局 already helps with the first, so it cannot lead it as well.
    twice = refused(sup.patch(f"/extraction-items/{first['id']}", {"version": 1,
                                                                     "lead_unit_ids": [c.pref_finance.pk]}),
                    400, "extract_unit_twice")
    assert twice["detail"] == {"field": "other_units"} and written() == before
    edited = ok(sup.patch(f"/extraction-items/{fourth['id']}", {
        "version": 1, "lead_unit_ids": [c.pref_finance.pk], "other_unit_ids": [c.pref_drc.pk],
        "deadline": "2026-09-30"}))
    item = edited["items"][3]
    assert edited["version"] == 2 and item["settled"] and item["text"] == fourth["text"]
    assert (item["lead_unit_ids"], item["other_unit_ids"], item["deadline"]) == ([c.pref_finance.pk],
                                                                                   [c.pref_drc.pk], "2026-09-30")

    merged = ok(sup.post(f"/extraction-items/{second['id']}/merge", {"version": 2}))
    assert merged["version"] == 3 and [i["id"] for i in merged["items"]] == [first["id"], second["id"], fourth["id"]]
    both = merged["items"][1]
    assert both["lead_unit_ids"] == [c.county_drc.pk, c.pref_finance.pk] and both["deadline"] == "2026-12-31"
    assert both["text"] == made["text"][second["span"][0]:third["span"][1]]

    # Split back where the third began: each part reads its own units again.
    split = ok(sup.post(f"/extraction-items/{second['id']}/split", {"version": 3, "at": both["text"].index("（三）")}))
    head, tail = split["items"][1:3]
    assert split["version"] == 4 and len(split["items"]) == 4
    assert (head["id"], head["text"], tail["text"]) == (second["id"], second["text"], third["text"])
    assert (head["lead_unit_ids"], tail["lead_unit_ids"]) == ([c.county_drc.pk], [c.pref_finance.pk])
    assert tail["span"] == third["span"]

    dropped = ok(sup.post(f"/extraction-items/{tail['id']}/drop", {"version": 4}))
    assert [i["number"] for i in dropped["items"]] == [1, 2, None, 3] and dropped["items"][2]["dropped"]
    assert (dropped["proposed"], dropped["kept"]) == (4, 3)
    restored = ok(sup.post(f"/extraction-items/{tail['id']}/drop", {"version": 5, "dropped": False}))
    assert [i["number"] for i in restored["items"]] == [1, 2, 3, 4]
    assert ok(sup.post(f"/extraction-items/{tail['id']}/drop", {"version": 6}))["kept"] == 3
    listed = ok(sup.get("/extractions"))["items"]
    assert [(e["id"], e["version"], e["proposed"], e["kept"]) for e in listed] == [(pk, 7, 4, 3)]
    assert "text" not in listed[0] and "items" not in listed[0]

    accepted = ok(sup.post(f"/extractions/{pk}/accept", {
        "version": 7, "kind": "meeting", "title": "州政府第9次常务会议纪要", "doc_number": "州府纪〔2026〕9号",
        "issuer": "州人民政府"}), 201)
    decision = Decision.objects.get()
    assert accepted["decision"]["id"] == decision.pk
    assert (decision.kind, decision.title, decision.doc_number, decision.issuer, decision.issued_on) == (
        "meeting", "州政府第9次常务会议纪要", "州府纪〔2026〕9号", "州人民政府", D(2026, 5, 28))
    assert decision.body == made["text"]
    tasks = accepted["tasks"]
    assert [t["title"] for t in tasks] == ["由州发改委牵头，州财政局配合，于2026年7月底前完成重点项目年度投资计划调整",
                                           "甲县发展和改革局要加快项目前期工作，年底前完成可研批复",
                                           "会议要求，州市场监督管理局牵头，州财政局配合，9月底前完成涉企收费清理"]
    assert {t["state"] for t in tasks} == {"draft"} and {t["decision_id"] for t in tasks} == {decision.pk}
    assert [t["deadline"] for t in tasks] == ["2026-07-31", "2026-12-31", "2026-09-30"]
    assert sorted(Task.objects.values_list("pk", flat=True)) == sorted(t["id"] for t in tasks)

    def plan(task):
        return set(TaskPlan.objects.filter(task_id=task["id"]).values_list("unit_id", "role"))

    assert plan(tasks[0]) == {(c.pref_drc.pk, "lead"), (c.pref_finance.pk, "cooperate")}
    assert plan(tasks[1]) == {(c.county_drc.pk, "lead")}
    assert plan(tasks[2]) == {(c.pref_finance.pk, "lead"), (c.pref_drc.pk, "cooperate")}
    done = accepted["extraction"]
    assert (done["state"], done["decision_id"], done["version"]) == ("accepted", decision.pk, 8)
    assert [i["task_id"] for i in done["items"]] == [tasks[0]["id"], tasks[1]["id"], None, tasks[2]["id"]]
    assert Event.objects.get(verb="extraction.accept").payload == {"decision": decision.pk, "tasks": 3}
    assert [e.payload["op"] for e in Event.objects.filter(verb="extraction.edit").order_by("seq")] == [
        "update", "merge", "split", "drop", "restore", "drop"]
    assert ok(sup.get("/extractions", state="accepted"))["items"][0]["id"] == pk
    assert ok(sup.get("/extractions", state="draft"))["items"] == []

    # Once accepted, nothing changes any more.
    before = written()
    refused(sup.patch(f"/extraction-items/{fourth['id']}", {"version": 8, "text": "改写"}), 409,
            "extraction_illegal_transition")
    refused(sup.post(f"/extractions/{pk}/discard", {"version": 8}), 409, "extraction_illegal_transition")
    assert written() == before


def test_pasted_text_reads_its_deadlines_from_the_date_given_and_a_draft_may_be_discarded(cast):
    c = cast
    sup = Api(c.supervisor)
    made = ok(sup.paste("1.州财政局负责，9月底前完成专项资金清理。\n2.州发改委牵头，年底前完成规划修编。",
                        issued_on="2027-03-01"), 201)
    assert (made["kind"], made["filename"], made["document_date"]) == ("paste", "", "2027-03-01")
    assert [i["deadline"] for i in made["items"]] == ["2027-09-30", "2027-12-31"]
    discarded = ok(sup.post(f"/extractions/{made['id']}/discard", {"version": made["version"]}))
    assert (discarded["state"], discarded["state_label"]) == ("discarded", "已放弃")
    assert Event.objects.filter(verb="extraction.discard", object_id=made["id"]).count() == 1
    refused(sup.post(f"/extractions/{made['id']}/accept", {"version": discarded["version"]}), 409,
            "extraction_illegal_transition")
    assert [e["state"] for e in ok(sup.get("/extractions"))["items"]] == ["discarded"]


# ---- refusals ------------------------------------------------------------------------------------------------


def test_a_stale_version_answers_409_and_writes_nothing(cast):
    c = cast
    sup = Api(c.supervisor)
    extraction = x.extraction_create(actor=c.supervisor, text=MINUTES)
    first, second, *_ = ProposedTask.objects.filter(extraction=extraction).order_by("position")
    x.extraction_item_drop(actor=c.supervisor, item_id=second.pk, version=1)  # someone else, meanwhile
    stale = {"version": 1}
    before = written()
    for answer in (
        sup.patch(f"/extraction-items/{first.pk}", {**stale, "text": "改写后的事项内容。"}),
        sup.post(f"/extraction-items/{second.pk}/drop", {**stale, "dropped": False}),
        sup.post(f"/extraction-items/{first.pk}/merge", stale),
        sup.post(f"/extraction-items/{first.pk}/split", {**stale, "at": 5}),
        sup.post(f"/extractions/{extraction.pk}/accept", {**stale, "kind": "meeting"}),
        sup.post(f"/extractions/{extraction.pk}/discard", stale),
    ):
        body = refused(answer, 409, "version_conflict")
        assert body["detail"] == {"object": "extraction"}
    assert written() == before
    assert ok(sup.post(f"/extraction-items/{first.pk}/split", {"version": 2, "at": 5}))["version"] == 3


def test_what_cannot_be_read_or_done_answers_400_in_chinese_and_writes_nothing(cast):
    c = cast
    sup = Api(c.supervisor)
    before = written()
    for answer, code in (
        (sup.upload("旧.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 200), "extract_file_type"),
        (sup.upload("旧版.docx", b"\xd0\xcf\x11\xe0" + b"\0" * 200), "extract_unreadable"),
        (sup.upload("扫描.pdf", b"%PDF-1.4 not really a pdf"), "extract_unreadable"),
        (sup.upload("坏.docx", b"PK\x03\x04 broken archive"), "extract_unreadable"),
        (sup.upload("空.txt", b"  \n \n"), "extract_empty"),
        (sup.upload("表.xlsx", b"PK\x03\x04 a workbook"), "extract_file_type"),
        (sup.paste("   "), "extract_source_required"),
        (sup.upload("纪要.txt", MINUTES.encode(), text=MINUTES), "extract_source_twice"),
    ):
        refused(answer, 400, code)
    assert written() == before

    made = ok(sup.paste(MINUTES), 201)
    first, *_, last = made["items"]
    item, merge = f"/extraction-items/{first['id']}", f"/extraction-items/{last['id']}/merge"
    split = f"{item}/split"
    before = written()
    for path, body, code in (
        (merge, {"version": 1}, "extract_merge_nothing"),
        (split, {"version": 1, "at": len(first["text"])}, "extract_split_invalid"),
        (item, {"version": 1, "text": "  "}, "extract_text_required"),
        (item, {"version": 1, "text": "字" * 5001}, "extract_text_too_long"),
        (item, {"version": 1, "lead_unit_ids": [c.pref_drc.pk], "other_unit_ids": [c.pref_drc.pk]},
         "extract_unit_twice"),
        # A unit above the office, or in another prefecture's tree, is out of scope like one that does not exist.
        (item, {"version": 1, "lead_unit_ids": [c.province.pk]}, "extract_unit_out_of_scope"),
        (item, {"version": 1, "other_unit_ids": [ABSENT]}, "extract_unit_out_of_scope"),
    ):
        refused(sup.patch(path, body) if path == item else sup.post(path, body), 400, code)
        assert written() == before
    assert sup.patch(item, {"version": 1, "report_day": 31}).status_code == 422
    assert written() == before
    # A past deadline is the person's to settle; accepting it is refused, naming the item by its number.
    assert ok(sup.patch(item, {"version": 1, "deadline": "2026-05-01"}))["items"][0]["deadline"] == "2026-05-01"
    ok(sup.patch(f"/extraction-items/{last['id']}", {"version": 2, "lead_unit_ids": [c.pref_drc.pk]}))
    version = 3
    before = written()
    past = refused(sup.post(f"/extractions/{made['id']}/accept", {"version": version}), 400, "task_deadline_past")
    assert past["message"].startswith("第1项：") and past["detail"]["number"] == 1
    assert written() == before


def test_nobody_outside_the_office_learns_that_a_document_exists(cast):
    c = cast
    extraction = x.extraction_create(actor=c.supervisor, text=MINUTES)
    item = ProposedTask.objects.filter(extraction=extraction).order_by("position").first()
    liaison = Api(c.drc_liaison)
    refused(liaison.paste(MINUTES), 403, "extract_role_denied")
    denied = Event.objects.get(verb="security.denied")
    assert (denied.actor_id, denied.payload["code"]) == (c.drc_liaison.pk, "extract_role_denied")
    assert Extraction.objects.count() == 1
    requests = [
        ("get", "/extractions/{x}", None), ("patch", "/extraction-items/{i}", {"version": 1, "text": "改写。"}),
        ("post", "/extraction-items/{i}/drop", {"version": 1}), ("post", "/extraction-items/{i}/merge", {"version": 1}),
        ("post", "/extraction-items/{i}/split", {"version": 1, "at": 3}),
        ("post", "/extractions/{x}/accept", {"version": 1, "kind": "meeting"}),
        ("post", "/extractions/{x}/discard", {"version": 1}),
    ]
    others = [Api(user) for user in (c.county_supervisor, c.other_supervisor, c.leader, c.drc_liaison, c.sysadmin)]
    before = written()
    # A supervisor of an office below (甲县) or beside (乙县), a leader and a liaison of the same prefecture, the
    # system administrator: 404, exactly as for a document that does not exist.
    for api in others:
        assert ok(api.get("/extractions"))["items"] == []
        for method, path, body in requests:
            def call(xid, iid, method=method, path=path, body=body, api=api):
                url = path.format(x=xid, i=iid)
                return api.get(url) if method == "get" else getattr(api, method)(url, body)

            seen, absent = call(extraction.pk, item.pk), call(ABSENT, ABSENT)
            assert seen.status_code == 404 and seen.json() == absent.json(), (api.user, path, seen.content)
    assert written() == before


def test_the_reads_cost_the_same_queries_for_few_and_many(cast):
    c = cast
    sup = Api(c.supervisor)
    few = x.extraction_create(actor=c.supervisor, text=MINUTES)
    many = x.extraction_create(actor=c.supervisor, text=MINUTES + "\n".join(
        f"{i}. 州财政局负责完成第{i}项清理工作，州发改委配合，9月底前完成。" for i in range(1, 80)))
    assert ProposedTask.objects.filter(extraction=many).count() > 60

    ok(sup.get("/extractions"))  # the token's first use is recorded once

    def queries(path, **params):
        with CaptureQueriesContext(connection) as captured:
            ok(sup.get(path, **params))
        return len(captured)

    one, other = queries(f"/extractions/{few.pk}"), queries(f"/extractions/{many.pk}")
    assert one == other <= 5, (one, other)
    listing = queries("/extractions")
    for _ in range(6):
        x.extraction_create(actor=c.supervisor, text=MINUTES)
    assert queries("/extractions") == listing <= 4, listing
    # Paged newest first, with the counts of each.
    page = ok(sup.get("/extractions", limit=3))
    rest = ok(sup.get("/extractions", limit=20, cursor=page["next_cursor"]))
    ids = [e["id"] for e in page["items"] + rest["items"]]
    assert ids == sorted(Extraction.objects.values_list("pk", flat=True), reverse=True) and rest["next_cursor"] is None
    counts = {e["id"]: e["proposed"] for e in page["items"] + rest["items"]}
    assert (counts[few.pk], counts[many.pk]) == (4, ProposedTask.objects.filter(extraction=many).count())
