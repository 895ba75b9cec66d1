"""The JSON API through HTTP: tokens, sessions with CSRF, the error shape, versions, pages, query counts."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.api.models import ApiToken
from duban.api.services import token_create
from duban.audit.models import Event
from duban.escalation.services import urge_send
from duban.org.models import Role, UnitLevel
from duban.org.services import person_create, unit_create
from duban.supervision import services as s
from duban.supervision.models import Assignment, Task

D = dt.date
API = "/api/v1"


class Api:
    """A client acting as one person through a bearer token."""

    def __init__(self, user):
        self.user = user
        _, self.token = token_create(actor=user, name="测试", days=30)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path, **params):
        return self.client.get(API + path, params)

    def post(self, path, body=None):
        return self.client.post(API + path, json.dumps(body or {}), content_type="application/json")

    def patch(self, path, body):
        return self.client.patch(API + path, json.dumps(body), content_type="application/json")


@pytest.fixture
def api(cast, frozen):
    return Api


def a_decision(c):
    return s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                             issued_on=D(2026, 5, 28))


def assigned_task(c, title="推进重点项目开工", leads=None):
    task = s.task_create(actor=c.supervisor, decision=a_decision(c), title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]], deadline=D(2026, 6, 30))
    return s.task_assign(actor=c.supervisor, task=task)


def test_it_runs_the_lifecycle_through_the_api(cast, api):
    c = cast
    sup, liaison, head = api(c.supervisor), api(c.drc_liaison), api(c.drc_head)
    r = sup.post("/decisions", {"kind": "meeting", "title": "州政府第13次常务会议纪要", "issued_on": "2026-05-29"})
    assert r.status_code == 201, r.content
    decision_id = r.json()["id"]
    r = sup.post("/tasks", {"decision_id": decision_id, "title": "完成老旧小区改造", "lead_unit_ids": [c.pref_drc.pk],
                            "deadline": "2026-07-31",
                            "targets": [{"name": "改造小区", "measure": "个", "target": "12"}]})
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["state"] == "draft" and task["targets"][0]["name"] == "改造小区"
    r = sup.post(f"/tasks/{task['id']}/assign", {"version": task["version"]})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "assigned"

    items = liaison.get("/assignments", state="pending").json()["items"]
    assert [a["task_id"] for a in items] == [task["id"]]
    assert items[0]["state_label"] == "待签收"
    assignment = items[0]
    r = liaison.post(f"/assignments/{assignment['id']}/sign", {"version": assignment["version"]})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"

    target_id = task["targets"][0]["id"]
    r = liaison.client.post(f"{API}/assignments/{assignment['id']}/reports", {
        "text": "已完成5个小区改造。", "progress": 40, "target_values": json.dumps({str(target_id): "5"}),
        "files": [_upload("进度照片.pdf", b"%PDF-1.4 progress")],
    })
    assert r.status_code == 201, r.content
    report = r.json()
    assert report["state"] == "unit_review" and report["values"][0]["value"] in ("5", "5.0000", 5)
    assert report["evidence"][0]["name"] == "进度照片.pdf"

    # The supervisor does not see the unit's internal draft round.
    assert sup.get(f"/reports/{report['id']}").status_code == 404
    r = head.post(f"/reports/{report['id']}/unit-review", {"approve": True})
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    r = sup.post(f"/reports/{report['id']}/review", {"accept": True, "comment": "进展属实"})
    assert r.status_code == 200 and r.json()["state"] == "accepted"

    download = sup.client.get(report["evidence"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 progress"
    assert api(c.other_supervisor).client.get(report["evidence"][0]["url"]).status_code == 404

    timeline = sup.get(f"/tasks/{task['id']}/events").json()["items"]
    verbs = [e["verb"] for e in timeline]
    assert {"task.create", "task.assign", "assignment.sign", "report.submit", "report.review"} <= set(verbs)


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_it_refuses_a_stale_version_and_changes_nothing(cast, api):
    task = assigned_task(cast)
    sup = api(cast.supervisor)
    current = sup.get(f"/tasks/{task.pk}").json()
    r = sup.patch(f"/tasks/{task.pk}", {"version": current["version"], "title": "推进重点项目全面开工"})
    assert r.status_code == 200 and r.json()["version"] == current["version"] + 1
    events = Event.objects.count()
    r = sup.patch(f"/tasks/{task.pk}", {"version": current["version"], "title": "另一个标题"})
    assert r.status_code == 409
    assert r.json() == {"code": "version_conflict", "message": "该记录已被他人修改，请刷新后重试。",
                        "detail": {"object": "task"}}
    assert Task.objects.get(pk=task.pk).title == "推进重点项目全面开工"
    assert Event.objects.count() == events


def test_it_answers_one_error_shape(cast, api):
    task = assigned_task(cast)
    outsider = api(cast.other_supervisor)
    r = outsider.get(f"/tasks/{task.pk}")
    assert r.status_code == 404
    assert set(r.json()) == {"code", "message", "detail"} and r.json()["code"] == "task_not_found"
    absent = outsider.get("/tasks/999999")
    assert absent.status_code == 404 and absent.json()["message"] == r.json()["message"]

    r = Client().get(f"{API}/tasks")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"

    r = api(cast.supervisor).post("/decisions", {"kind": "meeting", "title": "", "issued_on": "not a date"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    assert {tuple(e["loc"])[-1] for e in r.json()["detail"]["errors"]} >= {"title", "issued_on"}

    r = api(cast.supervisor).post("/decisions", {"kind": "gossip", "title": "某会议", "issued_on": "2026-05-01"})
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["loc"][-1] == "kind"

    # The domain's own refusals answer 400 with their stable code.
    r = api(cast.supervisor).post("/tasks", {"decision_id": task.decision_id, "title": "某事项",
                                             "lead_unit_ids": [cast.pref_drc.pk], "deadline": "2026-05-01"})
    assert r.status_code == 400 and r.json()["code"] == "task_deadline_past"

    # A liaison may see the task but may not assign: 403, and the denial is audited.
    r = api(cast.drc_liaison).post(f"/tasks/{task.pk}/close", {"version": 1, "note": "好了"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    denial = Event.objects.filter(verb="security.denied").last()
    assert denial is not None and denial.actor_id == cast.drc_liaison.pk and denial.payload["ip"] == "127.0.0.1"

    a = Assignment.objects.get(task=task)
    r = api(cast.drc_liaison).post(f"/assignments/{a.pk}/sign", {"version": a.version})
    r = api(cast.drc_liaison).post(f"/assignments/{a.pk}/sign", {"version": r.json()["version"]})
    assert r.status_code == 400 and r.json()["code"] == "assignment_not_pending"


def test_it_walks_every_row_once_with_cursors(cast, api):
    for i in range(7):
        assigned_task(cast, title=f"事项{i}")
    sup = api(cast.supervisor)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = sup.get("/tasks", **params).json()
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(Task.objects.values_list("pk", flat=True), reverse=True)
    bad = sup.get("/tasks", cursor="!!not-a-cursor")
    assert bad.status_code == 400 and bad.json()["code"] == "cursor_invalid"


def test_it_filters_tasks(cast, api):
    late = assigned_task(cast, title="城区排水改造")
    other = assigned_task(cast, title="乡村道路硬化", leads=[cast.county])
    s.task_update(actor=cast.supervisor, task=other, expected_version=other.version, is_key=True)
    sup = api(cast.supervisor)

    def ids(**params):
        return {t["id"] for t in sup.get("/tasks", **params).json()["items"]}

    assert ids(q="排水") == {late.pk}
    assert ids(unit=cast.county.pk) == {other.pk}
    assert ids(is_key="true") == {other.pk}
    assert ids(decision=late.decision_id) == {late.pk}
    assert ids(deadline_from="2026-06-30", deadline_to="2026-06-30") == {late.pk, other.pk}
    assert ids(deadline_to="2026-06-29") == set()
    assert ids(state="assigned") == {late.pk, other.pk}


# ---- tokens ---------------------------------------------------------------------------------------

def test_it_shows_a_token_once_and_keeps_only_its_digest(cast, frozen):
    web = Client()
    web.force_login(cast.supervisor)
    r = web.post(f"{API}/tokens", json.dumps({"name": "台账同步脚本", "days": 30}), content_type="application/json")
    assert r.status_code == 201, r.content
    token = r.json()["token"]
    row = ApiToken.objects.get(pk=r.json()["id"])
    assert token not in (row.digest, row.prefix) and token.startswith(row.prefix)
    listed = web.get(f"{API}/tokens").json()
    assert "token" not in listed[0]
    created = Event.objects.get(verb="security.token_create")
    assert created.actor_id == cast.supervisor.pk and created.payload["ip"] == "127.0.0.1"
    assert token not in json.dumps(created.payload)

    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.get(f"{API}/me").json()["username"] == cast.supervisor.username

    frozen.move_to(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC))
    r = bearer.get(f"{API}/me")
    assert r.status_code == 401, "an expired token is refused"


def test_it_revokes_a_token(cast, frozen):
    row, token = token_create(actor=cast.drc_liaison, name="测试", days=30)
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.get(f"{API}/me").status_code == 200
    # Someone else cannot revoke it, nor learn that it exists.
    stranger = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=cast.other_liaison, name='x', days=1)[1]}")
    assert stranger.post(f"{API}/tokens/{row.pk}/revoke").status_code == 404
    r = bearer.post(f"{API}/tokens/{row.pk}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert bearer.get(f"{API}/me").status_code == 401
    assert Event.objects.filter(verb="security.token_revoke", object_id=row.pk).count() == 1


def test_it_refuses_bad_token_requests(cast, frozen):
    r = Client().post(f"{API}/tokens", json.dumps({"name": "x", "days": 30}), content_type="application/json")
    assert r.status_code == 401
    web = Client()
    web.force_login(cast.supervisor)
    r = web.post(f"{API}/tokens", json.dumps({"name": "x", "days": 9999}), content_type="application/json")
    assert r.status_code in (400, 422)
    assert Client(HTTP_AUTHORIZATION="Bearer dbn_guess").get(f"{API}/me").status_code == 401


# ---- CSRF ---------------------------------------------------------------------------------------

def unsafe_operations():
    from duban.api.root import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("post", "put", "patch", "delete"):
                yield method, path


def test_it_refuses_every_unsafe_operation_from_a_session_without_the_csrf_token(cast, frozen):
    task = assigned_task(cast)
    web = Client(enforce_csrf_checks=True)
    web.force_login(cast.supervisor)
    operations = list(unsafe_operations())
    assert len(operations) >= 20
    events = Event.objects.count()
    for method, path in operations:
        url = API + path.replace("/api/v1", "").format_map(_AnyId(task.pk))
        r = getattr(web, method)(url, json.dumps({"version": 1}), content_type="application/json")
        assert r.status_code == 403, (method, path, r.status_code)
        assert r.json()["code"] == "csrf_failed", (method, path)
    assert Task.objects.get(pk=task.pk).version == task.version
    assert not Event.objects.exclude(verb="security.denied").filter(seq__gt=events).exists()

    # With the token the same session works.
    web.get("/login/")
    csrf = web.cookies["csrftoken"].value
    r = web.patch(f"{API}/tasks/{task.pk}", json.dumps({"version": task.version, "title": "新标题"}),
                  content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert r.status_code == 200, r.content


class _AnyId(dict):
    def __init__(self, pk):
        super().__init__()
        self.pk = pk

    def __missing__(self, key):
        return self.pk


# ---- query counts -------------------------------------------------------------------------------

# Every list the API has: (path, who reads it). "{task}" is the first task of the world.
LISTS = [
    ("/tasks", "supervisor"), ("/assignments", "supervisor"), ("/reports", "supervisor"),
    ("/extensions", "supervisor"), ("/blockers", "supervisor"), ("/decisions", "supervisor"),
    ("/people", "supervisor"), ("/units", "supervisor"), ("/tasks/{task}/events", "supervisor"),
    ("/assignments", "drc_liaison"), ("/reports", "drc_head"), ("/tokens", "supervisor"),
    ("/audit/events", "auditor"), ("/people", "sysadmin"), ("/notices", "drc_liaison"),
    ("/tasks/{task}/urges", "supervisor"),
]


def _world(c, n):
    for i in range(n):
        task = assigned_task(c, title=f"事项{i}")
        a = Assignment.objects.get(task=task)
        a = s.assignment_sign(actor=c.drc_liaison, assignment=a)
        s.report_submit(actor=c.drc_head, assignment=a, text=f"进展{i}", progress=10,
                        files=[("进度.pdf", b"%PDF-1.4 x")], blockers=["资金未到位"])
        s.extension_request(actor=c.drc_liaison, assignment=a, reason="汛期停工", requested_deadline=D(2026, 7, 31))
        task = Task.objects.get(pk=task.pk)
        s.task_update(actor=c.supervisor, task=task, expected_version=task.version, category=f"类别{i}")
        token_create(actor=c.supervisor, name=f"脚本{i}", days=30)
        person_create(actor=None, username=f"staff.{c.pref_drc.pk}.{Task.objects.count()}", full_name="工作人员",
                      unit=c.pref_drc, roles=[Role.LIAISON], password=None)
        unit_create(actor=None, name=f"州直单位{Task.objects.count()}", level=UnitLevel.DEPARTMENT,
                    parent=c.prefecture)
        # The first task's timeline grows too.
        first = Assignment.objects.filter(task=Task.objects.order_by("pk").first()).get()
        s.blocker_raise(actor=c.drc_liaison, assignment=first, text=f"堵点{i}")
        urge_send(actor=c.supervisor, assignment=a, message=f"催办{i}")
        urge_send(actor=c.supervisor, assignment=first, message=f"再催办{i}")


@pytest.mark.parametrize("path,who", LISTS)
def test_it_lists_with_a_constant_number_of_queries(cast, api, settings, path, who):
    settings.DUBAN_API_TOKENS_PER_PERSON = 100  # the world gives the supervisor one token a task
    if who == "auditor":
        reader = Api(person_create(actor=None, username="shenji", full_name="审计员", unit=cast.prefecture,
                                   roles=[Role.AUDITOR], password=None))
    else:
        reader = api(getattr(cast, who))

    def count():
        url = path.format(task=Task.objects.order_by("pk").first().pk)
        with CaptureQueriesContext(connection) as ctx:
            r = reader.get(url, limit=200)
        assert r.status_code == 200, r.content
        body = r.json()
        return len(ctx.captured_queries), len(body["items"] if isinstance(body, dict) else body)

    _world(cast, 2)
    count()  # the token's first use is recorded once; not part of the list's cost
    few, rows_few = count()
    _world(cast, 12)
    many, rows_many = count()
    assert rows_many > rows_few > 0
    assert many == few, f"{path} as {who}: {few} queries for {rows_few} rows, {many} for {rows_many}"


def test_it_publishes_the_schema_and_serves_the_docs_locally(cast, frozen):
    schema = Client().get(f"{API}/openapi.json").json()
    operation_ids = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    assert {"task_list", "task_update", "assignment_sign", "report_submit", "extension_decide",
            "token_create", "audit_event_list"} <= operation_ids
    page = Client().get(f"{API}/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger" in html.lower() and "cdn." not in html and "https://" not in html
    assert 'data-api-csrf="true"' in html, "the docs page sends the CSRF token with its requests"


def test_it_lets_one_of_two_conflicting_reviews_win(cast, frozen):
    """Verify and reject race on one version: one wins, the other gets 409 and writes nothing."""
    task = assigned_task(cast)
    a = s.assignment_sign(actor=cast.drc_liaison, assignment=Assignment.objects.get(task=task))
    s.report_submit(actor=cast.drc_head, assignment=a, text="全部完成", progress=100, is_final=True)
    version = Assignment.objects.get(pk=a.pk).version
    sup = Api(cast.supervisor)
    first = sup.post(f"/assignments/{a.pk}/verify", {"version": version, "comment": "核验属实"})
    assert first.status_code == 200, first.content
    events = Event.objects.count()
    stale = sup.post(f"/assignments/{a.pk}/reject", {"version": version, "comment": "再看看"})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert Assignment.objects.get(pk=a.pk).state == "done"
    assert Event.objects.count() == events
