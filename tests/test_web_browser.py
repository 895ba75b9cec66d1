"""The pages in Debian's chromium: the whole story of a decision, at desktop and phone widths, and the report
form with the keyboard alone. Every page is also checked to ask no host but the server."""

import datetime as dt
import re

import pytest
from browser import DESKTOP, PHONE, Visitor, chromium

from duban.core import clock
from duban.supervision import services as s
from duban.supervision.models import Assignment, Decision, Report, Task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def visit(browser, live_server):
    opened = []

    def open_as(user, size=DESKTOP, label="desktop"):
        v = Visitor(browser, live_server.url, size, label)
        v.login(user)
        opened.append(v)
        return v

    yield open_as
    for v in opened:
        v.check_clean()
        v.close()


def _assigned_task(c, title="推进重点项目开工"):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=dt.date(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, lead_unit_ids=[c.pref_drc.pk])
    return s.task_assign(actor=c.supervisor, task=task)


def test_the_report_form_works_with_the_keyboard_alone(visit, cast):
    task = _assigned_task(cast)
    lead = Assignment.objects.get(task=task)
    s.assignment_sign(actor=cast.drc_liaison, assignment=lead)
    v = visit(cast.drc_liaison)
    page = v.page
    v.go(f"/tasks/{task.pk}/")
    summary = page.locator(f"#assignment-{lead.pk}-report summary")

    def tab_to(locator, limit=80):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if locator.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {locator}")

    tab_to(summary)
    page.keyboard.press("Enter")  # opens the form in place
    form = page.locator(f"#assignment-{lead.pk}-report form")
    tab_to(form.get_by_label("工作举措与进展"))
    page.keyboard.type("12个项目已开工9个，完成投资3.2亿元。")
    page.keyboard.press("Tab")
    assert form.get_by_label("完成进度（%）").evaluate("el => el === document.activeElement")
    page.keyboard.type("75")
    tab_to(form.get_by_role("button", name="提交反馈进展"))
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert "已提交" in page.locator(".flash").inner_text()
    report = Report.objects.get(assignment=lead)
    assert (report.progress, report.text) == (75, "12个项目已开工9个，完成投资3.2亿元。")
    assert Task.objects.get(pk=task.pk).state == "in_progress"


def _dashboard_figure(v, label: str) -> str:
    v.go("/dashboard/")
    stat = v.page.locator(".stat", has=v.page.get_by_text(label, exact=True)).first
    return stat.locator("strong").inner_text().strip()


def _submit(v, box_id: str, fill=None, button=None):
    """Open an action on the task page (a <details> form or a plain button), fill it, send it."""
    box = v.page.locator(f"#{box_id}")
    if box.evaluate("el => el.tagName") == "DETAILS":
        box.locator("summary").click()
    if fill:
        fill(box)
    (button(box) if button else box.get_by_role("button")).click()
    v.page.wait_for_load_state("load")
    v.check_labels()
    flash = v.page.locator(".flash")
    assert flash.count() == 1, v.page.locator(".form-error, .errorlist").all_inner_texts()
    return flash.inner_text()


@pytest.mark.parametrize("size,label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_decision_runs_from_registration_to_close_through_the_pages(visit, cast, size, label):
    c = cast
    today = clock.today()
    deadline = today + dt.timedelta(days=45)
    sup, liaison, head, leader = (visit(p, size, label) for p in (c.supervisor, c.drc_liaison, c.drc_head, c.leader))
    for v in (sup, liaison, head, leader):
        v.page.on("dialog", lambda d: d.accept())

    # 督查室: register the decision, decompose it into two tasks, assign both
    sup.go("/")
    sup.shot("supervisor-workbench")
    sup.go("/decisions/new/")
    page = sup.page
    page.get_by_label("类型").select_option(label="会议议定事项")
    page.get_by_label(re.compile("^标题")).fill("州政府第15次常务会议纪要")
    page.get_by_label("日期").fill(today.isoformat())
    sup.shot("decision-new")
    page.get_by_role("button", name="登记").click()
    page.wait_for_load_state("load")
    decision = Decision.objects.get(title="州政府第15次常务会议纪要")
    assert page.url.endswith(f"/decisions/{decision.pk}/")
    for title in ("推进重点项目开工", "盘活闲置国有资产"):
        page.get_by_label(re.compile("^事项")).fill(title)
        page.get_by_label("搜索牵头单位").fill("发改委")
        page.locator("[data-picker=lead_units] [data-unit-id]").first.click()
        page.get_by_label("完成时限").fill(deadline.isoformat())
        page.get_by_role("button", name="保存为草稿").click()
        page.wait_for_load_state("load")
    sup.shot("decision-tasks")
    page.get_by_role("button", name="交办全部草稿（2项）").click()
    page.wait_for_load_state("load")
    first, second = (Task.objects.get(decision=decision, title=t) for t in ("推进重点项目开工", "盘活闲置国有资产"))
    assert {first.state, second.state} == {"assigned"}
    lead = Assignment.objects.get(task=first, unit=c.pref_drc)
    misdirected = Assignment.objects.get(task=second, unit=c.pref_drc)
    closed_before = int(_dashboard_figure(leader, "已办结"))
    assert closed_before == 0 and int(_dashboard_figure(leader, "在办事项")) == 2
    leader.shot("dashboard-before")

    # 承办单位: sign the first, return the second
    liaison.go("/")
    liaison.shot("unit-workbench")
    liaison.page.locator("#queue-sign").get_by_role("link", name="推进重点项目开工").click()
    liaison.page.wait_for_load_state("load")
    liaison.shot("task-page-pending")
    assert "已签收" in _submit(liaison, f"assignment-{lead.pk}-sign")
    liaison.go(f"/tasks/{second.pk}/")
    _submit(liaison, f"assignment-{misdirected.pk}-return",
            fill=lambda box: box.get_by_label("退办理由").fill("不属于本单位职责，建议由州财政局承办。"))

    # 督查室: reassign the returned one
    sup.go("/")
    sup.page.locator("#queue-returned").get_by_role("link", name="盘活闲置国有资产").click()
    sup.page.wait_for_load_state("load")
    _submit(sup, f"assignment-{misdirected.pk}-reassign",
            fill=lambda box: box.get_by_label("改派给").select_option(label="州财政局"))
    assert Assignment.objects.get(task=second, unit=c.pref_finance).state == "pending"

    # 承办单位: report with an evidence file; the unit head lets it go out
    def report(text, progress, final=False):
        liaison.go(f"/tasks/{first.pk}/")

        def fill(box):
            box.get_by_label("工作举措与进展").fill(text)
            box.get_by_label("完成进度（%）").fill(str(progress))
            box.get_by_label("佐证材料").set_input_files(
                [{"name": "开工照片.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 photos"}])
            if final:
                box.get_by_label("申请办结（工作已全部完成，进度100%）").check()
        liaison.shot("report-form")
        _submit(liaison, f"assignment-{lead.pk}-report", fill=fill,
                button=lambda box: box.get_by_role("button", name="提交反馈进展"))
        head.go("/")
        head.page.locator("#queue-approve").get_by_role("link").first.click()
        head.page.wait_for_load_state("load")
        pending = Report.objects.filter(assignment=lead, state="unit_review").get()
        _submit(head, f"report-{pending.pk}-unit_review", fill=lambda box: box.get_by_label("通过").check(),
                button=lambda box: box.get_by_role("button", name="提交单位审核"))
        return pending

    first_report = report("已开工9个项目，完成投资3.2亿元。", 60)
    assert first_report.evidence.count() == 1

    # 督查室: send the report back with an opinion
    sup.go("/")
    sup.page.locator("#queue-reports").get_by_role("link", name="推进重点项目开工").click()
    sup.page.wait_for_load_state("load")

    def send_back(box):
        box.get_by_label("退回").check()
        box.get_by_label("审核意见").fill("请补充项目开工照片和投资凭证。")
    _submit(sup, f"report-{first_report.pk}-review", fill=send_back,
            button=lambda box: box.get_by_role("button", name="提交审核反馈"))
    assert Report.objects.get(pk=first_report.pk).state == "returned"

    # 承办单位: report again, asking to close; the unit head approves
    report("12个项目全部开工，完成投资6.5亿元。", 100, final=True)
    assert Assignment.objects.get(pk=lead.pk).state == "review"

    # 督查室: verify, then close (销号)
    sup.go(f"/tasks/{first.pk}/")
    sup.shot("task-page-review")
    _submit(sup, f"assignment-{lead.pk}-review", fill=lambda box: box.get_by_label("通过").check(),
            button=lambda box: box.get_by_role("button", name="提交审核办结申请"))
    _submit(sup, f"task-{first.pk}-close",
            fill=lambda box: box.get_by_label("核验意见和佐证情况").fill("现场核验，佐证齐全。"),
            button=lambda box: box.get_by_role("button", name="提交销号"))
    assert Task.objects.get(pk=first.pk).state == "closed"
    sup.shot("task-page-closed")

    # the leader's dashboard counts it
    assert int(_dashboard_figure(leader, "已办结")) == closed_before + 1
    assert int(_dashboard_figure(leader, "在办事项")) == 1
    leader.shot("dashboard-after")
    for path, name in (("/tasks/", "task-list"), ("/assignments/", "assignment-list"), ("/inbox/", "inbox")):
        leader.go(path)
        leader.shot(name)


def _extract_doc(today: dt.date) -> list[str]:
    """Minutes dated today, with one deadline next year and one written without a year (read as the next
    September to come)."""
    return [
        "示范州人民政府常务会议纪要",
        f"{today.year}年{today.month}月{today.day}日",
        "一、关于重点项目建设",
        f"（一）由州发改委牵头，州财政局配合，于{today.year + 1}年7月底前完成重点项目年度投资计划调整。",
        "（二）州财政局负责统筹专项债券资金，每月5日前报送支付进度。",
        "二、关于营商环境",
        "会议要求，州市场监督管理局牵头，9月底前完成涉企收费清理。",
    ]


@pytest.mark.parametrize("size,label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_document_becomes_draft_tasks_through_the_review_page(visit, cast, size, label, tmp_path):
    """智能分解: upload minutes as .docx, see each task beside its words, settle the one whose unit the tree
    does not know (in place, with htmx), drop none, and accept: a decision with three draft tasks."""
    from docx import Document

    from duban.extract.models import Extraction, ProposedTask

    c = cast
    path = tmp_path / "纪要.docx"
    document = Document()
    for line in _extract_doc(clock.today()):
        document.add_paragraph(line)
    document.save(path)
    sup = visit(c.supervisor, size, label)
    page = sup.page
    sup.go("/decisions/")
    page.get_by_role("link", name="智能分解").click()
    page.wait_for_load_state("load")
    page.get_by_label("文件").set_input_files(str(path))
    page.get_by_role("button", name="读取并分解").click()
    page.wait_for_load_state("load")
    extraction = Extraction.objects.get()
    assert page.url.endswith(f"/extract/{extraction.pk}/")
    sup.shot("extract-review")
    third = ProposedTask.objects.filter(extraction=extraction).order_by("position").last()
    card = page.locator(f"#item-{third.pk}")
    assert "未能对应到本单位的下级单位" in card.inner_text()
    # The card's link jumps to its words in the source text, numbered like the card.
    card.get_by_role("link", name="原文位置").click()
    assert page.locator(f"#span-{third.pk}").inner_text().startswith("3会议要求")
    card.get_by_role("link", name="修改").click()
    form = page.locator(f"form#item-{third.pk}")
    form.get_by_label("搜索牵头单位").fill("财政局")
    form.locator("[data-picker=lead_units] [data-unit-id]").first.click()
    sup.shot("extract-edit")
    form.get_by_role("button", name="保存").click()
    page.wait_for_load_state("load")
    assert not page.locator(".form-error, .errorlist").count(), page.locator(".form-error, .errorlist").all_inner_texts()
    assert "未能对应" not in page.locator(f"#item-{third.pk}").inner_text()
    page.get_by_label("类型").select_option(label="会议议定事项")
    page.get_by_role("button", name="确认登记").click()
    page.wait_for_load_state("load")
    decision = Decision.objects.get()
    assert page.url.endswith(f"/decisions/{decision.pk}/")
    tasks = Task.objects.filter(decision=decision).order_by("pk")
    assert [t.state for t in tasks] == ["draft"] * 3
    assert tasks[2].plan.get().unit_id == c.pref_finance.pk
