"""Four `duban sweep` processes at once write each urge, notice and delivery once.

A database of the test's own is filled with tasks at every rung of the ladder, then copied. On the
original, four sweeps run at the same moment; on the copy, one. Both must end with the same rows,
and one more sweep on the original must find nothing new.
"""

import os
import shutil
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path

import pytest
from own_database import BACKEND, SETUP_PREAMBLE, own_database

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

SETUP_SCRIPT = SETUP_PREAMBLE + textwrap.dedent("""
    from duban.core import clock
    from duban.escalation.models import Robot
    from duban.supervision import services as s
    from duban.supervision.models import Assignment
    from duban.workdays.store import get_calendar

    for person in (c.drc_liaison, c.drc_head, c.finance_liaison, c.leader):
        person.email = f"{person.username}@example.cn"
        person.save(update_fields=["email"])
    Robot.objects.create(unit=c.pref_finance, kind="wecom", name="财政局工作群",
                         webhook="http://127.0.0.1:9/cgi-bin/webhook/send?key=x")
    cal = get_calendar()
    today = clock.today()
    start = cal.add_workdays(today, -25)
    with clock.frozen(clock.at_local(start, 9)):
        decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要",
                                     issued_on=start)
        for n in range(40):
            deadline = cal.add_workdays(today, 5 - n)
            if deadline <= start:
                break
            task = s.task_create(actor=c.supervisor, decision=decision, title=f"推进第{n}项重点工作",
                                 lead_unit_ids=[c.pref_drc.pk, c.pref_finance.pk], deadline=deadline,
                                 responsible_leader=c.leader if n % 2 else None,
                                 milestones=[("完成方案", cal.add_workdays(today, 2))])
            task = s.task_assign(actor=c.supervisor, task=task)
            if n % 3:
                s.assignment_sign(actor=c.drc_liaison, assignment=Assignment.objects.get(task=task, unit=c.pref_drc))
""")

ROWS = {
    "urge": "SELECT step, cause, assignment_id, ref_id, due_on FROM escalation_urge",
    "notice": "SELECT u.step, u.cause, u.assignment_id, u.ref_id, u.due_on, n.recipient_id "
              "FROM escalation_notice n JOIN escalation_urge u ON u.id = n.urge_id",
    "delivery": "SELECT u.step, u.cause, u.assignment_id, u.due_on, d.channel, d.target "
                "FROM escalation_delivery d JOIN escalation_urge u ON u.id = d.urge_id",
    "listed": "SELECT object_id FROM audit_event WHERE verb = 'task.listed'",
}


def rows(url: str) -> dict[str, list]:
    if BACKEND == "postgresql":
        import psycopg

        with psycopg.connect(url) as db:
            return {name: sorted(tuple(map(str, r)) for r in db.execute(sql).fetchall()) for name, sql in ROWS.items()}
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return {name: sorted(tuple(map(str, r)) for r in db.execute(sql).fetchall()) for name, sql in ROWS.items()}


def copy_database(url: str, tmp_path) -> str:
    if BACKEND == "sqlite":
        target = tmp_path / "copy.sqlite3"
        shutil.copy(url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    import psycopg

    parts = urllib.parse.urlsplit(url)
    source = parts.path.lstrip("/")
    name = f"{source}_copy"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def drop_copy(url: str) -> None:
    if BACKEND == "postgresql":
        import psycopg

        parts = urllib.parse.urlsplit(url)
        with psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def sweeps(url: str, n: int) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "duban.config.settings",
           "DUBAN_NOTICE_EMAIL_DEFAULT": "1"}
    procs = [subprocess.Popen([str(ROOT / ".venv" / "bin" / "duban"), "sweep"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def test_it_writes_each_notice_once_when_four_sweeps_run_at_once(tmp_path):
    with own_database(tmp_path, "sweeps") as url:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "duban.config.settings",
               "DUBAN_NOTICE_EMAIL_DEFAULT": "1"}
        setup = subprocess.run([sys.executable, "-c", SETUP_SCRIPT], env=env, cwd=ROOT, capture_output=True,
                               text=True, timeout=600)
        assert setup.returncode == 0, setup.stderr[-3000:]
        copy = copy_database(url, tmp_path)
        try:
            together = sweeps(url, 4)
            alone = sweeps(copy, 1)
            for p in together + alone:
                assert p.returncode == 0, p.stderr[-3000:]
            four, one = rows(url), rows(copy)
        finally:
            drop_copy(copy)
        again = sweeps(url, 1)[0]
        assert again.returncode == 0, again.stderr[-3000:]
        assert rows(url) == four
    # The data reaches every rung: reminders, 催签, 催办, 督办通知, 挂牌督办, on several channels.
    steps = {r[0] for r in one["urge"]}
    assert {"reminder", "urge_sign", "urge", "notice", "listed"} <= steps, steps
    assert {r[4] for r in one["delivery"]} == {"email", "wecom"}
    for name in ROWS:
        assert four[name] == one[name], name
        assert len(set(four[name])) == len(four[name]), name
