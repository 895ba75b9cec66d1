"""智能分解 as a supervisor uses it: upload a document, check its proposed tasks beside the words they came from,
edit, merge, split and drop them, and accept them as a decision with draft tasks — each change one transaction
with its Event, nothing written when a step is refused, and only the office that read the document sees it."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from duban.audit.models import Event
from duban.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from duban.extract import services as x
from duban.extract.models import Extraction, ExtractionState, ProposedTask
from duban.extract.selectors import extraction_get_for, extraction_list_for
from duban.supervision.models import Decision, Task, TaskPlan, TaskState

pytestmark = pytest.mark.django_db

D = dt.date

MINUTES = """示范州人民政府常务会议纪要
2026年5月28日
一、关于重点项目建设
（一）由州发改委牵头，州财政局配合，于2026年7月底前完成重点项目年度投资计划调整。
（二）甲县发展和改革局要加快项目前期工作，年底前完成可研批复。
（三）州财政局负责统筹专项债券资金，每月5日前报送支付进度。
二、关于营商环境
会议要求，州市场监督管理局牵头，州财政局配合，9月底前完成涉企收费清理。
"""


def _make(c, text=MINUTES, **kwargs) -> Extraction:
    return x.extraction_create(actor=c.supervisor, text=text, **kwargs)


def _items(extraction) -> list[ProposedTask]:
    return list(ProposedTask.objects.filter(extraction=extraction).order_by("position", "id"))


def _fresh(extraction) -> Extraction:
    return Extraction.objects.get(pk=extraction.pk)


def _docx(paragraphs: list[str]) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- reading ---------------------------------------------------------------------------------------------


def test_it_proposes_the_tasks_of_minutes_with_units_from_the_tree(cast, frozen):
    c = cast
    extraction = _make(c)
    items = _items(extraction)
    assert [i.text[:6] for i in items] == ["（一）由州发", "（二）甲县发", "（三）州财政", "会议要求，州"]
    first, second, third, fourth = items
    assert (first.lead_unit_ids, first.other_unit_ids) == ([c.pref_drc.pk], [c.pref_finance.pk])
    assert first.lead_names == ["州发改委"] and first.matches == {"州发改委": c.pref_drc.pk,
                                                                  "州财政局": c.pref_finance.pk}
    assert (first.deadline, first.deadline_text) == (D(2026, 7, 31), "2026年7月底前")
    assert second.lead_unit_ids == [c.county_drc.pk] and second.deadline == D(2026, 12, 31)
    assert (third.cadence, third.report_day, third.deadline) == ("monthly", 5, None)
    # A unit the tree does not know is kept as written and flagged, never dropped.
    assert fourth.lead_names == ["州市场监督管理局"] and fourth.lead_unit_ids == []
    assert fourth.unmatched_names == ["州市场监督管理局"]
    assert first.section == ["一、关于重点项目建设"]
    assert extraction.text[first.span_start:first.span_end] == first.text
    assert extraction.document_date == D(2026, 5, 28) and extraction.title == "示范州人民政府常务会议纪要"
    event = Event.objects.get(verb="extraction.create")
    assert (event.object_id, event.payload["items"]) == (extraction.pk, 4)


def test_it_reads_an_uploaded_docx_and_refuses_what_it_cannot_read(cast, frozen):
    c = cast
    data = _docx(["关于加快项目建设的实施方案", "1.推进园区道路建设。（甲县发展和改革局负责，2026年9月底前完成）"])
    extraction = x.extraction_create(actor=c.supervisor, filename="方案.docx", data=data)
    [item] = _items(extraction)
    assert (extraction.kind, item.lead_unit_ids, item.deadline) == ("docx", [c.county_drc.pk], D(2026, 9, 30))
    before = Event.objects.count()
    for filename, data, code in (("旧.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "extract_unreadable"),
                                 ("空.txt", b"   \n ", "extract_empty"),
                                 ("假.pdf", b"%PDF-1.4 not really", "extract_unreadable")):
        with pytest.raises(DomainError) as error:
            x.extraction_create(actor=c.supervisor, filename=filename, data=data)
        assert error.value.code == code and re.search(r"[\u4e00-\u9fff]", error.value.message)
    assert Event.objects.count() == before and Extraction.objects.count() == 1


def test_only_a_supervisor_reads_and_only_their_office_sees_it(cast, frozen):
    c = cast
    extraction = _make(c)
    with pytest.raises(PermissionDenied):
        x.extraction_create(actor=c.drc_liaison, text=MINUTES)
    assert list(extraction_list_for(user=c.supervisor)) == [extraction]
    for outsider in (c.county_supervisor, c.other_supervisor, c.leader, c.drc_liaison):
        assert list(extraction_list_for(user=outsider)) == []
        with pytest.raises(NotFound):
            extraction_get_for(user=outsider, id=extraction.pk)
    with pytest.raises(NotFound):
        x.extraction_item_drop(actor=c.county_supervisor, item_id=_items(extraction)[0].pk, version=None)


# ---- settling ------------------------------------------------------------------------------------------------


def test_it_edits_merges_splits_and_drops_each_with_its_event(cast, frozen):
    c = cast
    extraction = _make(c)
    first, second, third, fourth = _items(extraction)
    v = extraction.version
    x.extraction_item_update(actor=c.supervisor, item_id=fourth.pk, version=v, text=fourth.text,
                             lead_unit_ids=[c.pref_finance.pk], other_unit_ids=[c.pref_drc.pk],
                             deadline=D(2026, 9, 30))
    fourth.refresh_from_db()
    assert (fourth.lead_unit_ids, fourth.other_unit_ids) == ([c.pref_finance.pk], [c.pref_drc.pk])
    # The version moved: a second change on the old one is refused and writes nothing.
    with pytest.raises(Conflict):
        x.extraction_item_drop(actor=c.supervisor, item_id=third.pk, version=v)
    v = _fresh(extraction).version
    merged = x.extraction_item_merge(actor=c.supervisor, item_id=first.pk, version=v)
    assert merged.text.startswith("（一）") and "（二）" in merged.text
    assert merged.text == extraction.text[merged.span_start:merged.span_end]
    assert merged.lead_unit_ids == [c.pref_drc.pk, c.county_drc.pk] and merged.deadline == D(2026, 12, 31)
    assert not ProposedTask.objects.filter(pk=second.pk).exists()
    head, tail = x.extraction_item_split(actor=c.supervisor, item_id=merged.pk, version=_fresh(extraction).version,
                                         at=merged.text.index("（二）"))
    assert head.text.startswith("（一）") and tail.text.startswith("（二）")
    assert tail.lead_unit_ids == [c.county_drc.pk] and head.lead_unit_ids == [c.pref_drc.pk]
    assert [i.pk for i in _items(extraction)][:2] == [head.pk, tail.pk]
    x.extraction_item_drop(actor=c.supervisor, item_id=third.pk, version=_fresh(extraction).version)
    ops = [e.payload["op"] for e in Event.objects.filter(verb="extraction.edit").order_by("seq")]
    assert ops == ["update", "merge", "split", "drop"]
    with pytest.raises(DomainError) as error:
        x.extraction_item_update(actor=c.supervisor, item_id=fourth.pk, version=None, text="改写",
                                 lead_unit_ids=[c.province.pk], other_unit_ids=[], deadline=None)
    assert error.value.code == "extract_unit_out_of_scope"


def test_accepting_creates_the_decision_and_its_draft_tasks_all_or_none(cast, frozen):
    c = cast
    extraction = _make(c)
    *_, fourth = _items(extraction)
    before = (Decision.objects.count(), Task.objects.count(), Event.objects.count())
    with pytest.raises(DomainError) as error:
        x.extraction_accept(actor=c.supervisor, extraction_id=extraction.pk, version=None, kind="meeting",
                            title="州政府常务会议纪要", issued_on=D(2026, 5, 28))
    assert error.value.code == "extract_items_incomplete" and "第4项未指定牵头单位" in error.value.message
    assert "州市场监督管理局" in error.value.message
    x.extraction_item_update(actor=c.supervisor, item_id=fourth.pk, version=None, text=fourth.text,
                             lead_unit_ids=[c.pref_finance.pk], other_unit_ids=[], deadline=D(2026, 5, 1))
    with pytest.raises(DomainError) as error:  # a deadline already past, found by the lifecycle service
        x.extraction_accept(actor=c.supervisor, extraction_id=extraction.pk, version=None, kind="meeting",
                            title="州政府常务会议纪要", issued_on=D(2026, 5, 28))
    assert error.value.code == "task_deadline_past" and error.value.message.startswith("第4项：")
    assert (Decision.objects.count(), Task.objects.count()) == before[:2]
    x.extraction_item_update(actor=c.supervisor, item_id=fourth.pk, version=None, text=fourth.text,
                             lead_unit_ids=[c.pref_finance.pk], other_unit_ids=[], deadline=D(2026, 9, 30))
    decision = x.extraction_accept(actor=c.supervisor, extraction_id=extraction.pk, version=None, kind="meeting",
                                   title="州政府第9次常务会议纪要", issued_on=D(2026, 5, 28), doc_number="〔2026〕9号")
    tasks = list(Task.objects.filter(decision=decision).order_by("pk"))
    assert [t.title for t in tasks] == [
        "由州发改委牵头，州财政局配合，于2026年7月底前完成重点项目年度投资计划调整",
        "甲县发展和改革局要加快项目前期工作，年底前完成可研批复",
        "州财政局负责统筹专项债券资金，每月5日前报送支付进度",
        "会议要求，州市场监督管理局牵头，州财政局配合，9月底前完成涉企收费清理"]
    assert {t.state for t in tasks} == {TaskState.DRAFT}
    assert tasks[0].deadline == D(2026, 7, 31) and tasks[2].cadence == "monthly" and tasks[2].report_day == 5
    assert set(TaskPlan.objects.filter(task=tasks[0]).values_list("unit_id", "role")) == {
        (c.pref_drc.pk, "lead"), (c.pref_finance.pk, "cooperate")}
    assert decision.body == extraction.text and decision.doc_number == "〔2026〕9号"
    extraction = _fresh(extraction)
    assert (extraction.state, extraction.decision_id) == (ExtractionState.ACCEPTED, decision.pk)
    assert Event.objects.get(verb="extraction.accept").payload == {"decision": decision.pk, "tasks": 4}
    with pytest.raises(DomainError) as error:
        x.extraction_item_drop(actor=c.supervisor, item_id=fourth.pk, version=None)
    assert error.value.code == "extraction_illegal_transition"


# ---- the pages -----------------------------------------------------------------------------------------------


def test_the_page_takes_an_upload_and_shows_the_text_beside_its_proposals(client, cast, frozen):
    c = cast
    client.force_login(c.supervisor)
    upload = SimpleUploadedFile("纪要.docx", _docx(MINUTES.splitlines()),
                                content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    answer = client.post("/extract/", {"document": upload, "issued_on": ""})
    extraction = Extraction.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/extract/{extraction.pk}/"
    page = client.get(answer["Location"]).content.decode()
    items = _items(extraction)
    for item in items:
        assert f'id="span-{item.pk}"' in page and f'id="item-{item.pk}"' in page
    assert "州市场监督管理局" in page and "未能对应到本单位的下级单位" in page
    assert "2026年7月31日" in page and "原文：2026年7月底前" in page
    bad = client.post("/extract/", {"document": SimpleUploadedFile("表.xlsx", b"PK\x03\x04x")})
    assert bad.status_code == 400 and "只能读取" in bad.content.decode()
    nothing = client.post("/extract/", {"text": ""})
    assert nothing.status_code == 400 and "请上传文件，或粘贴文件正文" in nothing.content.decode()
    assert Extraction.objects.count() == 1


def test_the_page_edits_in_place_and_accepts(client, cast, frozen):
    c = cast
    client.force_login(c.supervisor)
    extraction = _make(c)
    *_, fourth = _items(extraction)
    fragment = client.get(f"/extract/items/{fourth.pk}/edit/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"<html" not in fragment.content and b'name="lead_units"' in fragment.content
    stale = client.post(f"/extract/items/{fourth.pk}/edit/", {
        "version": extraction.version - 1, "text": fourth.text, "lead_units": [c.pref_finance.pk],
        "cadence": "none"})
    assert stale.status_code == 302 and _items(extraction)[-1].lead_unit_ids == []
    saved = client.post(f"/extract/items/{fourth.pk}/edit/", {
        "version": extraction.version, "text": fourth.text, "lead_units": [c.pref_finance.pk],
        "deadline": "2026-09-30", "cadence": "none"})
    assert saved.status_code == 302 and saved["Location"].endswith(f"#item-{fourth.pk}")
    twice = client.post(f"/extract/items/{fourth.pk}/edit/", {
        "version": _fresh(extraction).version, "text": fourth.text, "lead_units": [c.pref_finance.pk],
        "other_units": [c.pref_finance.pk], "cadence": "none"})
    assert twice.status_code == 400 and "同一单位不能既牵头又配合" in twice.content.decode()
    answer = client.post(f"/extract/{extraction.pk}/accept/", {
        "version": _fresh(extraction).version, "kind": "meeting", "title": "州政府第9次常务会议纪要",
        "issued_on": "2026-05-28", "doc_number": "", "issuer": ""})
    decision = Decision.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/decisions/{decision.pk}/"
    assert Task.objects.filter(decision=decision).count() == 4


def test_the_pages_refuse_others_and_cost_a_fixed_number_of_queries(client, cast, frozen,
                                                                     django_assert_max_num_queries):
    c = cast
    extraction = _make(c)
    client.force_login(c.drc_liaison)
    assert client.get("/extract/").status_code == 403
    client.force_login(c.county_supervisor)
    assert client.get(f"/extract/{extraction.pk}/").status_code == 404
    assert client.post(f"/extract/items/{_items(extraction)[0].pk}/drop/", {"version": 1}).status_code == 404
    client.force_login(c.supervisor)
    with django_assert_max_num_queries(30) as few:
        assert client.get(f"/extract/{extraction.pk}/").status_code == 200
    many = _make(c, text=MINUTES + "\n".join(f"{i}. 州财政局负责完成第{i}项清理工作，9月底前完成。" for i in range(1, 60)))
    with django_assert_max_num_queries(len(few)):
        assert client.get(f"/extract/{many.pk}/").status_code == 200
    with django_assert_max_num_queries(20) as listing:
        assert client.get("/extract/").status_code == 200
    _make(c)
    with django_assert_max_num_queries(len(listing)):
        assert client.get("/extract/").status_code == 200
