"""Four workers, one killed with SIGKILL every 0.5–3 s for 50 rounds: no notice lost, none acted on twice.

10,000 urgent SMS notices wait in the outbox of a database of the test's own. Four `duban worker`
processes deliver them to a local SMS gateway (tests/sink.py) that, like real gateways, honours
`Idempotency-Key`. Every 0.5–3 s one worker, chosen at random, is killed with SIGKILL and started
again. At the end every notice must have reached the gateway (lost = 0), and no notice may have
arrived under two different keys — which would make the gateway send it twice (duplicated = 0).

A kill that lands between the gateway's answer and the worker's commit makes the same message go
again with the same key once the lease runs out: at-least-once on the wire, once in effect. Those
re-sends are counted and printed, not hidden.
"""

import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from outbox_setup import SETUP_SCRIPT
from own_database import BACKEND, own_database
from sink import Sink

ROOT = Path(__file__).resolve().parent.parent
NOTICES = 10_000
WORKERS = 4
ROUNDS = 50

pytestmark = pytest.mark.slow



def start_worker(env, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "duban"), "worker", "--idle", "0.1"], env=env, cwd=ROOT,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def outbox_left(url: str) -> int:
    sql = "SELECT COUNT(*) FROM escalation_delivery WHERE state IN ('pending', 'sending')"
    if BACKEND == "postgresql":
        import psycopg

        with psycopg.connect(url) as db:
            return db.execute(sql).fetchone()[0]
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as db:
        return db.execute(sql).fetchone()[0]


def test_it_loses_and_duplicates_nothing_when_workers_are_killed(tmp_path, capsys):
    sink = Sink(delay=0.01).start()
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    with own_database(tmp_path, "crash") as url:
        import os

        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "duban.config.settings",
               "DUBAN_SMS_URL": f"{sink.url}/sms", "DUBAN_NOTICE_EMAIL_DEFAULT": "0",
               "DUBAN_DELIVERY_LEASE_SECONDS": "4", "DUBAN_DELIVERY_TIMEOUT": "2", "DUBAN_DELIVERY_BATCH": "10",
               "DUBAN_SWEEP_INTERVAL": "3600", "DUBAN_LOG_LEVEL": "WARNING"}
        setup = subprocess.run([sys.executable, "-c", SETUP_SCRIPT % {"urges": NOTICES // 2}], env=env, cwd=ROOT,
                               capture_output=True, text=True, timeout=600)
        assert setup.returncode == 0, setup.stderr[-3000:]
        assert setup.stdout.split() == [str(NOTICES), str(NOTICES)]

        log = tmp_path / "workers.log"
        workers = [start_worker(env, log) for _ in range(WORKERS)]
        started = time.monotonic()
        kills = 0
        try:
            for _ in range(ROUNDS):
                time.sleep(rng.uniform(0.5, 3.0))
                i = rng.randrange(WORKERS)
                workers[i].send_signal(signal.SIGKILL)
                workers[i].wait(timeout=30)
                kills += 1
                workers[i] = start_worker(env, log)
            deadline = time.monotonic() + 300
            while outbox_left(url) and time.monotonic() < deadline:
                time.sleep(0.5)
            left = outbox_left(url)
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    w.kill()
            sink.stop()
        elapsed = time.monotonic() - started

    keys_by_notice: dict[tuple, set[str]] = defaultdict(set)
    posts_by_key: dict[str, int] = defaultdict(int)
    for got in sink.received():
        key = got.headers["idempotency-key"]
        assert got.body["key"] == key
        keys_by_notice[(got.body["phone"], got.body["text"])].add(key)
        posts_by_key[key] += 1
    delivered = len(keys_by_notice)
    duplicated = sum(1 for keys in keys_by_notice.values() if len(keys) > 1)
    lost = NOTICES - delivered
    resent = sum(n - 1 for n in posts_by_key.values())
    with capsys.disabled():
        print(f"\ncrash test on {BACKEND} (seed {seed}): {kills} kills in {elapsed:.0f} s; "
              f"delivered {delivered}, duplicated {duplicated}, lost {lost}; "
              f"re-sent on the wire with the same key {resent}")
    log_text = log.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text[-3000:]
    assert left == 0
    assert (duplicated, lost) == (0, 0)
    assert all(len(keys) == 1 for keys in keys_by_notice.values())
