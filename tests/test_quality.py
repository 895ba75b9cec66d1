"""反对形式主义 in the product: each report is checked as it is submitted — a near-copy of an earlier report (the
same unit's, another unit's, another task's), stock phrases with few facts, values a target asks for — and the
reviewer reads the advice beside it; the burden meter counts what each unit was asked for."""

import datetime as dt
import re

import pytest
from django.core.management import call_command

from duban.audit.models import Event
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.core.periods import month
from duban.escalation.services import urge_send
from duban.quality import similarity
from duban.quality.burden import burden_for, hours_rule
from duban.quality.models import MatchKind, ReportBand, ReportQuality, StockPhrase
from duban.quality.services import phrases_for, report_quality_preview, stock_phrases_save
from duban.supervision import services as s
from duban.supervision.models import Assignment, Report

pytestmark = pytest.mark.django_db

D = dt.date
ORIGINAL = ("本月完成龙溪工业园区3号路管网改造1.2公里，新建雨水检查井36座，完成投资860万元；"
            "5月18日组织住建、交通部门联合验收，整改问题4个，6月10日前全部完工。")
EDITED = ("本月完成龙溪工业园区3号路管网改造1.2公里，新建雨水检查井38座，完成投资860万元；"
          "5月18日组织住建、交通部门联合验收，整改问题4个，6月10日前全部完工。")
PADDED = ("我局高度重视，强化组织领导，精心组织，周密部署，多措并举，狠抓落实，压实责任，"
          "切实增强责任感紧迫感，全力以赴推进各项工作，取得明显成效，营造了良好氛围。")
FRESH = ("青山县城关镇老旧小区改造开工12个，加装电梯9部，6月3日召开居民议事会2场，"
         "收集意见41条，已答复38条，剩余3条6月15日前答复。")


def assigned(c, title, unit, **options):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要", issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, lead_unit_ids=[unit.pk],
                         deadline=D(2026, 9, 30), **options)
    s.task_assign(actor=c.supervisor, task=task)
    return Assignment.objects.get(task=task, unit=unit)


def signed(c, liaison, assignment):
    s.assignment_sign(actor=liaison, assignment=assignment)
    return Assignment.objects.get(pk=assignment.pk)


def submit(liaison, assignment, text, **kwargs) -> Report:
    return s.report_submit(actor=liaison, assignment=Assignment.objects.get(pk=assignment.pk), text=text,
                           progress=kwargs.pop("progress", 50), **kwargs)


@pytest.fixture
def two_units(cast, frozen):
    c = cast
    drc = signed(c, c.drc_liaison, assigned(c, "推进园区管网改造", c.pref_drc))
    finance = signed(c, c.finance_liaison, assigned(c, "推进园区管网改造（资金保障）", c.pref_finance))
    return drc, finance


def test_every_report_is_checked_and_indexed_as_it_is_submitted(cast, two_units):
    drc, _ = two_units
    report = submit(cast.drc_liaison, drc, ORIGINAL)
    quality = ReportQuality.objects.get(report=report)
    assert (quality.copied, quality.padded, quality.similarity) == (False, False, None)
    assert quality.facts >= 5 and quality.flags == []
    keys = set(ReportBand.objects.filter(report=report).values_list("key", flat=True))
    assert keys == set(similarity.band_keys(similarity.signature(ORIGINAL))) and len(keys) == similarity.BANDS
    assert Event.objects.get(verb="report.submit", object_id=report.pk).payload["quality"] == []


def test_it_flags_the_same_units_copy_another_units_copy_and_a_pasted_one(cast, two_units, frozen):
    c = cast
    drc, finance = two_units
    first = submit(c.drc_liaison, drc, ORIGINAL)
    s.report_unit_approve(actor=c.drc_head, report=first, approve=True)
    frozen.move_to(clock.at_local(D(2026, 6, 8), 9))
    again = submit(c.drc_liaison, drc, EDITED)
    q = ReportQuality.objects.get(report=again)
    assert (q.copied, q.match_id, q.match_kind) == (True, first.pk, MatchKind.SAME_UNIT)
    assert q.similarity == pytest.approx(similarity.jaccard(EDITED, ORIGINAL)) and q.similarity >= 0.8
    assert "本单位此前对同一事项的反馈" in q.flags[0]["reason"] and "可能没有新进展" in q.flags[0]["reason"]
    other = submit(c.finance_liaison, finance, ORIGINAL)
    q = ReportQuality.objects.get(report=other)
    assert (q.copied, q.match_kind) == (True, MatchKind.OTHER_TASK) and q.similarity == 1.0
    assert "可能照抄了他人的材料" in q.flags[0]["reason"]
    assert Event.objects.get(verb="report.submit", object_id=again.pk).payload["quality"] == ["copied"]


def test_it_flags_padding_and_missing_values_as_advice_and_submits_anyway(cast, frozen):
    c = cast
    target = {"name": "管网改造", "measure": "公里", "baseline": 0, "target": 5}
    a = signed(c, c.drc_liaison, assigned(c, "推进管网改造", c.pref_drc, targets=[target]))
    report = submit(c.drc_liaison, a, PADDED)
    assert report.state == "unit_review"  # advice, never a refusal
    q = ReportQuality.objects.get(report=report)
    assert q.padded and q.missing_values and q.stock_share > 0.5 and q.facts == 0
    codes = [f["code"] for f in q.flags]
    assert "padded" in codes and "missing_values" in codes
    assert all(re.search(r"[\u4e00-\u9fff]", f["reason"]) for f in q.flags)


def test_the_office_keeps_its_own_stock_phrases(cast, frozen):
    c = cast
    assert phrases_for(c.pref_drc) == phrases_for(c.county_drc) and "高度重视" in phrases_for(c.pref_drc)
    with pytest.raises(PermissionDenied):
        stock_phrases_save(actor=c.drc_liaison, phrases=["走深走实"])
    saved = stock_phrases_save(actor=c.supervisor, phrases=["走深走实", " 走深走实", "", "见行见效"])
    assert saved == ["走深走实", "见行见效"]
    # The prefecture's list serves the units below it, unless an office below keeps its own.
    assert phrases_for(c.county_drc) == ("走深走实", "见行见效")
    stock_phrases_save(actor=c.county_supervisor, phrases=["抓紧抓实"])
    assert phrases_for(c.county_drc) == ("抓紧抓实",) and phrases_for(c.pref_drc) == ("走深走实", "见行见效")
    with pytest.raises(DomainError) as error:
        stock_phrases_save(actor=c.supervisor, phrases=["很" * 41])
    assert error.value.code == "stock_phrase_too_long"
    assert list(StockPhrase.objects.filter(unit=c.prefecture).order_by("id").values_list("text", flat=True)) == [
        "走深走实", "见行见效"]
    assert Event.objects.filter(verb="quality.stock_phrases").count() == 2


def test_the_unit_is_warned_before_it_submits_without_seeing_others_words(cast, two_units, client):
    c = cast
    drc, finance = two_units
    submit(c.drc_liaison, drc, ORIGINAL)
    before = (Report.objects.count(), ReportBand.objects.count(), ReportQuality.objects.count())
    check = report_quality_preview(actor=c.finance_liaison, assignment=finance, text=EDITED)
    assert check.copied and check.match_kind == MatchKind.OTHER_TASK
    assert (Report.objects.count(), ReportBand.objects.count(), ReportQuality.objects.count()) == before
    client.force_login(c.finance_liaison)
    fragment = client.post(f"/assignments/{finance.pk}/report-check/", {"text": EDITED}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "提交前请留意" in body and "其他事项的反馈" in body
    assert "雨水检查井" not in body  # the other unit's words stay with them
    assert client.post(f"/assignments/{finance.pk}/report-check/", {"text": FRESH}).content.decode().strip() == ""
    client.force_login(c.county_drc_liaison)
    assert client.post(f"/assignments/{finance.pk}/report-check/", {"text": EDITED}).status_code == 404


def test_the_reviewer_compares_the_two_reports_with_the_changes_marked(cast, two_units, client, frozen):
    c = cast
    drc, finance = two_units
    first = submit(c.drc_liaison, drc, ORIGINAL)
    s.report_unit_approve(actor=c.drc_head, report=first, approve=True)
    frozen.move_to(clock.at_local(D(2026, 6, 8), 9))
    again = submit(c.drc_liaison, drc, EDITED)
    s.report_unit_approve(actor=c.drc_head, report=again, approve=True)
    client.force_login(c.supervisor)
    task_page = client.get(f"/tasks/{drc.task_id}/").content.decode()
    assert "材料提示" in task_page and f"/reports/{again.pk}/compare/" in task_page
    page = client.get(f"/reports/{again.pk}/compare/").content.decode()
    assert "检查井3<mark>8</mark>座" in page and "检查井3<mark>6</mark>座" in page
    assert page.count("<mark>") == 2
    # Someone who may see the new report but not the earlier one reads the similarity alone.
    copy = submit(c.finance_liaison, finance, ORIGINAL)
    client.force_login(c.finance_liaison)
    page = client.get(f"/reports/{copy.pk}/compare/").content.decode()
    assert "无权查看" in page and "雨水检查井36座" not in page.split("本次反馈")[0]


def test_a_report_submitted_before_checking_existed_is_indexed_by_the_command(cast, two_units):
    drc, _ = two_units
    report = submit(cast.drc_liaison, drc, ORIGINAL)
    ReportQuality.objects.all().delete()
    ReportBand.objects.all().delete()
    call_command("quality", "index", "--batch", "10")
    assert ReportQuality.objects.filter(report=report).exists()
    assert ReportBand.objects.filter(report=report).count() == similarity.BANDS


# ---- the burden meter ---------------------------------------------------------------------------------------


def test_the_burden_meter_counts_what_each_unit_was_asked_and_sent(cast, frozen):
    c = cast
    monthly = signed(c, c.drc_liaison, assigned(c, "按月报送的事项", c.pref_drc, cadence="monthly"))
    weekly = signed(c, c.finance_liaison, assigned(c, "按周报送的事项", c.pref_finance, cadence="weekly"))
    report = submit(c.drc_liaison, monthly, ORIGINAL)
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    frozen.move_to(clock.at_local(D(2026, 6, 3), 10))
    urge_send(actor=c.supervisor, assignment=monthly, message="请报送本月进展。")  # already answered on 6月1日
    urge_send(actor=c.supervisor, assignment=weekly, message="请报送本周进展。")
    padded = submit(c.finance_liaison, weekly, PADDED)
    s.report_unit_approve(actor=c.finance_head, report=padded, approve=True)  # what the office may read
    june = month(2026, 6)
    rows = {b.name: b for b in burden_for(user=c.supervisor, period=june)}
    drc, finance = rows["州发展和改革委员会"], rows["州财政局"]
    rule = hours_rule()
    assert (drc.asked, drc.sent, drc.urges, drc.repeated) == (1 + 1, 1, 1, 1)  # monthly report + 催办单
    assert (finance.asked, finance.sent, finance.padded, finance.repeated) == (4 + 1, 1, 1, 0)  # 4 weeks + 催办单
    assert drc.notices >= 1 and drc.hours == round(drc.asked * rule["report"] + drc.notices * rule["notice"], 1)
    assert finance.padded_rate == 1.0 and drc.copied_rate == 0.0
    # A county supervisor sees only the county's units; a liaison sees nothing.
    assert {b.name for b in burden_for(user=c.county_supervisor, period=june)} <= {"甲县发展和改革局", "甲县城关镇"}
    assert burden_for(user=c.drc_liaison, period=june) == []


def test_the_burden_page_is_for_leaders_and_supervisors_and_costs_fixed_queries(cast, frozen, client,
                                                                               django_assert_max_num_queries):
    c = cast
    client.force_login(c.drc_liaison)
    assert client.get("/burden/").status_code == 403
    client.force_login(c.leader)
    signed(c, c.drc_liaison, assigned(c, "按月报送的事项", c.pref_drc, cadence="monthly"))
    with django_assert_max_num_queries(25) as few:
        page = client.get("/burden/?period=2026-06")
    assert page.status_code == 200 and "州发展和改革委员会" in page.content.decode()
    for unit, liaison in ((c.pref_finance, c.finance_liaison), (c.county_drc, c.county_drc_liaison)):
        signed(c, liaison, assigned(c, f"{unit.name}的事项", unit, cadence="weekly"))
    with django_assert_max_num_queries(len(few)):
        page = client.get("/burden/?period=2026-06")
    assert "甲县发展和改革局" in page.content.decode() and "估算工时" in page.content.decode()


def test_the_scorecard_shows_each_units_copied_and_padded_rates_without_scoring_them(cast, two_units, frozen):
    from duban.scorecards.figures import scorecard_for

    c = cast
    drc, finance = two_units
    for text, when in ((ORIGINAL, D(2026, 6, 2)), (EDITED, D(2026, 6, 9)), (PADDED, D(2026, 6, 16))):
        frozen.move_to(clock.at_local(when, 9))
        s.report_unit_approve(actor=c.drc_head, report=submit(c.drc_liaison, drc, text), approve=True)
    cards = {card.unit_id: card for card in scorecard_for(user=c.supervisor, period=month(2026, 6)).units}
    card = cards[c.pref_drc.pk]
    assert (card.reports, card.copied, card.padded) == (3, 1, 1)
    assert card.copied_rate == pytest.approx(1 / 3) and card.padded_rate == pytest.approx(1 / 3)
    assert "copied" not in card.ratios and "padded" not in card.ratios  # shown beside the score, not in it


def test_one_report_serves_every_supervisor_who_follows_the_task(cast, frozen):
    """同类材料最多报一次: the prefecture's and the county's supervisors follow one task of 甲县发改局; the unit
    reports once and both read that one report — duban never asks the unit for a second."""
    from duban.supervision.selectors import report_list_for

    c = cast
    a = signed(c, c.county_drc_liaison, assigned(c, "建设县域物流中心", c.county_drc))
    report = submit(c.county_drc_liaison, a, FRESH)
    s.report_unit_approve(actor=c.county_drc_head, report=report, approve=True)
    for supervisor in (c.supervisor, c.county_supervisor):
        assert list(report_list_for(user=supervisor, filters={"task": a.task_id})) == [report]
    june = month(2026, 6)
    [county] = [b for b in burden_for(user=c.supervisor, period=june) if b.unit_id == c.county_drc.pk]
    assert (county.sent, county.repeated) == (1, 0)


def test_a_text_stored_many_times_reads_only_the_newest_of_each_bucket(cast, two_units, frozen, monkeypatch):
    """已完成。 stored a million times must cost what a rare text costs: each band key's bucket is read newest
    first and no further than BUCKET_MAX."""
    from duban.quality import services as quality_services

    c = cast
    drc, finance = two_units
    first = submit(c.drc_liaison, drc, ORIGINAL)
    s.report_unit_approve(actor=c.drc_head, report=first, approve=True)
    second = submit(c.finance_liaison, finance, ORIGINAL)
    monkeypatch.setattr(quality_services, "BUCKET_MAX", 1)
    assert quality_services._candidates(similarity.band_keys(similarity.signature(ORIGINAL)), None) == [second.pk]
    monkeypatch.setattr(quality_services, "BUCKET_MAX", 200)
    assert quality_services._candidates(similarity.band_keys(similarity.signature(ORIGINAL)), None) == [
        second.pk, first.pk]
    assert quality_services._candidates(similarity.band_keys(similarity.signature(ORIGINAL)), second.pk) == [first.pk]
