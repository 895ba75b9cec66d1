"""实地督查 pages: the list (and its query count), the plan form, the inspection page with its acts, the phone
forms for a visit with photos, a finding and a 复查, photos served only within scope, and the report download."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from PIL import Image
from test_inspection import TODAY, found, jpeg_with_gps, plan, rectify

from duban.audit.models import Event
from duban.core import clock
from duban.inspection import services as ins
from duban.inspection.models import Finding, FindingState, Inspection, InspectionState, VisitPhoto
from duban.inspection.selectors import finding_get_for
from duban.supervision import services as s
from duban.supervision.models import Assignment, AssignmentState, Task, TaskState

D = dt.date


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def trip(cast, frozen):
    inspection = plan(cast)
    ins.visit_record(actor=cast.inspector, inspection=inspection, visited_on=TODAY, unit=cast.pref_drc,
                     notes="查看审批窗口。", photos=[("窗口.jpg", jpeg_with_gps())])
    return Inspection.objects.get(pk=inspection.pk)


def url(name, *args):
    return reverse(f"web:{name}", args=args)


def test_the_list_shows_inspections_in_scope_and_filters_by_state(cast, trip, client):
    plan(cast, title="安全生产专项督查")
    client.force_login(cast.supervisor)
    page = client.get(url("inspections")).content.decode()
    assert "优化营商环境专项督查" in page and "安全生产专项督查" in page and "制定督查方案" in page
    assert 'href="/inspections/"' in page  # the navigation entry
    page = client.get(url("inspections") + "?state=under_way").content.decode()
    assert "优化营商环境专项督查" in page and "安全生产专项督查" not in page
    assert client.get(url("inspections") + "?state=bogus").status_code == 404


@pytest.mark.parametrize(("who", "status"), [("supervisor", 200), ("leader", 200), ("inspector", 200),
                                             ("county_supervisor", 404), ("drc_liaison", 404),
                                             ("other_supervisor", 404)])
def test_the_page_photo_and_report_answer_only_in_scope(cast, trip, client, who, status):
    client.force_login(getattr(cast, who))
    photo = VisitPhoto.objects.get()
    assert client.get(url("inspection", trip.pk)).status_code == status
    response = client.get(url("inspection_photo", photo.pk))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/jpeg" and response["Cache-Control"] == "private, no-store"
        assert not Image.open(io.BytesIO(b"".join(response.streaming_content))).getexif()
    assert client.get(url("inspection_report", trip.pk)).status_code == status
    listed = "优化营商环境专项督查" in client.get(url("inspections")).content.decode()
    assert listed is (status == 200)


def test_the_admin_sees_no_inspection(cast, trip, client):
    client.force_login(cast.sysadmin)  # sent to enrol a second factor first, and then refused (三员分立)
    for target in (url("inspections"), url("inspection", trip.pk)):
        response = client.get(target, follow=True)
        assert response.status_code != 200 or "优化营商环境专项督查" not in response.content.decode()


def test_anonymous_people_are_sent_to_sign_in_and_photos_have_no_public_address(cast, trip, client):
    photo = VisitPhoto.objects.get()
    response = client.get(url("inspection_photo", photo.pk))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/media/" + photo.file.name).status_code == 404


def test_the_list_costs_the_same_queries_for_one_inspection_or_many(cast, trip, client,
                                                                    django_assert_max_num_queries):
    client.force_login(cast.supervisor)
    client.get(url("inspections"))
    with django_assert_max_num_queries(12):
        assert client.get(url("inspections")).status_code == 200
    for n in range(15):
        plan(cast, title=f"第{n}次督查")
    with django_assert_max_num_queries(12):
        page = client.get(url("inspections")).content.decode()
    assert "第14次督查" in page


def test_the_page_costs_the_same_queries_however_many_findings(cast, trip, client, django_assert_max_num_queries):
    found(cast, trip)
    client.force_login(cast.supervisor)
    client.get(url("inspection", trip.pk))
    with django_assert_max_num_queries(30) as one:
        client.get(url("inspection", trip.pk))
    for n in range(5):
        found(cast, trip, text=f"问题{n}")
        ins.visit_record(actor=cast.inspector, inspection=trip, visited_on=TODAY, place=f"地点{n}", notes="看")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url("inspection", trip.pk)).content.decode()
    assert "问题4" in page


def test_the_page_writes_nothing_and_shows_a_finding_closed_on_the_task_page(cast, trip, client):
    """GET only reads: a task closed on its own page shows as 已整改销号 without any write from the page."""
    finding = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=True, notes="到位。", checked_on=TODAY)
    s.task_close(actor=cast.supervisor, task=Task.objects.get(pk=finding.task_id), note="销号")
    client.force_login(cast.supervisor)
    listing = client.get(url("inspections")).content.decode()
    assert "1（0）" in listing  # findings (still open)
    with CaptureQueriesContext(connection) as seen:
        page = client.get(url("inspection", trip.pk)).content.decode()
        client.get(url("inspection_report", trip.pk))
    writes = [q["sql"] for q in seen.captured_queries
              if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
              and "django_session" not in q["sql"]]
    assert writes == []
    assert "已整改销号" in page


def test_a_supervisor_plans_through_the_form(cast, frozen, client):
    client.force_login(cast.supervisor)
    page = client.get(url("inspection_new")).content.decode()
    assert "韩组员" in page and "州发展和改革委员会" in page
    bad = client.post(url("inspection_new"), {"title": "专项督查", "starts_on": "2026-06-05", "ends_on": "2026-06-01",
                                               "team_leader": cast.inspector.pk})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    response = client.post(url("inspection_new"), {
        "title": "专项督查", "starts_on": "2026-06-01", "ends_on": "2026-06-05", "team_leader": cast.inspector.pk,
        "team": [cast.supervisor.pk], "places": [cast.pref_drc.pk, cast.county_drc.pk], "focus": "审批",
        "requires_recheck": "on"})
    inspection = Inspection.objects.get(title="专项督查")
    assert response.status_code == 302 and response["Location"] == url("inspection", inspection.pk)
    assert set(inspection.team.all()) == {cast.inspector, cast.supervisor}
    assert inspection.requires_recheck


def test_only_supervisors_open_the_plan_form(cast, frozen, client):
    client.force_login(cast.inspector)
    assert client.get(url("inspection_new")).status_code == 403
    assert client.post(url("inspection_new"), {"title": "x"}).status_code == 403


def test_a_visit_from_a_phone_with_photos(cast, frozen, client):
    inspection = plan(cast)
    client.force_login(cast.inspector)
    form = client.get(url("visit_new", inspection.pk)).content.decode()
    assert 'accept="image/*"' in form and "capture" in form and "multiple" in form
    assert 'name="viewport"' in form
    photo = io.BytesIO(jpeg_with_gps())
    photo.name = "现场.jpg"
    response = client.post(url("visit_new", inspection.pk), {
        "unit": cast.pref_drc.pk, "visited_on": "2026-06-01", "notes": "窗口排长队。", "people_met": "群众3名",
        "photos": [photo]})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.UNDER_WAY
    visit = inspection.visits.get()
    assert visit.photos.count() == 1
    page = client.get(url("inspection", inspection.pk)).content.decode()
    assert "窗口排长队" in page and url("inspection_photo", visit.photos.get().pk) in page


def test_a_bad_photo_comes_back_beside_the_form(cast, frozen, client):
    inspection = plan(cast)
    client.force_login(cast.inspector)
    broken = io.BytesIO(b"not an image")
    broken.name = "x.jpg"
    response = client.post(url("visit_new", inspection.pk), {"place": "某地", "visited_on": "2026-06-01",
                                                              "notes": "看", "photos": [broken]})
    assert response.status_code == 400 and "不是可以识别的照片文件" in response.content.decode()
    response = client.post(url("visit_new", inspection.pk), {"place": "某地", "visited_on": "2026-06-09",
                                                              "notes": "看"})
    assert response.status_code == 400 and "走访日期不能晚于今天" in response.content.decode()


@pytest.fixture
def reads(monkeypatch):
    """Every read of an uploaded file's content, by file name."""
    seen = []

    def read(self, *args):
        seen.append(self.name)
        return self.file.read(*args)

    monkeypatch.setattr(UploadedFile, "read", read, raising=False)
    return seen


def _photo(name: str, content: bytes | None = None) -> io.BytesIO:
    f = io.BytesIO(content if content is not None else jpeg_with_gps())
    f.name = name
    return f


def test_too_many_photos_are_refused_before_any_is_read(cast, frozen, client, settings, reads):
    settings.DUBAN_PHOTO_MAX_COUNT = 2
    inspection = plan(cast)
    client.force_login(cast.inspector)
    response = client.post(url("visit_new", inspection.pk), {
        "place": "某地", "visited_on": "2026-06-01", "notes": "看",
        "photos": [_photo(f"{n}.jpg") for n in range(3)]})
    assert response.status_code == 400 and "每次走访最多上传2张照片" in response.content.decode()
    assert reads == [] and not inspection.visits.exists()


def test_a_photo_over_the_size_limit_is_refused_before_any_is_read(cast, frozen, client, settings, reads):
    settings.DUBAN_PHOTO_MAX_BYTES = 1024 * 1024
    inspection = plan(cast)
    client.force_login(cast.inspector)
    response = client.post(url("visit_new", inspection.pk), {
        "place": "某地", "visited_on": "2026-06-01", "notes": "看",
        "photos": [_photo("小.jpg"), _photo("大.jpg", b"\xff" * (1024 * 1024 + 1))]})
    assert response.status_code == 400 and "照片“大.jpg”超过1MB" in response.content.decode()
    assert reads == [] and not inspection.visits.exists()
    response = client.post(url("visit_new", inspection.pk), {
        "place": "某地", "visited_on": "2026-06-01", "notes": "看", "photos": [_photo("小.jpg")]})
    assert response.status_code == 302 and reads == ["小.jpg"]


def test_findings_from_the_form_and_the_issue_button(cast, trip, client):
    client.force_login(cast.inspector)
    response = client.post(url("finding_new", trip.pk), {"unit": cast.pref_drc.pk, "text": "收费目录未公示。",
                                                          "requirement": "立即公示。", "deadline": "2026-06-29"})
    finding = Finding.objects.get()
    assert response.status_code == 302 and finding.task is None
    page = client.get(url("inspection", trip.pk)).content.decode()
    assert "待督查室交办" in page and "<summary>交办整改</summary>" not in page
    assert client.post(url("finding_act", finding.pk, "issue")).status_code == 302
    assert Finding.objects.get().task is None  # refused: shown as a message
    client.force_login(cast.supervisor)
    page = client.get(url("inspection", trip.pk)).content.decode()
    assert "<summary>交办整改</summary>" in page
    client.post(url("finding_act", finding.pk, "issue"), {"deadline": "2026-06-29"})
    finding.refresh_from_db()
    assert finding.task.deadline == D(2026, 6, 29) and finding.task.decision.kind == "inspection"
    bad = client.post(url("finding_new", trip.pk), {"unit": cast.pref_drc.pk, "text": "x", "deadline": "2026-06-06"})
    assert bad.status_code == 400 and "整改时限应为工作日" in bad.content.decode()


def test_recheck_and_close_through_the_pages(cast, trip, client, frozen):
    finding = found(cast, trip)
    a = rectify(cast, finding)
    client.force_login(cast.inspector)
    assert "复查" in client.get(url("inspection", trip.pk)).content.decode()
    response = client.post(url("recheck_new", finding.pk), {"passed": "1", "checked_on": "2026-06-01",
                                                            "notes": "到现场查看，已整改。"})
    assert response.status_code == 302
    s.assignment_verify(actor=cast.supervisor, assignment=Assignment.objects.get(pk=a.pk))
    client.force_login(cast.supervisor)
    page = client.get(url("inspection", trip.pk)).content.decode()
    assert "复查通过待销号" in page
    client.post(url("finding_act", finding.pk, "close"), {"note": "佐证齐全。"})
    finding = finding_get_for(user=cast.supervisor, id=finding.pk)
    assert finding.current_state == FindingState.CLOSED and finding.task.state == TaskState.CLOSED
    assert Event.objects.filter(verb="finding.close", actor=cast.supervisor).exists()


def test_closing_without_a_recheck_says_why(cast, trip, client):
    finding = found(cast, trip)
    s.assignment_verify(actor=cast.supervisor, assignment=rectify(cast, finding))
    client.force_login(cast.supervisor)
    response = client.post(url("finding_act", finding.pk, "close"), {"note": "核验"}, follow=True)
    assert "复查通过后才能销号" in response.content.decode()
    assert finding_get_for(user=cast.supervisor, id=finding.pk).current_state == FindingState.RECHECK


def test_a_failed_recheck_by_an_inspector_is_returned_from_the_page(cast, trip, client):
    finding = found(cast, trip)
    rectify(cast, finding)
    ins.finding_recheck(actor=cast.inspector, finding=finding, passed=False, notes="未整改。", checked_on=TODAY)
    client.force_login(cast.supervisor)
    page = client.get(url("inspection", trip.pk)).content.decode()
    assert "复查未通过，待退回" in page
    client.post(url("finding_act", finding.pk, "return"))
    assert Assignment.objects.get(task=finding.task_id).state == AssignmentState.IN_PROGRESS


def test_start_finish_and_cancel_from_the_page(cast, frozen, client):
    inspection = plan(cast)
    other = plan(cast, title="待取消")
    client.force_login(cast.inspector)  # the team leader
    client.post(url("inspection_act", inspection.pk, "start"))
    client.post(url("inspection_act", inspection.pk, "finish"))
    assert Inspection.objects.get(pk=inspection.pk).state == InspectionState.FINISHED
    client.post(url("inspection_act", other.pk, "cancel"), {"reason": "改期"})
    assert Inspection.objects.get(pk=other.pk).state == InspectionState.PLANNED  # not the office's supervisor
    client.force_login(cast.supervisor)
    client.post(url("inspection_act", other.pk, "cancel"), {"reason": "改期"})
    assert Inspection.objects.get(pk=other.pk).state == InspectionState.CANCELLED
    assert client.post(url("inspection_act", other.pk, "explode")).status_code == 404
    client.force_login(cast.drc_liaison)
    assert client.post(url("inspection_act", inspection.pk, "start")).status_code == 404


def test_the_report_downloads_as_docx(cast, trip, client):
    found(cast, trip, text="审批超时。")
    client.force_login(cast.leader)
    response = client.get(url("inspection_report", trip.pk))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[1][:2] == ["州发展和改革委员会", "审批超时。"] and rows[1][4] == "整改中"


def test_the_unit_sees_its_rectification_as_an_ordinary_task(cast, trip, client):
    finding = found(cast, trip)
    client.force_login(cast.drc_liaison)
    page = client.get(url("task", finding.task_id)).content.decode()
    assert "审批超时限" in page and "督查发现" in page
    assert client.get(url("inspection", trip.pk)).status_code == 404
    assert clock.today() == TODAY


# ---- at phone width, in the browser ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_inspector_records_a_visit_with_a_photo_at_phone_width(cast, live_server, tmp_path):
    from browser import PHONE, Visitor, chromium

    inspection = plan(cast, starts_on=clock.today(), ends_on=clock.today() + dt.timedelta(days=3))
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg_with_gps())
    with chromium() as browser:
        narrow = {**PHONE, "viewport": {"width": 375, "height": 812}}
        v = Visitor(browser, live_server.url, narrow, "phone")
        v.login(cast.inspector)
        v.go(url("visit_new", inspection.pk))
        assert v.page.evaluate("document.documentElement.scrollWidth") <= 375
        v.page.get_by_label("被督查单位").select_option(label="州发展和改革委员会")
        v.page.get_by_label("现场情况").fill("窗口排队较长，抽查办件3件。")
        v.page.get_by_label("现场照片").set_input_files(str(photo))
        v.page.get_by_role("button", name="保存走访").click()
        v.page.wait_for_load_state("load")
        assert v.page.url.endswith(url("inspection", inspection.pk) + "#visits")
        assert v.page.evaluate("document.documentElement.scrollWidth") <= 375
        v.go(url("finding_new", inspection.pk))
        assert v.page.evaluate("document.documentElement.scrollWidth") <= 375
        v.go(url("inspection", inspection.pk))
        v.page.locator("#visits img").first.scroll_into_view_if_needed()  # the photos load lazily
        v.page.wait_for_function("() => [...document.querySelectorAll('#visits img')]"
                                 ".some(img => img.complete && img.naturalWidth > 0)")
        v.check_clean()
        v.close()
    assert Inspection.objects.get(pk=inspection.pk).state == InspectionState.UNDER_WAY
