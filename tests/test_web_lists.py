"""The 督办事项 and 承办情况 lists: filters in the URL, scope, sorting, pages, htmx fragments, .xlsx export."""

import datetime as dt
import io
import re
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from duban.supervision import services as s
from duban.supervision.lights import lights_refresh
from duban.supervision.models import Assignment

D = dt.date
TASK_HEADER = ["序号", "任务来源", "文号", "任务内容", "牵头单位", "配合单位", "责任领导", "完成时限", "进展情况",
               "状态", "亮灯"]
ASSIGNMENT_HEADER = ["序号", "编号", "督办事项", "承办单位", "承办角色", "状态", "亮灯", "完成时限", "进度(%)", "下次报送"]


def decision(c, title="州政府第12次常务会议纪要", **options):
    return s.decision_create(actor=c.supervisor, kind="meeting", title=title, issued_on=D(2026, 5, 28), **options)


def assigned(c, title, *, leads=None, coops=None, source=None, actor=None, **options):
    task = s.task_create(actor=actor or c.supervisor, decision=source or decision(c), title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]],
                         cooperating_unit_ids=[u.pk for u in coops or []], **options)
    return s.task_assign(actor=actor or c.supervisor, task=task)


def work(task, unit):
    return Assignment.objects.get(task=task, unit=unit)


def rows_of(response) -> str:
    """The table body of a list page."""
    html = response.content.decode()
    found = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return found.group(1) if found else ""


def row_with(response, code: str) -> str:
    """The table row of one task code."""
    return next(row for row in rows_of(response).split("</tr>") if code in row)


def codes_in(response) -> list[str]:
    return re.findall(r"DB-\d{4}-\d{4}", rows_of(response))


def workbook(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


@pytest.fixture
def world(cast, frozen):
    """甲: 州发改委 leads, 州财政局 cooperates, 挂牌, due in a month. 乙: 甲县发改局 leads, due tomorrow.
    丙: 州财政局 leads, reports monthly."""
    c = cast
    meeting = decision(c, doc_number="示府阅〔2026〕12号")
    a = assigned(c, "推进重点项目开工", coops=[c.pref_finance], source=meeting, deadline=D(2026, 6, 30),
                 is_key=True, requirements="6月底前全部开工。", responsible_leader=c.leader)
    b = assigned(c, "县城污水管网改造", leads=[c.county_drc], source=decision(c, "县域基础设施推进会"),
                 deadline=D(2026, 6, 2))
    monthly = assigned(c, "优化营商环境季度攻坚", leads=[c.pref_finance], source=meeting, cadence="monthly")
    return c, meeting, a, b, monthly


# ---- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("who, sees, hidden", [
    ("supervisor", "abm", ""),
    ("leader", "abm", ""),
    ("drc_liaison", "a", "bm"),
    ("drc_head", "a", "bm"),
    ("finance_liaison", "am", "b"),
    ("county_drc_liaison", "b", "am"),
    ("county_supervisor", "b", "am"),
])
def test_it_lists_the_tasks_in_each_persons_scope(client, world, who, sees, hidden):
    c, _, a, b, monthly = world
    tasks = {"a": a, "b": b, "m": monthly}
    client.force_login(getattr(c, who))
    response = client.get("/tasks/")
    assert response.status_code == 200
    listed = codes_in(response)
    for key in sees:
        assert tasks[key].code in listed
    for key in hidden:
        assert tasks[key].code not in listed


def test_it_shows_an_outsider_nothing_and_says_so(client, world):
    c, _, a, b, monthly = world
    client.force_login(c.other_supervisor)
    response = client.get("/tasks/")
    html = response.content.decode()
    assert response.status_code == 200 and codes_in(response) == []
    assert "还没有督办事项" in html
    assert a.code not in html and b.code not in html and a.title not in html
    response = client.get("/assignments/")
    assert a.code not in response.content.decode()


def test_it_keeps_administrators_and_strangers_out(client, world):
    c = world[0]
    assert client.get("/tasks/").status_code == 302
    client.force_login(c.sysadmin)
    assert client.get("/tasks/").status_code in (302, 403)
    assert client.get("/tasks/export.xlsx").status_code in (302, 403)


def test_it_shows_a_task_row_with_its_facts(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.supervisor)
    response = client.get("/tasks/")
    body = rows_of(response)
    row_a = row_with(response, a.code)
    assert f'href="/tasks/{a.id}/"' in row_a and "推进重点项目开工" in row_a
    assert 'class="badge badge-key">挂牌' in row_a
    assert "会议议定事项" in row_a and "州发改委" in row_a and "州财政局" not in row_a  # cooperating unit isn't lead
    assert "已交办" in row_a and "2026年6月30日" in row_a
    assert 'class="light light-' in row_a
    row_m = row_with(response, monthly.code)
    assert "每月报送" in row_m
    assert 'class="hide-sm"' in body


def test_it_warns_when_a_deadline_falls_in_a_year_without_a_published_calendar(client, world):
    c = world[0]
    later = assigned(c, "明年春季植树造林", deadline=D(2027, 3, 10))
    client.force_login(c.supervisor)
    response = client.get("/tasks/")
    assert "节假日安排未发布，按周一至周五估算" in row_with(response, later.code)
    assert rows_of(response).count("节假日安排未发布") == 1


# ---- filters -------------------------------------------------------------------------------------


def test_it_narrows_by_state_light_unit_keyword_key_flag_and_deadline(client, world):
    c, meeting, a, b, monthly = world
    s.assignment_sign(actor=c.drc_liaison, assignment=work(a, c.pref_drc))
    client.force_login(c.supervisor)

    def listed(query):
        response = client.get(f"/tasks/?{query}")
        assert response.status_code == 200
        return set(codes_in(response))

    assert listed("state=in_progress") == {a.code}
    assert listed("state=assigned") == {b.code, monthly.code}
    assert listed("light=yellow") == {b.code}  # due tomorrow: within 3 working days
    assert b.code not in listed("light=green")
    assert listed(f"unit={c.county_drc.pk}") == {b.code}
    assert listed(f"unit={c.pref_finance.pk}") == {a.code, monthly.code}  # cooperating counts too
    assert listed("q=污水") == {b.code}
    assert listed(f"q={a.code}") == {a.code}
    assert listed("is_key=true") == {a.code}
    assert listed("is_key=false") == {b.code, monthly.code}
    assert listed("deadline_from=2026-06-10&deadline_to=2026-07-31") == {a.code}
    assert listed("deadline_to=2026-06-05") == {b.code}
    assert listed(f"decision={meeting.pk}") == {a.code, monthly.code}
    assert listed("state=in_progress&is_key=false") == set()


def test_it_shows_the_filters_it_applied_in_the_form(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.supervisor)
    html = client.get(f"/tasks/?state=assigned&light=yellow&is_key=false&q=污水&unit={c.county_drc.pk}"
                      "&deadline_from=2026-06-01").content.decode()
    assert re.search(r'<option value="assigned" selected>已交办</option>', html)
    assert re.search(r'<option value="yellow" selected>黄灯</option>', html)
    assert re.search(r'<option value="false" selected>否</option>', html)
    assert re.search(rf'<option value="{c.county_drc.pk}" selected>\u3000+甲县发改局</option>', html)
    assert 'value="污水"' in html and 'value="2026-06-01"' in html
    assert '<label for="id_q">关键词</label>' in html
    # The unit select offers the supervisor's part of the tree, not the world.
    assert "乙县发展和改革局" in html and "示范省" not in html


def test_it_names_the_decision_it_is_narrowed_to_with_a_way_out(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.supervisor)
    html = client.get(f"/tasks/?decision={meeting.pk}&state=assigned").content.decode()
    chosen = re.search(r'<div class="chosen">(.*?)</div>', html, re.S).group(1)
    assert "州政府第12次常务会议纪要" in chosen and "示府阅〔2026〕12号" in chosen
    assert 'href="/tasks/?state=assigned"' in chosen and "×" in chosen
    assert f'name="decision" value="{meeting.pk}"' in html  # kept when the form is changed


@pytest.mark.parametrize("query, field, message", [
    ("deadline_from=2026-13-01", "deadline_from", "请按“年-月-日”填写日期"),
    ("deadline_to=明天", "deadline_to", "请按“年-月-日”填写日期"),
    ("unit=州发改委", "unit", "请从列表中选择单位。"),
    ("is_key=也许", "is_key", "请选择“是”“否”或“全部”。"),
    ("state=lost", "state", "请从列表中选择状态。"),
    ("light=purple", "light", "请从列表中选择亮灯。"),
])
def test_it_explains_a_filter_it_cannot_read_beside_the_field(client, world, query, field, message):
    c = world[0]
    client.force_login(c.supervisor)
    for url in ("/tasks/", "/assignments/"):
        response = client.get(f"{url}?{query}")
        html = response.content.decode()
        assert response.status_code == 200
        beside = re.search(rf'<div class="field field-error">\s*<label for="id_{field}">.*?</div>', html, re.S)
        assert beside and message in beside.group(0)
        assert codes_in(response) == [] and "筛选条件有误" in html


def test_it_explains_a_broken_decision_link_above_the_form(client, world):
    c = world[0]
    client.force_login(c.supervisor)
    html = client.get("/tasks/?decision=abc").content.decode()
    assert '<div class="form-error" role="alert">链接中的决策部署条件无效' in html
    assert "DB-2026" not in rows_of(client.get("/tasks/?decision=abc"))


def test_it_offers_to_clear_filters_that_match_nothing(client, world):
    c = world[0]
    client.force_login(c.supervisor)
    html = client.get("/tasks/?q=不存在的事项").content.decode()
    assert "没有符合筛选条件的督办事项" in html
    assert re.search(r'<a href="/tasks/">清除筛选条件</a>', html)


def test_it_tells_a_new_office_where_tasks_come_from(client, cast, frozen):
    client.force_login(cast.supervisor)
    html = client.get("/tasks/").content.decode()
    assert "还没有督办事项" in html and "登记交办" in html
    client.force_login(cast.drc_liaison)
    html = client.get("/assignments/").content.decode()
    assert "还没有承办事项" in html


# ---- sorting and pages ---------------------------------------------------------------------------


def test_it_sorts_by_deadline_both_ways_and_keeps_the_filters(client, world):
    c, meeting, a, b, monthly = world
    c_task = assigned(c, "七月完成的事项", deadline=D(2026, 7, 15))
    client.force_login(c.supervisor)
    ascending = codes_in(client.get("/tasks/?sort=deadline"))
    assert ascending == [b.code, a.code, c_task.code, monthly.code]  # no deadline last
    descending = codes_in(client.get("/tasks/?sort=-deadline"))
    assert descending == [c_task.code, a.code, b.code, monthly.code]
    newest_first = codes_in(client.get("/tasks/"))
    assert newest_first == [c_task.code, monthly.code, b.code, a.code]
    assert codes_in(client.get("/tasks/?sort=nonsense")) == newest_first
    html = client.get("/tasks/?sort=deadline&is_key=false").content.decode()
    header = re.search(r'<th scope="col" aria-sort="ascending"><a href="([^"]+)">完成时限↑', html)
    assert header and "sort=-deadline" in header.group(1) and "is_key=false" in header.group(1)
    assert codes_in(client.get("/tasks/?sort=code")) == sorted(newest_first)


def test_it_sorts_by_light_worst_first(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.supervisor)
    assert codes_in(client.get("/tasks/?sort=light"))[0] == b.code  # the yellow one
    assert codes_in(client.get("/assignments/?sort=light"))[0] == b.code


def test_it_pages_fifty_rows_and_carries_the_filters(client, world):
    c = world[0]
    source = decision(c, "年度重点工作安排")
    made = [assigned(c, f"批量事项{i:02d}", source=source, deadline=D(2026, 7, 1)) for i in range(52)]
    client.force_login(c.supervisor)
    first = client.get(f"/tasks/?decision={source.pk}&q=批量")
    html = first.content.decode()
    assert len(codes_in(first)) == 50
    assert "第 1 / 2 页，共 52 条" in html
    next_link = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', html).group(1)
    assert "page=2" in next_link and f"decision={source.pk}" in next_link and "q=" in next_link
    second = client.get(next_link.replace("&amp;", "&"))
    assert set(codes_in(second)) == {made[0].code, made[1].code}
    assert "第 2 / 2 页，共 52 条" in second.content.decode()
    assert 'rel="prev">上一页</a>' in second.content.decode()
    # A sort link starts again from the first page, with the filters kept.
    sort_link = re.search(r'<a href="([^"]+)">完成时限', second.content.decode()).group(1)
    assert "page=" not in sort_link and "q=" in sort_link


# ---- htmx ----------------------------------------------------------------------------------------


def test_it_answers_htmx_with_the_results_fragment_only(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.supervisor)
    response = client.get("/tasks/?is_key=true&sort=deadline", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'class="filters"' not in html
    assert codes_in(response) == [a.code]
    assert 'id="id_sort" value="deadline" hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/tasks/?is_key=true").content.decode()
    assert "<html" in full and 'hx-get="/tasks/"' in full and 'hx-target="#results"' in full
    assert 'hx-push-url="true"' in full and 'hx-trigger="change, submit"' in full
    assert "delay:400ms" in full
    # History restores after a cache miss need the whole page.
    restored = client.get("/tasks/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.content.decode()


def test_it_puts_a_filter_error_in_the_fragment_too(client, world):
    c = world[0]
    client.force_login(c.supervisor)
    html = client.get("/assignments/?deadline_to=2026-02-30", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html and 'role="alert">筛选条件有误：完成时限止——请按“年-月-日”填写日期' in html


# ---- assignments ---------------------------------------------------------------------------------


def test_it_lists_one_row_per_units_assignment(client, world):
    c, meeting, a, b, monthly = world
    lead = work(a, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    report = s.report_submit(actor=c.drc_liaison, assignment=lead, text="已开工8个。", progress=60)
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    client.force_login(c.supervisor)
    response = client.get(f"/assignments/?task={a.pk}")
    body = rows_of(response)
    assert codes_in(response) == [a.code, a.code]
    assert "州发改委" in body and "州财政局" in body and "牵头" in body and "配合" in body
    assert 'value="60"' in body and "60%" in body and "办理中" in body and "待签收" in body
    assert f'href="/tasks/{a.id}/"' in body
    chosen = re.search(r'<div class="chosen">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert a.code in chosen and "×" in chosen


def test_it_shows_a_liaison_only_their_own_units_assignments(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.finance_liaison)
    body = rows_of(client.get("/assignments/"))
    assert a.code in body and monthly.code in body and b.code not in body
    assert "州发改委" not in body  # 州发改委's assignment of 甲 is not the finance bureau's business


def test_it_filters_assignments_by_unit_state_and_key_flag(client, world):
    c, meeting, a, b, monthly = world
    s.assignment_sign(actor=c.drc_liaison, assignment=work(a, c.pref_drc))
    client.force_login(c.supervisor)

    def listed(query):
        return rows_of(client.get(f"/assignments/?{query}"))

    assert listed(f"unit={c.pref_finance.pk}").count("<tr>") == 2
    in_progress = listed("state=in_progress")
    assert in_progress.count("<tr>") == 1 and "州发改委" in in_progress
    assert listed("is_key=true").count("<tr>") == 2
    assert listed("q=污水").count("<tr>") == 1
    assert listed(f"decision={meeting.pk}&unit={c.pref_finance.pk}").count("<tr>") == 2


@pytest.mark.parametrize("who", ["leader", "supervisor", "drc_liaison", "drc_head", "county_supervisor"])
def test_it_renders_both_lists_for_every_business_role(client, world, who):
    c = world[0]
    client.force_login(getattr(c, who))
    for url in ("/tasks/", "/assignments/"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'class="filters"' in response.content.decode()


# ---- export --------------------------------------------------------------------------------------


def test_it_exports_the_task_list_as_the_offices_ledger(client, world):
    c, meeting, a, b, monthly = world
    lead = work(a, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    report = s.report_submit(actor=c.drc_liaison, assignment=lead, text="已开工8个项目。", progress=60)
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    client.force_login(c.supervisor)
    html = client.get("/tasks/?is_key=false&sort=deadline").content.decode()
    assert 'href="/tasks/export.xlsx?is_key=false&amp;sort=deadline"' in html and "导出 Excel" in html

    response = client.get("/tasks/export.xlsx?sort=deadline")
    assert response.status_code == 200
    disposition = unquote(response["Content-Disposition"])
    assert "attachment" in disposition and "督办事项台账-2026-06-01.xlsx" in disposition
    ws = workbook(response)
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == TASK_HEADER
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width > ws.column_dimensions["A"].width
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    by_title = {r[3].split("\n")[0]: r for r in rows[1:]}
    row_a = by_title["推进重点项目开工"]
    assert row_a[1:3] == ("州政府第12次常务会议纪要", "示府阅〔2026〕12号")
    assert row_a[3] == "推进重点项目开工\n6月底前全部开工。"
    assert row_a[4:7] == ("州发展和改革委员会", "州财政局", "李州长")
    assert row_a[7] == dt.datetime(2026, 6, 30)
    assert ws.cell(row=rows.index(row_a) + 1, column=8).is_date
    assert row_a[8] == "州发展和改革委员会：60%\n已开工8个项目。"
    assert row_a[9] == "办理中"
    assert by_title["优化营商环境季度攻坚"][7] == "每月报送"
    assert by_title["县城污水管网改造"][10] == "黄灯"


def test_it_exports_only_what_the_filters_and_the_scope_let_through(client, world):
    c, meeting, a, b, monthly = world
    client.force_login(c.supervisor)
    rows = list(workbook(client.get("/tasks/export.xlsx?is_key=true")).iter_rows(values_only=True))
    assert [r[3].split("\n")[0] for r in rows[1:]] == ["推进重点项目开工"]
    client.force_login(c.finance_liaison)
    titles = [r[3].split("\n")[0] for r in workbook(client.get("/tasks/export.xlsx")).iter_rows(
        min_row=2, values_only=True)]
    assert sorted(titles) == ["优化营商环境季度攻坚", "推进重点项目开工"]
    client.force_login(c.other_supervisor)
    assert len(list(workbook(client.get("/tasks/export.xlsx")).iter_rows(values_only=True))) == 1


def test_it_keeps_a_units_draft_report_out_of_others_exports(client, world):
    c, meeting, a, b, monthly = world
    lead = work(a, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    s.report_submit(actor=c.drc_liaison, assignment=lead, text="内部草稿，待单位审核。", progress=30)
    client.force_login(c.supervisor)
    row = next(r for r in workbook(client.get("/tasks/export.xlsx?is_key=true")).iter_rows(
        min_row=2, values_only=True))
    assert "内部草稿" not in (row[8] or "")
    client.force_login(c.drc_liaison)
    row = next(r for r in workbook(client.get("/tasks/export.xlsx?is_key=true")).iter_rows(
        min_row=2, values_only=True))
    assert "内部草稿，待单位审核。" in row[8]


def test_it_writes_text_that_looks_like_a_formula_as_text(client, world):
    c = world[0]
    assigned(c, "=HYPERLINK(\"http://example.invalid\")", deadline=D(2026, 6, 30))
    client.force_login(c.supervisor)
    ws = workbook(client.get("/tasks/export.xlsx?q=HYPERLINK"))
    cell = ws["D2"]
    assert cell.value == "=HYPERLINK(\"http://example.invalid\")" and cell.data_type == "s"


def test_it_exports_the_assignment_list(client, world):
    c, meeting, a, b, monthly = world
    s.assignment_sign(actor=c.drc_liaison, assignment=work(a, c.pref_drc))
    s.assignment_sign(actor=c.finance_liaison, assignment=work(monthly, c.pref_finance))
    client.force_login(c.supervisor)
    response = client.get(f"/assignments/export.xlsx?decision={meeting.pk}&sort=code")
    assert "承办情况-2026-06-01.xlsx" in unquote(response["Content-Disposition"])
    ws = workbook(response)
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ASSIGNMENT_HEADER
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert len(rows) == 4  # 甲 ×2, 丙; 乙 is from another decision
    lead_a = next(r for r in rows[1:] if r[1] == a.code and r[4] == "牵头")
    assert lead_a[2:4] == ("推进重点项目开工", "州发展和改革委员会")
    assert lead_a[5] == "办理中" and lead_a[7] == dt.datetime(2026, 6, 30) and lead_a[8] == 0
    row_m = next(r for r in rows[1:] if r[1] == monthly.code)
    assert row_m[7] == "每月报送" and row_m[9] == dt.datetime(2026, 7, 6)  # the 5th is a Sunday
    client.force_login(c.county_drc_liaison)
    rows = list(workbook(client.get("/assignments/export.xlsx")).iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == [b.code]


def test_it_sends_an_export_with_a_broken_filter_back_to_the_list(client, world):
    c = world[0]
    client.force_login(c.supervisor)
    response = client.get("/tasks/export.xlsx?deadline_from=昨天")
    assert response.status_code == 302 and response["Location"].startswith("/tasks/?deadline_from=")


# ---- bounded queries -----------------------------------------------------------------------------


def _more_tasks(c, n, source):
    for i in range(n):
        assigned(c, f"扩展事项{i:02d}", source=source, coops=[c.pref_finance], deadline=D(2026, 7, 1))


@pytest.mark.parametrize("url", ["/tasks/", "/tasks/?sort=deadline&is_key=false&decision=1",
                                 "/assignments/?sort=light", "/assignments/?task=1"])
def test_it_reads_a_page_in_the_same_number_of_queries_for_3_or_55_tasks(
        client, world, django_assert_max_num_queries, url):
    c, meeting, *_ = world
    url = url.replace("decision=1", f"decision={meeting.pk}").replace("task=1", f"task={world[2].pk}")
    client.force_login(c.supervisor)
    client.get(url)  # warm the session and the calendar
    bound = 16
    with django_assert_max_num_queries(bound):
        small = client.get(url)
    _more_tasks(c, 52, meeting)
    lights_refresh()
    with django_assert_max_num_queries(bound):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    if "task=" not in url:
        assert len(codes_in(large)) == 50 > len(codes_in(small))


def test_it_exports_in_a_number_of_queries_that_does_not_grow_with_the_rows(
        client, world, django_assert_max_num_queries):
    c, meeting, *_ = world
    client.force_login(c.supervisor)
    client.get("/tasks/export.xlsx")
    with django_assert_max_num_queries(14):
        small = workbook(client.get("/tasks/export.xlsx"))
    _more_tasks(c, 40, meeting)
    with django_assert_max_num_queries(14):
        large = workbook(client.get("/tasks/export.xlsx"))
    assert large.max_row == 44 and small.max_row == 4


def test_it_exports_chunk_by_chunk_with_the_related_rows_of_each(client, world, monkeypatch):
    from duban.web import export

    c, meeting, a, b, monthly = world
    monkeypatch.setattr(export, "CHUNK", 2)
    client.force_login(c.supervisor)
    rows = list(workbook(client.get("/tasks/export.xlsx?sort=code")).iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [1, 2, 3]
    assert [r[4] for r in rows] == ["州发展和改革委员会", "甲县发展和改革局", "州财政局"]
    assert rows[0][8] == "州发展和改革委员会：0%" and rows[2][8] == "州财政局：0%"


def test_it_names_a_drafts_planned_lead_units(client, world):
    c, meeting = world[0], world[1]
    draft = s.task_create(actor=c.supervisor, decision=meeting, title="尚未交办的草稿事项",
                          lead_unit_ids=[c.county.pk], cooperating_unit_ids=[c.pref_finance.pk])
    client.force_login(c.supervisor)
    row = row_with(client.get("/tasks/?state=draft"), draft.code)
    assert "甲县" in row and "草稿" in row and "州财政局" not in row
    rows = list(workbook(client.get("/tasks/export.xlsx?state=draft")).iter_rows(min_row=2, values_only=True))
    assert [r[4:6] for r in rows] == [("甲县", "州财政局")]


def test_it_lists_all_open_work_and_a_months_closed_tasks(client, cast, frozen):
    c = cast
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="常务会议纪要", issued_on=dt.date(2026, 5, 28))
    open_task = s.task_assign(actor=c.supervisor, task=s.task_create(
        actor=c.supervisor, decision=decision, title="在办的事项", lead_unit_ids=[c.pref_drc.pk]))
    s.task_create(actor=c.supervisor, decision=decision, title="草稿事项", lead_unit_ids=[c.pref_drc.pk])
    client.force_login(c.supervisor)
    page = client.get("/tasks/?state=open").content.decode()
    assert open_task.title in page and "草稿事项" not in page
    assert 'value="open" selected' in page
    page = client.get("/tasks/?state=closed&closed_from=2026-06-01&closed_to=2026-06-30").content.decode()
    assert "在办的事项" not in page and 'name="closed_from" value="2026-06-01"' in page
    page = client.get("/tasks/?closed_from=2026-13-01").content.decode()
    assert "链接中的办结日期条件无效" in page
    page = client.get("/assignments/?state=open").content.decode()
    assert "在办的事项" in page
