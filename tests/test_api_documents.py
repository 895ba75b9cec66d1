"""The documents through the JSON API: 督查通报, the 台账 export and import, 效能评估 and 研判, end to end."""

import datetime as dt
import hashlib
import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from docx import Document
from openpyxl import Workbook, load_workbook

from duban.api.services import token_create
from duban.audit.models import Event
from duban.bulletins.models import Bulletin
from duban.core import clock
from duban.core.periods import month
from duban.org.models import Role
from duban.org.services import person_create
from duban.scorecards.figures import scorecard_for
from duban.scorecards.models import ScoreRule, TaskConfidence
from duban.scorecards.services import confidence_record
from duban.supervision import services as s
from duban.supervision.models import Assignment, Decision, Task

D = dt.date
API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
pytestmark = pytest.mark.usefixtures("frozen")


class Api:
    """A client acting as one person through a bearer token."""

    def __init__(self, user):
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=user, name='测试', days=30)[1]}")

    def get(self, path, **params):
        return self.client.get(API + path, params)

    def post(self, path, body=None):
        return self.client.post(API + path, json.dumps(body or {}), content_type="application/json")

    def upload(self, path, data: bytes, name="台账.xlsx", **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(API + path, {"file": SimpleUploadedFile(name, data), **fields})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def assigned(c, title, leads, **options):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 doc_number="州府纪〔2026〕12号", issued_on=D(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, lead_unit_ids=[u.pk for u in leads],
                         deadline=options.pop("deadline", D(2026, 7, 31)), **options)
    return s.task_assign(actor=c.supervisor, task=task)


def lead_of(task, unit):
    return Assignment.objects.get(task=task, unit=unit)


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def written():
    """What an import would write: decisions, tasks and Events (a refusal's security Event aside)."""
    return Decision.objects.count(), Task.objects.count(), Event.objects.exclude(verb="security.denied").count()


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# ---- 督查通报 ------------------------------------------------------------------------------------------


def test_it_makes_lists_reads_and_downloads_a_bulletin(cast):
    c = cast
    assigned(c, "推进重点项目开工", [c.pref_drc], is_key=True)
    assigned(c, "建设县域物流中心", [c.county_drc])
    sup = Api(c.supervisor)

    made = sup.post("/bulletins", {"scope_unit_id": c.prefecture.pk, "period": "2026-06", "formats": ["docx"],
                                   "doc_number": "州督通〔2026〕6号", "secrecy": "内部"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["version"], body["period"], body["has_docx"], body["has_pdf"]) == (1, "2026-06", True, False)
    assert body["figures"]["headline"]["tasks"] == 2
    assert body["masthead"]["doc_number"] == "州督通〔2026〕6号"
    event = Event.objects.get(verb="bulletin.generate")
    assert (event.actor_id, event.object_id, event.payload["formats"]) == (c.supervisor.pk, body["id"], ["docx"])

    again = sup.post("/bulletins", {"scope_unit_id": c.prefecture.pk, "period": "2026-06", "formats": ["docx"]})
    assert again.json()["version"] == 2
    county = sup.post("/bulletins", {"scope_unit_id": c.county.pk, "period": "2026-Q2", "formats": ["docx"]})
    assert county.status_code == 201 and county.json()["figures"]["headline"]["tasks"] == 1

    listed = sup.get("/bulletins").json()
    assert [b["id"] for b in listed["items"]] == [county.json()["id"], again.json()["id"], body["id"]]
    assert listed["items"][-1]["scope_unit_name"] == "示范州"
    assert [b["id"] for b in sup.get("/bulletins", scope=c.county.pk).json()["items"]] == [county.json()["id"]]
    assert len(sup.get("/bulletins", period="2026-06").json()["items"]) == 2
    page = sup.get("/bulletins", limit=2).json()
    rest = sup.get("/bulletins", limit=2, cursor=page["next_cursor"]).json()
    assert [b["id"] for b in page["items"] + rest["items"]] == [b["id"] for b in listed["items"]]

    got = sup.get(f"/bulletins/{body['id']}")
    assert got.status_code == 200 and got.json()["figures"] == body["figures"]

    download = sup.client.get(f"{API}/bulletins/{body['id']}/docx")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    document = Document(io.BytesIO(streamed(download)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert body["title"] in text and "州督通〔2026〕6号" in text
    assert "推进重点项目开工" in text + cells
    assert sup.get(f"/bulletins/{body['id']}/pdf").json()["code"] == "bulletin_not_found"
    assert sup.get(f"/bulletins/{body['id']}/xls").status_code == 404


def test_a_bulletin_is_seen_and_made_only_in_scope(cast):
    c = cast
    assigned(c, "建设县域物流中心", [c.county_drc])
    made = Api(c.county_supervisor).post("/bulletins", {"scope_unit_id": c.county.pk, "period": "2026-06",
                                                        "formats": ["docx"]}).json()
    inspector = person_create(actor=None, username="jx.duchazu", full_name="吴组员", unit=c.county,
                              roles=[Role.INSPECTOR], password=None)
    # Above the scope, or at it with an oversight role: seen.
    for who in (c.supervisor, c.leader, c.county_supervisor, inspector):
        api = Api(who)
        assert [b["id"] for b in api.get("/bulletins").json()["items"]] == [made["id"]], who
        assert api.get(f"/bulletins/{made['id']}/docx").status_code == 200
    # Beside it, inside it, or an administrator: as if it did not exist.
    for who in (c.other_supervisor, c.county_drc_liaison, c.county_head, c.sysadmin):
        api = Api(who)
        assert api.get("/bulletins").json()["items"] == [], who
        for path in (f"/bulletins/{made['id']}", f"/bulletins/{made['id']}/docx"):
            r = api.get(path)
            assert (r.status_code, r.json()["code"]) == (404, "bulletin_not_found"), (who, path)


@pytest.mark.parametrize("who,body,status,code", [
    ("supervisor", {"scope_unit_id": "other_county", "period": "2026-06"}, 201, None),
    ("county_supervisor", {"scope_unit_id": "other_county", "period": "2026-06"}, 403, "bulletin_scope_denied"),
    ("drc_liaison", {"scope_unit_id": "pref_drc", "period": "2026-06"}, 403, "bulletin_role_denied"),
    ("supervisor", {"scope_unit_id": "prefecture", "period": "明年"}, 400, "bulletin_period_invalid"),
    ("supervisor", {"scope_unit_id": "prefecture", "period": "2026-07"}, 400, "bulletin_period_future"),
    ("supervisor", {"scope_unit_id": "prefecture", "period": "2026-06-30..2026-06-01"}, 400,
     "bulletin_period_reversed"),
    ("supervisor", {"scope_unit_id": "prefecture", "period": "2024-01-01..2026-05-31"}, 400,
     "bulletin_period_too_long"),
    ("supervisor", {"scope_unit_id": "prefecture", "period": "2026-06", "formats": ["doc"]}, 400,
     "bulletin_format_invalid"),
    ("supervisor", {"scope_unit_id": "prefecture", "period": "2026-06", "formats": []}, 400,
     "bulletin_format_invalid"),
    ("supervisor", {"scope_unit_id": 2**62, "period": "2026-06"}, 404, "unit_not_found"),
    ("supervisor", {"scope_unit_id": "prefecture"}, 422, "invalid_input"),
])
def test_it_refuses_a_bulletin_it_may_not_make_with_a_code(cast, who, body, status, code):
    body = {"formats": ["docx"], **body}
    if isinstance(body["scope_unit_id"], str):
        body["scope_unit_id"] = getattr(cast, body["scope_unit_id"]).pk
    api = Api(getattr(cast, who))
    before = Event.objects.exclude(verb="security.denied").count(), Bulletin.objects.count()
    r = api.post("/bulletins", body)
    assert r.status_code == status, r.content
    if code:
        assert r.json()["code"] == code
        assert r.json()["message"] and not r.json()["message"].isascii()
        assert (Event.objects.exclude(verb="security.denied").count(), Bulletin.objects.count()) == before


# ---- 台账 export -------------------------------------------------------------------------------------


def test_the_ledger_export_holds_the_filtered_tasks_in_scope(cast):
    c = cast
    key = assigned(c, "推进重点项目开工", [c.pref_drc], is_key=True, deadline=D(2026, 6, 30),
                   requirements="年内开工12个项目。")
    assigned(c, "盘活闲置国有资产", [c.pref_finance], cooperating_unit_ids=[c.pref_drc.pk])
    assigned(c, "建设县域物流中心", [c.county_drc])
    sup = Api(c.supervisor)

    r = sup.get("/ledger/export")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    assert "attachment" in r["Content-Disposition"] and ".xlsx" in r["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(streamed(r))).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("序号", "任务来源", "文号", "任务内容", "牵头单位", "配合单位", "责任领导", "完成时限", "进展情况",
                       "状态", "亮灯")
    by_title = {row[3].split("\n")[0]: row for row in rows[1:]}
    assert set(by_title) == {"推进重点项目开工", "盘活闲置国有资产", "建设县域物流中心"}
    first = by_title["推进重点项目开工"]
    assert first[1:3] == ("州政府第12次常务会议纪要", "州府纪〔2026〕12号")
    assert first[3] == "推进重点项目开工\n年内开工12个项目。"
    assert first[4] == "州发展和改革委员会" and first[7] == dt.datetime(2026, 6, 30)
    assert by_title["盘活闲置国有资产"][4:6] == ("州财政局", "州发展和改革委员会")

    filtered = sup.get("/ledger/export", is_key="true")
    keyed = list(load_workbook(io.BytesIO(streamed(filtered))).worksheets[0].iter_rows(values_only=True))
    assert [row[3].split("\n")[0] for row in keyed[1:]] == [key.title]
    by_unit = sup.get("/ledger/export", unit=c.county_drc.pk)
    assert [row[3] for row in list(load_workbook(io.BytesIO(streamed(by_unit))).worksheets[0]
                                   .iter_rows(values_only=True))[1:]] == ["建设县域物流中心"]

    # A unit's liaison gets its own unit's tasks; an administrator gets nothing.
    own = Api(c.finance_liaison).get("/ledger/export")
    assert [row[3] for row in list(load_workbook(io.BytesIO(streamed(own))).worksheets[0]
                                   .iter_rows(values_only=True))[1:]] == ["盘活闲置国有资产"]
    refused = Api(c.sysadmin).get("/ledger/export")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    bad = sup.get("/ledger/export", deadline_from="2026-13-01")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


# ---- 台账 import ---------------------------------------------------------------------------------------

HEADER = ["序号", "任务来源", "文号", "任务内容", "牵头单位", "配合单位", "责任领导", "完成时限"]


def good_ledger() -> bytes:
    return xlsx([HEADER,
                 [1, "州政府第5次常务会议", "州政发〔2026〕5号", "推进重点项目建设\n完成投资20亿元", "州发改委", "州财政局",
                  "李州长", "2026年6月30日"],
                 [2, "州政府第5次常务会议", "州政发〔2026〕5号", "清理拖欠企业账款", "州财政局", None, None, "6月底前"],
                 [3, "州委办通知", None, "城关镇污水管网改造", "甲县城关镇", None, None, "年底前"]])


def bad_ledger() -> bytes:
    return xlsx([HEADER,
                 [1, "州政府第5次常务会议", "州政发〔2026〕5号", "推进重点项目建设", "州发改委", None, None, "2026-06-30"],
                 [2, "州政府第5次常务会议", "州政发〔2026〕5号", "清理拖欠企业账款", "州粮食局", None, None, "下个月"]])


def test_the_ledger_preview_shows_rows_columns_and_each_problem_and_writes_nothing(cast):
    sup = Api(cast.supervisor)
    before = written()
    ok = sup.upload("/ledger/preview", good_ledger())
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert (body["ok"], body["header_row"], body["decisions"], body["problems"]) == (True, 1, 2, [])
    assert body["sha256"] == hashlib.sha256(good_ledger()).hexdigest()
    columns = {m["field"]: m["column"] for m in body["mapping"]}
    assert (columns["content"], columns["lead"], columns["deadline"], columns["note"]) == ("D", "E", "H", None)
    first = body["rows"][0]
    assert (first["row"], first["title"], first["deadline"], first["leader_name"]) == (
        2, "推进重点项目建设", "2026-06-30", "李州长")
    assert [u["name"] for u in first["lead_units"]] == ["州发展和改革委员会"]
    assert [u["id"] for u in first["cooperating_units"]] == [cast.pref_finance.pk]
    assert body["rows"][2]["decision_title"] == "州委办通知" and body["rows"][2]["deadline"] == "2026-12-31"

    bad = sup.upload("/ledger/preview", bad_ledger()).json()
    assert bad["ok"] is False
    assert [(p["row"], p["column"]) for p in bad["problems"]] == [(3, "E"), (3, "H")]
    unit, due = bad["problems"]
    assert unit["column_label"] == "E列“牵头单位”" and "州粮食局" in unit["message"]
    assert unit["text"].startswith("第3行E列“牵头单位”：")
    assert "下个月" in due["message"]
    assert bad["rows"][0]["problems"] == [] and len(bad["rows"][1]["problems"]) == 2
    assert written() == before


def test_the_person_can_say_which_column_is_which(cast):
    ledger = xlsx([["编号", "事项", "负责", "时间"], [1, "推进重点项目建设", "州发改委", "2026-06-30"]])
    sup = Api(cast.supervisor)
    unread = sup.upload("/ledger/preview", ledger).json()
    assert unread["ok"] is False and unread["problems"][0]["row"] is None
    mapped = sup.upload("/ledger/preview", ledger,
                        mapping=json.dumps({"content": "B", "lead": "C", "deadline": "时间"})).json()
    assert mapped["ok"] is True, mapped["problems"]
    assert [r["title"] for r in mapped["rows"]] == ["推进重点项目建设"]
    r = sup.upload("/ledger/preview", ledger, mapping=json.dumps({"progress": "B"}))
    assert (r.status_code, r.json()["code"]) == (400, "ledger_mapping_invalid")
    r = sup.upload("/ledger/preview", ledger, mapping="[1, 2]")
    assert (r.status_code, r.json()["code"]) == (400, "ledger_mapping_invalid")


def test_the_ledger_import_writes_every_row_with_its_event(cast):
    sup = Api(cast.supervisor)
    preview = sup.upload("/ledger/preview", good_ledger()).json()
    r = sup.upload("/ledger/import", good_ledger(), kind="meeting", expected_sha256=preview["sha256"],
                   expected_rows=str(len(preview["rows"])))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["assigned"] is False and body["sha256"] == preview["sha256"]
    assert [t["title"] for t in body["tasks"]] == ["推进重点项目建设", "清理拖欠企业账款", "城关镇污水管网改造"]
    assert {t["state"] for t in body["tasks"]} == {"draft"}
    assert sorted(d["title"] for d in body["decisions"]) == ["州委办通知", "州政府第5次常务会议"]
    assert {d["kind"] for d in body["decisions"]} == {"meeting"}
    event = Event.objects.get(verb="ledger.import")
    assert event.actor_id == cast.supervisor.pk
    assert (event.payload["file"], event.payload["rows"], event.payload["tasks"]) == ("台账.xlsx", 3, 3)
    assert sorted(event.payload["decision_ids"]) == sorted(d["id"] for d in body["decisions"])
    assert Event.objects.filter(verb="task.create").count() == 3

    assigned_now = sup.upload("/ledger/import", good_ledger(), assign="true").json()
    assert assigned_now["assigned"] is True and {t["state"] for t in assigned_now["tasks"]} == {"assigned"}


@pytest.mark.parametrize("who,data,name,fields,status,code", [
    ("supervisor", "bad", "台账.xlsx", {}, 400, "ledger_problems"),
    ("supervisor", "good", "台账.xlsx", {"expected_sha256": "0" * 64}, 400, "ledger_file_changed"),
    ("supervisor", "good", "台账.xlsx", {"expected_rows": "2"}, 400, "ledger_rows_changed"),
    ("supervisor", "good", "台账.xls", {}, 400, "ledger_file_type"),
    ("supervisor", "text", "台账.xlsx", {}, 400, "ledger_file_invalid"),
    ("supervisor", "good", "台账.xlsx", {"mapping": "{"}, 400, "ledger_mapping_invalid"),
    ("supervisor", "good", "台账.xlsx", {"kind": "memo"}, 422, "invalid_input"),
    ("leader", "good", "台账.xlsx", {}, 403, "permission_denied"),
    ("drc_liaison", "good", "台账.xlsx", {}, 403, "permission_denied"),
    ("sysadmin", "good", "台账.xlsx", {}, 403, "permission_denied"),
])
def test_the_ledger_import_refuses_with_a_code_and_writes_nothing(cast, who, data, name, fields, status, code):
    content = {"good": good_ledger, "bad": bad_ledger, "text": lambda: "序号,任务内容".encode()}[data]()
    api = Api(getattr(cast, who))
    before = written()
    r = api.upload("/ledger/import", content, name=name, **fields)
    assert (r.status_code, r.json()["code"]) == (status, code), r.content
    assert not r.json()["message"].isascii()
    assert written() == before
    if code == "ledger_problems":
        problems = r.json()["detail"]["problems"]
        assert [(p["row"], p["column"]) for p in problems] == [(3, "E"), (3, "H")]


def test_the_preview_is_for_supervisors(cast):
    for who in (cast.leader, cast.drc_head):
        r = Api(who).upload("/ledger/preview", good_ledger())
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")


# ---- 效能评估 --------------------------------------------------------------------------------------------


@pytest.fixture
def june(cast, frozen):
    """Work in June at 州委督查室: a task signed late and reported on, one returned, one asked to extend."""
    c = cast
    on_time = assigned(c, "推进重点项目开工", [c.pref_drc], deadline=D(2026, 6, 19))
    late = assigned(c, "盘活闲置国有资产", [c.pref_finance], deadline=D(2026, 6, 10))
    county = assigned(c, "建设县域物流中心", [c.county_drc])
    frozen.move_to(clock.at_local(D(2026, 6, 3), 9))
    a = s.assignment_sign(actor=c.drc_liaison, assignment=lead_of(on_time, c.pref_drc))
    report = s.report_submit(actor=c.drc_head, assignment=a, text="全部完成。", progress=100, is_final=True)
    s.assignment_verify(actor=c.supervisor, assignment=lead_of(on_time, c.pref_drc))
    f = s.assignment_sign(actor=c.finance_liaison, assignment=lead_of(late, c.pref_finance))
    report = s.report_submit(actor=c.finance_head, assignment=f, text="评估已启动。", progress=20)
    s.report_review(actor=c.supervisor, report=report, accept=False, comment="请附评估合同。")
    s.extension_request(actor=c.finance_liaison, assignment=lead_of(late, c.pref_finance), reason="评估推迟。",
                        requested_deadline=D(2026, 7, 31))
    s.assignment_sign(actor=c.county_drc_liaison, assignment=lead_of(county, c.county_drc))
    frozen.move_to(clock.at_local(D(2026, 6, 15), 9))
    return {"on_time": on_time, "late": late, "county": county}


def test_the_scorecard_is_scorecard_for_with_its_rule(cast, june):
    c = cast
    r = Api(c.supervisor).get("/scorecards", period="2026-06")
    assert r.status_code == 200, r.content
    body = r.json()
    expected = scorecard_for(user=c.supervisor, period=month(2026, 6))
    assert (body["period"], body["period_label"], body["period_start"], body["period_end"]) == (
        "2026-06", "2026年6月", "2026-06-01", "2026-06-30")
    assert body["rule"]["text"] == expected.rule.text()
    assert [(w["field"], w["weight"]) for w in body["rule"]["weights"]] == [
        (f, w) for f, _, w in expected.rule.weights()]
    assert [u["unit_id"] for u in body["units"]] == [u.unit_id for u in expected.units]
    for got, card in zip(body["units"], expected.units, strict=True):
        for figure in ("assigned", "signed_on_time", "done", "done_on_time", "overdue", "overdue_days", "due",
                       "active", "reports", "returned", "extensions", "extensions_pending", "score", "rank",
                       "sign_rate", "on_time_rate", "return_rate"):
            assert got[figure] == getattr(card, figure), (card.name, figure)
        assert got["shares"] == card.ratios
    finance = next(u for u in body["units"] if u["unit_id"] == c.pref_finance.pk)
    assert (finance["reports"], finance["returned"], finance["extensions"]) == (1, 1, 1)
    drc = next(u for u in body["units"] if u["unit_id"] == c.pref_drc.pk)
    assert (drc["done"], drc["done_on_time"], drc["rank"]) == (1, 1, 1)

    # This month by default; a quarter; 甲县's supervisor sees 甲县 only.
    assert Api(c.supervisor).get("/scorecards").json()["units"] == body["units"]
    assert Api(c.leader).get("/scorecards", period="2026-Q2").json()["period_label"] == "2026年第二季度"
    county = Api(c.county_supervisor).get("/scorecards").json()["units"]
    assert [u["unit_id"] for u in county] == [c.county_drc.pk]


def test_the_scorecard_hides_the_rank_when_the_rule_says_so(cast, june):
    ScoreRule.objects.create(name="不排名", show_ranking=False, w_sign=50, w_on_time=50, w_overdue=0, w_returns=0,
                             w_extensions=0)
    body = Api(cast.supervisor).get("/scorecards").json()
    assert body["rule"]["name"] == "不排名" and body["rule"]["show_ranking"] is False
    assert body["rule"]["text"] == "综合得分 = 签收及时率×50% + 按期办结率×50%"
    assert {u["rank"] for u in body["units"]} == {None} and any(u["score"] is not None for u in body["units"])


@pytest.mark.parametrize("who,period,status,code", [
    ("supervisor", "2026-13", 400, "scorecard_period_invalid"),
    ("supervisor", "六月", 400, "scorecard_period_invalid"),
    ("supervisor", "0001-01-01..9999-12-31", 400, "scorecard_period_invalid"),
    ("supervisor", "2026-06-30..2026-06-01", 400, "scorecard_period_reversed"),
    ("drc_liaison", "2026-06", 403, "scorecard_role_denied"),
    ("county_drc_head", "2026-06", 403, "scorecard_role_denied"),
    ("sysadmin", "2026-06", 403, "scorecard_role_denied"),
])
def test_the_scorecard_refuses_with_a_code(cast, who, period, status, code):
    r = Api(getattr(cast, who)).get("/scorecards", period=period)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert not r.json()["message"].isascii()


# ---- 研判 ---------------------------------------------------------------------------------------------


def test_a_supervisor_records_a_judgement_and_everyone_who_sees_the_task_reads_its_history(cast, frozen):
    c = cast
    task = assigned(c, "推进重点项目开工", [c.pref_drc])
    sup = Api(c.supervisor)
    first = sup.post(f"/tasks/{task.pk}/confidence", {"level": "green", "reason": "开局良好。"})
    assert first.status_code == 201, first.content
    assert (first.json()["level"], first.json()["level_label"], first.json()["by_name"]) == ("green", "绿", "周督查")
    frozen.move_to(clock.at_local(D(2026, 6, 2), 9))
    second = sup.post(f"/tasks/{task.pk}/confidence", {"level": "yellow_red", "reason": "  用地指标不足。 "})
    assert second.status_code == 201 and second.json()["reason"] == "用地指标不足。"
    event = Event.objects.filter(verb="task.confidence").order_by("seq").last()
    assert (event.task_id, event.object_id, event.payload) == (
        task.pk, second.json()["id"], {"level": "yellow_red", "reason": "用地指标不足。"})

    shown = sup.get(f"/tasks/{task.pk}/confidence").json()
    assert shown["task_id"] == task.pk and shown["may_record"] is True
    assert shown["latest"]["id"] == second.json()["id"]
    assert [j["level"] for j in shown["history"]] == ["yellow_red", "green"]
    assert [lv["value"] for lv in shown["levels"]] == ["green", "green_yellow", "yellow", "yellow_red", "red"]
    liaison = Api(c.drc_liaison)
    theirs = liaison.get(f"/tasks/{task.pk}/confidence").json()
    assert theirs["may_record"] is False and len(theirs["history"]) == 2
    outsider = Api(c.other_supervisor).get(f"/tasks/{task.pk}/confidence")
    assert (outsider.status_code, outsider.json()["code"]) == (404, "task_not_found")


@pytest.mark.parametrize("who,task,body,status,code", [
    ("supervisor", "open", {"level": "purple", "reason": "理由"}, 400, "confidence_level_invalid"),
    ("supervisor", "open", {"level": "red", "reason": "   "}, 400, "confidence_reason_required"),
    ("supervisor", "open", {"level": "red", "reason": "长" * 2001}, 400, "confidence_reason_too_long"),
    ("supervisor", "draft", {"level": "red", "reason": "理由"}, 400, "confidence_task_not_open"),
    ("supervisor", "open", {"level": "red"}, 422, "invalid_input"),
    ("drc_liaison", "open", {"level": "red", "reason": "理由"}, 403, "permission_denied"),
    ("leader", "open", {"level": "red", "reason": "理由"}, 403, "permission_denied"),
    ("other_supervisor", "open", {"level": "red", "reason": "理由"}, 404, "task_not_found"),
    ("sysadmin", "open", {"level": "red", "reason": "理由"}, 404, "task_not_found"),
])
def test_a_judgement_is_refused_with_a_code_and_writes_nothing(cast, who, task, body, status, code):
    c = cast
    if task == "open":
        target = assigned(c, "推进重点项目开工", [c.pref_drc])
    else:
        decision = s.decision_create(actor=c.supervisor, kind="meeting", title="纪要", issued_on=D(2026, 5, 28))
        target = s.task_create(actor=c.supervisor, decision=decision, title="草稿事项", lead_unit_ids=[c.pref_drc.pk])
    api = Api(getattr(c, who))
    before = Event.objects.exclude(verb="security.denied").count()
    r = api.post(f"/tasks/{target.pk}/confidence", body)
    assert (r.status_code, r.json()["code"]) == (status, code), r.content
    assert not TaskConfidence.objects.exists()
    assert Event.objects.exclude(verb="security.denied").count() == before


# ---- query counts --------------------------------------------------------------------------------


def queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        r = call()
    assert r.status_code == 200, getattr(r, "content", r)
    return len(ctx.captured_queries), r


def test_the_bulletin_list_costs_the_same_for_one_bulletin_or_many(cast):
    c = cast
    api = Api(c.supervisor)
    api.get("/bulletins")  # the token's first use is recorded once

    def make(n):
        for _ in range(n):
            for scope in (c.prefecture, c.county, c.other_county):
                api.post("/bulletins", {"scope_unit_id": scope.pk, "period": "2026-06", "formats": ["docx"]})

    make(1)
    few, r = queries(lambda: api.get("/bulletins", limit=200))
    assert len(r.json()["items"]) == 3
    make(4)
    many, r = queries(lambda: api.get("/bulletins", limit=200))
    assert len(r.json()["items"]) == 15
    assert many == few <= 4


def test_the_history_export_and_scorecard_cost_the_same_whatever_their_size(cast, settings):
    c = cast
    sup = Api(c.supervisor)
    task = assigned(c, "推进重点项目开工", [c.pref_drc])
    sup.get("/me")

    def grow(n):
        for i in range(n):
            confidence_record(actor=c.supervisor, task=task, level="yellow", reason=f"第{i}次研判。")
            t = assigned(c, f"事项{Task.objects.count()}", [c.pref_finance, c.county_drc, c.township],
                         cooperating_unit_ids=[c.pref_drc.pk])
            for unit in (c.pref_finance, c.county_drc):
                work = s.assignment_sign(actor=c.finance_liaison if unit == c.pref_finance else c.county_drc_liaison,
                                         assignment=lead_of(t, unit))
                s.report_submit(actor=c.finance_head if unit == c.pref_finance else c.county_drc_head,
                                assignment=work, text="进展顺利。", progress=30)

    def cost():
        history, r = queries(lambda: sup.get(f"/tasks/{task.pk}/confidence"))
        export, e = queries(lambda: sup.client.get(f"{API}/ledger/export"))
        rows = len(list(load_workbook(io.BytesIO(streamed(e))).worksheets[0].iter_rows(values_only=True)))
        card, s_ = queries(lambda: sup.get("/scorecards"))
        return (history, export, card), (len(r.json()["history"]), rows, len(s_.json()["units"]))

    grow(1)
    few, sizes_few = cost()
    grow(8)
    many, sizes_many = cost()
    assert all(m > f for m, f in zip(sizes_many[:2], sizes_few[:2], strict=True)), (sizes_few, sizes_many)
    assert many == few, f"queries (history, export, scorecard): {few} for {sizes_few}, {many} for {sizes_many}"
    assert all(n <= limit for n, limit in zip(few, (5, 8, 8), strict=True)), few
