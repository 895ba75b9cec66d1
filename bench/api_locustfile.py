"""The clients of the API benchmark, for `locust --headless` (bench/api.py runs it; not meant to be run by hand).

Every simulated client sends its next request as soon as the last one is
answered (no think time). What each request is comes from the plan bench/api.py
wrote (BENCH_API_PLAN):

- task_list_supervisor / task_list_liaison: the next (token, filters) of the
  role's mix, shared by all clients in turn; `ours` is GET /api/v1/tasks, `limit`
  is GET /bench/limit/tasks with the key of the same captured SQL.
- report_submit: the next in-progress assignment of the pool, each used once,
  as the liaison of its unit; the multipart form (text, progress) is the plan's.

The run is timed by the wall clock: BENCH_API_WARMUP seconds, then
BENCH_API_SECONDS measured. What is measured is every request *started* in that
window, with the time locust took for it (a float, in ms); at the end the clients
finish the request they are in (--stop-timeout), so a slow request is counted,
not cut off, and none is left running on the server for the next figure.
Requests per second are the requests answered inside the window. The exact
p50/p95, and the p50 per kind of request, are written to BENCH_API_RESULT.
"""

import json
import os
import statistics
import time
from collections import Counter, defaultdict
from urllib.parse import quote

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

with open(os.environ["BENCH_API_PLAN"], encoding="utf-8") as _f:
    PLAN = json.load(_f)
SCENARIO = os.environ["BENCH_API_SCENARIO"]
TARGET = os.environ["BENCH_API_TARGET"]  # "ours" or "limit"
RESULT = os.environ["BENCH_API_RESULT"]
WARMUP = float(os.environ.get("BENCH_API_WARMUP", "5"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "30"))

_samples: list[tuple[float, float, bool, str]] = []  # (started, ms, answered as expected, kind)
_unexpected: Counter = Counter()
_window = [time.time() + WARMUP, time.time() + WARMUP + SECONDS]


def _list_requests():
    requests = PLAN[SCENARIO]["requests"]
    while True:
        yield from requests


def _pool():
    tokens = PLAN["report_submit"]["liaisons"]
    for assignment_id, who in PLAN["report_submit"]["pool"]:
        yield assignment_id, tokens[who]


_next_list = _list_requests() if SCENARIO != "report_submit" else None
_next_assignment = _pool() if SCENARIO == "report_submit" else None
_FORM = PLAN.get("report_submit", {})
_BODY = _FORM.get("body", "").encode()


@events.test_start.add_listener
def _test_start(environment, **_kwargs):
    now = time.time()
    _window[:] = [now + WARMUP, now + WARMUP + SECONDS]
    gevent.spawn(_stop_in_time, environment)


def _stop_in_time(environment):
    # By the wall clock: --run-time counts on gevent's cached loop time, which lags by however long
    # the process was busy starting, so on a loaded machine it stopped runs seconds early.
    while time.time() < _window[1]:
        gevent.sleep(0.05)
    environment.runner.quit()


@events.request.add_listener
def _on_request(start_time, response_time, exception, name, **_kwargs):
    _samples.append((start_time, response_time, exception is None, name))


def _p(times: list[float], cut: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[cut - 1] if len(times) > 1 else times[0]


@events.test_stop.add_listener
def _test_stop(**_kwargs):
    since, until = _window
    kept = [s for s in _samples if since <= s[0] < until]
    times = sorted(ms for _, ms, _, _ in kept)
    answered = sum(1 for start, ms, ok, _ in _samples if ok and since <= start + ms / 1000 <= until)
    by_kind = defaultdict(list)
    for _, ms, _, kind in kept:
        by_kind[kind].append(ms)
    result = {"requests": len(kept), "failures": sum(1 for s in kept if not s[2]), "seconds": until - since,
              "rps": answered / (until - since), "unexpected": dict(_unexpected.most_common(10)),
              "pool_exhausted": _unexpected["pool_exhausted"],
              "p50_by_kind": {kind: [_p(sorted(ms), 50), len(ms)] for kind, ms in by_kind.items()}}
    if times:
        result.update(p50=_p(times, 50), p95=_p(times, 95), mean=statistics.fmean(times), max=times[-1])
    with open(RESULT, "w", encoding="utf-8") as f:
        json.dump(result, f)


class ApiClient(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 10.0
    network_timeout = 300.0

    def _check(self, response, status: int) -> None:
        if response.status_code != status:
            _unexpected[f"{response.status_code} {(response.text or '')[:120]}"] += 1
            response.failure(f"expected {status}, got {response.status_code}")

    @task
    def one(self):
        if SCENARIO == "report_submit":
            self._submit()
        else:
            self._list()

    def _list(self):
        token, query, key = next(_next_list)
        if TARGET == "ours":
            url, headers = f"/api/v1/tasks?{query}", {"Authorization": f"Bearer {token}"}
        else:
            url, headers = f"/bench/limit/tasks?key={quote(key)}&{query}", {}
        with self.client.get(url, headers=headers, name=key, catch_response=True) as response:
            self._check(response, 200)

    def _submit(self):
        try:
            assignment_id, (token, user_id) = next(_next_assignment)
        except StopIteration:
            _unexpected["pool_exhausted"] += 1
            raise StopUser() from None
        headers = {"Content-Type": _FORM["content_type"]}
        if TARGET == "ours":
            url = f"/api/v1/assignments/{assignment_id}/reports"
            headers["Authorization"] = f"Bearer {token}"
        else:
            url = f"/bench/limit/assignments/{assignment_id}/reports"
            headers["X-Bench-User"] = str(user_id)
        with self.client.post(url, data=_BODY, headers=headers, name="report_submit",
                              catch_response=True) as response:
            self._check(response, 201)
