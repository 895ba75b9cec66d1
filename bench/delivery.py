"""Benchmark: delivering the outbox with `duban worker`, against one process doing nothing but the HTTP.

Run from the repository root:

    .venv/bin/python bench/delivery.py                   # SQLite: bench/out/delivery.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/delivery.py
                                                         # PostgreSQL: database duban_bench_delivery

The database is the bench's own and is made again on every run: migrated, the test cast,
10,000 urgent SMS deliveries (tests/outbox_setup.py, the crash test's setup). A local SMS
gateway (tests/sink.py, no delay) receives them. Each measurement puts the outbox back to
"all pending" (untimed), starts 1 or 4 `duban worker --idle 0.1` processes and times from
their start until no delivery is pending or sending; best of BENCH_DELIVERY_RUNS (default 1:
a run is 2 × 10,000 requests, minutes on a small machine).

The limit: one process POSTing the very requests the workers sent (the bodies and headers the
gateway recorded) with urllib, one after the other, to a fresh gateway — the HTTP alone; best
of 3, timed inside that process.

Every measurement checks at the gateway that each notice arrived once (lost = 0, duplicated = 0)
and in the database that every delivery ended `sent`; otherwise the benchmark fails.

BENCH_PROFILE=FILE runs the first worker under cProfile (stats written to FILE.1 and FILE.4 for
the 1- and 4-worker runs; it slows that worker down, so those figures are not comparable).
"""

import json
import os
import subprocess
import sys
import time
from collections import defaultdict

from _db import OUT, ROOT, database_url, on_postgres

sys.path.insert(0, str(ROOT / "tests"))

from outbox_setup import SETUP_SCRIPT  # noqa: E402
from sink import Sink  # noqa: E402

NOTICES = 10_000
# A run is 10,000 real requests per worker count: one by default, BENCH_DELIVERY_RUNS for best of N.
RUNS = int(os.environ.get("BENCH_DELIVERY_RUNS", "1"))
# The limit takes seconds, not minutes: always the best of three.
LIMIT_RUNS = 3
PROFILE = os.environ.get("BENCH_PROFILE", "")
POLL = 0.1
TIMEOUT = 900

# The limit: the recorded requests, POSTed in order with nothing but urllib. Prints the seconds taken.
LIMIT_SCRIPT = """
import json, sys, time, urllib.request
url, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    requests = json.load(f)
started = time.perf_counter()
for body, headers in requests:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
print(time.perf_counter() - started)
"""


def say(line: str) -> None:
    print(line, flush=True)


class Outbox:
    """Plain DB-API access to the bench database: the bench process itself runs no Django."""

    def __init__(self, url: str):
        self.postgres = on_postgres(url)
        if self.postgres:
            import psycopg

            self.db = psycopg.connect(url, autocommit=True)
        else:
            import sqlite3

            self.db = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)

    def one(self, sql: str):
        return self.db.execute(sql).fetchone()[0]

    def left(self) -> int:
        return self.one("SELECT COUNT(*) FROM escalation_delivery WHERE state IN ('pending', 'sending')")

    def states(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, COUNT(*) FROM escalation_delivery GROUP BY state").fetchall())

    def reset(self) -> None:
        """Every delivery pending again, no attempts, and no periodic job run yet (as a freshly started site)."""
        self.db.execute("DELETE FROM escalation_deliveryattempt")
        self.db.execute("UPDATE escalation_delivery SET state = 'pending', attempts = 0, claim = '', "
                        "lease_until = NULL, sent_at = NULL, last_error = ''")
        self.db.execute("DELETE FROM core_scheduledjob")
        if self.postgres:
            self.db.execute("VACUUM ANALYZE escalation_delivery, escalation_deliveryattempt, core_scheduledjob")
        else:
            self.db.execute("ANALYZE")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.db.close()


def worker_env(url: str, sink: Sink) -> dict:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "duban.config.settings",
            "DUBAN_SMS_URL": f"{sink.url}/sms", "DUBAN_NOTICE_EMAIL_DEFAULT": "0",
            "DUBAN_SWEEP_INTERVAL": "3600", "DUBAN_LOG_LEVEL": "WARNING"}


def setup(url: str) -> None:
    sink = Sink().start()
    try:
        done = subprocess.run([sys.executable, "-c", SETUP_SCRIPT % {"urges": NOTICES // 2}],
                              env=worker_env(url, sink), cwd=ROOT, capture_output=True, text=True, timeout=900)
    finally:
        sink.stop()
    if done.returncode != 0 or done.stdout.split() != [str(NOTICES), str(NOTICES)]:
        raise SystemExit(f"FAIL: the outbox setup did not write {NOTICES} notices and deliveries:\n"
                         f"{done.stdout}\n{done.stderr[-3000:]}")


def check_sink(sink: Sink, what: str) -> tuple[list, int, int]:
    """The requests, and how many notices arrived under two keys (duplicated) or not at all (lost)."""
    got = sink.received()
    keys_by_notice: dict[tuple, set[str]] = defaultdict(set)
    posts_by_key: dict[str, int] = defaultdict(int)
    for request in got:
        key = request.headers["idempotency-key"]
        keys_by_notice[(request.body["phone"], request.body["text"])].add(key)
        posts_by_key[key] += 1
    duplicated = sum(1 for keys in keys_by_notice.values() if len(keys) > 1)
    lost = NOTICES - len(keys_by_notice)
    resent = sum(n - 1 for n in posts_by_key.values())
    say(f"#   {what}: {len(got)} requests at the gateway; duplicated {duplicated}, lost {lost}, "
        f"re-sent with the same key {resent}")
    return got, duplicated, lost


def run_workers(url: str, outbox: Outbox, workers: int, log_path) -> tuple[float, tuple[list, int, int]]:
    outbox.reset()
    sink = Sink().start()
    env = worker_env(url, sink)
    procs = []
    started = time.perf_counter()
    try:
        with open(log_path, "ab") as log:
            for i in range(workers):
                command = [str(ROOT / ".venv" / "bin" / "duban"), "worker", "--idle", "0.1"]
                if PROFILE and i == 0:
                    command = [sys.executable, "-m", "cProfile", "-o", f"{PROFILE}.{workers}", *command]
                procs.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
            while outbox.left():
                if time.perf_counter() - started > TIMEOUT:
                    raise SystemExit(f"FAIL: {workers} worker(s) left {outbox.left()} deliveries after {TIMEOUT} s")
                if any(p.poll() is not None for p in procs):
                    raise SystemExit(f"FAIL: a worker exited early (see {log_path})")
                time.sleep(POLL)
            elapsed = time.perf_counter() - started
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        sink.stop()
    states = outbox.states()
    if states != {"sent": NOTICES}:
        raise SystemExit(f"FAIL: deliveries did not all end sent: {states}")
    return elapsed, check_sink(sink, f"{workers} worker(s)")


def run_limit(requests: list) -> float:
    """The recorded requests replayed by a separate process; returns its own timing of the loop."""
    path = OUT / "delivery_requests.json"
    path.write_text(json.dumps([
        [r.raw.decode(), {"Content-Type": r.headers.get("content-type", "application/json"),
                          "Idempotency-Key": r.headers["idempotency-key"]}]
        for r in requests
    ], ensure_ascii=False), encoding="utf-8")
    sink = Sink().start()
    try:
        done = subprocess.run([sys.executable, "-c", LIMIT_SCRIPT, f"{sink.url}/sms", str(path)],
                              capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        sink.stop()
    if done.returncode != 0:
        raise SystemExit(f"FAIL: the limit did not run:\n{done.stderr[-3000:]}")
    _, duplicated, lost = check_sink(sink, "the limit")
    if (duplicated, lost) != (0, 0):
        raise SystemExit("FAIL: the limit's requests did not all arrive once")
    return float(done.stdout.split()[-1])


def main() -> int:
    postgres = on_postgres()
    vendor = "postgresql" if postgres else "sqlite"
    url = database_url("duban_bench_delivery" if postgres else "delivery", fresh=True)
    say(f"# delivery bench on {vendor}: {url.rsplit('/', 1)[-1]} ({NOTICES} urgent SMS notices, best of {RUNS})")
    started = time.perf_counter()
    setup(url)
    say(f"# outbox set up in {time.perf_counter() - started:.1f} s")
    log_path = OUT / f"delivery_workers_{vendor}.log"
    log_path.unlink(missing_ok=True)
    outbox = Outbox(url)
    results: dict[int, list[float]] = {1: [], 4: []}
    requests: list = []
    duplicated = lost = 0
    try:
        for run in range(1, RUNS + 1):
            for workers in (1, 4):
                elapsed, (requests, dup, gone) = run_workers(url, outbox, workers, log_path)
                duplicated, lost = duplicated + dup, lost + gone
                results[workers].append(elapsed)
                say(f"# run {run}: {workers} worker(s) {elapsed:.2f} s ({NOTICES / elapsed:.0f} notices/s)")
    finally:
        outbox.close()
    log_text = log_path.read_text(errors="replace") if log_path.exists() else ""
    if "Traceback" in log_text:
        raise SystemExit(f"FAIL: a worker logged a traceback (see {log_path}):\n{log_text[-3000:]}")
    limit_times = []
    for run in range(1, LIMIT_RUNS + 1):
        limit_times.append(run_limit(requests))
        say(f"# run {run}: the limit {limit_times[-1]:.2f} s ({NOTICES / limit_times[-1]:.0f} requests/s)")
    limit = NOTICES / min(limit_times)
    for workers, name in ((1, "delivery_1_worker"), (4, "delivery_4_workers")):
        ours = NOTICES / min(results[workers])
        say(f"BENCH {name}_{vendor} {ours:.1f} notices/s limit={limit:.1f} ratio={ours / limit:.2f}")
    # Summed over every worker run: without kills both must be 0.
    say(f"BENCH delivery_duplicated_{vendor} {duplicated} notices")
    say(f"BENCH delivery_lost_{vendor} {lost} notices")
    return 1 if duplicated or lost else 0


if __name__ == "__main__":
    sys.exit(main())
