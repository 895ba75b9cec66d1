"""The permission matrix of the JSON API, generated from its OpenAPI schema.

Every operation the schema publishes is tried by every role (tests/api_world.py: supervisor, leader, unit
head, liaison, inspector, the three administrators, an outsider county's supervisor and liaison, and no
credentials at all) on a row the role may see and on rows it may not, with a plausible body. Who may see
what comes from `api_world.Oracle`, a plain reading of DESIGN.md, never from the selectors.

A leak is any of:
  (i)   a GET of a row out of scope answering anything but 404 (401 without credentials), or a 404 that
        differs from the one for a row that does not exist;
  (ii)  a list holding an item the role may not see;
  (iii) an unsafe operation on a row out of scope answering anything but 404 (a 403 tells that the row
        exists), or changing anything (the trail, or the row itself);
  (iv)  an unsafe operation answering 2xx for a role that may never perform it, or a refusal that wrote;
  (v)   any 5xx;
  (vi)  an administrator getting business content (anything but /me, /tokens, the unit tree for the
        sysadmin, people for the sysadmin and the secadmin, the trail for the auditor), or anyone but the
        auditor getting anything from /audit/events;
  (vii) a 群众线索 sender's name or phone, in any form (api_world.contact_traces), in any answer at all but
        the contact read of that clue by its triage office — every body, file and header is searched.

The public door (/public/...) answers anyone alike, with or without credentials, and never with the
office's inside: it is tried apart from the rest (Matrix.try_public).

Unsafe calls run in a savepoint that is rolled back, so every call sees the same world.
"""

import io
import json
import re
from dataclasses import dataclass

import pytest
from api_world import (
    ADMINS,
    CONTACTS,
    MINUTES_PREFECTURE,
    PATH_KINDS,
    PATH_VALUES,
    ROLES,
    Oracle,
    build_world,
    contact_traces,
    readable,
    rows_of,
)
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from openpyxl import Workbook, load_workbook

from duban.api.models import ApiToken
from duban.api.root import api
from duban.audit.models import Event
from duban.escalation.models import Notice
from duban.security.testing import force_login_verified
from duban.voice import limits

ABSENT = 2**62  # an id no row has
BUSINESS = [r for r in ROLES if r not in ADMINS and r != "anonymous"]
SIGNED_IN = [r for r in ROLES if r != "anonymous"]
SUPERVISORS = {"supervisor", "outsider_supervisor"}
UNIT_WORKERS = {"liaison", "unit_head", "outsider_liaison"}

# The kind of row a list returns, by the last segment of its path.
LIST_KINDS = {
    "tasks": "task", "decisions": "decision", "assignments": "assignment", "reports": "report",
    "extensions": "extension", "blockers": "blocker", "units": "unit", "people": "person", "tokens": "token",
    "events": "event", "notices": "notice", "urges": "urge", "bulletins": "bulletin",
    "extractions": "extraction", "clues": "clue",
}
# Lists of what hangs from one task: its timeline and its urges.
TASK_SUBLISTS = ("/events", "/urges")
# Query filters that name a row: tried with a row out of scope and one in scope.
FILTER_KINDS = {"task": "task", "decision": "decision", "assignment": "assignment", "unit": "unit",
                "actor": "person", "scope": "unit"}
# Text searches: a fragment that rows in and out of every role's scope share.
SEARCHES = {"task": "推进", "assignment": "推进", "decision": "会议纪要", "unit": "发展和改革", "person": "督查",
            "clue": "多次反映"}

# Reads that answer a figure about the caller, not rows: each must be the caller's own.
OWN_FIGURES = {
    "notice_unread_count": lambda user: {"unread": Notice.objects.filter(recipient=user, read_at=None).count()},
    "preference_get": lambda user: {"inbox": True},
}
# Reads that answer a file of rows: the kind of row, each named in the workbook by its title.
EXPORTS = {"ledger_export": "task"}
# Downloads of one row's file: in scope, a file that is not empty.
DOWNLOADS = {"evidence_download", "bulletin_file"}
# Reads of one row that name it by another key than `id`.
ECHO_KEYS = {"task_confidence": "task_id"}
# Reads that answer figures per unit (效能评估), and who may read them: leaders and supervisors, of their
# unit's subtree.
UNIT_FIGURES = {"scorecard_get"}
SCORECARD_READERS = {"supervisor", "leader", "outsider_supervisor"}

# Who may ever perform each unsafe operation (on a row in their scope).
EVERYONE = set(SIGNED_IN)
MAY = {
    "token_create": EVERYONE, "token_revoke": EVERYONE,
    "decision_create": SUPERVISORS, "task_create": SUPERVISORS, "task_create/cascade": SUPERVISORS,
    "task_update": SUPERVISORS, "task_assign": SUPERVISORS, "task_close": SUPERVISORS,
    "task_cancel": SUPERVISORS,
    "task_instruct": {"leader"}, "task_leader_read": {"leader"},
    "milestone_complete": SUPERVISORS | UNIT_WORKERS,
    "assignment_sign": UNIT_WORKERS, "assignment_return": UNIT_WORKERS,
    "assignment_reassign": SUPERVISORS, "assignment_verify": SUPERVISORS, "assignment_reject": SUPERVISORS,
    "report_submit": UNIT_WORKERS, "extension_request": UNIT_WORKERS, "blocker_raise": UNIT_WORKERS,
    "report_unit_review": {"unit_head"}, "report_review": SUPERVISORS,
    "extension_decide": SUPERVISORS | {"leader"}, "blocker_escalate": SUPERVISORS,
    "blocker_answer": SUPERVISORS | {"leader"},
    "assignment_urge": SUPERVISORS, "notice_read": EVERYONE, "notice_read_all": EVERYONE,
    "preference_set": EVERYONE,
    "bulletin_generate": SUPERVISORS | {"leader"}, "ledger_preview": SUPERVISORS, "ledger_import": SUPERVISORS,
    "task_confidence_record": SUPERVISORS,
    # 智能分解: the supervisors of the office that read the document.
    **dict.fromkeys(("extraction_create", "extraction_item_update", "extraction_item_drop", "extraction_item_merge",
                     "extraction_item_split", "extraction_accept", "extraction_discard"), SUPERVISORS),
    # 群众线索: the triage office routes and reads the sender; the lead unit (or the office) answers.
    **dict.fromkeys(("clue_forward", "clue_attach", "clue_merge", "clue_decline", "clue_contact"), SUPERVISORS),
    "clue_answer": SUPERVISORS | UNIT_WORKERS,
}
# In the world as built, these roles succeed on their row in scope: proof that the bodies are right and
# that the refusals elsewhere are about permission, not about a broken request.
SUCCEEDS = {
    "me": EVERYONE, "token_list": EVERYONE, "token_create": EVERYONE, "token_revoke": EVERYONE,
    "decision_create": SUPERVISORS, "task_create": SUPERVISORS, "task_update": SUPERVISORS,
    "task_assign": {"supervisor"}, "task_close": {"supervisor"}, "task_cancel": SUPERVISORS,
    "task_instruct": {"leader"}, "task_leader_read": {"leader"},
    "milestone_complete": {"supervisor", "liaison", "unit_head", "outsider_supervisor", "outsider_liaison"},
    "assignment_sign": {"liaison", "unit_head"}, "assignment_return": {"liaison", "unit_head"},
    "assignment_reassign": {"supervisor"}, "assignment_verify": {"supervisor"},
    "assignment_reject": {"supervisor"},
    "report_submit": {"liaison", "unit_head"}, "extension_request": {"liaison", "unit_head"},
    "blocker_raise": {"liaison", "unit_head", "outsider_liaison"}, "report_unit_review": {"unit_head"},
    "report_review": {"supervisor", "outsider_supervisor"}, "extension_decide": {"supervisor", "leader"},
    # 乙县's supervisor escalates to 李州长, a leader above their unit.
    "blocker_escalate": SUPERVISORS, "blocker_answer": {"supervisor", "leader"},
    "assignment_urge": {"supervisor"}, "notice_read": {"liaison", "unit_head"},
    "notice_read_all": EVERYONE, "preference_set": EVERYONE,
    "bulletin_generate": SUPERVISORS | {"leader"}, "ledger_preview": SUPERVISORS, "ledger_import": SUPERVISORS,
    "task_confidence_record": SUPERVISORS,
    # Each office on its own document: 州委督查室 on X1, 乙县 on X2 (every unit matched, deadlines ahead).
    **dict.fromkeys(("extraction_create", "extraction_item_update", "extraction_item_drop", "extraction_item_merge",
                     "extraction_item_split", "extraction_accept", "extraction_discard"), SUPERVISORS),
    # 州委督查室 on CR (甲县's, below it), 乙县's on CB; only 州委督查室 has a second clue to merge into.
    "clue_forward": SUPERVISORS, "clue_attach": SUPERVISORS, "clue_merge": {"supervisor"},
    "clue_decline": SUPERVISORS, "clue_contact": SUPERVISORS,
    # CK's task is 州发改委's, signed: its liaison and head answer, and so may the office itself.
    "clue_answer": {"supervisor", "liaison", "unit_head"},
}
# What the administrators may read (三员分立); every other operation is business content to them.
# Their own inbox and channel choice are theirs, like their tokens.
PERSONAL = {"me", "token_list", "token_create", "token_revoke", "notice_list", "notice_unread_count",
            "notice_read", "notice_read_all", "preference_get", "preference_set"}
ADMIN_READS = {
    "sysadmin": PERSONAL | {"unit_list", "unit_get", "person_list", "person_get"},
    "secadmin": PERSONAL | {"person_list", "person_get"},
    "auditor": PERSONAL | {"audit_event_list"},
}
# The row each operation is first tried on, so that the roles in SUCCEEDS meet a row in the right state.
PREFERRED = {
    "task_create/cascade": ["AP"], "task_update": ["T1"], "task_assign": ["T0"], "task_close": ["T4"],
    "task_cancel": ["T2"], "task_instruct": ["T1"], "task_leader_read": ["T5"], "milestone_complete": ["M1"],
    "assignment_sign": ["A2d"], "assignment_return": ["A2d"], "assignment_reassign": ["A6d"],
    "assignment_verify": ["A3d"], "assignment_reject": ["A3d"], "report_submit": ["A7d"],
    "extension_request": ["A7d"], "blocker_raise": ["A7d"], "report_unit_review": ["R2"],
    "report_review": ["R1"], "extension_decide": ["E2"], "blocker_escalate": ["B2"], "blocker_answer": ["B1"],
    "assignment_urge": ["A7d"], "notice_read": ["NL"], "bulletin_generate": ["Upref"],
    "task_confidence_record": ["T1"],
    "extraction_item_update": ["X1a"], "extraction_item_drop": ["X1b"], "extraction_item_merge": ["X1a"],
    "extraction_item_split": ["X1a"], "extraction_accept": ["X1"], "extraction_discard": ["X1"],
    **dict.fromkeys(("clue_forward", "clue_attach", "clue_merge", "clue_decline"), ["CR"]),
    "clue_answer": ["CK"], "clue_contact": ["CK"],
}
# Extensions of a key (挂牌) task are the leader's to decide; 乙县's supervisor makes 乙县's bulletin.
PREFERRED_BY_ROLE = {("extension_decide", "leader"): ["E1"], ("bulletin_generate", "outsider_supervisor"): ["Uother"]}
# Unsafe operations whose body travels as multipart form data (with files).
MULTIPART = {"report_submit", "ledger_preview", "ledger_import", "extraction_create"}


@dataclass(frozen=True)
class Subject:
    """The row an unsafe operation acts on: named by its path parameter, or by a field of its body."""

    kind: str
    field: str | None = None
    variant: str = ""


# Rows named in a body rather than in the path: a new task hangs from a decision, or is decomposed from
# an assignment the caller's unit received (层层分解).
BODY_SUBJECTS = {"task_create": [Subject("decision", "decision_id"),
                                 Subject("assignment", "parent_assignment_id", "cascade")],
                 "bulletin_generate": [Subject("unit", "scope_unit_id")]}


# Other rows a body names, besides the one the operation acts on: a row out of the caller's scope there
# must get the same answer as a row that does not exist.
BODY_REFERENCES = {
    "task_create": [("lead_unit_ids", "unit")], "task_update": [("responsible_leader_id", "person")],
    "assignment_reassign": [("unit_id", "unit")], "blocker_escalate": [("leader_id", "person")],
    "extraction_item_update": [("lead_unit_ids", "unit")],
    "clue_forward": [("unit_ids", "unit")], "clue_attach": [("task_id", "task")], "clue_merge": [("into_id", "clue")],
}
# The public door: no credentials needed, the same answer for everyone.
PUBLIC = {"public_challenge", "public_clue_submit", "public_clue_lookup", "public_clue_rate"}
# Every key the public view of a clue may hold: nothing of the office's inside (no ids, task, staff, version).
PUBLIC_KEYS = {"number", "category", "category_label", "state", "state_label", "place_name", "place_text",
               "description", "submitted_at", "deadline", "answered_at", "closed_at", "close_reason", "replies",
               "ratings", "may_rate", "merged_into", "round", "text", "unit_name", "created_at", "rating",
               "rating_label", "comment"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    path_params: tuple
    query_params: tuple

    @property
    def unsafe(self) -> bool:
        return self.method not in ("get", "head", "options")

    @property
    def subjects(self) -> list[Subject]:
        if self.path_params:
            name = self.path_params[0]
            assert name in PATH_KINDS, f"{self.name}: give api_world.PATH_KINDS a row kind for {name!r}"
            return [Subject(PATH_KINDS[name])]
        return BODY_SUBJECTS.get(self.name, [])

    @property
    def list_kind(self) -> str | None:
        if self.unsafe or self.name in ("me", *EXPORTS, *UNIT_FIGURES) or (
                self.path_params and not self.path.endswith(TASK_SUBLISTS)):
            return None
        last = self.path.rstrip("/").rsplit("/", 1)[-1]
        assert last in LIST_KINDS, f"{self.name}: no row kind known for the list {self.path}"
        return LIST_KINDS[last]


def label(op: Operation, subject: Subject | None = None) -> str:
    return f"{op.name}/{subject.variant}" if subject is not None and subject.variant else op.name


def schema_operations() -> list[Operation]:
    schema = api.get_openapi_schema()
    found = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            params = op.get("parameters", [])
            found.append(Operation(
                method=method, path=path, name=op["operationId"],
                path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                query_params=tuple(p["name"] for p in params if p["in"] == "query"),
            ))
    return found


def upload():
    return SimpleUploadedFile("现场照片.jpg", b"\xff\xd8\xff\xe0 matrix", content_type="image/jpeg")


def ledger_upload(lead_unit):
    """An office's 台账 of one task, led by `lead_unit`."""
    book = Workbook()
    book.active.append(["序号", "任务内容", "牵头单位", "完成时限"])
    book.active.append([1, "推进台账导入事项", lead_unit.name, "2026-07-31"])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("台账.xlsx", out.getvalue())


def workbook_titles(response) -> list[str]:
    """The task names of an exported 台账: the first line of 任务内容, row by row below the header."""
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("任务内容")
    return [str(row[column]).split("\n", 1)[0] for row in rows[1:]]


class Matrix:
    def __init__(self, world):
        self.w = world
        self.c = world.cast
        self.oracle = Oracle()
        self.calls = 0
        self.leaks: list[str] = []
        self.misses: list[str] = []
        self.clients = {role: Client(raise_request_exception=False,
                                     **({"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"}
                                        if role in world.tokens else {}))
                        for role in ROLES}
        self.rows = {kind: rows_of(kind) for kind in ("decision", "task", "assignment", "report", "extension",
                                                      "blocker", "evidence", "milestone", "unit", "person",
                                                      "notice", "urge", "bulletin", "extraction",
                                                      "proposed_task", "clue")}
        self.rows["token"] = [world.spare_tokens[r] for r in SIGNED_IN] + [world.foreign_token]
        self.visible = {role: {kind: {row.pk for row in rows if self.sees(role, kind, row)}
                               for kind, rows in self.rows.items()} for role in ROLES}
        # Each trace of a sender's contact, and the clue it belongs to; where any of them was found.
        self.traces = {text: world.named[name] for name, (who, phone) in CONTACTS.items()
                       for text in contact_traces(who, phone, world.named[name])}
        self.exposures: list[tuple] = []

    # ---- scope ----

    def sees(self, role, kind, row) -> bool:
        user = self.w.actor(role)
        if kind == "token":
            # A person revokes their own tokens; the secadmin anyone's.
            return user is not None and (row.user_id == user.pk or role == "secadmin")
        return self.oracle.sees(user, kind, row)

    def listed(self, role, op: Operation, kind) -> set:
        """The ids `op` may list for `role`."""
        user = self.w.actor(role)
        if kind == "event":
            events = rows_of("event")
            if op.name == "audit_event_list":
                return {e.seq for e in events} if role == "auditor" else set()
            return {e.seq for e in events if self.oracle.event(user, e)}
        if kind == "token":
            return set(ApiToken.objects.filter(user=user).values_list("pk", flat=True)) if user else set()
        return self.visible[role][kind]

    # ---- calling ----

    def call(self, role, op: Operation, url, body=None, *, params=None):
        client = self.clients[role]
        self.calls += 1
        if op.method == "get":
            r = client.get(url, params or {})
        elif op.name in MULTIPART:
            r = client.post(url, body)
        else:
            payload = json.dumps(body) if body is not None else ""
            r = getattr(client, op.method)(url, payload, content_type="application/json")
        self.sweep(role, op.name, url, r)
        return r

    def sweep(self, role, name, url, response):
        """Note every trace of a sender's contact in the answer: body (files unpacked) and headers."""
        if getattr(response, "streaming", False):
            data = b"".join(response.streaming_content)
            response.streaming_content = [data]  # the checks below read the file again
        else:
            data = response.content
        text = readable(data) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.items())
        for trace, clue in self.traces.items():
            if trace in text:
                self.exposures.append((role, name, url, response.status_code, clue, trace))

    def judge_exposures(self):
        """(vii): a contact shows only in the contact read of its own clue, to its triage office."""
        read = set()
        for role, name, url, status, clue, trace in self.exposures:
            user = self.w.actor(role)
            if (name == "clue_contact" and status == 200 and url == f"/api/v1/clues/{clue.pk}/contact"
                    and self.oracle.contact(user, clue)):
                read.add(clue.pk)
                continue
            self.leaks.append(f"(vii) {url} as {role}: {status} shows {trace!r}, a trace of clue {clue.pk}'s sender")
        if self.w.named["CK"].pk not in read:
            self.misses.append("the triage office never read CK's sender through POST /clues/{id}/contact")

    @staticmethod
    def shown(response, size: int) -> str:
        if response is None:
            return ""
        if getattr(response, "streaming", False):
            return f"<file {response.get('Content-Type')}>"
        return response.content[:size].decode(errors="replace")

    def leak(self, rule, op, role, url, response, why, body=None):
        self.leaks.append(f"({rule}) {op.method.upper()} {url} as {role} body={body!r}: "
                          f"{getattr(response, 'status_code', '-')} {why} {self.shown(response, 300)}")

    def miss(self, op, role, url, response, why):
        self.misses.append(f"{op.method.upper()} {url} as {role}: {response.status_code} {why} "
                           f"{self.shown(response, 200)}")

    def url(self, op: Operation, pk=None) -> str:
        """The path with `pk` for the row it names, and fixed values for the parameters after it."""
        if not op.path_params:
            return op.path
        first, *rest = op.path_params
        for name in rest:
            assert name in PATH_VALUES, f"{op.name}: give api_world.PATH_VALUES a value for {name!r}"
        return op.path.format(**{first: pk, **{name: PATH_VALUES[name] for name in rest}})

    def check_common(self, op, role, url, response, body=None) -> bool:
        """The rules every answer obeys; False when the answer is already a leak."""
        if response.status_code >= 500:
            self.leak("v", op, role, url, response, "server error", body)
            return False
        if role == "anonymous" and response.status_code != 401:
            self.leak("i" if not op.unsafe else "iii", op, role, url, response, "expected 401", body)
            return False
        if role in ADMINS and 200 <= response.status_code < 300 and op.name not in ADMIN_READS[role]:
            if op.list_kind is None or self.items(response):
                self.leak("vi", op, role, url, response, "business content for an administrator", body)
                return False
        return True

    @staticmethod
    def items(response) -> list:
        data = response.json()
        return data["items"] if isinstance(data, dict) else data

    # ---- reads of one row ----

    def sample(self, kind, role):
        """Two rows in the role's scope, and the nearest rows out of it (other units' parts of the same
        tasks come first in the world's order) with the farthest one. Without credentials, one row."""
        rows = self.rows[kind]
        if role == "anonymous":
            return rows[:1]
        inside = [r for r in rows if r.pk in self.visible[role][kind]]
        outside = [r for r in rows if r.pk not in self.visible[role][kind]]
        return inside[:2] + list(dict.fromkeys(outside[:3] + outside[-1:]))

    def try_get(self, op: Operation):
        kind = op.subjects[0].kind
        for role in ROLES:
            absent_url = self.url(op, ABSENT)
            absent = self.call(role, op, absent_url)
            if (self.check_common(op, role, absent_url, absent) and role != "anonymous"
                    and absent.status_code != 404):
                self.leak("i", op, role, absent_url, absent, "a row that does not exist must answer 404")
                continue
            for row in self.sample(kind, role):
                url = self.url(op, row.pk)
                r = self.call(role, op, url)
                if not self.check_common(op, role, url, r) or role == "anonymous":
                    continue
                if row.pk not in self.visible[role][kind]:
                    if r.status_code != 404:
                        self.leak("i", op, role, url, r, "out of scope must answer 404")
                    elif r.json() != absent.json():
                        self.leak("i", op, role, url, r, f"404 differs from a missing row's {absent.json()}")
                elif r.status_code != 200:
                    self.miss(op, role, url, r, "in scope, expected 200")
                elif op.list_kind in ("event", "urge"):
                    self.check_items(op, role, url, self.items(r), r, task=row.pk)
                elif op.name in DOWNLOADS:
                    if not b"".join(r.streaming_content):
                        self.miss(op, role, url, r, "an empty file")
                elif r.json().get(ECHO_KEYS.get(op.name, "id")) != row.pk:
                    self.miss(op, role, url, r, "another row than the one asked for")

    def try_page_download(self):
        """The page URL of an evidence file answers like the API: the file in scope, a plain 404 out of it."""
        op = Operation("get", "/files/evidence/{evidence_id}/", "evidence_page", ("evidence_id",), ())
        for role in ROLES:
            client = Client(raise_request_exception=False)
            if role != "anonymous":
                force_login_verified(client, self.w.actor(role))
            for row in self.rows["evidence"]:
                url = f"/files/evidence/{row.pk}/"
                r = client.get(url)
                self.calls += 1
                self.sweep(role, op.name, url, r)
                if r.status_code >= 500:
                    self.leak("v", op, role, url, r, "server error")
                elif row.pk in self.visible[role]["evidence"]:
                    if r.status_code != 200:
                        self.miss(op, role, url, r, "in scope, expected the file")
                elif r.status_code != 404 and not (role == "anonymous" and r.status_code == 302):
                    self.leak("i", op, role, url, r, "out of scope must answer 404")

    # ---- lists ----

    def check_items(self, op, role, url, items, response, *, task=None, complete=False):
        kind = op.list_kind
        key = "seq" if kind == "event" else "id"
        got = {item[key] for item in items}
        may = self.listed(role, op, kind)
        if task is not None:
            may = {getattr(row, key if kind == "event" else "pk") for row in rows_of(kind) if row.task_id == task} & may
        extra = got - may
        if extra:
            rule = "vi" if op.name == "audit_event_list" or role in ADMINS else "ii"
            self.leak(rule, op, role, url, response, f"lists {kind} {sorted(extra)} out of scope")
        if complete and may - got:
            self.miss(op, role, url, response, f"leaves out {kind} {sorted(may - got)}")

    def list_variants(self, op: Operation, role, kind=None):
        """The whole list; a text search; each filter naming a row, with a row out of scope and one in it."""
        kind = kind or op.list_kind
        yield ({"limit": 200} if "limit" in op.query_params else {}), True
        if "q" in op.query_params:
            assert kind in SEARCHES, f"{op.name}: give SEARCHES a text for {kind}"
            yield {"q": SEARCHES[kind]}, False
        for name in op.query_params:
            filter_kind = kind if name == "parent" else FILTER_KINDS.get(name)
            if filter_kind is None:
                continue
            visible = self.visible[role][filter_kind]
            for inside in (False, True):
                pool = [r.pk for r in self.rows[filter_kind] if (r.pk in visible) == inside]
                if pool:
                    yield {name: pool[0]}, False

    def try_list(self, op: Operation):
        url = self.url(op)
        for role in ROLES:
            for params, complete in self.list_variants(op, role):
                r = self.call(role, op, url, params=params)
                shown = f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
                if not self.check_common(op, role, shown, r) or role == "anonymous":
                    continue
                if r.status_code != 200:
                    # A list the role may never read (the trail, for anyone but the auditor) may be refused.
                    if self.listed(role, op, op.list_kind) or r.status_code not in (403, 404):
                        self.miss(op, role, shown, r, "expected 200")
                    continue
                items, page = self.items(r), r
                while isinstance(page.json(), dict) and page.json().get("next_cursor"):
                    page = self.call(role, op, url, params={**params, "cursor": page.json()["next_cursor"]})
                    assert page.status_code == 200, page.content
                    items += self.items(page)
                self.check_items(op, role, shown, items, r, complete=complete)

    def try_export(self, op: Operation):
        """A workbook of the rows a list would give: none out of scope, all of those in it when unfiltered."""
        kind = EXPORTS[op.name]
        url = self.url(op)
        by_title = {row.title: row.pk for row in self.rows[kind]}
        assert len(by_title) == len(self.rows[kind]), f"{kind} titles must tell the rows apart"
        for role in ROLES:
            for params, complete in self.list_variants(op, role, kind):
                r = self.call(role, op, url, params=params)
                shown = f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
                if not self.check_common(op, role, shown, r) or role == "anonymous":
                    continue
                if role in ADMINS:
                    if r.status_code != 403:
                        self.miss(op, role, shown, r, "expected 403: no business content for an administrator")
                    continue
                if r.status_code != 200:
                    self.miss(op, role, shown, r, "expected 200")
                    continue
                titles = workbook_titles(r)
                unknown = [t for t in titles if t not in by_title]
                if unknown:
                    self.miss(op, role, shown, r, f"rows naming no {kind}: {unknown}")
                got = {by_title[t] for t in titles if t in by_title}
                may = self.visible[role][kind]
                if got - may:
                    self.leak("ii", op, role, shown, r, f"exports {kind} {sorted(got - may)} out of scope")
                if complete and may - got:
                    self.miss(op, role, shown, r, f"leaves out {kind} {sorted(may - got)}")

    def try_scorecard(self, op: Operation):
        """Unit figures for leaders and supervisors only, of units in their subtree, counting only what they may
        see: a unit's assignments at work, its released reports and its extension requests."""
        url = self.url(op)
        live = [a for a in self.rows["assignment"] if a.state not in ("reassigned", "cancelled", "returned")]
        released = [r for r in self.rows["report"] if r.state in ("submitted", "accepted", "returned")]
        for role in ROLES:
            user = self.w.actor(role)
            for params in ({}, {"period": "2026-Q2"}):
                r = self.call(role, op, url, params=params)
                shown = f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
                if not self.check_common(op, role, shown, r) or role == "anonymous":
                    continue
                if role not in SCORECARD_READERS:
                    if 200 <= r.status_code < 300:
                        self.leak("ii", op, role, shown, r, "unit figures for a role that may not read them")
                    elif r.status_code != 403:
                        self.miss(op, role, shown, r, "expected 403")
                    continue
                if r.status_code != 200:
                    self.miss(op, role, shown, r, "expected 200")
                    continue
                cards = r.json()["units"]
                if not cards:
                    self.miss(op, role, shown, r, "no unit at all")
                for card in cards:
                    unit = card["unit_id"]
                    seen = {
                        "active": sum(1 for a in live if a.unit_id == unit and self.oracle.assignment(user, a)),
                        "reports": sum(1 for x in released if self.oracle.assignments[x.assignment_id].unit_id == unit
                                       and self.oracle.report(user, x)),
                        "extensions": sum(1 for e in self.rows["extension"]
                                          if self.oracle.assignments[e.assignment_id].unit_id == unit
                                          and self.oracle.extension(user, e)),
                    }
                    if not self.oracle.below(unit, user.unit_id):
                        self.leak("ii", op, role, shown, r, f"unit {unit} is outside the caller's subtree")
                    elif card["active"] != seen["active"] or any(card[k] > seen[k] for k in seen):
                        self.leak("ii", op, role, shown, r, f"unit {unit} counts {card} beyond what is seen {seen}")

    # ---- the public door ----

    def public_body(self, op: Operation, code: str):
        c = self.c
        if op.name == "public_clue_submit":
            question, token = limits.challenge_new()
            a, b = (int(x) for x in re.findall(r"\d+", question))
            # With CK's sender's own contact: the answer must not give it back either.
            name, phone = CONTACTS["CK"]
            return {"category": "environment", "description": "州发改委门前的绿化带被占用堆放建筑垃圾，多次反映未解决。",
                    "place_unit_id": c.pref_drc.pk, "name": name, "phone": phone, "challenge_token": token,
                    "challenge_answer": str(a + b)}
        if op.name == "public_clue_rate":
            return {"code": code, "rating": "satisfied", "comment": "处理及时。"}
        return {"code": code}

    def try_public(self, op: Operation):
        """Every role, and nobody, gets the same from the public door: a challenge, a tracking code, the public
        view of a clue by its code (never an id, a task, the office's staff), a 404 for a code no clue has."""
        n = self.w.named
        codes = {"public_clue_lookup": [n["CK"].code, n["CM"].code, n["CR"].code, "ABCD-EFGH-JKMN"],
                 "public_clue_rate": [n["CA"].code]}.get(op.name, [""])
        expected = {"public_challenge": 200, "public_clue_submit": 201, "public_clue_lookup": 200,
                    "public_clue_rate": 200}[op.name]
        first = {}
        for role in ROLES:
            for code in codes:
                with transaction.atomic():
                    body = self.public_body(op, code) if op.unsafe else None
                    r = self.call(role, op, op.path, body)
                    transaction.set_rollback(True)
                shown = {k: v for k, v in body.items() if k != "challenge_token"} if body else None
                if r.status_code >= 500:
                    self.leak("v", op, role, op.path, r, "server error", shown)
                    continue
                want = 404 if code == "ABCD-EFGH-JKMN" else expected
                if r.status_code != want:
                    self.miss(op, role, op.path, r, f"expected {want}")
                    continue
                data = r.json()
                if op.name in ("public_clue_lookup", "public_clue_rate") and want == 200:
                    keys = set()
                    stack = [data]
                    while stack:
                        item = stack.pop()
                        if isinstance(item, dict):
                            keys |= set(item)
                            stack += list(item.values())
                        elif isinstance(item, list):
                            stack += item
                    if keys - PUBLIC_KEYS:
                        self.leak("ii", op, role, op.path, r, f"the public view holds {sorted(keys - PUBLIC_KEYS)}",
                                  shown)
                    if first.setdefault(code, data) != data:
                        self.leak("ii", op, role, op.path, r, "the public view differs with the caller", shown)
                if op.name == "public_clue_submit" and set(data) != {"code", "number", "state", "state_label",
                                                                     "submitted_at"}:
                    self.leak("ii", op, role, op.path, r, "the new clue's answer holds more than its code", shown)

    def try_me(self, op: Operation):
        for role in ROLES:
            url = self.url(op)
            r = self.call(role, op, url)
            if self.check_common(op, role, url, r) and role != "anonymous":
                if r.status_code != 200 or r.json()["id"] != self.w.actor(role).pk:
                    self.miss(op, role, url, r, "expected the caller")

    def try_own_figure(self, op: Operation):
        """A figure about the caller alone: everyone signed in gets their own, computed here independently."""
        for role in ROLES:
            url = self.url(op)
            r = self.call(role, op, url)
            if self.check_common(op, role, url, r) and role != "anonymous":
                user = self.w.actor(role)
                expected = OWN_FIGURES[op.name](user)
                if r.status_code != 200 or any(r.json().get(k) != v for k, v in expected.items()):
                    self.miss(op, role, url, r, f"expected the caller's own {expected}")

    # ---- writes ----

    def body(self, op: Operation, role, row, subject: Subject | None = None):
        """A plausible body for `op` on `row` (fetched fresh, so that its version is current)."""
        c = self.c
        version = getattr(row, "version", None)
        if version is None and hasattr(row, "extraction_id"):
            version = row.extraction.version  # a proposed task is changed under its extraction's version
        # A unit under the role's own, for a new task to be led by.
        below = {"inspector": c.county_drc, "outsider_supervisor": c.other_drc,
                 "outsider_liaison": c.other_drc}
        lead_unit = below.get(role, c.pref_finance)
        bodies = {
            "token_create": lambda: {"name": "矩阵令牌", "days": 30},
            "token_revoke": lambda: None,
            "decision_create": lambda: {"kind": "meeting", "title": "州政府第14次常务会议纪要",
                                        "issued_on": "2026-05-30", "doc_number": "州府纪〔2026〕14号"},
            "task_create": lambda: {"title": "推进县域商业体系建设", "lead_unit_ids": [lead_unit.pk],
                                    "deadline": "2026-07-20",
                                    "milestones": [{"title": "完成方案", "due": "2026-07-15"}]},
            "task_update": lambda: {"version": version, "title": f"{row.title}（调整）", "is_key": True},
            "task_assign": lambda: {"version": version},
            "task_close": lambda: {"version": version, "note": "经实地核验，已办结。"},
            "task_cancel": lambda: {"version": version, "reason": "决策调整，不再实施。"},
            "task_instruct": lambda: {"version": version, "text": "请抓紧办理，按时报结果。"},
            "task_leader_read": lambda: {"version": version},
            "milestone_complete": lambda: None,
            "assignment_sign": lambda: {"version": version},
            "assignment_return": lambda: {"version": version, "reason": "不属于本单位职责。"},
            "assignment_reassign": lambda: {"version": version, "unit_id": c.pref_finance.pk},
            "assignment_verify": lambda: {"version": version, "comment": "核验属实。"},
            "assignment_reject": lambda: {"version": version, "comment": "佐证不足，请补充现场照片。"},
            "report_submit": lambda: {"text": "本月又有2个项目开工。", "progress": 60, "files": [upload()]},
            "extension_request": lambda: {"reason": "受汛期影响，需顺延。", "requested_deadline": "2026-09-30"},
            "blocker_raise": lambda: {"text": "审批环节多，周期长。"},
            "report_unit_review": lambda: {"approve": True, "comment": "同意报送。"},
            "report_review": lambda: {"accept": True, "comment": "进展属实。"},
            "extension_decide": lambda: {"approve": True, "comment": "同意延期。"},
            "blocker_escalate": lambda: {"leader_id": c.leader.pk},
            "blocker_answer": lambda: {"answer": "已协调自然资源局加快办理。"},
            "assignment_urge": lambda: {"message": "请于本周五前报送进展。"},
            "notice_read": lambda: None,
            "notice_read_all": lambda: None,
            "preference_set": lambda: {"email": True, "sms": False},
            # Word only: converting to PDF takes seconds, and is tested once in tests/test_bulletins.py.
            "bulletin_generate": lambda: {"period": "2026-06", "formats": ["docx"], "doc_number": "督通〔2026〕6号"},
            "ledger_preview": lambda: {"file": ledger_upload(lead_unit)},
            "ledger_import": lambda: {"file": ledger_upload(lead_unit), "kind": "meeting"},
            "task_confidence_record": lambda: {"level": "yellow_red", "reason": "配套资金未落实，按期完成有风险。"},
            "extraction_create": lambda: {"text": MINUTES_PREFECTURE, "issued_on": "2026-05-29"},
            "extraction_item_update": lambda: {"version": version, "text": f"{row.text}（调整）",
                                               "lead_unit_ids": [lead_unit.pk], "other_unit_ids": [],
                                               "deadline": "2026-09-30"},
            "extraction_item_drop": lambda: {"version": version},
            "extraction_item_merge": lambda: {"version": version},
            "extraction_item_split": lambda: {"version": version, "at": max(1, len(row.text) // 2)},
            "extraction_accept": lambda: {"version": version, "kind": "meeting", "title": "州政府第13次常务会议纪要",
                                          "issued_on": "2026-05-29", "doc_number": "州府纪〔2026〕13号"},
            "extraction_discard": lambda: {"version": version},
            "clue_forward": lambda: {"version": version, "unit_ids": [lead_unit.pk],
                                     "requirements": "请核实情况，依法依规办理。"},
            "clue_attach": lambda: {"version": version,
                                    "task_id": self.w.named["TB" if role == "outsider_supervisor" else "T7"].pk},
            "clue_merge": lambda: {"version": version, "into_id": self.w.named["CK"].pk},
            "clue_decline": lambda: {"version": version, "reason": "反映事项已由法院判决，不属于督查受理范围。"},
            "clue_answer": lambda: {"version": version,
                                    "text": "经核实，施工单位已调整作业时间，夜间22时后停止施工，并已向周边居民说明情况。"},
            "clue_contact": lambda: None,
        }
        assert op.name in bodies, f"no body for the unsafe operation {op.name}: add one to Matrix.body"
        body = bodies[op.name]()
        if subject is not None and subject.field:
            body[subject.field] = row.pk
        return body

    @staticmethod
    def snapshot(row):
        if row is None:
            return None
        fresh = type(row).objects.filter(pk=row.pk).first()
        if fresh is None:
            return None
        return {f.attname: getattr(fresh, f.attname) for f in type(row)._meta.concrete_fields}

    def attempt(self, op: Operation, role, subject: Subject | None, row, *, absent=False, replace=None):
        """One unsafe call in a savepoint rolled back afterwards: its answer, and whether it wrote anything.

        With `absent`, the subject's id is replaced by one no row has; `replace` overrides body fields."""
        with transaction.atomic():
            fresh = type(row).objects.get(pk=row.pk) if row is not None else None
            body = self.body(op, role, fresh, subject)
            pk = ABSENT if absent else getattr(fresh, "pk", None)
            if subject is not None and subject.field:
                body[subject.field] = pk
            if replace:
                body.update(replace)
            url = self.url(op, pk)
            before = Event.objects.exclude(verb="security.denied").count(), self.snapshot(fresh)
            r = self.call(role, op, url, body)
            after = Event.objects.exclude(verb="security.denied").count(), self.snapshot(fresh)
            transaction.set_rollback(True)
        shown = {k: v for k, v in body.items() if k not in ("files", "file")} if isinstance(body, dict) else body
        return r, url, before != after, shown

    def candidates(self, name, subject: Subject, role):
        named = PREFERRED_BY_ROLE.get((name, role), PREFERRED.get(name, []))
        first = [self.w.named[n] for n in named]
        return first + [r for r in self.rows[subject.kind] if r.pk not in {f.pk for f in first}]

    def try_unsafe(self, op: Operation):
        for role in ROLES:
            if not op.subjects:
                r, url, wrote, body = self.attempt(op, role, None, None)
                self.judge_in_scope(op, op.name, role, url, r, wrote, body)
            for subject in op.subjects:
                self.try_subject(op, subject, role)

    def try_subject(self, op: Operation, subject: Subject, role):
        """The row in scope the role would act on, the nearest and the farthest rows out of its scope, and a
        row that does not exist: out of scope must look exactly like absent."""
        name = label(op, subject)
        rows = self.candidates(name, subject, role)
        inside = [r for r in rows if self.sees(role, subject.kind, r)]
        outside = [r for r in rows if not self.sees(role, subject.kind, r)]
        absent = None
        if role != "anonymous":
            absent, url, wrote, body = self.attempt(op, role, subject, (inside or outside)[0], absent=True)
            if self.check_common(op, role, url, absent, body) and absent.status_code != 404:
                self.leak("iii", op, role, url, absent, "a row that does not exist must answer 404", body)
        if inside:
            r, url, wrote, body = self.attempt(op, role, subject, inside[0])
            self.judge_in_scope(op, name, role, url, r, wrote, body)
            if not subject.variant:
                self.try_references(op, role, subject, inside[0])
        for row in dict.fromkeys(outside[:1] + (outside[-1:] if role != "anonymous" else [])):
            r, url, wrote, body = self.attempt(op, role, subject, row)
            if not self.check_common(op, role, url, r, body):
                continue
            if role != "anonymous" and r.status_code != 404:
                self.leak("iii", op, role, url, r, "out of scope must answer 404", body)
            elif absent is not None and r.json() != absent.json():
                self.leak("iii", op, role, url, r, f"404 differs from a missing row's {absent.json()}", body)
            if wrote:
                self.leak("iii", op, role, url, r, "out of scope, yet the row or the trail changed", body)

    def try_references(self, op: Operation, role, subject: Subject, row):
        """On a row in scope, a body naming another row out of scope answers as if it named no row at all."""
        for field, kind in BODY_REFERENCES.get(op.name, []):
            hidden = [r for r in self.rows[kind] if r.pk not in self.visible[role][kind]]
            if not hidden:
                continue
            answers = []
            for pk in (hidden[0].pk, ABSENT):
                value = [pk] if field.endswith("_ids") else pk
                r, url, wrote, body = self.attempt(op, role, subject, row, replace={field: value})
                if not self.check_common(op, role, url, r, body):
                    break
                if wrote and pk != ABSENT:
                    self.leak("iii", op, role, url, r, f"{field} out of scope, yet it wrote", body)
                answers.append((r.status_code, r.json() if r.status_code != 204 else None, url, r, body))
            if len(answers) == 2 and answers[0][:2] != answers[1][:2]:
                _, _, url, r, body = answers[0]
                self.leak("iii", op, role, url, r, f"{field} out of scope answers unlike an absent one: "
                                                   f"{answers[1][0]} {answers[1][1]}", body)

    def judge_in_scope(self, op, name, role, url, r, wrote, body):
        if not self.check_common(op, role, url, r, body):
            return
        ok = 200 <= r.status_code < 300
        if ok and role not in MAY[name]:
            self.leak("iv", op, role, url, r, "a role that may not do this succeeded", body)
        if not ok and wrote:
            self.leak("iv", op, role, url, r, "refused, yet the row or the trail changed", body)
        if not ok and role in SUCCEEDS.get(name, ()):
            self.miss(op, role, url, r, "in scope, expected to succeed")

    # ---- everything ----

    def run(self, operations):
        for op in operations:
            if op.name in PUBLIC:
                self.try_public(op)
            elif op.unsafe:
                for subject in op.subjects or [None]:
                    assert label(op, subject) in MAY, f"{label(op, subject)}: say who may perform it in MAY"
                self.try_unsafe(op)
            elif op.name == "me":
                self.try_me(op)
            elif op.name in OWN_FIGURES:
                self.try_own_figure(op)
            elif op.name in EXPORTS:
                self.try_export(op)
            elif op.name in UNIT_FIGURES:
                self.try_scorecard(op)
            elif op.path_params:
                self.try_get(op)
            else:
                self.try_list(op)
        self.try_page_download()
        self.judge_exposures()


@pytest.fixture
def world(db, frozen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def test_it_keeps_every_operation_in_scope_for_every_role(world):
    operations = schema_operations()
    assert len(operations) >= 30, "the schema lost its operations"
    matrix = Matrix(world)
    # The world must give each role something in scope and something out of it.
    for role in BUSINESS:
        assert matrix.visible[role]["task"], role
        assert set(matrix.visible[role]["task"]) != {t.pk for t in matrix.rows["task"]}, role
    # And a 群众线索 in and out of scope to each role that may see one (outsider_liaison's unit has none).
    for role in set(BUSINESS) - {"outsider_liaison"}:
        assert matrix.visible[role]["clue"], role
        assert set(matrix.visible[role]["clue"]) != {x.pk for x in matrix.rows["clue"]}, role

    matrix.run(operations)

    print(f"\npermission matrix: {matrix.calls} calls, {len(matrix.leaks)} leaks")
    for line in matrix.leaks:
        print("  LEAK", line)
    for line in matrix.misses:
        print("  MISS", line)
    assert matrix.calls >= len(operations) * len(ROLES)
    assert not matrix.leaks, "\n".join(matrix.leaks)
    assert not matrix.misses, "\n".join(matrix.misses)
