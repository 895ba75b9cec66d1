"""The limit of the API benchmark: what two API endpoints do, written by hand (bench/api.py).

- `GET /bench/limit/tasks?key=…` runs, through `connection.cursor()`, the exact
  SQL statement the API's task list ran for one user and one set of filters
  (bench/api.py captured it with CaptureQueriesContext and wrote it to the file
  named by BENCH_API_LIMIT_FILE), and writes the rows with `json.dumps`: the
  fields of TaskOut and the same `next_cursor`.
- `POST /bench/limit/assignments/<id>/reports` writes what `report_submit`
  writes for a liaison — a report awaiting the unit head (二级审核) and its
  Event, linked into the audit chain — by hand, in one transaction: one guarded
  SELECT of the assignment (row-locked on PostgreSQL), the INSERT of the report,
  the chain head locked and read, the INSERT of the Event, the UPDATE of the head.

No ninja, no pydantic, no ORM queries, no authentication: the caller is the
fixed user the SQL was captured for (lists) or the one named in the
X-Bench-User header (reports). Mounted only by bench/api_settings.py.
"""

import base64
import datetime as dt
import json
import os
from decimal import Decimal

from django.db import connection, transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from duban.audit.chain import link_hash
from duban.audit.models import ChainHead, Event
from duban.core import clock
from duban.org.models import User
from duban.supervision.models import Assignment, Report

_lists: dict | None = None


def _limit_file() -> dict:
    global _lists
    if _lists is None:
        with open(os.environ["BENCH_API_LIMIT_FILE"], encoding="utf-8") as f:
            _lists = json.load(f)
    return _lists


def _json_default(value):
    """As DjangoJSONEncoder writes them: ISO dates, UTC times to the millisecond with a Z."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=dt.UTC)
        text = value.astimezone(dt.UTC).isoformat()
        if value.microsecond:
            text = text[:23] + text[26:]
        return text.removesuffix("+00:00") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body, default=_json_default), status=status, content_type="application/json")


@require_GET
def task_list(request):
    entry = _limit_file()["lists"].get(request.GET.get("key", ""))
    if entry is None:
        return _json({"code": "not_found"}, 404)
    with connection.cursor() as cursor:
        cursor.execute(entry["sql"])
        rows = cursor.fetchall()
    limit, columns, labels = entry["limit"], entry["columns"], entry["labels"]
    state_at = entry["state_at"]
    items = []
    for row in rows[:limit]:
        item = {name: row[i] for name, i in columns}
        item["state_label"] = labels.get(row[state_at], row[state_at])
        items.append(item)
    next_cursor = None
    if len(rows) > limit:
        next_cursor = base64.urlsafe_b64encode(f"id:{items[-1]['id']}".encode()).decode().rstrip("=")
    return _json({"items": items, "next_cursor": next_cursor})


_A, _R, _U = Assignment._meta.db_table, Report._meta.db_table, User._meta.db_table
_E, _H = Event._meta.db_table, ChainHead._meta.db_table

GUARD = f"""
SELECT a.task_id, a.unit_id FROM "{_A}" a
WHERE a.id = %s AND a.state = 'in_progress'
  AND a.unit_id = (SELECT u.unit_id FROM "{_U}" u WHERE u.id = %s AND u.is_active)
  AND NOT EXISTS (SELECT 1 FROM "{_R}" r WHERE r.assignment_id = a.id AND r.state = 'unit_review')"""
INSERT_REPORT = f"""
INSERT INTO "{_R}" (assignment_id, author_id, text, progress, is_final, state, submitted_at, unit_reviewed_by_id,
                    reviewed_by_id, reviewed_at, review_comment)
VALUES (%s, %s, %s, %s, %s, 'unit_review', %s, NULL, NULL, NULL, '') RETURNING id"""
LOCK_HEAD = f'SELECT seq, hash FROM "{_H}" WHERE id = 1'
INSERT_EVENT = f"""
INSERT INTO "{_E}" (seq, created_at, actor_id, verb, object_type, object_id, task_id, unit_id, payload, prev_hash,
                    hash)
VALUES (%s, %s, %s, 'report.submit', 'report', %s, %s, %s, {{payload}}, %s, %s)"""
UPDATE_HEAD = f'UPDATE "{_H}" SET seq = %s, hash = %s WHERE id = 1'


def _refuse(status: int, code: str) -> HttpResponse:
    return _json({"code": code, "message": "", "detail": {}}, status)


@csrf_exempt
@require_POST
def report_submit(request, assignment_id: int):
    try:
        user_id = int(request.headers["X-Bench-User"])
        progress = int(request.POST["progress"])
    except (KeyError, ValueError):
        return _refuse(400, "bad_request")
    text = request.POST.get("text", "").strip()
    if not text or not 0 <= progress <= 100:
        return _refuse(400, "invalid_input")
    postgres = connection.vendor == "postgresql"
    ops = connection.ops
    now = clock.now().astimezone(dt.UTC)
    payload = {"progress": progress, "final": False, "state": "unit_review", "values": {}, "files": [],
               "blockers": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        # SQLite: the IMMEDIATE transaction already holds the write lock. PostgreSQL: lock the rows.
        cursor.execute(GUARD + (" FOR UPDATE OF a" if postgres else ""), [assignment_id, user_id])
        found = cursor.fetchone()
        if found is None:
            return _refuse(409, "assignment_not_open")
        task_id, unit_id = found
        cursor.execute(INSERT_REPORT, [assignment_id, user_id, text, progress, False,
                                       ops.adapt_datetimefield_value(now)])
        report_id = cursor.fetchone()[0]
        cursor.execute(LOCK_HEAD + (" FOR UPDATE" if postgres else ""))
        seq, prev_hash = cursor.fetchone()
        event = Event(seq=seq + 1, created_at=now, actor_id=user_id, verb="report.submit", object_type="report",
                      object_id=report_id, task_id=task_id, unit_id=unit_id, payload=payload, prev_hash=prev_hash)
        event.hash = link_hash(event)
        cursor.execute(INSERT_EVENT.format(payload="CAST(%s AS jsonb)" if postgres else "%s"),
                       [event.seq, ops.adapt_datetimefield_value(now), user_id, report_id, task_id, unit_id,
                        json.dumps(payload), prev_hash, event.hash])
        cursor.execute(UPDATE_HEAD, [event.seq, event.hash])
    return _json({
        "id": report_id, "assignment_id": assignment_id, "task_id": task_id, "unit_id": unit_id,
        "author_id": user_id, "text": text, "progress": progress, "is_final": False, "state": "unit_review",
        "state_label": _limit_file()["report_unit_review_label"], "submitted_at": now, "reviewed_at": None,
        "review_comment": "", "evidence": [], "values": [],
    }, 201)
