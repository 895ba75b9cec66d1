"""登记交办 through the Django client: a supervisor registers a decision, decomposes it into tasks with their
units, milestones and targets, and assigns them; errors land beside their fields and nothing is half-written."""

import datetime as dt
import re

import pytest

from duban.audit.models import Event
from duban.core.errors import DomainError
from duban.supervision import services as s
from duban.supervision.models import (
    Assignment,
    Decision,
    Milestone,
    Target,
    Task,
    TaskPlan,
)
from duban.workdays.store import get_calendar

pytestmark = pytest.mark.django_db

D = dt.date


def _decision(c, title="州政府第12次常务会议纪要", kind="meeting", actor=None):
    return s.decision_create(actor=actor or c.supervisor, kind=kind, title=title, issued_on=D(2026, 5, 28))


def _draft(c, decision, title="推进重点项目开工", leads=None, **kwargs):
    return s.task_create(actor=c.supervisor, decision=decision, title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]], **kwargs)


def _field_error(html: str, field_id: str) -> str:
    """The error list Django ties to a field (aria-describedby points at it), as text."""
    found = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


def _task_post(c, **changes) -> dict:
    data = {
        "title": "推进全州重点项目集中开工",
        "requirements": "6月底前全部开工，每月报送投资完成情况。",
        "lead_units": [c.pref_drc.pk],
        "other_units": [c.pref_finance.pk],
        "deadline": "2026-06-30",
        "cadence": "none",
        "report_day": "",
        "responsible_leader": "",
        "urgency": "normal",
        "category": "",
    }
    data.update(changes)
    return data


def _events(verb: str, **filters) -> int:
    return Event.objects.filter(verb=verb, **filters).count()


# ---- the whole flow ---------------------------------------------------------------------------------


def test_it_registers_a_decision_decomposes_it_and_assigns_it(client, cast, frozen):
    c = cast
    client.force_login(c.supervisor)
    assert client.get("/decisions/new/").status_code == 200

    response = client.post("/decisions/new/", {
        "kind": "meeting", "title": "州政府第12次常务会议纪要", "doc_number": "州政府常务会议纪要〔2026〕12号",
        "issuer": "州人民政府常务会议", "issued_on": "2026-05-28", "body": "会议议定：一、加快重点项目建设。"})
    decision = Decision.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/decisions/{decision.pk}/"
    assert (decision.kind, decision.doc_number, decision.issuer) == (
        "meeting", "州政府常务会议纪要〔2026〕12号", "州人民政府常务会议")
    assert decision.owner_unit == c.prefecture and decision.created_by == c.supervisor
    assert _events("decision.create", object_id=decision.pk) == 1
    page = client.get(response["Location"]).content.decode()
    assert "已登记决策部署“州政府第12次常务会议纪要”" in page  # the success message
    assert "新增督办事项" in page and "尚未分解督办事项" in page

    first = client.post(f"/decisions/{decision.pk}/tasks/", _task_post(
        c, lead_units=[c.pref_drc.pk], other_units=[c.pref_finance.pk, c.county.pk],
        responsible_leader=c.leader.pk, urgency="urgent", is_key="on", category="重点项目",
        milestone_1_title="完成项目清单", milestone_1_due="2026-06-10",
        milestone_2_title="全部开工", milestone_2_due="2026-06-25",
        target_1_name="开工项目", target_1_measure="个", target_1_baseline="0", target_1_target="12"))
    assert first.status_code == 302
    assert first["Location"] == f"/decisions/{decision.pk}/#tasks"
    second = client.post(f"/decisions/{decision.pk}/tasks/", _task_post(
        c, title="持续优化营商环境", deadline="", cadence="monthly", report_day="5",
        lead_units=[c.county.pk, c.pref_finance.pk], other_units=[c.pref_drc.pk],
        target_1_name="审批时限压缩", target_1_measure="%", target_1_target="30"))
    assert second.status_code == 302

    one, two = Task.objects.filter(decision=decision).order_by("id")
    assert (one.state, two.state) == ("draft", "draft")
    assert (one.deadline, one.urgency, one.is_key, one.category, one.responsible_leader) == (
        D(2026, 6, 30), "urgent", True, "重点项目", c.leader)
    assert (two.deadline, two.cadence, two.report_day) == (None, "monthly", 5)
    plan = {(p.task_id, p.unit_id): p.role for p in TaskPlan.objects.filter(task__decision=decision)}
    assert plan == {
        (one.pk, c.pref_drc.pk): "lead", (one.pk, c.pref_finance.pk): "cooperate", (one.pk, c.county.pk): "cooperate",
        (two.pk, c.county.pk): "lead", (two.pk, c.pref_finance.pk): "lead", (two.pk, c.pref_drc.pk): "cooperate",
    }
    assert list(Milestone.objects.filter(task=one).values_list("title", "due")) == [
        ("完成项目清单", D(2026, 6, 10)), ("全部开工", D(2026, 6, 25))]
    assert not Milestone.objects.filter(task=two).exists()  # empty rows are ignored
    target = Target.objects.get(task=one)
    assert (target.name, target.measure, target.baseline, target.target) == ("开工项目", "个", 0, 12)
    assert Target.objects.get(task=two).name == "审批时限压缩"
    assert _events("task.create", task_id=one.pk) == 1 and _events("task.create", task_id=two.pk) == 1

    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert f'<a href="/tasks/{one.pk}/">推进全州重点项目集中开工</a>' in page
    assert one.code in page and two.code in page
    assert "交办全部草稿（2项）" in page
    assert "每月报送" in page

    response = client.post(f"/decisions/{decision.pk}/assign/")
    assert response.status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.state, two.state) == ("assigned", "assigned")
    assignments = {(a.task_id, a.unit_id): (a.role, a.state) for a in Assignment.objects.filter(task__decision=decision)}
    assert assignments == {
        (one.pk, c.pref_drc.pk): ("lead", "pending"), (one.pk, c.pref_finance.pk): ("cooperate", "pending"),
        (one.pk, c.county.pk): ("cooperate", "pending"),
        (two.pk, c.county.pk): ("lead", "pending"), (two.pk, c.pref_finance.pk): ("lead", "pending"),
        (two.pk, c.pref_drc.pk): ("cooperate", "pending"),
    }
    assert _events("task.assign", task_id=one.pk) == 1 and _events("task.assign", task_id=two.pk) == 1
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert f"已交办 2 项督办事项（{one.code}、{two.code}）" in page
    assert "交办全部草稿" not in page
    assert "<td class=\"hide-sm\">州财政局、甲县</td>" in page  # the cooperating units, from the assignments
    assert page.count("已交办") >= 3  # the message and both rows' state


def test_it_assigns_one_draft_from_its_own_row(client, cast, frozen):
    c = cast
    decision = _decision(c)
    one, two = _draft(c, decision, "甲事项"), _draft(c, decision, "乙事项")
    client.force_login(c.supervisor)
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert f'<input type="hidden" name="task" value="{one.pk}">' in page
    assert f'aria-label="交办 {one.code}"' in page
    response = client.post(f"/decisions/{decision.pk}/assign/", {"task": one.pk, "version": one.version})
    assert response.status_code == 302
    assert Task.objects.get(pk=one.pk).state == "assigned"
    assert Task.objects.get(pk=two.pk).state == "draft"
    assert Assignment.objects.filter(task=one).count() == 1 and not Assignment.objects.filter(task=two).exists()
    again = client.post(f"/decisions/{decision.pk}/assign/", {"task": one.pk}, follow=True)
    assert "该事项已交办或不存在。" in again.content.decode()

    stale = two.version
    s.task_update(actor=c.supervisor, task=two, expected_version=stale, title="乙事项（修改后）")
    page = client.post(f"/decisions/{decision.pk}/assign/", {"task": two.pk, "version": stale},
                       follow=True).content.decode()
    assert "该记录已被他人修改，请刷新后重试。" in page  # not assigned blind
    assert Task.objects.get(pk=two.pk).state == "draft"


def test_it_assigns_all_drafts_or_none(client, cast, frozen, monkeypatch):
    c = cast
    decision = _decision(c)
    one, two = _draft(c, decision, "甲事项"), _draft(c, decision, "乙事项")
    real = s.task_assign
    calls = []

    def second_fails(*, actor, task, **kwargs):
        calls.append(task.pk)
        if len(calls) == 2:
            raise DomainError("task_already_assigned", "该事项已经交办，不能重复交办。")
        return real(actor=actor, task=task, **kwargs)

    monkeypatch.setattr(s, "task_assign", second_fails)
    client.force_login(c.supervisor)
    response = client.post(f"/decisions/{decision.pk}/assign/", follow=True)
    assert calls == [one.pk, two.pk]
    page = response.content.decode()
    assert f"{two.code}“乙事项”：该事项已经交办，不能重复交办。本次未交办任何事项。" in page
    assert set(Task.objects.filter(decision=decision).values_list("state", flat=True)) == {"draft"}
    assert not Assignment.objects.filter(task__decision=decision).exists()
    assert _events("task.assign") == 0


# ---- errors beside their fields ---------------------------------------------------------------------


def test_it_keeps_a_decision_without_title_and_says_why(client, cast, frozen):
    client.force_login(cast.supervisor)
    response = client.post("/decisions/new/", {"kind": "document", "title": "  ", "doc_number": "示政发〔2026〕3号",
                                               "issued_on": "2026-05-20"})
    assert response.status_code == 400
    page = response.content.decode()
    assert _field_error(page, "id_title") == "请填写决策部署的标题。"
    assert 'value="示政发〔2026〕3号"' in page  # the input is kept
    assert not Decision.objects.exists()
    assert _events("decision.create") == 0


def test_it_keeps_a_task_without_title_and_says_why(client, cast, frozen):
    c = cast
    decision = _decision(c)
    client.force_login(c.supervisor)
    response = client.post(f"/decisions/{decision.pk}/tasks/", _task_post(c, title=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert _field_error(page, "id_title") == "请填写督办事项。"
    assert "事项未保存" in page
    assert "6月底前全部开工，每月报送投资完成情况。" in page  # the requirements typed are kept
    assert re.search(rf'<option value="{c.pref_drc.pk}" selected>', page)  # and the units picked
    assert "2026年6月30日 星期二" in page  # the deadline's calendar note, without scripts
    assert not Task.objects.exists() and _events("task.create") == 0


def test_it_puts_each_task_error_beside_its_field_or_row(client, cast, frozen):
    c = cast
    decision = _decision(c)
    client.force_login(c.supervisor)
    url = f"/decisions/{decision.pk}/tasks/"

    page = client.post(url, _task_post(c, lead_units=[])).content.decode()
    assert _field_error(page, "id_lead_units") == "请至少指定一个牵头单位。"

    page = client.post(url, _task_post(c, other_units=[c.pref_drc.pk])).content.decode()
    assert _field_error(page, "id_other_units") == "同一单位不能既牵头又配合。"  # from the service

    page = client.post(url, _task_post(c, deadline="2026-05-29")).content.decode()
    assert _field_error(page, "id_deadline") == "完成时限不能早于今天。"  # from the service

    page = client.post(url, _task_post(c, lead_units=[c.prefecture.pk])).content.decode()
    assert _field_error(page, "id_lead_units") == "所选单位不在本单位的交办范围内，或已停用。"

    response = client.post(url, _task_post(c, milestone_1_title="完成项目清单", milestone_2_due="2026-06-20",
                                           target_1_name="开工项目", target_2_target="abc"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["milestone_1_due"] == ["请填写节点1的时限。"]
    assert form.errors["milestone_2_title"] == ["请填写节点2的名称。"]
    assert form.errors["target_1_target"] == ["请填写指标1的目标值。"]
    assert form.errors["target_2_target"] == ["请填写数字。"]
    page = response.content.decode()
    assert _field_error(page, "id_milestone_1_due") == "请填写节点1的时限。"  # beside the row's empty date
    assert _field_error(page, "id_target_2_target") == "请填写数字。"
    assert 'value="完成项目清单"' in response.content.decode()
    assert not Task.objects.exists()


# ---- who may do what ---------------------------------------------------------------------------------


def test_it_refuses_a_liaison_the_registration(client, cast, frozen):
    c = cast
    client.force_login(c.drc_liaison)
    response = client.get("/decisions/new/")
    assert response.status_code == 403
    assert "只有督查员可以登记决策部署和督办事项。" in response.content.decode()
    assert client.post("/decisions/new/", {"kind": "document", "title": "越权登记",
                                           "issued_on": "2026-05-20"}).status_code == 403
    assert not Decision.objects.exists()

    decision = _decision(c)
    s.task_assign(actor=c.supervisor, task=_draft(c, decision))
    page = client.get(f"/decisions/{decision.pk}/")  # the liaison sees the decision behind its task
    assert page.status_code == 200 and "新增督办事项" not in page.content.decode()
    assert client.post(f"/decisions/{decision.pk}/tasks/", _task_post(c)).status_code == 403
    assert client.post(f"/decisions/{decision.pk}/assign/").status_code == 403
    assert client.get("/units/search/?q=发改委").status_code == 403


def test_it_hides_a_decision_from_a_supervisor_out_of_scope(client, cast, frozen):
    c = cast
    decision = _decision(c)
    draft = _draft(c, decision)
    client.force_login(c.other_supervisor)
    assert client.get(f"/decisions/{decision.pk}/").status_code == 404
    assert client.post(f"/decisions/{decision.pk}/tasks/", _task_post(c)).status_code == 404
    assert client.post(f"/decisions/{decision.pk}/assign/", {"task": draft.pk}).status_code == 404
    assert Task.objects.get(pk=draft.pk).state == "draft"


def test_it_lists_decisions_in_scope_with_their_task_counts(client, cast, frozen):
    c = cast
    meeting = _decision(c, "州政府第12次常务会议纪要")
    s.task_assign(actor=c.supervisor, task=_draft(c, meeting, "甲事项"))
    _draft(c, meeting, "乙事项")
    _decision(c, "关于做好防汛工作的通知", kind="document")
    _decision(c, "乙县政府常务会议纪要", actor=c.other_supervisor)

    client.force_login(c.supervisor)
    response = client.get("/decisions/")
    page = response.content.decode()
    assert "州政府第12次常务会议纪要" in page and "关于做好防汛工作的通知" in page
    counts = {d.title: (d.task_count, d.draft_count) for d in response.context["rows"]}
    assert counts == {"州政府第12次常务会议纪要": (2, 1), "关于做好防汛工作的通知": (0, 0),
                      "乙县政府常务会议纪要": (0, 0)}  # 乙县 lies in the prefecture's subtree

    page = client.get("/decisions/?kind=document").content.decode()
    assert "关于做好防汛工作的通知" in page and "州政府第12次常务会议纪要" not in page
    page = client.get("/decisions/?q=防汛").content.decode()
    assert "关于做好防汛工作的通知" in page and "州政府第12次常务会议纪要" not in page
    assert 'value="防汛"' in page  # the filter is kept in the form

    fragment = client.get("/decisions/?q=常务", headers={"HX-Request": "true"}).content.decode()
    assert "州政府第12次常务会议纪要" in fragment and "<html" not in fragment

    client.force_login(c.other_supervisor)
    page = client.get("/decisions/").content.decode()
    assert "乙县政府常务会议纪要" in page
    assert "州政府第12次常务会议纪要" not in page and "关于做好防汛工作的通知" not in page

    client.force_login(c.county_supervisor)  # 甲县 sees the decision behind the task it was given, only
    s.task_assign(actor=c.supervisor, task=_draft(c, meeting, "丙事项", leads=[c.county]))
    response = client.get("/decisions/")
    assert {d.title: (d.task_count, d.draft_count) for d in response.context["rows"]} == {
        "州政府第12次常务会议纪要": (1, 0)}


# ---- the unit picker and the calendar note -----------------------------------------------------------


def test_it_finds_units_by_alias_and_short_name_within_scope(client, cast, frozen):
    c = cast
    client.force_login(c.supervisor)
    for q in ("发改委", "发展改革委"):
        page = client.get("/units/search/", {"q": q}, headers={"HX-Request": "true"}).content.decode()
        assert f'data-unit-id="{c.pref_drc.pk}"' in page, q
        assert "州发展和改革委员会" in page and "添加" in page
    page = client.get("/units/search/", {"q": "甲县发改局"}).content.decode()
    assert f'data-unit-id="{c.county_drc.pk}"' in page
    assert f'data-unit-id="{c.pref_drc.pk}"' not in page
    page = client.get("/units/search/", {"q": "示范州"}).content.decode()
    assert f'data-unit-id="{c.prefecture.pk}"' not in page  # one's own unit is not assigned work
    assert "没有找到与“示范州”相符的单位" in page

    client.force_login(c.county_supervisor)  # a county's supervisor picks only the county's units
    page = client.get("/units/search/", {"q": "发改"}).content.decode()
    assert f'data-unit-id="{c.county_drc.pk}"' in page
    assert f'data-unit-id="{c.pref_drc.pk}"' not in page and f'data-unit-id="{c.other_drc.pk}"' not in page


def test_it_offers_the_units_in_scope_as_a_plain_select_without_scripts(client, cast, frozen):
    c = cast
    decision = _decision(c)
    client.force_login(c.supervisor)
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    select = re.search(r'<select name="lead_units"[^>]*multiple[^>]*>(.*?)</select>', page, re.S).group(1)
    ids = [int(v) for v in re.findall(r'<option value="(\d+)"', select)]
    in_scope = [c.pref_drc, c.pref_finance, c.county, c.county_drc, c.township, c.other_county, c.other_drc]
    assert ids == [u.pk for u in sorted(in_scope, key=lambda u: u.path)]
    assert "\u3000甲县发展和改革局" in select  # indented under its county
    assert 'name="other_units"' in page
    assert '<label for="id_lead_units"' in page and '<label for="id_deadline">' in page
    assert "duban/picker.js" in page
    assert 'hx-get="/units/search/"' in page and 'hx-get="/calendar/day/"' in page
    assert f'<option value="{c.leader.pk}">李州长（示范州）</option>' in page


def test_it_tells_a_holiday_and_a_working_day(client, cast, frozen):
    client.force_login(cast.supervisor)
    calendar = get_calendar()
    today = D(2026, 6, 1)

    page = client.get("/calendar/day/", {"date": "2026-10-01"}, headers={"HX-Request": "true"}).content.decode()
    assert "2026年10月1日 星期四" in page and "休息日（国庆节）" in page
    assert f"距今 {calendar.workdays_between(today, D(2026, 10, 1))} 个工作日" in page
    assert "可选 2026年10月8日" in page  # the first working day after the holiday (1–7 October off)
    assert "class=\"warn\"" not in page

    page = client.get("/calendar/day/", {"date": "2026-06-02"}).content.decode()
    assert "工作日" in page and "休息日" not in page and "距今 1 个工作日" in page

    page = client.get("/calendar/day/", {"deadline": "2026-10-10"}).content.decode()  # the form field's own name
    assert "工作日（国庆节调休上班）" in page

    page = client.get("/calendar/day/", {"date": "2027-03-01"}).content.decode()
    assert "该年度节假日安排尚未发布，按周一至周五计算。" in page

    response = client.get("/calendar/day/", {"date": "2026-13-45"})
    assert response.status_code == 200
    assert "日期格式不正确" in response.content.decode()


# ---- a fixed number of queries, however many rows ----------------------------------------------------


def test_the_decisions_list_costs_a_fixed_number_of_queries(client, cast, frozen, django_assert_max_num_queries):
    c = cast
    for n in range(2):
        _draft(c, _decision(c, f"决策{n}"), f"事项{n}")
    client.force_login(c.supervisor)
    client.get("/decisions/")
    with django_assert_max_num_queries(20) as few:
        assert len(client.get("/decisions/").context["rows"]) == 2
    for n in range(2, 20):
        decision = _decision(c, f"决策{n}")
        s.task_assign(actor=c.supervisor, task=_draft(c, decision, f"事项{n}", leads=[c.pref_drc, c.county]))
        _draft(c, decision, f"事项{n}乙")
    with django_assert_max_num_queries(len(few)):
        assert len(client.get("/decisions/").context["rows"]) == 20


def test_the_decision_page_costs_a_fixed_number_of_queries(client, cast, frozen, django_assert_max_num_queries):
    c = cast
    decision = _decision(c)
    for n in range(2):
        _draft(c, decision, f"事项{n}", cooperating_unit_ids=[] if n else [c.pref_finance.pk])
    client.force_login(c.supervisor)
    client.get(f"/decisions/{decision.pk}/")
    with django_assert_max_num_queries(30) as few:
        assert client.get(f"/decisions/{decision.pk}/").status_code == 200
    for n in range(2, 20):
        task = _draft(c, decision, f"事项{n}", leads=[c.pref_drc, c.county], cooperating_unit_ids=[c.township.pk],
                      milestones=[("节点", D(2026, 6, 20))])
        if n % 2:
            s.task_assign(actor=c.supervisor, task=task)
    with django_assert_max_num_queries(len(few)):
        response = client.get(f"/decisions/{decision.pk}/")
    assert len(response.context["tasks"]) == 20


# ---- editing a task ------------------------------------------------------------------------------------


def _edit_post(task, **changes) -> dict:
    data = {
        "version": task.version,
        "title": task.title,
        "requirements": task.requirements,
        "responsible_leader": task.responsible_leader_id or "",
        "urgency": task.urgency,
        "category": task.category,
    }
    if task.is_key:
        data["is_key"] = "on"
    if task.state == "draft":
        data["deadline"] = task.deadline.isoformat() if task.deadline else ""
    data.update(changes)
    return data


def test_it_edits_a_task_and_records_the_change(client, cast, frozen):
    c = cast
    task = _draft(c, _decision(c), deadline=D(2026, 6, 30))
    client.force_login(c.supervisor)
    response = client.get(f"/tasks/{task.pk}/edit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<input type="hidden" name="version" value="{task.version}"' in page
    assert 'value="推进重点项目开工"' in page and 'value="2026-06-30"' in page  # the draft's deadline is editable
    assert "<dt>牵头单位</dt><dd>州发改委</dd>" in page  # its lead unit, shown, not edited
    assert 'name="lead_units"' not in page and 'name="cadence"' not in page and 'name="milestone_1_title"' not in page

    response = client.post(f"/tasks/{task.pk}/edit/", _edit_post(
        task, title="推进全州重点项目集中开工", requirements="6月底前全部开工。", deadline="2026-07-15",
        responsible_leader=c.leader.pk, urgency="urgent", is_key="on", category="重点项目"))
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/"
    task.refresh_from_db()
    assert (task.title, task.requirements, task.deadline, task.responsible_leader, task.urgency, task.is_key,
            task.category) == ("推进全州重点项目集中开工", "6月底前全部开工。", D(2026, 7, 15), c.leader, "urgent", True,
                               "重点项目")
    event = Event.objects.get(verb="task.update", task_id=task.pk)
    assert event.actor_id == c.supervisor.pk
    page = client.get(f"/tasks/{task.pk}/edit/").content.decode()
    assert f"已保存对 {task.code}“推进全州重点项目集中开工”的修改。" in page
    # A named responsible leader is replaced, not removed: no empty choice is offered.
    assert "（不指定）" not in page and f'<option value="{c.leader.pk}" selected>' in page

    unchanged = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task), follow=True)
    assert "内容没有变化，未作修改。" in unchanged.content.decode()
    assert _events("task.update", task_id=task.pk) == 1


def test_it_edits_an_assigned_task_but_not_its_deadline(client, cast, frozen):
    c = cast
    task = s.task_assign(actor=c.supervisor, task=_draft(c, _decision(c), deadline=D(2026, 6, 30)))
    client.force_login(c.supervisor)
    page = client.get(f"/tasks/{task.pk}/edit/").content.decode()
    assert 'name="deadline"' not in page
    assert "交办后完成时限只能通过延期申请调整。" in page and "2026年6月30日" in page
    response = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, title="推进重点项目开工（调整）",
                                                                 deadline="2026-12-31"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "推进重点项目开工（调整）" and task.deadline == D(2026, 6, 30)  # a deadline posted is ignored


def test_it_refuses_a_stale_edit_and_keeps_the_input(client, cast, frozen):
    c = cast
    task = _draft(c, _decision(c))
    seen = task.version
    client.force_login(c.supervisor)
    assert client.get(f"/tasks/{task.pk}/edit/").status_code == 200
    s.task_update(actor=c.supervisor, task=task, expected_version=seen,  # someone else, meanwhile
                  title="他人改过的标题")
    response = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, version=seen, title="我填写的标题",
                                                                 requirements="我填写的要求"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "该记录已被他人修改，请刷新后重试。" in page
    assert 'value="我填写的标题"' in page and "我填写的要求" in page  # the input is kept
    assert "他人修改后的当前内容" in page and "他人改过的标题" in page
    task.refresh_from_db()
    assert task.title == "他人改过的标题"
    assert _events("task.update", task_id=task.pk) == 1  # only the other person's change
    # The page now carries the version it showed: saving again, knowingly, lands.
    assert f'<input type="hidden" name="version" value="{task.version}"' in page
    again = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, title="我填写的标题"))
    assert again.status_code == 302
    assert Task.objects.get(pk=task.pk).title == "我填写的标题"


def test_it_puts_edit_errors_beside_their_fields(client, cast, frozen):
    c = cast
    task = _draft(c, _decision(c))
    client.force_login(c.supervisor)
    response = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, title=" "))
    assert response.status_code == 400
    assert _field_error(response.content.decode(), "id_title") == "请填写督办事项。"
    page = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, deadline="2026-05-29")).content.decode()
    assert _field_error(page, "id_deadline") == "完成时限不能早于今天。"  # from the service
    page = client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, version="x")).content.decode()
    assert "页面已过期，请刷新后重试。" in page
    assert Task.objects.get(pk=task.pk).title == "推进重点项目开工"
    assert _events("task.update") == 0


def test_it_refuses_the_edit_to_others(client, cast, frozen):
    c = cast
    task = s.task_assign(actor=c.supervisor, task=_draft(c, _decision(c)))
    client.force_login(c.drc_liaison)  # sees the task assigned to the unit, but does not supervise it
    response = client.get(f"/tasks/{task.pk}/edit/")
    assert response.status_code == 403
    assert "只有督办该事项的督查室督查员可以修改督办事项。" in response.content.decode()
    assert client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, title="越权修改")).status_code == 403

    client.force_login(c.other_supervisor)  # another county's supervisor does not see it at all
    assert client.get(f"/tasks/{task.pk}/edit/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/edit/", _edit_post(task, title="越权修改")).status_code == 404

    client.force_login(c.county_supervisor)  # a county below cannot edit the prefecture's task either
    assert client.get(f"/tasks/{task.pk}/edit/").status_code == 404

    client.force_login(c.supervisor)
    s.task_cancel(actor=c.supervisor, task=task, reason="决策调整")
    response = client.get(f"/tasks/{task.pk}/edit/")
    assert response.status_code == 403 and "已销号或已撤销的事项不能修改。" in response.content.decode()
    assert Task.objects.get(pk=task.pk).title == "推进重点项目开工"
    assert _events("task.update") == 0


# ---- 层层分解: a county decomposes what the prefecture assigned to it -----------------------------------------


def _received(c, sign=True) -> Assignment:
    """A prefecture task assigned to 甲县 (and, unless told, signed for by its liaison)."""
    task = _draft(c, _decision(c), "全州重点项目集中开工", leads=[c.county], deadline=D(2026, 6, 30),
                  requirements="6月底前全部开工，每月报送投资完成情况。")
    s.task_assign(actor=c.supervisor, task=task)
    received = Assignment.objects.get(task=task, unit=c.county)
    if sign:
        received = s.assignment_sign(actor=c.county_liaison, assignment=received)
    return received


def _decompose_post(c, **changes) -> dict:
    data = {
        "title": "城关镇重点项目开工",
        "requirements": "6月20日前开工，附开工照片和手续。",
        "lead_units": [c.township.pk],
        "other_units": [],
        "deadline": "2026-06-20",
        "cadence": "none",
        "report_day": "",
        "responsible_leader": "",
        "urgency": "normal",
        "category": "",
        "then": "assign",
    }
    data.update(changes)
    return data


def test_it_decomposes_a_received_assignment_and_assigns_the_sub_task(client, cast, frozen):
    c = cast
    received = _received(c)
    url = f"/assignments/{received.pk}/decompose/"
    client.force_login(c.county_supervisor)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "全州重点项目集中开工" in page and "6月底前全部开工，每月报送投资完成情况。" in page
    assert "2026年6月30日" in page  # the received deadline
    assert 'value="2026-06-30" max="2026-06-30"' in page  # the sub-task's deadline starts at it
    select = re.search(r'<select name="lead_units"[^>]*multiple[^>]*>(.*?)</select>', page, re.S).group(1)
    assert sorted(int(v) for v in re.findall(r'<option value="(\d+)"', select)) == sorted(
        [c.county_drc.pk, c.township.pk])  # only the units below 甲县
    assert "保存并交办" in page and "保存为草稿" in page and "尚未分解事项" in page

    response = client.post(url, _decompose_post(c, other_units=[c.county_drc.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{url}#subtasks"
    sub = Task.objects.get(parent_assignment=received)
    assert (sub.state, sub.parent_id, sub.decision_id, sub.owner_unit, sub.deadline) == (
        "assigned", received.task_id, received.task.decision_id, c.county, D(2026, 6, 20))
    assert {(a.unit_id, a.role, a.state) for a in Assignment.objects.filter(task=sub)} == {
        (c.township.pk, "lead", "pending"), (c.county_drc.pk, "cooperate", "pending")}
    assert _events("task.create", task_id=sub.pk) == 1 and _events("task.assign", task_id=sub.pk) == 1

    page = client.get(url).content.decode()
    assert f"已分解并交办 {sub.code}“城关镇重点项目开工”" in page
    assert f'<a href="/tasks/{sub.pk}/">城关镇重点项目开工</a>' in page
    assert "<td>甲县城关镇</td>" in page and "2026年6月20日" in page and "已交办" in page


def test_it_saves_a_sub_task_as_a_draft_and_assigns_it_from_its_row(client, cast, frozen):
    c = cast
    received = _received(c)
    url = f"/assignments/{received.pk}/decompose/"
    client.force_login(c.county_supervisor)
    response = client.post(url, _decompose_post(c, then="draft", deadline=""), follow=True)
    sub = Task.objects.get(parent_assignment=received)
    assert sub.state == "draft" and sub.deadline == D(2026, 6, 30)  # left empty: the received deadline
    assert not Assignment.objects.filter(task=sub).exists()
    page = response.content.decode()
    assert f"已保存分解事项 {sub.code}“城关镇重点项目开工”（草稿）" in page
    assert f'aria-label="交办 {sub.code}"' in page and f'href="/tasks/{sub.pk}/edit/"' in page

    response = client.post(url, {"assign": sub.pk, "version": sub.version}, follow=True)
    assert f"已交办 {sub.code}“城关镇重点项目开工”" in response.content.decode()
    assert Task.objects.get(pk=sub.pk).state == "assigned"
    assert Assignment.objects.get(task=sub).unit == c.township
    again = client.post(url, {"assign": sub.pk}, follow=True)
    assert "该事项已交办或不存在。" in again.content.decode()


def test_it_refuses_a_sub_task_due_after_the_received_deadline(client, cast, frozen):
    c = cast
    received = _received(c)
    client.force_login(c.county_supervisor)
    url = f"/assignments/{received.pk}/decompose/"
    response = client.post(url, _decompose_post(c, deadline="2026-07-10"))
    assert response.status_code == 400
    page = response.content.decode()
    assert _field_error(page, "id_deadline") == "分解事项的时限不能晚于上级交办的时限。"
    assert 'value="城关镇重点项目开工"' in page  # the input is kept
    page = client.post(url, _decompose_post(c, lead_units=[c.pref_drc.pk])).content.decode()
    assert _field_error(page, "id_lead_units") == "所选单位不是本单位的下级单位，或已停用。"
    assert not Task.objects.filter(parent_assignment=received).exists()
    assert Task.objects.count() == 1 and _events("task.create") == 1  # only the prefecture's own task


def test_it_refuses_to_decompose_an_unsigned_assignment(client, cast, frozen):
    c = cast
    received = _received(c, sign=False)
    url = f"/assignments/{received.pk}/decompose/"
    client.force_login(c.county_supervisor)
    page = client.get(url).content.decode()
    assert "请先签收上级交办的事项，再进行分解。" in page
    assert 'name="lead_units"' not in page  # no form to fill in vain
    response = client.post(url, _decompose_post(c))
    assert response.status_code == 400
    assert "请先签收上级交办的事项，再进行分解。" in response.content.decode()  # the service's word
    assert not Task.objects.filter(parent_assignment=received).exists()
    assert _events("task.create") == 1


def test_it_lets_only_the_receiving_units_supervisor_decompose(client, cast, frozen):
    c = cast
    received = _received(c)
    url = f"/assignments/{received.pk}/decompose/"
    for someone in (c.county_liaison, c.supervisor):  # the unit's liaison; the prefecture that assigned it
        client.force_login(someone)
        response = client.get(url)
        assert response.status_code == 403, someone
        assert "只有承办单位的督查员可以分解本单位承办的事项。" in response.content.decode()
        assert client.post(url, _decompose_post(c)).status_code == 403
    client.force_login(c.other_supervisor)  # 乙县 does not see 甲县's assignment
    assert client.get(url).status_code == 404
    assert client.post(url, _decompose_post(c)).status_code == 404
    assert not Task.objects.filter(parent_assignment=received).exists()


# ---- a fixed number of queries on the edit and decompose pages ---------------------------------------


def test_the_edit_page_costs_a_fixed_number_of_queries(client, cast, frozen, django_assert_max_num_queries):
    c = cast
    decision = _decision(c)
    task = s.task_assign(actor=c.supervisor, task=_draft(c, decision, leads=[c.pref_drc]))
    client.force_login(c.supervisor)
    client.get(f"/tasks/{task.pk}/edit/")
    with django_assert_max_num_queries(25) as few:
        assert client.get(f"/tasks/{task.pk}/edit/").status_code == 200
    many = s.task_assign(actor=c.supervisor, task=_draft(
        c, decision, "多单位事项", leads=[c.pref_drc, c.county, c.other_county],
        cooperating_unit_ids=[c.pref_finance.pk, c.township.pk, c.other_drc.pk]))
    for n in range(10):
        _draft(c, decision, f"事项{n}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(f"/tasks/{many.pk}/edit/")
    assert len(response.context["lead_units"]) == 3 and len(response.context["other_units"]) == 3


def test_the_decompose_page_costs_a_fixed_number_of_queries(client, cast, frozen, django_assert_max_num_queries):
    c = cast
    received = _received(c)
    for n in range(2):
        s.task_create(actor=c.county_supervisor, decision=received.task.decision, parent_assignment=received,
                      title=f"分解事项{n}", lead_unit_ids=[c.township.pk])
    url = f"/assignments/{received.pk}/decompose/"
    client.force_login(c.county_supervisor)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for n in range(2, 20):
        sub = s.task_create(actor=c.county_supervisor, decision=received.task.decision, parent_assignment=received,
                            title=f"分解事项{n}", lead_unit_ids=[c.township.pk] if n % 3 else [c.township.pk, c.county_drc.pk],
                            cooperating_unit_ids=[c.county_drc.pk] if n % 3 else [])
        if n % 2:
            s.task_assign(actor=c.county_supervisor, task=sub)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["subtasks"]) == 20
