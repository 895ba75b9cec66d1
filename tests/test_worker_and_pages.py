"""The worker as the office runs it (a real process on an SQLite file), and the pages people open."""

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.core.cast import PASSWORD
from duban.core.worker import claim_job, handle_one_sweep
from duban.security.testing import force_login_verified
from duban.supervision import services as s
from duban.supervision.models import Assignment, Light

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assigned(c, *, title="推进重点项目开工", leads=None, **options):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=D(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]], **options)
    return s.task_assign(actor=c.supervisor, task=task)


def signed(c, unit=None, liaison=None, **options):
    task = assigned(c, leads=[unit or c.pref_drc], **options)
    s.assignment_sign(actor=liaison or c.drc_liaison, assignment=Assignment.objects.get(task=task))
    return fresh(task)


# ---- the worker ---------------------------------------------------------------------------------

SETUP_SCRIPT = textwrap.dedent("""
    import datetime as dt, json, sys
    import django
    django.setup()
    from duban.core import clock
    from duban.core.cast import build_cast
    from duban.supervision import services as s
    from duban.supervision.models import Assignment

    then = dt.date.fromisoformat(sys.argv[1])
    with clock.frozen(clock.at_local(then, 9)):
        c = build_cast()
        decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要", issued_on=then)
        task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                             lead_unit_ids=[c.pref_drc.pk], deadline=then + dt.timedelta(days=28))
        s.task_assign(actor=c.supervisor, task=task)
        s.assignment_sign(actor=c.drc_liaison, assignment=Assignment.objects.get(task=task))
    task.refresh_from_db()
    print(json.dumps({"task": task.pk, "light": task.light}))
""")


def run(args, env, cwd):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def stored(db_file: Path, sql: str, params=()):
    with sqlite3.connect(db_file) as db:
        return db.execute(sql, params).fetchone()


def test_it_sweeps_stale_lights_in_a_real_worker_process(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("runs `duban worker --once` against an SQLite file; the PostgreSQL run covers claims below")
    db_file = tmp_path / "duban.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "DJANGO_SETTINGS_MODULE": "duban.config.settings",
           "DUBAN_MEDIA_ROOT": str(tmp_path / "media"), "DUBAN_LOG_LEVEL": "WARNING"}
    assert db_file.is_absolute()
    migrated = run([str(VENV_BIN / "duban"), "migrate", "--no-input"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    # A task signed two months ago, due four weeks later, and nobody has swept since: its light is stale.
    then = dt.date.today() - dt.timedelta(days=60)
    made = run([sys.executable, "-c", SETUP_SCRIPT, then.isoformat()], env, tmp_path)
    assert made.returncode == 0, made.stderr
    task = json.loads(made.stdout.strip().splitlines()[-1])
    assert task["light"] == "green"

    worked = run([str(VENV_BIN / "duban"), "worker", "--once"], env, tmp_path)
    assert worked.returncode == 0, worked.stderr
    assert stored(db_file, "SELECT light FROM supervision_task WHERE id = ?", [task["task"]]) == ("red",)
    assert stored(db_file, "SELECT light FROM supervision_assignment WHERE task_id = ?", [task["task"]]) == ("red",)
    job = stored(db_file, "SELECT last_run_at, last_result FROM core_scheduledjob WHERE name = 'lights_sweep'")
    assert job[1] == "assignments=1 tasks=1"

    # A second worker right after finds the sweep already claimed and does not run it again.
    again = run([str(VENV_BIN / "duban"), "worker", "--once"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert stored(db_file, "SELECT last_run_at, last_result FROM core_scheduledjob WHERE name = 'lights_sweep'") == job


def test_it_lets_only_the_first_of_two_claims_run_a_job(db, frozen):
    assert claim_job("lights_sweep", dt.timedelta(minutes=5)) is True
    assert claim_job("lights_sweep", dt.timedelta(minutes=5)) is False
    frozen.shift(dt.timedelta(minutes=4))
    assert claim_job("lights_sweep", dt.timedelta(minutes=5)) is False
    frozen.shift(dt.timedelta(minutes=1))
    assert claim_job("lights_sweep", dt.timedelta(minutes=5)) is True


def test_it_sweeps_once_per_interval(cast, frozen):
    task = signed(cast, deadline=D(2026, 6, 5))
    frozen.move_to(dt.datetime(2026, 6, 8, 1, tzinfo=dt.UTC))
    assert handle_one_sweep() is True
    assert fresh(task).light == Light.RED
    assert handle_one_sweep() is False


# ---- pages --------------------------------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_greets_with_a_chinese_login_page_in_utf8(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode("utf-8")
    assert '<meta charset="utf-8">' in page
    assert "登录" in page
    assert 'lang="zh-CN"' in page


def test_it_logs_a_supervisor_in_and_shows_their_workbench(client, cast, frozen):
    signed(cast, title="推进重点项目开工", deadline=D(2026, 7, 31))
    signed(cast, title="完成老旧小区改造", deadline=D(2026, 6, 3))  # two working days left: yellow
    response = client.post("/login/", {"username": cast.supervisor.username, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/")
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "督查室工作台" in page and "示范州" in page
    assert response.context["active"] == 2
    assert {s["light"]: s["n"] for s in response.context["stats"]} == {Light.RED: 0, Light.GREEN: 1, Light.YELLOW: 1}


def test_it_refuses_a_wrong_password_in_chinese(client, cast):
    response = client.post("/login/", {"username": cast.supervisor.username, "password": "wrong-password"})
    assert response.status_code == 200
    assert "登录名或密码不正确" in response.content.decode()


def test_it_filters_the_workbench_by_light(client, cast, frozen):
    signed(cast, title="推进重点项目开工", deadline=D(2026, 7, 31))
    signed(cast, title="完成老旧小区改造", deadline=D(2026, 6, 3))
    client.force_login(cast.supervisor)
    page = client.get("/tasks/?light=yellow").content.decode()
    assert "完成老旧小区改造" in page
    assert "推进重点项目开工" not in page


def test_it_shows_a_liaison_only_their_own_units_tasks(client, cast, frozen):
    c = cast
    assigned(c, title="推进重点项目开工", leads=[c.pref_drc])
    assigned(c, title="盘活闲置国有资产", leads=[c.pref_finance])
    client.force_login(c.drc_liaison)
    page = client.get("/").content.decode()
    assert "推进重点项目开工" in page
    assert "盘活闲置国有资产" not in page
    assert "待签收" in page  # the unit's word for a task assigned to it


def test_it_shows_an_outsider_county_nothing_of_the_prefectures_work(client, cast, frozen):
    assigned(cast, title="推进重点项目开工", leads=[cast.county])
    client.force_login(cast.other_liaison)
    response = client.get("/")
    assert "承办工作台" in response.content.decode()
    assert "推进重点项目开工" not in response.content.decode()
    assert "暂无。" in response.content.decode()


def test_it_warns_when_a_deadline_lies_in_a_year_without_holiday_data(client, cast, frozen):
    task = assigned(cast, title="推进重点项目开工", deadline=D(2027, 1, 15))
    client.force_login(cast.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "2027年1月15日" in page
    assert "该年度节假日安排尚未发布，按周一至周五计算" in page


def test_it_shows_the_workbench_in_the_same_number_of_queries_however_many_tasks(client, cast, frozen):
    for n in range(3):
        signed(cast, title=f"重点项目{n}", deadline=D(2026, 7, 31))
    client.force_login(cast.supervisor)
    client.get("/")  # warm the calendar cache and the session
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    for n in range(3, 23):
        signed(cast, title=f"重点项目{n}", deadline=D(2026, 7, 31))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert response.context["active"] == 23
    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_answers_health_checks(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_it_shows_the_admin_login_in_chinese(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    page = client.get(response["Location"]).content.decode()
    assert "督办 · 后台管理" in page
    assert "登录" in page
    assert "Log in" not in page


def test_it_shows_the_sysadmin_no_business_content(client, cast, frozen):
    assigned(cast, title="推进重点项目开工")
    force_login_verified(client, cast.sysadmin)
    response = client.get("/")
    assert "推进重点项目开工" not in response.content.decode()
    assert "管理员账号不查看督办业务内容" in response.content.decode()
    assert client.get("/tasks/").status_code == 403


def test_it_refuses_evidence_under_a_static_directory(settings, tmp_path):
    from duban.core.checks import check_media_not_public

    settings.STATIC_ROOT = tmp_path / "static"
    settings.MEDIA_ROOT = tmp_path / "static" / "media"
    assert [e.id for e in check_media_not_public(None)] == ["duban.E001"]
    settings.MEDIA_ROOT = tmp_path / "media"
    assert check_media_not_public(None) == []


def test_it_refreshes_sqlite_statistics_once_a_day(db):
    from duban.core.worker import handle_one_analyze

    if connection.vendor != "sqlite":
        assert handle_one_analyze() is False, "PostgreSQL's autovacuum keeps its own statistics"
        return
    assert handle_one_analyze() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        assert cursor.fetchone()[0] > 0
    assert handle_one_analyze() is False, "claimed for the next 24 hours"
