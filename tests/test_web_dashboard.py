"""领导驾驶舱: the figures of a person's scope, each a link to its list, in a fixed number of queries."""

import datetime as dt
import html
import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.core import clock
from duban.security.testing import force_login_verified
from duban.supervision import services as s
from duban.supervision.lights import lights_refresh
from duban.supervision.models import Assignment, Task

D = dt.date
QUERY_BOUND = 20


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assigned(c, *, title, leads=None, **options):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]], **options)
    return s.task_assign(actor=c.supervisor, task=task)


def lead_of(task, unit):
    return Assignment.objects.get(task=task, unit=unit)


def closed(c, task, *, unit=None, liaison=None, head=None):
    a = lead_of(task, unit or c.pref_drc)
    s.assignment_sign(actor=liaison or c.drc_liaison, assignment=a)
    report = s.report_submit(actor=liaison or c.drc_liaison, assignment=a, text="全部完成。", progress=100,
                             is_final=True)
    s.report_unit_approve(actor=head or c.drc_head, report=report, approve=True)
    s.assignment_verify(actor=c.supervisor, assignment=fresh(a))
    return s.task_close(actor=c.supervisor, task=fresh(task), note="现场核验，佐证齐全。")


def world(c, frozen):
    """Four tasks of 州委督查室, built from early May up to Monday 2026-06-01 09:00:

    overdue  (州财政局, due 5月20日, never signed: red, 8 working days late on 6月1日)
    key      (州发改委, 挂牌, due 6月3日: yellow) with a blocker escalated to 李州长
    steady   (州发改委, due 7月31日: green) with an open blocker
    done     (州发改委, closed on time at 00:30 on 6月1日, office time — still 5月31日 in UTC)
    """
    frozen.move_to(clock.at_local(D(2026, 5, 4), 9))
    overdue = assigned(c, title="盘活闲置国有资产", leads=[c.pref_finance], deadline=D(2026, 5, 20))
    done = assigned(c, title="完成老旧小区改造", deadline=D(2026, 6, 30))
    frozen.move_to(clock.at_local(D(2026, 5, 29), 9))
    a = lead_of(done, c.pref_drc)
    s.assignment_sign(actor=c.drc_liaison, assignment=a)
    report = s.report_submit(actor=c.drc_liaison, assignment=a, text="全部完成。", progress=100, is_final=True)
    s.report_unit_approve(actor=c.drc_head, report=report, approve=True)
    s.assignment_verify(actor=c.supervisor, assignment=fresh(a))
    frozen.move_to(clock.at_local(D(2026, 6, 1), 0, 30))
    done = s.task_close(actor=c.supervisor, task=fresh(done), note="现场核验，佐证齐全。")
    frozen.move_to(clock.at_local(D(2026, 6, 1), 9))
    key = assigned(c, title="推进重点项目开工", is_key=True, deadline=D(2026, 6, 3))
    steady = assigned(c, title="建设数字政府平台", deadline=D(2026, 7, 31))
    escalated = s.blocker_raise(actor=c.drc_liaison, assignment=lead_of(key, c.pref_drc),
                                text="项目用地指标不足，需州级统筹。")
    s.blocker_escalate(actor=c.supervisor, blocker=escalated, leader=c.leader)
    s.blocker_raise(actor=c.drc_liaison, assignment=lead_of(steady, c.pref_drc), text="配套资金尚未到位。")
    lights_refresh()
    return {"overdue": fresh(overdue), "done": fresh(done), "key": fresh(key), "steady": fresh(steady)}


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_it_shows_the_leader_the_headline_each_figure_a_link(client, cast, frozen):
    tasks = world(cast, frozen)
    lights = (tasks["overdue"].light, tasks["key"].light, tasks["done"].light)
    assert lights == ("red", "yellow", "done_on_time")
    client.force_login(cast.leader)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    h = response.context["headline"]
    assert (h.open, h.closed, h.closed_on_time, h.red, h.yellow) == (3, 1, 1, 1, 1)
    assert (h.key_open, h.blockers) == (1, 2)
    assert h.by_state == {"assigned": 3, "in_progress": 0, "closing": 0}
    page = response.content.decode()
    stats = section(page, "stats-title")
    for label, value, href in [("已办结", "1", "/tasks/?state=closed"),
                               ("按期办结率", "100%", "/tasks/?state=closed&amp;light=done_on_time"),
                               ("逾期/红灯", "1", "/tasks/?light=red"),
                               ("黄灯", "1", "/tasks/?light=yellow"),
                               ("挂牌督办", "1", "/tasks/?is_key=true&amp;state=open"),
                               ("待协调堵点", "2", "#blockers")]:
        pattern = rf'href="{re.escape(href)}">\s*<span>{label}</span><strong>{re.escape(value)}</strong>'
        assert re.search(pattern, stats), label
    assert '<a href="/tasks/?state=assigned">已交办 3</a>' in stats
    assert '<a href="/tasks/?state=open">3</a>' in stats  # 在办事项, all open work in one list


def test_it_links_the_key_figure_in_words_the_task_list_understands(cast, frozen):
    from duban.supervision.selectors import task_list_for

    key = assigned(cast, title="推进重点项目开工", is_key=True)
    assigned(cast, title="建设数字政府平台")
    assert list(task_list_for(user=cast.leader, filters={"is_key": "true"})) == [key]


def test_it_says_dash_for_the_on_time_rate_while_nothing_is_closed(client, cast, frozen):
    assigned(cast, title="推进重点项目开工")
    client.force_login(cast.leader)
    response = client.get("/dashboard/")
    assert response.context["headline"].on_time_rate is None
    assert re.search(r"<span>按期办结率</span><strong>—</strong>", response.content.decode())


def test_it_shows_the_lights_of_each_unit_as_a_chart_and_a_table(client, cast, frozen):
    world(cast, frozen)
    client.force_login(cast.leader)
    response = client.get("/dashboard/")
    units = [(row["unit"].name, row["unit"].red, row["unit"].yellow, row["unit"].green)
             for row in response.context["units"]]
    assert units == [("州财政局", 1, 0, 0), ("州发改委", 0, 1, 1)]  # the worst first
    page = response.content.decode()
    table = section(page, "units-title")
    finance, drc = cast.pref_finance.pk, cast.pref_drc.pk
    assert f'<a href="/assignments/?unit={finance}">州财政局</a>' in table
    assert f'<a href="/assignments/?unit={finance}&amp;light=red">1</a>' in table
    assert f'<a href="/assignments/?unit={drc}&amp;light=yellow">1</a>' in table
    script = re.search(r'<script id="unit-lights" type="application/json">(.*?)</script>', page, re.S)
    chart = json.loads(html.unescape(script.group(1)))
    assert chart["yAxis"]["data"] == ["州财政局", "州发改委"]
    red = chart["series"][0]
    assert red["name"] == "红灯"
    assert red["data"][0] == {"value": 1, "href": f"/assignments/?unit={finance}&light=red"}
    assert chart["color"] == ["#c4161c", "#b35c00", "#1f6f43"]
    assert chart["aria"]["decal"]["show"] is True
    assert 'data-chart="unit-lights"' in page and "vendor/echarts.min.js" in page


def test_it_sums_the_units_beyond_the_limit_as_others(cast, frozen):
    from duban.web.dashboard import unit_lights_for

    for unit in (cast.pref_drc, cast.pref_finance, cast.county):
        assigned(cast, title=f"{unit.name}的事项", leads=[unit])
    rows = unit_lights_for(user=cast.leader, limit=2)
    assert [(r.unit_id, r.name, r.green, r.units) for r in rows] == [
        (cast.pref_drc.pk, "州发改委", 1, 1), (None, "其他", 2, 2)]


def test_it_counts_due_and_closed_tasks_by_office_month(client, cast, frozen):
    world(cast, frozen)
    client.force_login(cast.leader)
    response = client.get("/dashboard/")
    months = [row["month"] for row in response.context["months"]]
    assert len(months) == 12
    assert (months[0].month, months[-1].month) == (D(2025, 7, 1), D(2026, 6, 1))
    may, june = months[-2], months[-1]
    # Closed at 00:30 on 6月1日 in Shanghai (16:30 on 5月31日 UTC): a June figure.
    assert (june.closed, june.closed_on_time, may.closed) == (1, 1, 0)
    assert (may.due, june.due) == (1, 2)  # 5月20日; 6月3日 and 6月30日 (7月31日 is beyond)
    page = response.content.decode()
    assert '<a href="/tasks/?deadline_from=2026-06-01&amp;deadline_to=2026-06-30">2</a>' in page
    chart = response.context["month_chart"]
    assert chart["xAxis"]["data"][-1] == "2026年6月"
    due_href = "/tasks/?deadline_from=2026-06-01&deadline_to=2026-06-30"
    assert chart["series"][0]["data"][-1] == {"value": 2, "href": due_href}


def test_it_lists_the_longest_overdue_assignments_in_working_days(client, cast, frozen):
    tasks = world(cast, frozen)
    client.force_login(cast.leader)
    response = client.get("/dashboard/")
    overdue = response.context["overdue"]
    assert [o.assignment.task_id for o in overdue] == [tasks["overdue"].pk]
    assert (overdue[0].workdays, overdue[0].days) == (8, 12)  # 5月21日 to 6月1日, weekends not counted
    part = section(response.content.decode(), "overdue-title")
    assert f'href="/tasks/{tasks["overdue"].pk}/"' in part
    assert "8 个工作日" in part and "州财政局" in part and "红灯" in part


def test_it_offers_a_leader_a_批示_on_each_key_task(client, cast, frozen):
    tasks = world(cast, frozen)
    client.force_login(cast.leader)
    part = section(client.get("/dashboard/").content.decode(), "key-title")
    key = tasks["key"].pk
    assert f'href="/tasks/{key}/"' in part and "黄灯" in part and "2026年6月3日" in part
    assert f'<form method="post" action="/tasks/{key}/instruct/">' in part
    assert f'<label for="instruct-{key}">' in part and f'<textarea id="instruct-{key}" name="text"' in part
    assert '<input type="hidden" name="next" value="/dashboard/">' in part
    assert "<summary>批示</summary>" in part
    assert "推进重点项目开工" in part and "建设数字政府平台" not in part  # key tasks only


def test_it_offers_no_批示_to_a_supervisor(client, cast, frozen):
    world(cast, frozen)
    client.force_login(cast.supervisor)
    page = client.get("/dashboard/").content.decode()
    assert "推进重点项目开工" in section(page, "key-title")
    assert "/instruct/" not in page


def test_it_lists_the_blockers_awaiting_coordination(client, cast, frozen):
    tasks = world(cast, frozen)
    client.force_login(cast.leader)
    part = section(client.get("/dashboard/").content.decode(), "blockers")
    assert "项目用地指标不足，需州级统筹。" in part and "配套资金尚未到位。" in part
    assert part.index("项目用地指标不足") < part.index("配套资金尚未到位")  # escalated ones lead
    assert "提请您协调" in part and f'href="/tasks/{tasks["key"].pk}/"' in part


def test_it_shows_a_unit_only_its_own_work(client, cast, frozen):
    world(cast, frozen)
    client.force_login(cast.finance_liaison)
    response = client.get("/dashboard/")
    h = response.context["headline"]
    assert (h.open, h.red, h.closed, h.blockers) == (1, 1, 0, 0)
    page = response.content.decode()
    assert "盘活闲置国有资产" in page and "推进重点项目开工" not in page


def test_it_greets_an_outsider_county_with_an_empty_dashboard(client, cast, frozen):
    world(cast, frozen)
    client.force_login(cast.other_supervisor)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "您的范围内还没有督办事项" in page
    assert "盘活闲置国有资产" not in page and "推进重点项目开工" not in page


def test_it_is_the_front_page_of_a_leader(client, cast, frozen):
    client.force_login(cast.leader)
    response = client.get("/")
    assert response.status_code == 200
    assert "领导驾驶舱" in response.content.decode()


def test_it_keeps_administrators_and_strangers_out(client, cast, frozen):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    force_login_verified(client, cast.sysadmin)
    response = client.get("/dashboard/")
    assert response.status_code == 403 and "三员分立" in response.content.decode()


def test_it_draws_the_dashboard_in_the_same_number_of_queries_however_many_tasks(
        client, cast, frozen, django_assert_max_num_queries):
    c = cast

    def add(count: int, start: int):
        frozen.move_to(clock.at_local(D(2026, 5, 4), 9))
        for n in range(start, start + count):
            unit, liaison = (c.pref_drc, c.drc_liaison) if n % 2 else (c.pref_finance, c.finance_liaison)
            task = assigned(c, title=f"重点项目{n}", leads=[unit], is_key=n % 3 == 0,
                            deadline=D(2026, 5, 20) if n % 2 else D(2026, 7, 31))
            s.blocker_raise(actor=liaison, assignment=lead_of(task, unit), text=f"堵点{n}")
        frozen.move_to(clock.at_local(D(2026, 6, 1), 9))
        lights_refresh()

    add(3, 0)
    client.force_login(c.leader)
    client.get("/dashboard/")  # the session and the calendar cache
    with CaptureQueriesContext(connection) as few, django_assert_max_num_queries(QUERY_BOUND):
        assert client.get("/dashboard/").status_code == 200
    add(27, 3)
    with CaptureQueriesContext(connection) as many, django_assert_max_num_queries(QUERY_BOUND):
        response = client.get("/dashboard/")
    assert response.context["headline"].open == 30
    assert len(response.context["overdue"]) == 10
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Task.objects.count() == 30
