"""Lost updates: twenty clients editing one task at once through the real server lose nothing.

The server is `duban serve` (gunicorn, several workers) on a database of its own: an SQLite file, or,
when the suite runs on PostgreSQL (DATABASE_URL), a fresh PostgreSQL database created and dropped here.
Twenty client threads each make 50 conflicting updates: read the task (version, 工作要求), then PATCH it
with that version, appending a tag of their own to the 工作要求. An update either lands (200) or is
refused cleanly (409 version_conflict: someone wrote in between, and nothing of it was written).

A refused update is not retried: with twenty clients on one row, nearly every landed write costs the
others a refusal, so "retry until all 1,000 land" costs some 15,000 requests, far more than a test
can spend; one attempt each already puts every write in a race. At the end each landed tag is in the
text exactly once and no refused one is, the version moved once per landed write, the audit trail
holds exactly one "task.update" event per landed write, and nothing was answered 5xx or
"database_busy", nor did the server log "database is locked" or a traceback.
"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from own_database import BACKEND, ON_POSTGRES, SETUP_PREAMBLE, free_port, own_database

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
CLIENTS = 20
UPDATES_EACH = 50


pytestmark = pytest.mark.slow

SETUP_SCRIPT = SETUP_PREAMBLE + textwrap.dedent("""
    import json
    from duban.api.services import token_create
    from duban.core import clock
    from duban.supervision import services as s

    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk], requirements="各单位逐项落实：")
    task = s.task_assign(actor=c.supervisor, task=task)
    _, token = token_create(actor=c.supervisor, name="并发修改测试", days=1)
    print(json.dumps({"task": task.pk, "version": task.version, "token": token}))
""")


def run(args, env, cwd):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def database_url(tmp_path):
    """A database for the server alone: an SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    with own_database(tmp_path, "lost") as url:
        yield url


def task_update_events(url: str, task_id: int) -> list[dict]:
    sql = "SELECT seq, payload FROM audit_event WHERE verb = 'task.update' AND task_id = {} ORDER BY seq"
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(url) as db:
            rows = db.execute(sql.format("%s"), [task_id]).fetchall()
        return [{"seq": seq, "payload": payload} for seq, payload in rows]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        rows = db.execute(sql.format("?"), [task_id]).fetchall()
    return [{"seq": seq, "payload": json.loads(payload)} for seq, payload in rows]


class Api:
    def __init__(self, base: str, token: str):
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as answer:
            raw = answer.read()
            try:
                return answer.code, json.loads(raw)
            except ValueError:
                return answer.code, {"code": "not_json", "message": raw[:200].decode(errors="replace")}
        except OSError as exc:  # refused, reset or timed out: counted as status 0, never silently dropped
            return 0, {"code": "no_answer", "message": repr(exc)}


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up in 60 s:\n" + log.read_text())


def group_gone(server: subprocess.Popen, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        server.poll()  # reap `duban serve` itself, so that only gunicorn keeps the group alive
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def stop(server: subprocess.Popen) -> bool:
    """SIGTERM to `duban serve` alone, as a service manager sends it; True when it took gunicorn down with it.

    Whatever is left of its process group is killed afterwards, so that no server outlives the test."""
    server.send_signal(signal.SIGTERM)
    clean = group_gone(server, within=25)
    if not clean:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.wait()
    return clean


def test_it_loses_no_update_when_twenty_clients_edit_one_task_at_once(tmp_path, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "duban.config.settings",
           "DUBAN_MEDIA_ROOT": str(tmp_path / "media"), "DUBAN_STATIC_ROOT": str(tmp_path / "static"),
           "DUBAN_LOG_LEVEL": "WARNING"}
    made = run([sys.executable, "-c", SETUP_SCRIPT], env, tmp_path)
    assert made.returncode == 0, made.stderr
    world = json.loads(made.stdout.strip().splitlines()[-1])
    task_path = f"/api/v1/tasks/{world['task']}"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out_log, err_log = tmp_path / "server.out", tmp_path / "server.err"
    # SQLite: serve runs one thread per worker; PostgreSQL: four. Both give several requests in flight.
    workers = "4" if not ON_POSTGRES else "2"
    with out_log.open("w") as out, err_log.open("w") as err:
        server = subprocess.Popen([str(VENV_BIN / "duban"), "serve", "--bind", f"127.0.0.1:{port}",
                                   "--workers", workers], env=env, cwd=tmp_path, stdout=out, stderr=err,
                                  start_new_session=True)
    try:
        wait_until_up(base, server, err_log)
        api = Api(base, world["token"])
        status, before = api.call("GET", task_path)
        assert status == 200, before
        assert before["version"] == world["version"]

        answers: Counter = Counter()  # (method, status) of every request the clients made
        landed: list[tuple[str, int]] = []  # (tag, the version its accepted write produced)
        refused: list[str] = []  # tags whose write was refused with 409 version_conflict
        unexpected: list[tuple[str, int, dict]] = []  # any other answer: a bug
        guard = threading.Lock()
        start = threading.Barrier(CLIENTS)

        def call(method: str, body: dict | None = None) -> tuple[int, dict]:
            status, answer = api.call(method, task_path, body)
            with guard:
                answers[method, status] += 1
                if status != 200 and not (method == "PATCH" and status == 409
                                          and answer.get("code") == "version_conflict"):
                    unexpected.append((method, status, answer))
            return status, answer

        def editor(n: int) -> None:
            start.wait()
            for k in range(UPDATES_EACH):
                tag = f"[t{n:02d}-{k:02d}]"
                status, task = call("GET")
                if status != 200:
                    continue
                status, answer = call("PATCH", {"version": task["version"], "requirements": task["requirements"] + tag})
                with guard:
                    if status == 200:
                        landed.append((tag, answer["version"]))
                    elif status == 409:
                        refused.append(tag)

        began = time.monotonic()
        threads = [threading.Thread(target=editor, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - began

        status, after = api.call("GET", task_path)
        assert status == 200, after
        events = task_update_events(database_url, world["task"])
    finally:
        stopped_cleanly = stop(server)

    assert stopped_cleanly, "a SIGTERM to duban serve left its gunicorn running"
    server_err = err_log.read_text()
    access = out_log.read_text()
    assert unexpected == [], f"{len(unexpected)} answers other than 200 or a version conflict: {unexpected[:5]}"
    assert len(landed) + len(refused) == CLIENTS * UPDATES_EACH, answers
    assert refused, "the clients never collided: the test did not test anything"

    # 0 lost: every accepted tag is in the final text exactly once, no refused one is, and nothing else is.
    text = after["requirements"]
    tags = re.findall(r"\[t\d\d-\d\d\]", text)
    assert len(tags) == len(set(tags)) == len(landed)
    assert set(tags) == {tag for tag, _ in landed}
    assert not set(tags) & set(refused)
    assert text == "各单位逐项落实：" + "".join(tags)
    # Each accepted write moved the version by exactly one; no two writes produced the same version.
    assert after["version"] == before["version"] + len(landed)
    assert sorted(v for _, v in landed) == list(range(before["version"] + 1, after["version"] + 1))
    # ...and appended its tag to exactly the text of the version it read.
    assert [tag for tag, _ in sorted(landed, key=lambda pair: pair[1])] == tags
    # The audit trail: exactly one task.update event per accepted write, none for a refused one.
    assert len(events) == len(landed)
    assert all(e["payload"]["fields"] == ["requirements"] for e in events)
    # The server agrees: no 5xx in its access log, nothing locked, nothing crashed.
    assert not re.search(r'" 5\d\d ', access), [line for line in access.splitlines() if re.search(r'" 5\d\d ', line)][:5]
    assert len(re.findall(rf'"PATCH {task_path} HTTP/1\.[01]" 200 ', access)) == len(landed)
    assert len(re.findall(rf'"PATCH {task_path} HTTP/1\.[01]" 409 ', access)) == len(refused)
    assert "database is locked" not in server_err, server_err[-3000:]
    assert "database busy" not in server_err, server_err[-3000:]
    assert "Traceback" not in server_err, server_err[-3000:]

    print(f"\nlost updates ({BACKEND}): {CLIENTS * UPDATES_EACH} updates, {len(landed)} landed, "
          f"{len(refused)} conflicts refused, 0 lost, 0 locked "
          f"({', '.join(f'{m} {st}: {n}' for (m, st), n in sorted(answers.items()))}; {took:.1f} s)")
