"""The task page and the workbenches through the Django client: what each person is offered, and every
action's form landing in its service, with errors beside the fields and nothing half-written."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.audit.models import Event
from duban.supervision import services as s
from duban.supervision.models import Assignment, Evidence, Report, Task

pytestmark = pytest.mark.django_db


def _task(c, title="推进重点项目开工", **kwargs):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=dt.date(2026, 5, 28))
    kwargs.setdefault("lead_unit_ids", [c.pref_drc.pk])
    kwargs.setdefault("cooperating_unit_ids", [c.pref_finance.pk])
    task = s.task_create(actor=c.supervisor, decision=decision, title=title, **kwargs)
    return s.task_assign(actor=c.supervisor, task=task)


def _offered(html: str) -> set[str]:
    """The actions a page offers: the labels of its action buttons and summaries."""
    found = set(re.findall(r"<summary>([^<]+)</summary>", html))
    found |= set(re.findall(r'<button type="submit" class="btn[^"]*">([^<]+)</button>', html))
    return {label.removeprefix("提交") for label in found} - {"退出"}


def _lead(task, c):
    return Assignment.objects.get(task=task, unit=c.pref_drc)


def test_it_offers_each_person_only_what_they_may_do_now(client, cast, frozen):
    c = cast
    task = _task(c)
    url = f"/tasks/{task.pk}/"

    client.force_login(c.drc_liaison)
    page = client.get(url).content.decode()
    assert {"签收", "退办", "申请延期", "提出堵点难点"} <= _offered(page)
    assert "销号" not in _offered(page) and "催办" not in _offered(page)

    client.force_login(c.supervisor)
    page = client.get(url).content.decode()
    offered = _offered(page)
    assert {"催办", "撤销事项"} <= offered
    assert not {"签收", "退办", "反馈进展", "销号"} & offered

    client.force_login(c.leader)
    assert "批示" in _offered(client.get(url).content.decode())

    client.force_login(c.finance_liaison)  # the cooperating unit: its own assignment only
    offered = _offered(client.get(url).content.decode())
    assert "签收" in offered
    page = client.get(url).content.decode()
    assert page.count('<summary>退办</summary>') == 1


def test_it_hides_a_task_out_of_scope(client, cast, frozen):
    task = _task(cast)
    client.force_login(cast.other_liaison)
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/do/assignment/{_lead(task, cast).pk}/sign/").status_code == 404
    assert _lead(task, cast).state == "pending"


def test_it_runs_the_lifecycle_through_the_forms(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)

    client.force_login(c.drc_liaison)
    response = client.post(f"/do/assignment/{lead.pk}/sign/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/#assignment-{lead.pk}"
    assert Assignment.objects.get(pk=lead.pk).state == "in_progress"

    evidence = SimpleUploadedFile("开工照片.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    response = client.post(f"/do/assignment/{lead.pk}/report/",
                           {"text": "12个项目已开工9个。", "progress": "75", "files": [evidence]})
    assert response.status_code == 302
    report = Report.objects.get(assignment=lead)
    assert (report.state, report.progress) == ("unit_review", 75)
    assert Evidence.objects.get(report=report).name == "开工照片.pdf"

    client.force_login(c.drc_head)
    assert "单位审核" in _offered(client.get(f"/tasks/{task.pk}/").content.decode())
    assert client.post(f"/do/report/{report.pk}/unit_review/", {"accept": "1"}).status_code == 302
    assert Report.objects.get(pk=report.pk).state == "submitted"

    client.force_login(c.supervisor)
    response = client.post(f"/do/report/{report.pk}/review/", {"accept": "0", "comment": ""})
    assert response.status_code == 400  # sending back needs an opinion, shown beside the field
    assert "退回须写明意见" in response.content.decode()
    assert Report.objects.get(pk=report.pk).state == "submitted"
    response = client.post(f"/do/report/{report.pk}/review/", {"accept": "0", "comment": "请补充开工照片。"})
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).state == "returned"

    client.force_login(c.drc_liaison)
    client.post(f"/do/assignment/{lead.pk}/report/", {"text": "12个项目全部开工。", "progress": "100",
                                                      "is_final": "on"})
    final = Report.objects.filter(assignment=lead).latest("id")
    client.force_login(c.drc_head)
    client.post(f"/do/report/{final.pk}/unit_review/", {"accept": "1"})
    assert Assignment.objects.get(pk=lead.pk).state == "review"

    client.force_login(c.supervisor)
    assert "审核办结申请" in _offered(client.get(f"/tasks/{task.pk}/").content.decode())
    client.post(f"/do/assignment/{lead.pk}/review/", {"accept": "1", "comment": "成效属实。"})
    assert Task.objects.get(pk=task.pk).state == "closing"
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "销号" in _offered(page)
    response = client.post(f"/do/task/{task.pk}/close/", {"text": "现场核验，佐证齐全。"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).state == "closed"
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "销号" in page and "现场核验，佐证齐全。" in page  # the timeline and the facts


def test_it_shows_a_field_error_and_writes_nothing(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    client.force_login(c.drc_liaison)
    events = Event.objects.count()
    response = client.post(f"/do/assignment/{lead.pk}/report/", {"text": "全部完成", "progress": "80",
                                                                 "is_final": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "申请办结时完成进度应为100%" in html
    assert 'id="assignment-' in html and " open>" in html  # the failing form is open on the page
    assert Report.objects.count() == 0 and Event.objects.count() == events

    bad = SimpleUploadedFile("脚本.exe", b"MZ...", content_type="application/octet-stream")
    response = client.post(f"/do/assignment/{lead.pk}/report/", {"text": "进展", "progress": "10", "files": [bad]})
    assert response.status_code == 400 and "不支持的文件类型" in response.content.decode()
    assert Report.objects.count() == 0


def test_it_returns_and_reassigns(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)
    client.force_login(c.drc_liaison)
    response = client.post(f"/do/assignment/{lead.pk}/return/", {"text": ""})
    assert response.status_code == 400 and "请填写此项" in response.content.decode()
    client.post(f"/do/assignment/{lead.pk}/return/", {"text": "不属于本单位职责，建议由甲县承办。"})
    assert Assignment.objects.get(pk=lead.pk).state == "returned"

    client.force_login(c.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "改派" in _offered(page) and "甲县" in page
    assert client.post(f"/do/assignment/{lead.pk}/reassign/", {"choice": str(c.county.pk)}).status_code == 302
    new = Assignment.objects.get(task=task, unit=c.county)
    assert (new.role, new.state) == ("lead", "pending")


def test_it_decides_an_extension_and_urges(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)
    client.force_login(c.drc_liaison)
    response = client.post(f"/do/assignment/{lead.pk}/extension/",
                           {"requested_deadline": "2026-06-01", "reason": "资金未到位"})
    assert response.status_code == 400 and "应晚于现有时限" in response.content.decode()
    client.post(f"/do/assignment/{lead.pk}/extension/", {"requested_deadline": "2026-07-31", "reason": "资金未到位"})
    client.force_login(c.supervisor)
    ext = lead.extensions.get()
    assert client.post(f"/do/extension/{ext.pk}/decide/", {"approve": "1"}).status_code == 302
    assert Assignment.objects.get(pk=lead.pk).deadline == dt.date(2026, 7, 31)
    assert client.post(f"/do/assignment/{lead.pk}/urge/", {"text": "请于本周内报送进展。"}).status_code == 302
    assert Event.objects.filter(verb="assignment.urge", object_id=lead.pk).exists()


def test_the_leader_writes_an_instruction_and_comes_back(client, cast, frozen):
    task = _task(cast)
    client.force_login(cast.leader)
    response = client.post(f"/tasks/{task.pk}/instruct/", {"text": "抓紧推进，月底前见成效。", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    response = client.post(f"/tasks/{task.pk}/instruct/", {"text": "再催", "next": "https://example.com/"})
    assert response["Location"] == f"/tasks/{task.pk}/#task-{task.pk}"  # never off the site
    assert task.instructions.count() == 2


def test_the_page_costs_a_fixed_number_of_queries(client, cast, frozen, django_assert_max_num_queries):
    c = cast
    small = _task(c, title="小")
    big = _task(c, title="大", lead_unit_ids=[c.pref_drc.pk, c.county.pk, c.other_county.pk],
                cooperating_unit_ids=[c.pref_finance.pk, c.county_drc.pk, c.township.pk])
    heads = {c.pref_drc.pk: c.drc_head, c.pref_finance.pk: c.finance_head, c.county.pk: c.county_head,
             c.county_drc.pk: c.county_drc_head}
    for a in Assignment.objects.filter(task__in=[small, big], unit_id__in=heads):
        head = heads[a.unit_id]
        s.assignment_sign(actor=head, assignment=a)
        # released reports with evidence, a blocker and an extension request: every section has rows
        s.report_submit(actor=head, assignment=a, text="进展", progress=20, blockers=["资金未到位"],
                        files=[("照片.pdf", b"%PDF-1.4 a"), ("台账.xlsx", b"PK-sheet")])
        s.extension_request(actor=head, assignment=a, reason="汛期停工", requested_deadline=dt.date(2026, 9, 30))
    client.force_login(c.supervisor)
    client.get(f"/tasks/{small.pk}/")
    with django_assert_max_num_queries(30) as small_queries:
        client.get(f"/tasks/{small.pk}/")
    with django_assert_max_num_queries(len(small_queries)):
        assert client.get(f"/tasks/{big.pk}/").status_code == 200


def test_the_workbenches_list_what_waits(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)
    client.force_login(c.drc_liaison)
    page = client.get("/").content.decode()
    assert "承办工作台" in page and task.title in page  # 待签收
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    s.report_submit(actor=c.drc_liaison, assignment=lead, text="进展", progress=30)
    client.force_login(c.drc_head)
    page = client.get("/unit/").content.decode()
    assert "待审核（单位负责人）" in page and "#report-" in page
    client.force_login(c.supervisor)
    page = client.get("/").content.decode()
    assert "督查室工作台" in page
    client.force_login(c.drc_liaison)
    assert client.get("/work/").status_code == 403


def test_the_lists_know_open_work_and_the_closing_day(cast, frozen):
    from duban.supervision.selectors import assignment_list_for, task_list_for

    c = cast
    open_task, closed_task = _task(c, title="在办"), _task(c, title="已办结")
    draft = s.task_create(actor=c.supervisor, decision=open_task.decision, title="草稿",
                          lead_unit_ids=[c.pref_drc.pk])
    lead = _lead(closed_task, c)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    s.report_submit(actor=c.drc_head, assignment=lead, text="完成", progress=100, is_final=True)
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    frozen.move_to(dt.datetime(2026, 6, 2, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    s.task_close(actor=c.supervisor, task=closed_task, note="核验属实。")

    def titles(**filters):
        return {t.title for t in task_list_for(user=c.supervisor, filters=filters)}

    assert titles(state="open") == {"在办"} and draft.title not in titles(state="open")
    assert titles(closed_from="2026-06-02", closed_to="2026-06-02") == {"已办结"}  # 23:30 office time
    assert titles(closed_from="2026-06-03") == set()
    assert {a.state for a in assignment_list_for(user=c.supervisor, filters={"state": "open"})} == {"pending"}


def test_a_lead_unit_marks_a_milestone_done(client, cast, frozen):
    c = cast
    task = _task(c, milestones=[("完成项目备案", dt.date(2026, 6, 10))])
    milestone = task.milestones.get()
    lead = _lead(task, c)
    client.force_login(c.finance_liaison)  # a cooperating unit is not offered it
    assert "标记节点完成" not in _offered(client.get(f"/tasks/{task.pk}/").content.decode())
    client.force_login(c.drc_liaison)
    assert "标记节点完成" not in _offered(client.get(f"/tasks/{task.pk}/").content.decode())  # not signed yet
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    assert "标记节点完成" in _offered(client.get(f"/tasks/{task.pk}/").content.decode())
    assert client.post(f"/do/milestone/{milestone.pk}/complete/").status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_at is not None
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "标记节点完成" not in _offered(page) and "完成项目备案" in page


def test_it_tells_a_person_what_to_do_on_a_missing_page(client, cast, frozen):
    client.force_login(cast.drc_liaison)
    response = client.get("/tasks/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到该页面或记录" in html and 'href="/tasks/"' in html
    assert client.post("/do/nothing/1/sign/").status_code == 404


def test_the_unit_workbench_costs_a_fixed_number_of_queries(client, cast, frozen, django_assert_max_num_queries):
    """A queue holds its first rows and, when longer, its count: the same queries for 20 tasks and for 40."""
    c = cast

    def more(n0):
        for n in range(n0, n0 + 20):
            lead = _lead(_task(c, title=f"事项{n}"), c)
            if n % 2:
                s.assignment_sign(actor=c.drc_liaison, assignment=lead)
                s.report_submit(actor=c.drc_liaison, assignment=lead, text="进展", progress=10)

    client.force_login(c.drc_head)
    more(0)
    client.get("/unit/")
    with django_assert_max_num_queries(25) as few:
        client.get("/unit/")
    more(20)
    with django_assert_max_num_queries(len(few)):
        page = client.get("/unit/").content.decode()
    assert "共 20 条" in page  # a queue longer than its rows says how many there are


def test_a_task_with_targets_shows_them_with_and_without_values(client, cast, frozen):
    c = cast
    task = _task(c, targets=[{"name": "新开工项目", "measure": "个", "baseline": 0, "target": 12}])
    client.force_login(c.supervisor)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200 and "新开工项目" in response.content.decode()
    lead = _lead(task, c)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    target = task.targets.get()
    s.report_submit(actor=c.drc_head, assignment=lead, text="进展", progress=50, target_values={target.pk: "7"})
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "7个" in page and 'data-chart="target-chart"' in page


def test_a_unit_does_not_read_another_units_return_or_urge_on_the_page(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)
    client.force_login(c.drc_liaison)
    client.post(f"/do/assignment/{lead.pk}/return/", {"text": "不属于本委职责，另有隐情"})
    coop = Assignment.objects.get(task=task, unit=c.pref_finance)
    client.force_login(c.supervisor)
    client.post(f"/do/assignment/{coop.pk}/urge/", {"text": "财政局严重滞后，点名批评"})
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "另有隐情" in page and "点名批评" in page  # the supervisor reads both
    client.force_login(c.finance_liaison)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "点名批评" in page  # its own urge
    assert "另有隐情" not in page  # not the lead unit's reason
    client.force_login(c.drc_liaison)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "点名批评" not in page
    assert "notice.read" not in page


def test_an_extension_is_offered_only_before_the_deadline(client, cast, frozen):
    c = cast
    task = _task(c, deadline=dt.date(2026, 6, 10))
    client.force_login(c.drc_liaison)
    assert "申请延期" in _offered(client.get(f"/tasks/{task.pk}/").content.decode())
    frozen.move_to(dt.datetime(2026, 6, 12, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert "申请延期" not in _offered(client.get(f"/tasks/{task.pk}/").content.decode())


def test_a_county_office_queues_only_what_it_may_act_on(client, cast, frozen):
    c = cast
    prefecture_task = _task(c, title="州里交给县发改局的事", lead_unit_ids=[c.county_drc.pk], cooperating_unit_ids=[])
    lead = Assignment.objects.get(task=prefecture_task)
    s.assignment_return(actor=c.county_drc_liaison, assignment=lead, reason="不属于本局职责")
    decision = s.decision_create(actor=c.county_supervisor, kind="meeting", title="县常务会", issued_on=dt.date(2026, 5, 28))
    own = s.task_create(actor=c.county_supervisor, decision=decision, title="县里自己的事",
                        lead_unit_ids=[c.county_drc.pk])
    s.task_assign(actor=c.county_supervisor, task=own)
    s.assignment_return(actor=c.county_drc_liaison, assignment=Assignment.objects.get(task=own), reason="另有单位")
    client.force_login(c.county_supervisor)
    page = client.get("/work/").content.decode()
    returned = page.split('id="queue-returned"')[1].split("</section>")[0]
    assert "县里自己的事" in returned and "州里交给县发改局的事" not in returned
    client.force_login(c.supervisor)
    returned = client.get("/work/").content.decode().split('id="queue-returned"')[1].split("</section>")[0]
    assert "州里交给县发改局的事" in returned and "县里自己的事" in returned  # the county is below


def test_a_leader_is_offered_instruction_only_on_tasks_they_lead(client, cast, frozen):
    from duban.org.services import person_create

    c = cast
    county_leader = person_create(actor=None, username="jx.lingdao", full_name="甲县县长", unit=c.county,
                                  roles=["leader"], password="Duban-Test-2026", check_password=False)
    _task(c, title="州挂牌事项", lead_unit_ids=[c.county_drc.pk], cooperating_unit_ids=[], is_key=True)
    client.force_login(county_leader)
    page = client.get("/dashboard/").content.decode()
    assert "州挂牌事项" in page and "<summary>批示</summary>" not in page
    client.force_login(c.leader)
    assert "<summary>批示</summary>" in client.get("/dashboard/").content.decode()


def test_a_stale_page_tells_why_the_action_did_not_happen(client, cast, frozen):
    c = cast
    task = _task(c)
    lead = _lead(task, c)
    s.assignment_sign(actor=c.drc_head, assignment=lead)  # the head signed first
    client.force_login(c.drc_liaison)
    response = client.post(f"/do/assignment/{lead.pk}/sign/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/#assignment-{lead.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "未能签收" in page and "已签收" in page


def test_a_closed_task_offers_the_leader_read_and_a_new_round_with_a_warning(client, cast, frozen):
    c = cast
    task = _task(c, cooperating_unit_ids=[])
    lead = _lead(task, c)
    s.assignment_sign(actor=c.drc_liaison, assignment=lead)
    s.report_submit(actor=c.drc_head, assignment=lead, text="完成", progress=100, is_final=True)
    s.assignment_verify(actor=c.supervisor, assignment=lead)
    s.task_close(actor=c.supervisor, task=task, note="核验属实。")
    client.force_login(c.leader)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    offered = _offered(page)
    assert "阅示" in offered and "批示并重新交办" in offered and "批示" not in offered
    assert 'data-confirm="批示后该事项将重新交办' in page


def test_pages_stay_out_of_caches_and_send_an_expired_htmx_request_to_sign_in(client, cast, frozen):
    client.force_login(cast.supervisor)
    response = client.get("/tasks/")
    assert response["Cache-Control"] == "private, no-store" and "HX-Request" in response["Vary"]
    client.logout()
    response = client.get("/tasks/?q=x", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/tasks/"})
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/login/?next=")


def test_the_page_links_editing_and_decomposing_to_those_who_may(client, cast, frozen):
    c = cast
    task = _task(c, lead_unit_ids=[c.county.pk], cooperating_unit_ids=[])
    county = Assignment.objects.get(task=task)
    client.force_login(c.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f'href="/tasks/{task.pk}/edit/"' in page and "/decompose/" not in page
    client.force_login(c.county_supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "/edit/" not in page and "/decompose/" not in page  # not signed yet
    s.assignment_sign(actor=c.county_liaison, assignment=county)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f'href="/assignments/{county.pk}/decompose/"' in page


def test_the_supervisor_records_an_objective_reason_on_late_work(client, cast, frozen):
    from duban.supervision.lights import lights_refresh

    c = cast
    task = _task(c, deadline=dt.date(2026, 6, 3), cooperating_unit_ids=[])
    lead = _lead(task, c)
    client.force_login(c.supervisor)
    assert "记录客观原因" not in _offered(client.get(f"/tasks/{task.pk}/").content.decode())  # not late
    frozen.move_to(dt.datetime(2026, 6, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    lights_refresh()
    assert Assignment.objects.get(pk=lead.pk).light == "red"
    client.force_login(c.supervisor)  # a new day, a new session
    assert "记录客观原因" in _offered(client.get(f"/tasks/{task.pk}/").content.decode())
    client.post(f"/do/assignment/{lead.pk}/objective_reason/", {"text": "受汛期影响，施工暂停。"})
    assert Assignment.objects.get(pk=lead.pk).objective_reason == "受汛期影响，施工暂停。"
    assert Event.objects.filter(verb="assignment.objective_reason", object_id=lead.pk).exists()
    client.force_login(c.drc_liaison)
    assert client.post(f"/do/assignment/{lead.pk}/objective_reason/", {"text": "自己写"}).status_code in (302, 400)
    assert Assignment.objects.get(pk=lead.pk).objective_reason == "受汛期影响，施工暂停。"  # only the office
