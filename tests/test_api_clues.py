"""群众线索 through the JSON API: the public door (challenge, code, look-up, rating, limits, CSRF posture) and
the office's and units' endpoints (scope, routing, answer, the audited contact read)."""

import base64
import datetime as dt
import io
import json
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from duban.api.services import token_create
from duban.audit.models import Event
from duban.supervision.models import Assignment, Task
from duban.supervision.services import decision_create, task_assign, task_create
from duban.voice.models import Clue

API = "/api/v1"
NAME = "欧阳线人"
PHONE = "13912345678"
STORY = "甲县城关镇幸福小区5栋门前的路灯坏了三个月，晚上一片漆黑，老人孩子出行很不安全，多次反映没人管。"
ANSWER = "经核实，幸福小区5栋门前路灯线路老化，城关镇已于6月3日更换线路和灯具，现已恢复照明。"
# What ClueOut may never hold: the sender, its keyed hash, or whether there is a sender at all (a "name" is
# a unit's, inside `office`, `place` and each reply's `unit`, never the clue's own).
CONTACT_KEYS = {"sender", "phone", "phone_key", "contact", "has_contact", "contact_name_sealed",
                "contact_phone_sealed", "anonymous", "code"}


class Api:
    """A client acting as one person through a bearer token."""

    def __init__(self, user):
        self.user = user
        _, token = token_create(actor=user, name="测试", days=30)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path, **params):
        return self.client.get(API + path, params)

    def post(self, path, body=None):
        return self.client.post(API + path, json.dumps(body or {}), content_type="application/json")


class Public:
    """Someone without an account, at one address."""

    def __init__(self, address="203.0.113.7", **extra):
        self.client = Client(REMOTE_ADDR=address, **extra)

    def post(self, path, body):
        return self.client.post(API + path, json.dumps(body), content_type="application/json")

    def challenge(self) -> dict:
        r = self.client.get(f"{API}/public/challenge")
        assert r.status_code == 200 and r["Cache-Control"] == "no-store", r.content
        a, b = (int(x) for x in re.findall(r"\d+", r.json()["question"]))
        return {"challenge_token": r.json()["token"], "challenge_answer": str(a + b)}

    def submit(self, c, **fields):
        body = {"category": "housing", "description": STORY, "place_unit_id": c.township.pk,
                "place_text": "幸福小区5栋", "name": NAME, "phone": PHONE, **self.challenge()}
        body.update(fields)
        return self.post("/public/clues", body)

    def lookup(self, code):
        return self.post("/public/clues/lookup", {"code": code})

    def rate(self, code, rating, comment=""):
        return self.post("/public/clues/rate", {"code": code, "rating": rating, "comment": comment})


def sent(c, public=None, **fields) -> Clue:
    r = (public or Public()).submit(c, **fields)
    assert r.status_code == 201, r.content
    return Clue.objects.get(code=r.json()["code"])


def keys_of(data) -> set:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_of(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_of(v)}
    return set()


def approve(c, clue_id: int) -> None:
    """The unit head lets the waiting answer go out (二级审核), through the API."""
    report = Clue.objects.get(pk=clue_id).replies.get(published_at__isnull=True).report
    r = Api(c.county_drc_head).post(f"/reports/{report.pk}/unit-review", {"approve": True})
    assert r.status_code == 200, r.content


def test_it_runs_a_clue_from_the_public_to_closed_through_the_api(cast, frozen):
    c = cast
    public = Public()
    r = public.submit(c)
    assert r.status_code == 201, r.content
    assert r["Cache-Control"] == "no-store"
    created = r.json()
    assert set(created) == {"code", "number", "state", "state_label", "submitted_at"}
    assert created["state_label"] == "已受理"
    code = created["code"]

    office, unit = Api(c.county_supervisor), Api(c.county_drc_liaison)
    listed = office.get("/clues", state="received").json()["items"]
    assert [x["number"] for x in listed] == [created["number"]]
    clue = office.get(f"/clues/{listed[0]['id']}").json()
    assert clue["office"] == {"id": c.county.pk, "name": c.county.name}
    assert clue["place"] == {"unit_id": c.township.pk, "unit_name": c.township.name, "text": "幸福小区5栋"}
    assert clue["task_id"] is None and clue["photo_count"] == 0 and clue["replies"] == []
    assert not keys_of(clue) & CONTACT_KEYS and "name" not in clue
    assert NAME not in json.dumps(clue, ensure_ascii=False) and PHONE not in json.dumps(clue)

    r = office.post(f"/clues/{clue['id']}/forward", {"version": clue["version"], "unit_ids": [c.county_drc.pk]})
    assert r.status_code == 200, r.content
    clue = r.json()
    task = Task.objects.get(pk=clue["task_id"])
    assert (clue["state"], clue["task_code"], clue["owns_task"]) == ("forwarded", task.code, True)
    assert clue["deadline"] == "2026-06-15"

    # The unit sees the clue (not who sent it) and answers once it has signed.
    assert [x["id"] for x in unit.get("/clues").json()["items"]] == [clue["id"]]
    early = unit.post(f"/clues/{clue['id']}/answer", {"version": clue["version"], "text": ANSWER})
    assert early.status_code == 400 and early.json()["code"] == "clue_answer_needs_sign"
    a = Assignment.objects.get(task=task, unit=c.county_drc)
    assert unit.post(f"/assignments/{a.pk}/sign", {"version": a.version}).status_code == 200
    r = unit.post(f"/clues/{clue['id']}/answer", {"version": clue["version"], "text": ANSWER})
    assert r.status_code == 200, r.content
    clue = r.json()
    # 二级审核: the answer waits for the unit head, and the sender reads nothing of it yet.
    assert clue["state"] == "forwarded" and clue["replies"][0]["published"] is False
    assert public.lookup(code).json()["replies"] == []
    again = unit.post(f"/clues/{clue['id']}/answer", {"version": clue["version"], "text": ANSWER})
    assert again.status_code == 400 and again.json()["code"] == "clue_answer_awaiting_unit"
    approve(c, clue["id"])
    clue = office.get(f"/clues/{clue['id']}").json()
    assert clue["state"] == "answered" and clue["replies"][0]["unit"]["name"] == c.county_drc.name
    assert clue["replies"][0]["published"] is True

    view = public.lookup(code.lower().replace("-", " "))
    assert view.status_code == 200 and view["Cache-Control"] == "no-store"
    view = view.json()
    assert (view["state"], view["may_rate"], view["replies"][0]["text"]) == ("answered", True, ANSWER)
    assert view["replies"][0]["unit_name"] == c.county_drc.name
    assert not keys_of(view) & {"id", "task_id", "task_code", "office", "version", "author", "unit"}

    frozen.shift(dt.timedelta(days=2))
    bare = public.rate(code, "unsatisfied")
    assert bare.status_code == 400 and bare.json()["code"] == "clue_rating_reason_required"
    r = public.rate(code, "unsatisfied", "路灯换了但还是不亮。")
    assert r.status_code == 200 and r.json()["state"] == "reopened", r.content
    clue = office.get(f"/clues/{clue['id']}").json()
    assert (clue["round"], clue["rating"], clue["ratings"][0]["comment"]) == (2, "unsatisfied", "路灯换了但还是不亮。")
    r = unit.post(f"/clues/{clue['id']}/answer", {"version": clue["version"],
                                                  "text": ANSWER + "6月5日再次检修，已连续三晚正常亮灯。"})
    assert r.status_code == 200, r.content
    approve(c, clue["id"])
    r = public.rate(code, "satisfied")
    assert r.json()["state"] == "closed" and [x["round"] for x in r.json()["ratings"]] == [1, 2]
    again = public.rate(code, "basic")
    assert again.status_code == 400 and again.json()["code"] == "clue_not_answered"
    assert [e.verb for e in Event.objects.filter(object_type="clue").order_by("seq")] == [
        "clue.submit", "clue.forward", "clue.answer", "clue.answer_publish", "clue.rate", "clue.answer",
        "clue.answer_publish", "clue.rate"]


def test_only_the_triage_office_reads_the_sender_and_each_reading_is_audited(cast, frozen):
    c = cast
    clue = sent(c)
    r = Api(c.supervisor).post(f"/clues/{clue.pk}/contact")  # 州委督查室 is above 甲县's office
    assert r.status_code == 200, r.content
    assert r.json() == {"name": NAME, "phone": PHONE, "phone_masked": "139****5678"}
    assert r["Cache-Control"] == "no-store"
    viewed = Event.objects.get(verb="clue.contact_view")
    assert viewed.actor == c.supervisor and PHONE not in json.dumps(viewed.payload)
    assert Api(c.supervisor).get(f"/clues/{clue.pk}/contact").status_code == 405  # never a GET

    for inside in (c.leader, c.inspector):  # they see the clue, not who sent it
        r = Api(inside).post(f"/clues/{clue.pk}/contact")
        assert r.status_code == 403 and NAME not in r.content.decode(), r.content
    for outside in (c.other_supervisor, c.drc_liaison, c.sysadmin):
        r = Api(outside).post(f"/clues/{clue.pk}/contact")
        assert r.status_code == 404 and r.json() == Api(outside).post(f"/clues/{2**62}/contact").json()
    assert Event.objects.filter(verb="clue.contact_view").count() == 1

    # Once the clue is a task of 甲县发改局, the unit's timeline of it does not tell that the office read the
    # sender, nor whether there is one.
    clue = Clue.objects.get(pk=clue.pk)
    Api(c.county_supervisor).post(f"/clues/{clue.pk}/forward", {"version": clue.version,
                                                                 "unit_ids": [c.county_drc.pk]})
    assert Api(c.county_supervisor).post(f"/clues/{clue.pk}/contact").status_code == 200
    task_id = Clue.objects.get(pk=clue.pk).task_id
    timeline = Api(c.county_drc_liaison).get(f"/tasks/{task_id}/events", limit=200).json()["items"]
    assert "clue.forward" in {e["verb"] for e in timeline}
    assert not {e["verb"] for e in timeline} & {"clue.contact_view", "clue.submit"}
    assert "had_name" not in json.dumps(timeline) and "anonymous" not in json.dumps(timeline)

    anonymous = sent(c, Public("203.0.113.8"), name="", phone="")
    r = Api(c.county_supervisor).post(f"/clues/{anonymous.pk}/contact")
    assert r.json() == {"name": "", "phone": "", "phone_masked": ""}


def test_it_routes_by_merge_decline_and_attach_within_scope(cast, frozen):
    c = cast
    office = Api(c.county_supervisor)
    first, second, third, fourth = (sent(c, Public(f"203.0.113.{20 + i}"), phone="") for i in range(4))
    r = office.post(f"/clues/{second.pk}/merge", {"version": second.version, "into_id": first.pk})
    assert r.status_code == 200 and r.json()["merged_into_id"] == first.pk, r.content
    merged_view = Public("203.0.113.30").lookup(second.code).json()
    assert merged_view["state"] == "merged" and merged_view["merged_into"]["number"] == first.number

    r = office.post(f"/clues/{third.pk}/decline", {"version": third.version, "reason": "反映事项已由法院判决。"})
    assert r.status_code == 200 and r.json()["state"] == "declined"
    assert Public("203.0.113.31").lookup(third.code).json()["close_reason"] == "反映事项已由法院判决。"

    decision = decision_create(actor=c.county_supervisor, kind="plan", title="城乡照明提升",
                               issued_on=dt.date(2026, 5, 1))
    task = task_assign(actor=c.county_supervisor, task=task_create(
        actor=c.county_supervisor, decision=decision, title="城关镇路灯整治", lead_unit_ids=[c.county_drc.pk],
        deadline=dt.date(2026, 7, 31)))
    foreign = task_assign(actor=c.other_supervisor, task=task_create(
        actor=c.other_supervisor, decision=decision_create(actor=c.other_supervisor, kind="plan", title="乙县照明",
                                                           issued_on=dt.date(2026, 5, 1)),
        title="乙县路灯整治", lead_unit_ids=[c.other_drc.pk], deadline=dt.date(2026, 7, 31)))
    hidden = office.post(f"/clues/{fourth.pk}/attach", {"version": fourth.version, "task_id": foreign.pk})
    absent = office.post(f"/clues/{fourth.pk}/attach", {"version": fourth.version, "task_id": 2**62})
    assert hidden.status_code == absent.status_code == 404 and hidden.json() == absent.json()
    stale = office.post(f"/clues/{fourth.pk}/attach", {"version": fourth.version + 1, "task_id": task.pk})
    assert stale.status_code == 409
    r = office.post(f"/clues/{fourth.pk}/attach", {"version": fourth.version, "task_id": task.pk})
    assert r.status_code == 200 and r.json()["task_id"] == task.pk and not r.json()["owns_task"]

    # Another county's office neither sees nor routes 甲县's clues: 404, as for a clue that does not exist.
    other = Api(c.other_supervisor)
    assert other.get(f"/clues/{first.pk}").status_code == 404
    assert other.get("/clues").json()["items"] == []
    r = other.post(f"/clues/{first.pk}/decline", {"version": first.version, "reason": "不予受理。"})
    assert r.status_code == 404
    # The leader above sees them, but routing is the office's.
    r = Api(c.leader).post(f"/clues/{first.pk}/decline", {"version": first.version, "reason": "不予受理。"})
    assert r.status_code == 403


def test_it_filters_and_pages_the_list(cast, frozen):
    c = cast
    clues = [sent(c, Public(f"203.0.113.{40 + i}"), phone="", category=cat, description=STORY + f"第{i}次。")
             for i, cat in enumerate(("housing", "safety", "housing"))]
    office = Api(c.county_supervisor)
    assert {x["id"] for x in office.get("/clues", category="housing").json()["items"]} == {clues[0].pk, clues[2].pk}
    assert [x["id"] for x in office.get("/clues", q="第1次").json()["items"]] == [clues[1].pk]
    assert len(office.get("/clues", state="open").json()["items"]) == 3
    assert office.get("/clues", state="nonsense").status_code == 400
    first = office.get("/clues", limit=2).json()
    rest = office.get("/clues", limit=2, cursor=first["next_cursor"]).json()
    assert [x["id"] for x in first["items"] + rest["items"]] == [x.pk for x in reversed(clues)]


def test_the_list_takes_a_fixed_number_of_queries(cast, frozen):
    c = cast
    office = Api(c.county_supervisor)
    office.get("/clues")  # the token's first use is recorded once

    def count():
        with CaptureQueriesContext(connection) as ctx:
            r = office.get("/clues", limit=200)
        assert r.status_code == 200
        return len(ctx.captured_queries), len(r.json()["items"])

    def more(n, start):
        for i in range(n):
            clue = sent(c, Public(f"203.0.114.{start + i}"), phone="")
            if i % 2:
                office.post(f"/clues/{clue.pk}/forward",
                                              {"version": clue.version, "unit_ids": [c.county_drc.pk]})

    more(2, 0)
    few, rows_few = count()
    more(6, 10)
    many, rows_many = count()
    assert rows_many > rows_few > 0
    assert many == few, f"{few} queries for {rows_few} clues, {many} for {rows_many}"


def test_a_flood_from_one_address_is_refused_with_429_but_not_the_next_address(cast, frozen, settings):
    settings.DUBAN_CLUE_LIMIT_PER_ADDRESS = 3
    c = cast
    flood = Public("198.51.100.66")
    for _ in range(3):
        assert flood.submit(c, phone="").status_code == 201
    r = flood.submit(c, phone="")
    assert r.status_code == 429, r.content
    assert r.json()["code"] == "rate_limited" and "频繁" in r.json()["message"]
    assert 0 < int(r["Retry-After"]) <= 3601
    assert Public("198.51.100.67").submit(c, phone="").status_code == 201
    # The same phone from many addresses is counted too.
    settings.DUBAN_CLUE_LIMIT_PER_PHONE = 1
    assert Public("198.51.100.68").submit(c, phone="13700001111").status_code == 201
    r = Public("198.51.100.69").submit(c, phone="137 0000 1111")
    assert r.status_code == 429 and "明天" in r.json()["message"]


def test_look_ups_by_code_are_limited_per_address(cast, frozen, settings):
    settings.DUBAN_CLUE_LOOKUPS_PER_ADDRESS = 5
    clue = sent(cast, phone="")
    guesser = Public("198.51.100.77")
    answers = [guesser.lookup(f"ABCD-EFGH-{n:04d}").status_code for n in range(5)]
    assert answers == [404] * 5
    r = guesser.lookup(clue.code)  # even the right code, once the address is over its limit
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert guesser.rate(clue.code, "satisfied").status_code == 429
    assert Public("198.51.100.78").lookup(clue.code).status_code == 200


def test_the_challenge_is_required_right_and_used_once(cast, frozen):
    public = Public()
    answer = public.challenge()
    wrong = dict(answer, challenge_answer=str(int(answer["challenge_answer"]) + 1))
    r = public.submit(cast, **wrong)
    assert r.status_code == 400 and r.json()["code"] == "challenge_wrong"
    assert public.submit(cast, **answer).status_code == 201
    r = public.submit(cast, **answer)
    assert r.status_code == 400 and r.json()["code"] == "challenge_used"
    r = public.submit(cast, challenge_token="forged", challenge_answer="3")
    assert r.status_code == 400 and r.json()["code"] == "challenge_invalid"
    assert Clue.objects.count() == 1


def test_the_public_door_keeps_the_apis_csrf_posture(cast, frozen):
    """No cookies: no CSRF token needed. A signed-in browser's session: the token is needed, as everywhere
    in the API. And never anything but JSON, which another site's page cannot send without asking."""
    c = cast
    body = {"category": "housing", "description": STORY, "place_unit_id": c.township.pk}
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.50")
    browser.force_login(c.supervisor)
    r = browser.post(f"{API}/public/clues", json.dumps({**body, **Public().challenge()}),
                     content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    browser.get("/login/")
    r = browser.post(f"{API}/public/clues", json.dumps({**body, **Public().challenge()}),
                     content_type="application/json", HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert r.status_code == 201, r.content
    form = Client(enforce_csrf_checks=True).post(f"{API}/public/clues/lookup", {"code": "ABCD-EFGH-JKMN"})
    assert form.status_code == 400 and form.json()["code"] == "json_required"
    assert Public().lookup("ABCD-EFGH-JKMN").status_code == 404  # no cookies, JSON: no token needed


def test_it_takes_photos_as_base64_and_counts_them(cast, frozen):
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(image, "PNG")
    photo = {"name": "路灯.png", "content_base64": base64.b64encode(image.getvalue()).decode()}
    clue = sent(cast, phone="", photos=[photo, photo])
    assert Api(cast.county_supervisor).get(f"/clues/{clue.pk}").json()["photo_count"] == 2
    r = Public("203.0.113.60").submit(cast, photos=[{"name": "x.jpg", "content_base64": "不是base64"}])
    assert r.status_code == 400 and r.json()["code"] == "photo_unreadable"
    r = Public("203.0.113.61").submit(cast, photos=[{"name": "x.jpg",
                                                     "content_base64": base64.b64encode(b"plain").decode()}])
    assert r.status_code == 400 and r.json()["code"] == "photo_unreadable"


def test_the_schema_publishes_the_public_door_without_security(cast):
    schema = Client().get(f"{API}/openapi.json").json()
    for path, method in (("/public/clues", "post"), ("/public/clues/lookup", "post"),
                         ("/public/challenge", "get")):
        operation = schema["paths"][API + path][method]
        assert not operation.get("security"), path
        assert "429" in operation["responses"]
    assert schema["paths"][f"{API}/clues/{{clue_id}}/contact"]["post"]["security"]
    for name in ("ClueOut", "PublicClueOut"):
        fields = set(schema["components"]["schemas"][name]["properties"])
        assert not fields & (CONTACT_KEYS | {"name"}), name


class Unreadable:
    """A request body that must not be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_every_submission_is_counted_before_its_body_is_read(cast, frozen, settings):
    settings.DUBAN_CLUE_ATTEMPTS_PER_ADDRESS = 2
    public = Public("198.51.100.90")
    wrong = public.submit(cast, challenge_answer="99")
    assert wrong.status_code == 400 and wrong.json()["code"] == "challenge_wrong"  # counted though it failed
    invalid = public.post("/public/clues", {"category": "gossip"})
    assert invalid.status_code == 422  # counted as well
    r = public.client.post(f"{API}/public/clues", content_type="application/json",
                           **{"wsgi.input": Unreadable(), "CONTENT_LENGTH": "2000"})
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= 3601, r.content
    assert r.json()["code"] == "rate_limited" and "频繁" in r.json()["message"]
    assert Public("198.51.100.91").submit(cast, phone="").status_code == 201  # another address
    assert public.lookup("ABCD-EFGH-JKMN").status_code == 404  # look-ups have their own count


def test_a_body_larger_than_any_clue_is_refused_with_413_unread(cast, settings):
    limit = settings.DUBAN_PHOTO_MAX_COUNT * settings.DUBAN_PHOTO_MAX_BYTES + 1024 * 1024
    r = Public("198.51.100.92").client.post(f"{API}/public/clues", content_type="application/json",
                                            **{"wsgi.input": Unreadable(), "CONTENT_LENGTH": str(limit + 1)})
    assert r.status_code == 413, r.content
    assert "提交的内容过大" in r.json()["message"]
