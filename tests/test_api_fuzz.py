"""Schemathesis against the live schema (/api/v1/openapi.json), through the Django WSGI application.

Every operation gets generated requests from a supervisor and the reads and unit-level writes from a
liaison, on the world of tests/api_world.py: path ids and the references in bodies often point at real
rows (and a body's `version` at the row's current one), so that requests reach the services and not only
the 404 of a missing row. Every answer must be no server error, have a documented status code and content
type, and match the documented schema.

Positive and negative data are both generated (negative: values the schema forbids, which must be
refused with a documented error). The stateful mode is not used: it links operations through response
fields the schema does not declare as links, and the world above already gives the requests real rows.
Writes are not rolled back between examples: the world evolves, but the same way on every run
(derandomized, no example database).
"""

import re
import resource
from dataclasses import dataclass, field

import pytest
import schemathesis
from api_world import KIND_MODELS, PATH_KINDS, build_world, rows_of
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from duban.api.models import ApiToken
from duban.api.services import token_digest
from duban.supervision.models import Cadence, DecisionKind, Urgency

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ABSENT = 2**62
FAR = 10**9  # past every row a test makes
# Examples per operation. Hypothesis stops early when an operation has fewer distinct inputs (GET /me).
READS, WRITES, NEGATIVE, LIAISON = 28, 10, 2, 7
LIAISON_WRITES = {"assignment_sign", "assignment_return", "report_submit", "extension_request",
                  "blocker_raise", "milestone_complete", "report_unit_review", "token_create"}
# JSON Schema cannot bound a date, so generated dates are moved into the years the API takes (2000-2099;
# the rest answer 422 before reaching a service). kind, urgency and cadence are enums in the schema; the
# hints keep them valid in the few places generation would otherwise wander.
HINTS = {"kind": DecisionKind.values, "urgency": Urgency.values, "cadence": Cadence.values}
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def in_window(value):
    """A date of a year the API takes (2028 is a leap year, so 02-29 stays a date); anything else as is."""
    if isinstance(value, str) and DATE.match(value) and not "2000" <= value[:4] <= "2099":
        return "2028" + value[4:]
    return value


# Body fields that name a row, and the kind of row.
BODY_REFS = {"decision_id": "decision", "unit_id": "unit", "leader_id": "leader",
             "responsible_leader_id": "leader", "lead_unit_ids": "unit"}


@dataclass
class Tally:
    cases: int = 0
    server_errors: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    writes_done: int = 0


class Fuzz:
    def __init__(self, world):
        self.w = world
        self.tally = Tally()
        pools = {kind: [row.pk for row in rows_of(kind)] for kind in set(PATH_KINDS.values()) - {"token"}}
        pools["leader"] = [world.cast.leader.pk]
        self.pools = pools

    def token_pool(self, role):
        """Tokens a case may revoke: never the one the client signs in with."""
        auth = ApiToken.objects.get(digest=token_digest(self.w.tokens[role])).pk
        return [t.pk for t in ApiToken.objects.exclude(pk=auth).order_by("pk")], auth

    @staticmethod
    def miss_rows(case):
        """Ids as generated, moved past every row, so that they miss on any database whatever its sequences
        have reached: the run stays the same after other tests."""
        def far(value):
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < FAR:
                return value + FAR
            return value

        for name, value in (case.path_parameters or {}).items():
            case.path_parameters[name] = far(value)
        if isinstance(case.body, dict):
            for name in BODY_REFS.keys() & case.body.keys():
                value = case.body[name]
                case.body[name] = [far(v) for v in value] if isinstance(value, list) else far(value)

    def aim(self, case, hit: int, role):
        """For three cases out of four (deterministically from `hit`): ids at real rows, a body's version at
        the row's current one every other time, and values the published schema leaves too open (see
        HINTS) inside what the API takes, so that the request reaches the service."""
        if hit % 4 == 0:
            self.miss_rows(case)
            return
        pick = hit // 4
        path_row = None
        for name in list(case.path_parameters or {}):
            kind = PATH_KINDS.get(name)
            pool = self.token_pool(role)[0] if kind == "token" else self.pools.get(kind)
            if pool:
                case.path_parameters[name] = pool[pick % len(pool)]
                path_row = (kind, case.path_parameters[name])
        if isinstance(case.query, dict):
            for name, value in case.query.items():
                case.query[name] = in_window(value)
        body = case.body if isinstance(case.body, dict) else None
        if body is None:
            return
        for name, value in body.items():
            body[name] = in_window(value)
            if name in HINTS:
                body[name] = HINTS[name][pick % len(HINTS[name])]
        for milestone in body.get("milestones") or []:
            if isinstance(milestone, dict) and "due" in milestone:
                milestone["due"] = in_window(milestone["due"])
        for name, kind in BODY_REFS.items():
            if name in body and self.pools.get(kind):
                value = self.pools[kind][pick % len(self.pools[kind])]
                body[name] = [value] if name.endswith("_ids") else value
        if "version" in body and path_row is not None and hit % 2:
            row = KIND_MODELS[path_row[0]].objects.filter(pk=path_row[1]).first()
            if row is not None and not hasattr(row, "version") and hasattr(row, "extraction"):
                row = row.extraction  # a proposed task's changes carry its extraction's version
            if row is not None and hasattr(row, "version"):
                body["version"] = row.version

    def run(self, operation, role, mode, examples):
        headers = {"Authorization": f"Bearer {self.w.tokens[role]}"}
        strategy = operation.as_strategy(generation_mode=mode)
        tally = self.tally
        auth = self.token_pool(role)[1]

        # Bodies are generated against patterned, length-bounded strings: slow, and filtered a lot.
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large, HealthCheck.large_base_example])
        @given(case=strategy, hit=st.integers(min_value=0, max_value=4095))
        def one(case, hit):
            if mode == GenerationMode.POSITIVE:
                self.aim(case, hit, role)
            if (case.path_parameters or {}).get("token_id") == auth:
                case.path_parameters["token_id"] = ABSENT
            tally.cases += 1
            response = case.call(headers=headers)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            tally.writes_done += case.method != "GET" and 200 <= response.status_code < 300
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, BaseExceptionGroup) as failure:
                where = (f"{role} {mode.value} {case.method} {case.formatted_path} query={case.query!r} "
                         f"body={str(case.body)[:200]!r} -> {response.status_code}: {str(failure)[:800]}")
                (tally.server_errors if response.status_code >= 500 else tally.violations).append(where)

        one()


@pytest.fixture
def live_schema(db, frozen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    # Django's test client does this around each request: without it, the end of a request would close
    # the connection that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        yield world, schema
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _has_input(op) -> bool:
    raw = op.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody") or raw.get("security"))


def test_it_answers_every_generated_request_as_documented(live_schema):
    world, schema = live_schema
    fuzz = Fuzz(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, "the schema lost its operations"
    started = cpu_seconds()
    for op in operations:
        unsafe = op.method.upper() not in ("GET", "HEAD")
        fuzz.run(op, "supervisor", GenerationMode.POSITIVE, WRITES if unsafe else READS)
        if _has_input(op):  # an operation with no input at all (GET /public/challenge) has nothing to negate
            fuzz.run(op, "supervisor", GenerationMode.NEGATIVE, NEGATIVE)
        if not unsafe or op.definition.raw.get("operationId") in LIAISON_WRITES:
            fuzz.run(op, "liaison", GenerationMode.POSITIVE, LIAISON)
    t = fuzz.tally
    print(f"\nschemathesis: {t.cases} cases, {len(t.server_errors)} server errors, "
          f"{len(t.violations)} schema violations ({cpu_seconds() - started:.0f} s CPU; "
          f"statuses {dict(sorted(t.statuses.items()))}, {t.writes_done} writes done)")
    for line in t.server_errors + t.violations:
        print("  ", line)
    assert t.cases >= 1000
    assert not t.server_errors, "\n".join(t.server_errors)
    assert not t.violations, "\n".join(t.violations)
    # The requests reached the services, not only the 404 of a missing row: reads answered, writes done.
    assert sum(n for status, n in t.statuses.items() if 200 <= status < 300) >= 300, t.statuses
    assert t.writes_done >= 20, t.writes_done
