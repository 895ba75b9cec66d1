"""台账 import: real workbooks built with openpyxl, read back by the preview, the import, the CLI and the page."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from duban.audit.models import Event
from duban.core.errors import PermissionDenied
from duban.ledger import services as ledger
from duban.ledger.dates import DateUnreadable, read_due
from duban.ledger.services import LedgerProblems, ledger_import, ledger_preview
from duban.supervision.models import AssignmentRole, Cadence, Decision, Task, TaskState
from duban.supervision.services import decision_create, task_create
from duban.workdays.calendar import WorkCalendar
from duban.workdays.store import get_calendar

HEADER = ["序号", "任务来源", "文号", "任务内容", "牵头单位", "配合单位", "责任领导", "完成时限"]
pytestmark = pytest.mark.usefixtures("frozen")


def xlsx(rows: list[list], *, merges: tuple[str, ...] = (), title_rows: list[str] = ()) -> bytes:
    """A workbook as an office keeps it: optional title rows, then `rows` (header first), merged `merges`."""
    book = Workbook()
    ws = book.active
    ws.title = "督办台账"
    for text in title_rows:
        ws.append([text])
    for row in rows:
        ws.append(row)
    for area in merges:
        ws.merge_cells(area)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts():
    return Decision.objects.count(), Task.objects.count()


def office_ledger() -> bytes:
    """Title rows, a two-row header (责任单位 over 牵头单位 | 配合单位), a merged 任务来源, blank rows,
    a section row, units by short name and alias, a leader by name, dates in many forms."""
    header1 = ["序号", "任务来源", "文号", "重点任务", "责任单位", None, "责任领导", "时间节点", "进展情况"]
    header2 = [None, None, None, None, "牵头单位", "配合单位", None, None, None]
    body = [
        [1, "州政府第5次常务会议", "州政发〔2026〕5号", "推进重点项目建设\n完成投资20亿元", "州发改委",
         "州财政局", "李州长", "2026年6月30日", "已开工"],
        [2, None, None, "清理拖欠企业账款", "发改委、州财政局", None, None, "6月底前", ""],
        [None, None, None, None, None, None, None, None, None],
        ["二、民生工作", None, None, None, None, None, None, None, None],
        [3, "州委办通知", "", "城关镇污水管网改造", "甲县城关镇", "发展改革委", None, "年底前", ""],
        [4, "州委办通知", "", "营商环境评价整改", "甲县发改局", None, None, "长期坚持", ""],
        [5, "州委办通知", "", "第三季度项目调度", "州财政局", None, None, "第三季度末", ""],
        [6, "州委办通知", "", "专项债券申报", "州财政局", None, None, dt.datetime(2026, 7, 15), ""],
        [7, "州委办通知", "", "统计数据核查", "州财政局", None, None, "2026/8/3", ""],
    ]
    # Title on row 1, a blank row 2, header on rows 3-4, data from row 5; 任务来源 rows 5-6 merged.
    return xlsx([[None], header1, header2, *body], title_rows=["2026年州委督查室重点工作台账"],
                merges=("E3:F3", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "G3:G4", "H3:H4", "I3:I4", "B5:B6", "C5:C6",
                        "A8:I8"))


# ---- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "deadline", "cadence"), [
    ("2026-06-30", dt.date(2026, 6, 30), Cadence.NONE),
    ("2026/6/30", dt.date(2026, 6, 30), Cadence.NONE),
    ("2026.6.30", dt.date(2026, 6, 30), Cadence.NONE),
    ("2026年6月30日", dt.date(2026, 6, 30), Cadence.NONE),
    ("6月30日", dt.date(2026, 6, 30), Cadence.NONE),
    ("2026年6月底前", dt.date(2026, 6, 30), Cadence.NONE),
    ("6月底前", dt.date(2026, 6, 30), Cadence.NONE),
    ("六月底前完成", dt.date(2026, 6, 30), Cadence.NONE),
    ("12月中旬", dt.date(2026, 12, 18), Cadence.NONE),  # the 20th is a Sunday
    ("5月底前", dt.date(2026, 5, 29), Cadence.NONE),  # 31 May 2026 is a Sunday: the Friday before
    ("年底前", dt.date(2026, 12, 31), Cadence.NONE),
    ("年内", dt.date(2026, 12, 31), Cadence.NONE),
    ("第三季度", dt.date(2026, 9, 30), Cadence.NONE),
    ("三季度末", dt.date(2026, 9, 30), Cadence.NONE),
    ("上半年", dt.date(2026, 6, 30), Cadence.NONE),
    ("长期", None, Cadence.MONTHLY),
    ("长期坚持", None, Cadence.MONTHLY),
    ("持续推进", None, Cadence.MONTHLY),
    ("每季度报送", None, Cadence.QUARTERLY),
    (dt.datetime(2026, 7, 15), dt.date(2026, 7, 15), Cadence.NONE),
    (46203, dt.date(2026, 6, 30), Cadence.NONE),
    ("", None, Cadence.NONE),
])
def test_it_reads_deadlines_as_offices_write_them(db, written, deadline, cadence):
    due = read_due(written, reference=dt.date(2026, 6, 1), calendar=get_calendar())
    assert (due.deadline, due.cadence) == (deadline, cadence)


def test_it_ends_a_period_on_its_last_working_day():
    # A calendar where 31 December is a holiday: 年底前 is the 30th.
    calendar = WorkCalendar(days={dt.date(2027, 12, 31): False}, covered_years=frozenset({2027}))
    assert read_due("2027年底前", reference=dt.date(2027, 1, 4), calendar=calendar).deadline == dt.date(2027, 12, 30)


@pytest.mark.parametrize("written", ["下周", "2026-13-01", "尽快", "6月32日"])
def test_it_refuses_a_deadline_it_cannot_read(written):
    with pytest.raises(DateUnreadable):
        read_due(written, reference=dt.date(2026, 6, 1), calendar=WorkCalendar())


# ---- preview -----------------------------------------------------------------------------------------


def test_it_previews_an_office_ledger_without_writing(cast):
    before = counts()
    preview = ledger_preview(actor=cast.supervisor, data=office_ledger(), filename="台账.xlsx")
    assert counts() == before
    assert preview.problems == []
    assert preview.header_row == 4  # the second row of the two-row header
    assert preview.mapping["牵头单位"].startswith("E列") and preview.mapping["配合单位"].startswith("F列")
    assert [r.row for r in preview.rows] == [5, 6, 9, 10, 11, 12, 13]
    assert preview.skipped == [8]  # the section row; row 7 is blank
    first, second, township, standing, quarter, cell, slashed = preview.rows
    assert first.title == "推进重点项目建设" and "完成投资20亿元" in first.requirements
    assert first.lead_units == [cast.pref_drc]  # by short name
    assert first.cooperating_units == [cast.pref_finance]
    assert first.leader == cast.leader
    assert first.deadline == dt.date(2026, 6, 30)
    # The merged 任务来源 and 文号 carry down; units by alias, two in one cell.
    assert (second.source, second.doc_number) == ("州政府第5次常务会议", "州政发〔2026〕5号")
    assert second.lead_units == [cast.pref_drc, cast.pref_finance]
    assert second.deadline == dt.date(2026, 6, 30) and "完成时限（原文）：6月底前" in second.requirements
    assert township.lead_units == [cast.township] and township.cooperating_units == [cast.pref_drc]
    assert township.deadline == dt.date(2026, 12, 31)
    assert standing.lead_units == [cast.county_drc]
    assert (standing.deadline, standing.cadence) == (None, Cadence.MONTHLY)
    assert "长期坚持" in standing.requirements
    assert quarter.deadline == dt.date(2026, 9, 30)
    assert cell.deadline == dt.date(2026, 7, 15) and "原文" not in cell.requirements
    assert slashed.deadline == dt.date(2026, 8, 3)
    assert preview.decisions == [("州政府第5次常务会议", "州政发〔2026〕5号"), ("州委办通知", "")]


def test_a_large_workbook_is_streamed_and_read_the_same(cast, monkeypatch):
    # Read-only mode knows no merged cells: the two-row header and the carried 任务来源 are found all the same.
    whole = ledger_preview(actor=cast.supervisor, data=office_ledger(), filename="a.xlsx")
    monkeypatch.setattr("duban.ledger.parsing.FULL_READ_MAX", 0)
    streamed = ledger_preview(actor=cast.supervisor, data=office_ledger(), filename="a.xlsx")
    assert streamed.problems == [] and streamed.header_row == 4
    shape = [(r.row, r.source, r.doc_number, r.title, r.lead_units, r.cooperating_units, r.deadline, r.cadence)
             for r in streamed.rows]
    assert shape == [(r.row, r.source, r.doc_number, r.title, r.lead_units, r.cooperating_units, r.deadline,
                      r.cadence) for r in whole.rows]


def test_an_unknown_unit_names_row_column_and_name_and_imports_nothing(cast):
    data = xlsx([HEADER, [1, "州委办通知", "", "事项一", "州发改委", "", "", "6月底前"],
                 [2, "州委办通知", "", "事项二", "州环保局", "", "", "6月底前"]])
    before = counts()
    with pytest.raises(LedgerProblems) as caught:
        ledger_import(actor=cast.supervisor, data=data, filename="台账.xlsx")
    assert counts() == before
    [problem] = caught.value.preview.problems
    assert (problem.row, problem.column) == (3, "E列“牵头单位”")
    assert "州环保局" in problem.message
    assert str(problem).startswith("第3行E列“牵头单位”：找不到单位“州环保局”")


def test_a_unit_outside_the_supervisors_subtree_is_not_found(cast):
    data = xlsx([HEADER, [1, "县委办通知", "", "事项", "乙县发展和改革局", "", "", "6月底前"]])
    preview = ledger_preview(actor=cast.county_supervisor, data=data, filename="台账.xlsx")
    assert [p.column for p in preview.problems] == ["E列“牵头单位”"]


def test_an_ambiguous_unit_asks_for_the_full_name(cast):
    data = xlsx([HEADER, [1, "州委办通知", "", "事项", "发展和改革局", "", "", "6月底前"]])
    [problem] = ledger_preview(actor=cast.supervisor, data=data, filename="a.xlsx").problems
    assert "甲县发展和改革局" in problem.message and "乙县发展和改革局" in problem.message


def test_it_reports_every_problem_beside_its_row(cast):
    data = xlsx([HEADER,
                 [1, "州委办通知", "", "", "州发改委", "", "", "6月底前"],
                 [2, "州委办通知", "", "事项二", "", "", "", "6月底前"],
                 [3, "州委办通知", "", "事项三", "州发改委", "州发改委", "", "下周"],
                 [4, "州委办通知", "", "事项四", "州发改委", "", "王局长", "2026-05-20"]])
    preview = ledger_preview(actor=cast.supervisor, data=data, filename="a.xlsx")
    found = {(p.row, p.column[:1]) for p in preview.problems}
    assert found == {(2, "D"), (3, "E"), (4, "F"), (4, "H"), (5, "G"), (5, "H")}
    assert any("早于今天" in p.message for p in preview.problems)
    assert preview.rows[0].problems and preview.rows[0].problems[0].message == "缺少任务内容。"


def test_a_file_without_a_header_is_one_problem(cast):
    preview = ledger_preview(actor=cast.supervisor, data=xlsx([["a", "b"], [1, 2]]), filename="a.xlsx")
    assert len(preview.problems) == 1 and "表头" in preview.problems[0].message
    bad = ledger_preview(actor=cast.supervisor, data=b"not a workbook", filename="a.xlsx")
    assert ".xlsx" in bad.problems[0].message


def test_the_person_can_say_which_column_is_which(cast):
    data = xlsx([["序号", "事项", "主责", "截止"], [1, "事项一", "州财政局", "6月底前"]])
    preview = ledger_preview(actor=cast.supervisor, data=data, filename="a.xlsx",
                             mapping={"content": "B", "lead": "C", "deadline": "截止"})
    assert preview.problems == []
    assert preview.rows[0].lead_units == [cast.pref_finance]


def test_only_a_supervisor_imports(cast):
    with pytest.raises(PermissionDenied):
        ledger_preview(actor=cast.drc_liaison, data=office_ledger(), filename="a.xlsx")


# ---- import ------------------------------------------------------------------------------------------


def test_it_imports_every_row_as_a_draft_task_under_its_decision(cast):
    last_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    result = ledger_import(actor=cast.supervisor, data=office_ledger(), filename="台账.xlsx")
    assert len(result.tasks) == 7 and len(result.decisions) == 2
    meeting = Decision.objects.get(title="州政府第5次常务会议")
    assert meeting.doc_number == "州政发〔2026〕5号" and meeting.kind == "document"
    tasks = Task.objects.filter(decision=meeting).order_by("id")
    assert [t.title for t in tasks] == ["推进重点项目建设", "清理拖欠企业账款"]
    first = tasks[0]
    assert first.state == TaskState.DRAFT and first.responsible_leader == cast.leader
    assert {(p.unit_id, p.role) for p in first.plan.all()} == {(cast.pref_drc.pk, AssignmentRole.LEAD),
                                                               (cast.pref_finance.pk, AssignmentRole.COOPERATE)}
    standing = Task.objects.get(title="营商环境评价整改")
    assert standing.deadline is None and standing.cadence == Cadence.MONTHLY
    verbs = list(Event.objects.filter(seq__gt=last_seq).order_by("-seq").values_list("verb", flat=True))
    assert verbs.count("task.create") == 7 and verbs.count("decision.create") == 2
    assert verbs[0] == "ledger.import"
    event = Event.objects.get(verb="ledger.import")
    assert event.payload["file"] == "台账.xlsx" and event.payload["tasks"] == 7


def test_it_assigns_when_asked(cast):
    result = ledger_import(actor=cast.supervisor, data=office_ledger(), filename="a.xlsx", assign=True)
    assert {t.state for t in Task.objects.filter(pk__in=[t.pk for t in result.tasks])} == {TaskState.ASSIGNED}


def test_a_bad_last_row_of_fifty_leaves_nothing(cast):
    rows = [[n, "州委办通知", "", f"事项{n}", "州财政局", "", "", "年底前"] for n in range(1, 50)]
    rows.append([50, "州委办通知", "", "事项50", "州不存在局", "", "", "年底前"])
    before = counts()
    with pytest.raises(LedgerProblems) as caught:
        ledger_import(actor=cast.supervisor, data=xlsx([HEADER, *rows]), filename="a.xlsx")
    assert counts() == before
    assert [p.row for p in caught.value.preview.problems] == [51]


def test_a_failure_while_writing_the_last_row_rolls_back_the_rest(cast, monkeypatch):
    rows = [[n, "州委办通知", "", f"事项{n}", "州财政局", "", "", "年底前"] for n in range(1, 51)]
    real = ledger.task_create

    def fails_on_the_fiftieth(**kwargs):
        if kwargs["title"] == "事项50":
            from duban.core.errors import DomainError
            raise DomainError("task_title_required", "请填写督办事项。")
        return real(**kwargs)

    monkeypatch.setattr(ledger, "task_create", fails_on_the_fiftieth)
    before = (*counts(), Event.objects.count())
    with pytest.raises(Exception, match="第51行"):
        ledger_import(actor=cast.supervisor, data=xlsx([HEADER, *rows]), filename="a.xlsx")
    assert (*counts(), Event.objects.count()) == before


def _some_tasks(cast):
    decision = decision_create(actor=cast.supervisor, kind="document", title="州委全会精神贯彻落实",
                               doc_number="州委发〔2026〕1号", issued_on=dt.date(2026, 6, 1))
    task_create(actor=cast.supervisor, decision=decision, title="项目审批提速", requirements="压减审批时限30%",
                lead_unit_ids=[cast.pref_drc.pk], cooperating_unit_ids=[cast.pref_finance.pk],
                deadline=dt.date(2026, 9, 30), responsible_leader=cast.leader)
    task_create(actor=cast.supervisor, decision=decision, title="乡镇财力保障", lead_unit_ids=[cast.pref_finance.pk,
                                                                                            cast.township.pk],
                deadline=dt.date(2026, 12, 31))
    task_create(actor=cast.supervisor, decision=decision, title="营商环境常态化监测", lead_unit_ids=[cast.county_drc.pk],
                cadence=Cadence.MONTHLY)


def _shape(tasks):
    return sorted(
        (t.title, t.requirements, t.deadline, t.cadence,
         tuple(sorted(p.unit_id for p in t.plan.all() if p.role == AssignmentRole.LEAD)),
         tuple(sorted(p.unit_id for p in t.plan.all() if p.role == AssignmentRole.COOPERATE)),
         t.responsible_leader_id, t.decision.title, t.decision.doc_number)
        for t in tasks)


def test_an_exported_ledger_imports_back_to_the_same_tasks(cast, tmp_path):
    _some_tasks(cast)
    out = tmp_path / "台账.xlsx"
    call_command("ledger", "export", "--out", str(out), "--as", cast.supervisor.username)
    exported = list(Task.objects.all())
    assert load_workbook(out).active["D1"].value == "任务内容"
    result = ledger_import(actor=cast.supervisor, data=out.read_bytes(), filename=out.name)
    imported = Task.objects.filter(pk__in=[t.pk for t in result.tasks])
    assert len(result.tasks) == 3
    assert _shape(imported) == _shape(exported)


# ---- the command -------------------------------------------------------------------------------------


def test_the_command_exports_with_filters_in_the_persons_scope(cast, tmp_path):
    _some_tasks(cast)
    out = tmp_path / "a.xlsx"
    call_command("ledger", "export", "--out", str(out), "--as", cast.supervisor.username,
                 "--filter", "q=审批")
    titles = [row[3] for row in load_workbook(out).active.iter_rows(min_row=2, values_only=True)]
    assert len(titles) == 1 and titles[0].startswith("项目审批提速")
    call_command("ledger", "export", "--out", str(out), "--as", cast.other_supervisor.username)
    assert load_workbook(out).active.max_row == 1  # another county sees none of it
    with pytest.raises(CommandError):
        call_command("ledger", "export", "--out", str(out), "--as", cast.supervisor.username, "--filter", "x=1")


def test_the_command_dry_run_prints_the_preview_and_writes_nothing(cast, tmp_path, capsys):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(office_ledger())
    before = counts()
    call_command("ledger", "import", str(path), "--as", cast.supervisor.username, "--dry-run")
    out = capsys.readouterr().out
    assert "第5行 [州政府第5次常务会议] 推进重点项目建设" in out and "试导入：7 项督办事项" in out
    assert counts() == before


def test_the_command_imports_and_assigns(cast, tmp_path, capsys):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(office_ledger())
    call_command("ledger", "import", str(path), "--as", cast.supervisor.username, "--assign")
    assert "已导入 7 项督办事项并已交办" in capsys.readouterr().out
    assert Task.objects.filter(state=TaskState.ASSIGNED).count() == 7


def test_the_command_fails_on_problems_naming_them(cast, tmp_path, capsys):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(xlsx([HEADER, [1, "州委办通知", "", "事项", "州环保局", "", "", "6月底前"]]))
    before = counts()
    with pytest.raises(CommandError, match="1处问题"):
        call_command("ledger", "import", str(path), "--as", cast.supervisor.username)
    assert "第2行E列“牵头单位”：找不到单位“州环保局”" in capsys.readouterr().err
    assert counts() == before
    with pytest.raises(CommandError, match="只有督查员"):
        call_command("ledger", "import", str(path), "--as", cast.drc_liaison.username, "--dry-run")


# ---- the page ----------------------------------------------------------------------------------------


@pytest.fixture
def page_routes(settings, tmp_path):
    """The import page's routes (added to duban/web/urls.py with the page), and uploads kept under tmp_path."""
    from django.urls import NoReverseMatch, clear_url_caches

    from duban.web import urls
    from duban.web.views import ledger as ledger_views

    settings.MEDIA_ROOT = tmp_path / "media"
    try:
        reverse("web:ledger_import")
    except NoReverseMatch:
        urls.urlpatterns.extend(ledger_views.urlpatterns)
        clear_url_caches()
        yield
        del urls.urlpatterns[-len(ledger_views.urlpatterns):]
    else:
        yield
    clear_url_caches()


def _upload(client, data: bytes, name="台账.xlsx", **fields):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("web:ledger_import"), {"file": upload, "kind": "meeting", **fields})


def test_the_page_uploads_previews_and_confirms(cast, client, page_routes, settings):
    client.force_login(cast.supervisor)
    assert client.get(reverse("web:ledger_import")).status_code == 200
    before = counts()
    page = _upload(client, office_ledger(), assign="on")
    assert page.status_code == 200
    text = page.content.decode()
    assert "推进重点项目建设" in text and "州发展和改革委员会" in text and "确认导入 7 项" in text
    assert counts() == before
    token = client.session["ledger_import"]["token"]
    kept = settings.MEDIA_ROOT / "ledger-imports" / f"{token}.xlsx"
    assert kept.is_file()
    done = client.post(reverse("web:ledger_import_confirm"), {"token": token})
    assert done.status_code == 200 and "已从“台账.xlsx”导入 7 项督办事项并已交办" in done.content.decode()
    assert Task.objects.filter(state=TaskState.ASSIGNED).count() == 7
    assert set(Decision.objects.values_list("kind", flat=True)) == {"meeting"}
    assert not kept.exists() and "ledger_import" not in client.session
    # Confirming twice imports nothing more.
    again = client.post(reverse("web:ledger_import_confirm"), {"token": token})
    assert again.status_code == 302 and Task.objects.count() == 7


def test_the_page_shows_problems_beside_their_rows_and_offers_no_confirm(cast, client, page_routes):
    client.force_login(cast.supervisor)
    data = xlsx([HEADER, [1, "州委办通知", "", "事项一", "州发改委", "", "", "6月底前"],
                 [2, "州委办通知", "", "事项二", "州环保局", "", "", "下周"]])
    text = _upload(client, data).content.decode()
    assert "发现 2 处问题" in text
    assert "E列“牵头单位”：找不到单位“州环保局”" in text and "无法识别完成时限“下周”" in text
    assert "确认导入" not in text
    before = counts()
    token = client.session["ledger_import"]["token"]
    answer = client.post(reverse("web:ledger_import_confirm"), {"token": token})
    assert "台账有2处问题，未导入任何内容。" in answer.content.decode()
    assert counts() == before


def test_the_page_takes_only_xlsx_within_the_size(cast, client, page_routes, monkeypatch):
    client.force_login(cast.supervisor)
    text = _upload(client, b"a,b\n1,2\n", name="台账.csv").content.decode()
    assert "只能上传 .xlsx 格式" in text and "ledger_import" not in client.session
    assert "不是有效的 .xlsx" in _upload(client, b"not a zip", name="a.xlsx").content.decode()
    monkeypatch.setattr("duban.web.views.ledger.UPLOAD_MAX", 100)
    assert "文件不能超过" in _upload(client, office_ledger()).content.decode()


def test_the_page_is_for_supervisors_and_their_own_upload(cast, client, page_routes):
    client.force_login(cast.drc_liaison)
    assert client.get(reverse("web:ledger_import")).status_code == 403
    assert client.post(reverse("web:ledger_import_confirm"), {"token": "0" * 32}).status_code == 403
    client.force_login(cast.supervisor)
    _upload(client, office_ledger())
    client.force_login(cast.county_supervisor)  # another person's session does not hold the upload
    answer = client.post(reverse("web:ledger_import_confirm"), {"token": "0" * 32})
    assert answer.status_code == 302 and Task.objects.count() == 0


def test_the_page_lets_the_person_say_which_column_is_which(cast, client, page_routes):
    client.force_login(cast.supervisor)
    data = xlsx([["序号", "事项", "主责", "时限"], [1, "事项一", "州财政局", "6月底前"]])
    text = _upload(client, data).content.decode()
    assert "找不到“任务内容”列" in text and "确认导入" not in text
    assert '<option value="B">B列“事项”</option>' in text
    token = client.session["ledger_import"]["token"]
    text = client.post(reverse("web:ledger_import_columns"),
                       {"token": token, "column_content": "B", "column_lead": "C", "column_deadline": "D"}
                       ).content.decode()
    assert "确认导入 1 项" in text and '<option value="B" selected>' in text
    client.post(reverse("web:ledger_import_confirm"), {"token": token})
    task = Task.objects.get()
    assert task.title == "事项一" and task.deadline == dt.date(2026, 6, 30)
    assert [p.unit for p in task.plan.all()] == [cast.pref_finance]
