"""督查通报: the figures of a scope and a month, the .docx laid out per GB/T 9704, its PDF with real Chinese
glyphs, versions, scope, the command line, the monthly run of the worker and the page."""

import datetime as dt
import io
import logging
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import include, path
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from PIL import Image

from duban.audit.chain import chain_verify
from duban.audit.models import Event
from duban.bulletins import charts
from duban.bulletins.charts import cjk_font
from duban.bulletins.models import Bulletin
from duban.bulletins.pdf import pdf_available
from duban.bulletins.periods import period_parse
from duban.bulletins.selectors import bulletin_get_for, bulletin_list_for
from duban.bulletins.services import bulletin_generate
from duban.bulletins.worker import handle_one_bulletin
from duban.config import urls as root_urls
from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.core.periods import Period, month
from duban.scorecards.services import confidence_record
from duban.supervision import services as s
from duban.supervision.lights import lights_refresh
from duban.supervision.models import Assignment, Target
from duban.web import urls as web_urls
from duban.web.views import bulletins as bulletin_views

# Until duban/web/urls.py lists the bulletin pages, these tests mount them themselves.
_web = list(web_urls.urlpatterns)
if not any(getattr(p, "name", None) == "bulletins" for p in _web):
    _web += bulletin_views.urlpatterns
urlpatterns = [p for p in root_urls.urlpatterns if getattr(p, "app_name", None) != "web"
               and getattr(p, "namespace", None) != "web"] + [path("", include((_web, "web")))]
pytestmark = pytest.mark.urls(__name__)

D = dt.date
MAY = month(2026, 5)
REASON = "受汛期影响，资产评估推迟。"
JUDGED_RED = "用地指标尚未落实，6月3日前难以全部开工。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assigned(c, *, title, leads, **options):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, lead_unit_ids=[u.pk for u in leads],
                         **options)
    return s.task_assign(actor=c.supervisor, task=task)


def lead_of(task, unit):
    return Assignment.objects.get(task=task, unit=unit)


@pytest.fixture
def world(cast, frozen):
    """May 2026 at 州委督查室, seen on Monday 2026-06-01:

    overdue  州财政局, due 5月20日, never signed: red, with its 客观原因
    key      州发改委, 挂牌, due 6月3日, target 开工项目 12 个 with 7 reported; a blocker put to 李州长
    done     州发改委, closed on time on 5月29日
    county   甲县发改局, due 6月30日 (the only task in 甲县's bulletin)
    研判     key judged 绿 on 5月11日, then 红 on 5月29日; overdue judged 黄红 on 5月29日 and 绿 in June
    """
    c = cast
    frozen.move_to(clock.at_local(D(2026, 5, 4), 9))
    overdue = assigned(c, title="盘活闲置国有资产", leads=[c.pref_finance], deadline=D(2026, 5, 20))
    key = assigned(c, title="推进重点项目开工", leads=[c.pref_drc], is_key=True, deadline=D(2026, 6, 3),
                   targets=[{"name": "开工项目", "measure": "个", "baseline": 0, "target": 12}])
    done = assigned(c, title="完成老旧小区改造", leads=[c.pref_drc], deadline=D(2026, 6, 30))
    county = assigned(c, title="建设县域物流中心", leads=[c.county_drc], deadline=D(2026, 6, 30))
    s.assignment_sign(actor=c.county_drc_liaison, assignment=lead_of(county, c.county_drc))
    report = s.report_submit(actor=c.county_drc_liaison, assignment=lead_of(county, c.county_drc),
                             text="选址已完成。", progress=50)
    s.report_unit_approve(actor=c.county_drc_head, report=report, approve=True)
    frozen.move_to(clock.at_local(D(2026, 5, 11), 9))
    a = lead_of(key, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=a)
    target = Target.objects.get(task=key)
    report = s.report_submit(actor=c.drc_liaison, assignment=fresh(a), text="已开工7个项目。", progress=90,
                             target_values={target.pk: "7"})
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    confidence_record(actor=c.supervisor, task=key, level="green", reason="开局良好。")
    blocker = s.blocker_raise(actor=c.drc_liaison, assignment=fresh(a), text="项目用地指标不足，需州级统筹。")
    s.blocker_escalate(actor=c.supervisor, blocker=blocker, leader=c.leader)
    frozen.move_to(clock.at_local(D(2026, 5, 29), 9))
    a = lead_of(done, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=a)
    report = s.report_submit(actor=c.drc_liaison, assignment=fresh(a), text="全部完成。", progress=100,
                             is_final=True)
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    s.assignment_verify(actor=c.supervisor, assignment=fresh(a))
    s.task_close(actor=c.supervisor, task=fresh(done), note="现场核验，佐证齐全。")
    confidence_record(actor=c.supervisor, task=key, level="red", reason=JUDGED_RED)
    confidence_record(actor=c.supervisor, task=overdue, level="yellow_red", reason="评估已启动，预计6月中旬完成。")
    # 客观原因 as recorded for the red assignment (no page records it yet).
    Assignment.objects.filter(task=overdue).update(objective_reason=REASON)
    frozen.move_to(clock.at_local(D(2026, 6, 1), 9))
    confidence_record(actor=c.supervisor, task=overdue, level="green", reason="评估报告已出，本周可处置。")
    lights_refresh()
    return {"overdue": overdue, "key": key, "done": done, "county": county}


def make(c, *, actor=None, scope=None, period=MAY, formats=("docx",), **options) -> Bulletin:
    return bulletin_generate(actor=actor or c.supervisor, scope_unit=scope or c.prefecture, period=period,
                             formats=formats, **options)


def open_docx(bulletin: Bulletin):
    with bulletin.docx.open("rb") as handle:
        return Document(io.BytesIO(handle.read()))


def east_asia(run) -> str | None:
    fonts = run._element.rPr.rFonts
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def paragraph_with(document, text: str):
    return next(p for p in document.paragraphs if text in p.text)


def document_text(document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# ---- figures -------------------------------------------------------------------------------------


def test_it_counts_results_overdue_key_tasks_and_blockers_of_the_month(cast, world):
    b = make(cast)
    f = b.figures
    h = f["headline"]
    assert (h["tasks"], h["new"], h["closed"], h["closed_on_time"], h["on_time_rate"]) == (4, 4, 1, 1, 100.0)
    assert (h["overdue"], h["red"], h["key_open"], h["blockers"]) == (1, 1, 1, 1)
    [target] = f["targets"]["rows"]
    assert (f["targets"]["total"], f["targets"]["reported"], f["targets"]["met"]) == (1, 1, 0)
    assert (target["name"], target["target"], target["latest"], target["percent"]) == ("开工项目", "12", "7", 58)
    [late] = f["overdue"]["rows"]
    assert (late["unit"], late["deadline"], late["reason"]) == ("州财政局", "2026-05-20", REASON)
    assert late["workdays"] == 7  # 5月21日 to 5月29日 (a Friday), the weekend of 5月30–31日 not counted
    assert f["overdue"]["with_reason"] == 1
    assert [r["task"] for r in f["key"]["rows"]] == ["推进重点项目开工"]
    assert f["key"]["rows"][0]["leads"] == "州发改委"
    [blocker] = f["blockers"]["rows"]
    assert (blocker["unit"], blocker["leader"]) == ("州发改委", "李州长")
    units = {r["unit"]: r for r in f["units"]["rows"]}
    assert units["州财政局"]["red"] == 1 and units["州发改委"]["done"] == 1
    assert f["period"]["label"] == "2026年5月"


def test_it_shows_the_judgement_at_the_periods_end_beside_the_light(cast, world):
    f = make(cast).figures
    # The judgements of May: June's 绿 for the overdue task comes after the period and is not read.
    assert [r["judgement"] for r in f["overdue"]["rows"]] == ["黄红"]
    assert [(r["light"], r["judgement"]) for r in f["key"]["rows"]] == [("黄灯", "红")]
    j = f["judged"]
    assert (j["total"], j["disagree"]) == (2, 1)
    assert {x["level"]: x["count"] for x in j["levels"]} == {"绿": 0, "绿黄": 0, "黄": 0, "黄红": 1, "红": 1}
    # 黄红 on a red light agrees with it; 红 on a yellow light does not, and is listed with its reason.
    [row] = j["rows"]
    assert (row["task"], row["light"], row["judgement"], row["reason"], row["on"]) == (
        "推进重点项目开工", "黄灯", "红", JUDGED_RED, "2026-05-29")
    text = document_text(open_docx(make(cast)))
    assert "研判与亮灯" in text and JUDGED_RED in text and "其中1项与系统按时限自动亮灯不一致" in text
    # 甲县's bulletin holds none of the prefecture's judgements.
    county = make(cast, actor=cast.county_supervisor, scope=cast.county).figures["judged"]
    assert (county["total"], county["rows"]) == (0, [])
    # A June bulletin reads June's judgement.
    june = make(cast, period=Period(D(2026, 6, 1), D(2026, 6, 1))).figures
    assert [r["judgement"] for r in june["overdue"]["rows"] if r["task"] == "盘活闲置国有资产"] == ["绿"]


def test_it_tells_the_reporting_burden_of_the_scope(cast, world):
    b = make(cast).figures["burden"]
    # May's released reports: 甲县发改局's, and 州发改委's two (the key task's and the one closed); 州财政局
    # holds work but sent nothing.
    assert (b["sent"], b["units"]) == (3, 3) and b["repeated"] == 0
    assert b["rule"] == {"report": 1.5, "notice": 0.1}
    text = document_text(open_docx(make(cast)))
    assert "（三）基层减负" in text and f"实报{b['sent']}份" in text and "重复索要已报材料0次" in text
    county = make(cast, actor=cast.county_supervisor, scope=cast.county).figures["burden"]
    assert (county["sent"], county["units"]) == (1, 1)


def test_it_reads_the_figures_as_the_person_who_makes_it(cast, world):
    county = make(cast, actor=cast.county_supervisor, scope=cast.county).figures
    assert county["headline"]["tasks"] == 1
    assert [r["unit"] for r in county["units"]["rows"]] == ["甲县发改局"]
    assert county["overdue"]["total"] == 0 and county["blockers"]["total"] == 0


def test_a_later_target_value_or_a_draft_one_does_not_count(cast, world, frozen):
    key = world["key"]
    target = Target.objects.get(task=key)
    s.report_submit(actor=cast.drc_liaison, assignment=lead_of(key, cast.pref_drc), text="又开工5个。",
                    progress=90, target_values={target.pk: "12"})  # June, and still with the unit head
    assert make(cast).figures["targets"]["rows"][0]["latest"] == "7"
    june = make(cast, period=Period(D(2026, 6, 1), D(2026, 6, 1))).figures["targets"]
    assert june["rows"][0]["latest"] == "7"  # the draft round is the unit's own


# ---- the document --------------------------------------------------------------------------------


def test_it_lays_the_docx_out_per_gbt_9704(cast, world):
    document = open_docx(make(cast, masthead={"doc_number": "州督通〔2026〕5号", "urgency": "特急"}))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm, 1) for m in margins] == [37.0, 35.0, 28.0, 26.0]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("linesAndChars", "579")

    title = paragraph_with(document, "督查督办工作情况的通报")
    assert title.text == "关于2026年5月示范州督查督办工作情况的通报"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert {(east_asia(r), r.font.size) for r in title.runs} == {("方正小标宋简体", Pt(22))}

    body = paragraph_with(document, "范围内共有督办事项")
    assert {(east_asia(r), r.font.size) for r in body.runs} == {("仿宋_GB2312", Pt(16))}
    assert body.paragraph_format.line_spacing == Pt(28.95)
    assert {east_asia(r) for r in paragraph_with(document, "一、总体情况").runs} == {"黑体"}
    assert {east_asia(r) for r in paragraph_with(document, "（一）事项办理").runs} == {"楷体_GB2312"}
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"

    mark = paragraph_with(document, "示范州督查通报")
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert {str(r.font.color.rgb) for r in mark.runs} == {"FF0000"}
    number = paragraph_with(document, "州督通〔2026〕5号")
    border = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"
    assert paragraph_with(document, "特急").runs[0].text == "特急"

    assert document.settings.odd_and_even_pages_header_footer
    for footer, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                      WD_ALIGN_PARAGRAPH.LEFT)):
        [number] = footer.paragraphs
        assert number.alignment == side
        assert number.text.startswith("— ") and number.text.endswith(" —")
        assert [i.text.strip() for i in number._p.iter(qn("w:instrText"))] == ["PAGE"]
        assert {(east_asia(r), r.font.size) for r in number.runs} == {("宋体", Pt(14))}


def test_it_names_the_overdue_units_and_their_reasons_in_a_table(cast, world):
    document = open_docx(make(cast))
    text = document_text(document)
    assert "州财政局（牵头）" in text and REASON in text
    assert "项目用地指标不足，需州级统筹。" in text and "已提请李州长协调" in text
    overdue_table = next(t for t in document.tables if t.rows[0].cells[-1].text == "客观原因")
    assert [c.text for c in overdue_table.rows[1].cells][1:] == ["州财政局（牵头）", "2026.5.20", "7", "黄红", REASON]


def test_it_draws_the_unit_and_target_charts_in_a_cjk_face(cast, world, caplog):
    caplog.set_level(logging.WARNING)
    document = open_docx(make(cast))
    shapes = document.inline_shapes
    assert len(shapes) == 2
    assert all(round(shape.width.mm) == 150 for shape in shapes)
    captions = [p.text for p in document.paragraphs if p.text.startswith("图")]
    assert captions == ["图1　各单位承办、办结、逾期和红灯事项", "图2　量化指标完成进度"]
    # Real PNG pictures, every label drawn from the CJK face (matplotlib logs each glyph it lacks).
    blobs = [document.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
             for s in shapes]
    for blob in blobs:
        with Image.open(io.BytesIO(blob)) as picture:
            assert picture.format == "PNG" and picture.width > 1000
    assert not [r for r in caplog.records if "missing from font" in r.getMessage()]
    assert cjk_font().endswith((".ttc", ".otf", ".ttf"))


def test_without_a_cjk_face_it_leaves_the_charts_out_and_keeps_the_tables(cast, world, monkeypatch):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    document = open_docx(make(cast))
    assert len(document.inline_shapes) == 0
    assert not [p for p in document.paragraphs if p.text.startswith("图")]
    assert any(t.rows[0].cells[0].text == "承办单位" for t in document.tables)


def test_its_pdf_shows_the_chinese_text_in_cjk_fonts(cast, world):
    from pypdf import PdfReader

    # Installed by the project's setup (.ci/run runs scripts/docs-tools.sh): a failure, never a skip.
    assert pdf_available(), "LibreOffice is missing: run scripts/docs-tools.sh (make docs-tools) as root"

    b = make(cast, formats=("docx", "pdf"))
    with b.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "关于2026年5月示范州督查督办工作情况的通报" in text
    assert "州财政局" in text and REASON in text
    assert "\ufffd" not in text and "□" not in text
    assert re.search(r"—\d+—", text)  # the page numbers
    fonts = {str(f["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].get_object().values()}
    assert any(re.search(r"CJK|UKai|UMing|WenQuanYi|ZenHei", name) for name in fonts), fonts
    size = reader.pages[0].mediabox
    assert (round(float(size.width) / 72 * 25.4), round(float(size.height) / 72 * 25.4)) == (210, 297)


# ---- versions, scope, audit ----------------------------------------------------------------------


def test_each_new_bulletin_of_a_scope_and_period_is_the_next_version(cast, world):
    first, second = make(cast), make(cast)
    assert (first.version, second.version) == (1, 2)
    assert first.docx.name != second.docx.name
    assert make(cast, period=Period(D(2026, 5, 1), D(2026, 5, 15))).version == 1
    assert make(cast, actor=cast.county_supervisor, scope=cast.county).version == 1
    events = Event.objects.filter(verb="bulletin.generate").order_by("seq")
    assert [e.payload["version"] for e in events][:2] == [1, 2]
    assert events[0].actor_id == cast.supervisor.pk and events[0].unit_id == cast.prefecture.pk
    assert chain_verify().ok


def test_a_unit_outside_the_makers_subtree_is_refused(cast, world):
    with pytest.raises(PermissionDenied) as refused:
        make(cast, actor=cast.county_supervisor, scope=cast.other_county)
    assert refused.value.code == "bulletin_scope_denied" and "本单位及下级单位" in refused.value.message
    with pytest.raises(PermissionDenied) as refused:
        make(cast, actor=cast.drc_liaison, scope=cast.pref_drc)
    assert refused.value.code == "bulletin_role_denied"
    assert not Bulletin.objects.exists()


def test_only_those_whose_subtree_holds_the_scope_see_a_bulletin(cast, world):
    pref = make(cast)
    county = make(cast, actor=cast.county_supervisor, scope=cast.county)
    assert set(bulletin_list_for(user=cast.supervisor)) == {pref, county}
    assert set(bulletin_list_for(user=cast.leader)) == {pref, county}
    assert list(bulletin_list_for(user=cast.county_supervisor)) == [county]
    assert not bulletin_list_for(user=cast.other_supervisor).exists()
    assert not bulletin_list_for(user=cast.drc_liaison).exists()
    assert not bulletin_list_for(user=cast.sysadmin).exists()
    with pytest.raises(NotFound):
        bulletin_get_for(user=cast.county_supervisor, id=pref.pk)
    assert list(bulletin_list_for(user=cast.supervisor, filters={"scope": cast.county.pk})) == [county]


def test_it_checks_period_and_formats(cast, world):
    assert period_parse("2026-5") == MAY
    assert period_parse("2026-05-01..2026-05-15") == Period(D(2026, 5, 1), D(2026, 5, 15))
    assert period_parse("2026-Q1").label == "2026年第一季度"
    for text, code in (("2026-13", "bulletin_period_invalid"), ("五月", "bulletin_period_invalid"),
                       ("2026-07", "bulletin_period_future"),
                       ("2026-05-20..2026-05-01", "bulletin_period_reversed")):
        with pytest.raises(DomainError) as error:
            period_parse(text)
        assert error.value.code == code and error.value.message
    with pytest.raises(DomainError) as error:
        make(cast, formats=("odt",))
    assert error.value.code == "bulletin_format_invalid"


# ---- command line --------------------------------------------------------------------------------


def test_the_command_writes_the_file(cast, world, tmp_path, capsys):
    out = tmp_path / "通报.docx"
    call_command("bulletin", "--scope", "示范州", "--period", "2026-05", "--format", "docx", "--out", str(out))
    assert "关于2026年5月示范州督查督办工作情况的通报" in capsys.readouterr().out
    document = Document(str(out))
    assert round(document.sections[0].page_width.mm) == 210
    bulletin = Bulletin.objects.get()
    assert bulletin.created_by == cast.supervisor  # the scope unit's supervisor, without --as
    call_command("bulletin", "--scope", str(cast.county.pk), "--from", "2026-05-01", "--to", "2026-05-31",
                 "--as", "jx.duchaban")
    assert Bulletin.objects.filter(scope_unit=cast.county, created_by=cast.county_supervisor).exists()
    with pytest.raises(CommandError, match="本单位及下级单位"):
        call_command("bulletin", "--scope", "乙县", "--period", "2026-05", "--as", "jx.duchaban")
    with pytest.raises(CommandError, match="找不到单位"):
        call_command("bulletin", "--scope", "丙县", "--period", "2026-05")


# ---- the monthly run -----------------------------------------------------------------------------


def test_the_worker_makes_last_months_bulletins_once_a_month(cast, world, frozen, monkeypatch):
    monkeypatch.setattr("duban.bulletins.worker.pdf_available", lambda: False)
    assert handle_one_bulletin() is True
    made = Bulletin.objects.all()
    # Every unit with a supervisor: 示范州 (周督查), 甲县 (吴督查), 乙县 (卫督查).
    assert {b.scope_unit for b in made} == {cast.prefecture, cast.county, cast.other_county}
    assert {(b.period_key, b.version, b.created_by_id) for b in made} == {("2026-05", 1, None)}
    assert handle_one_bulletin() is False
    frozen.move_to(clock.at_local(D(2026, 6, 20), 9))
    assert handle_one_bulletin() is False
    assert Bulletin.objects.count() == 3
    frozen.move_to(clock.at_local(D(2026, 7, 1), 8))
    assert handle_one_bulletin() is True
    assert Bulletin.objects.filter(period_key="2026-06").count() == 3
    scheduled = Event.objects.filter(verb="bulletin.generate", actor__isnull=True)
    assert scheduled.count() == 6 and all(e.payload["scheduled"] for e in scheduled)


def test_the_worker_skips_a_unit_that_already_has_the_month(cast, world, monkeypatch):
    monkeypatch.setattr("duban.bulletins.worker.pdf_available", lambda: False)
    make(cast)
    assert handle_one_bulletin() is True
    assert Bulletin.objects.filter(scope_unit=cast.prefecture).count() == 1


# ---- the page ------------------------------------------------------------------------------------


def test_the_page_makes_a_bulletin_and_offers_its_downloads(cast, world, client):
    client.force_login(cast.supervisor)
    page = client.get("/bulletins/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "生成通报" in html and "正在生成…" in html and 'hx-indicator="#bulletin-busy"' in html
    answer = client.post("/bulletins/", {"scope": cast.county.pk, "month": "2026-05", "formats": ["docx"]})
    assert answer.status_code == 302
    bulletin = Bulletin.objects.get()
    assert (bulletin.scope_unit, bulletin.period_key, bool(bulletin.pdf)) == (cast.county, "2026-05", False)
    listing = client.get(answer["Location"]).content.decode()
    assert bulletin.title in listing and f"/bulletins/{bulletin.pk}/docx/" in listing
    download = client.get(f"/bulletins/{bulletin.pk}/docx/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert Document(io.BytesIO(b"".join(download.streaming_content))).paragraphs
    assert client.get(f"/bulletins/{bulletin.pk}/pdf/").status_code == 404  # none was made
    htmx = client.post("/bulletins/", {"scope": cast.county.pk, "month": "2026-05", "formats": ["docx"]},
                       HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and htmx["HX-Redirect"].startswith("/bulletins/?made=")
    assert Bulletin.objects.get(pk=htmx["HX-Redirect"].split("=")[1]).version == 2


def test_the_page_shows_errors_beside_their_fields(cast, world, client):
    client.force_login(cast.supervisor)
    answer = client.post("/bulletins/", {"scope": cast.county.pk, "month": "2026-08", "formats": ["docx"]})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "通报期间尚未开始" in html and "field-error" in html
    fragment = client.post("/bulletins/", {"scope": cast.other_drc.pk + 999, "month": "2026-05"},
                           HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "errorlist" in fragment.content.decode()
    assert 'id="bulletin-form"' in fragment.content.decode()
    assert not Bulletin.objects.exists()


def test_the_page_offers_only_the_makers_subtree_and_hides_others_bulletins(cast, world, client):
    pref = make(cast)
    client.force_login(cast.county_supervisor)
    html = client.get("/bulletins/").content.decode()
    assert f'value="{cast.county.pk}"' in html and f'value="{cast.township.pk}"' in html
    assert f'value="{cast.other_county.pk}"' not in html and f'value="{cast.prefecture.pk}"' not in html
    assert pref.title not in html
    assert client.get(f"/bulletins/{pref.pk}/docx/").status_code == 404
    refused = client.post("/bulletins/", {"scope": cast.other_county.pk, "month": "2026-05",
                                          "formats": ["docx"]})
    assert refused.status_code == 400 and not Bulletin.objects.filter(scope_unit=cast.other_county).exists()
    client.force_login(cast.drc_liaison)
    html = client.get("/bulletins/").content.decode()
    assert "bulletin-form" not in html and "您的范围内还没有通报" in html
    assert client.post("/bulletins/", {"scope": cast.pref_drc.pk, "month": "2026-05"}).status_code == 403
    assert client.get(f"/bulletins/{pref.pk}/docx/").status_code == 404


def test_the_list_costs_the_same_queries_for_one_bulletin_or_many(cast, world, client,
                                                                  django_assert_max_num_queries):
    client.force_login(cast.leader)
    make(cast)
    with django_assert_max_num_queries(12):
        assert client.get("/bulletins/").status_code == 200
    for _ in range(5):
        make(cast, actor=cast.county_supervisor, scope=cast.county)
    with django_assert_max_num_queries(12):
        html = client.get("/bulletins/").content.decode()
    assert html.count("/docx/") == 6


# ---- the API -------------------------------------------------------------------------------------


def test_the_api_makes_lists_and_serves_bulletins_in_scope(cast, world, client):
    client.force_login(cast.county_supervisor)
    made = client.post("/api/v1/bulletins", {"scope_unit_id": cast.county.pk, "period": "2026-05",
                                             "formats": ["docx"], "doc_number": "县督通〔2026〕5号"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["version"], body["period"], body["has_docx"], body["has_pdf"]) == (1, "2026-05", True, False)
    assert body["figures"]["headline"]["tasks"] == 1
    refused = client.post("/api/v1/bulletins", {"scope_unit_id": cast.other_county.pk, "period": "2026-05"},
                          content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "bulletin_scope_denied")
    bad = client.post("/api/v1/bulletins", {"scope_unit_id": cast.county.pk, "period": "明年"},
                      content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (400, "bulletin_period_invalid")
    assert [b["id"] for b in client.get("/api/v1/bulletins").json()["items"]] == [body["id"]]
    download = client.get(f"/api/v1/bulletins/{body['id']}/docx")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert client.get(f"/api/v1/bulletins/{body['id']}/pdf").status_code == 404
    client.force_login(cast.other_supervisor)
    assert client.get("/api/v1/bulletins").json()["items"] == []
    assert client.get(f"/api/v1/bulletins/{body['id']}").status_code == 404
    assert client.get(f"/api/v1/bulletins/{body['id']}/docx").status_code == 404


def test_the_figures_cost_the_same_queries_however_many_tasks(cast, world, django_assert_max_num_queries):
    from duban.bulletins.figures import bulletin_figures

    with django_assert_max_num_queries(20):  # 16, and 4 for the burden line
        small = bulletin_figures(user=cast.supervisor, scope=cast.prefecture, period=MAY)
    for n in range(6):
        task = assigned(cast, title=f"新增事项{n}", leads=[cast.pref_finance, cast.county_drc], is_key=True,
                        deadline=D(2026, 6, 30), targets=[{"name": "指标", "target": 10}])
        s.blocker_raise(actor=cast.finance_liaison, assignment=lead_of(task, cast.pref_finance), text="缺少资金。")
    june = Period(D(2026, 6, 1), D(2026, 6, 1))
    with django_assert_max_num_queries(20):
        large = bulletin_figures(user=cast.supervisor, scope=cast.prefecture, period=june)
    assert (small["key"]["total"], large["key"]["total"]) == (1, 7)
    assert large["blockers"]["total"] == 7 and large["targets"]["total"] == 7


def test_the_worker_falls_back_to_word_when_the_pdf_fails(cast, world, monkeypatch):
    def broken(content, **_):
        raise DomainError("pdf_failed", "PDF 转换失败。")

    monkeypatch.setattr("duban.bulletins.worker.pdf_available", lambda: True)
    monkeypatch.setattr("duban.bulletins.services.docx_to_pdf", broken)
    assert handle_one_bulletin() is True
    made = Bulletin.objects.all()
    assert made.count() == 3 and all(b.docx and not b.pdf for b in made)
