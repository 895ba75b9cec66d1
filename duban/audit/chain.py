"""Appending to and verifying the event chain."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection

from duban.audit.models import ChainHead, Event
from duban.core import clock

GENESIS = "0" * 64


def canonical(event: Event) -> bytes:
    body = {
        "seq": event.seq,
        "at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "verb": event.verb,
        "type": event.object_type,
        "id": event.object_id,
        "task": event.task_id,
        "unit": event.unit_id,
        "payload": event.payload,
        "prev": event.prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def link_hash(event: Event) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


# Every append reads the head and writes it back. Building those statements through the ORM
# costs several times more than running them, once per event, so they are written once per
# database (as the lights are, duban.supervision.lights).
_HEAD = 1
_head_sql: dict[str, dict[str, str]] = {}


def _head_statement(name: str) -> str:
    if connection.vendor not in _head_sql:
        quote, meta = connection.ops.quote_name, ChainHead._meta
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        seq, hash_ = quote(meta.get_field("seq").column), quote(meta.get_field("hash").column)
        read = f"SELECT {seq}, {hash_} FROM {table} WHERE {pk} = %s"
        _head_sql[connection.vendor] = {
            "read": read,
            # PostgreSQL locks the row; SQLite already holds the write lock (IMMEDIATE transactions).
            "lock": read + (" FOR UPDATE" if connection.features.has_select_for_update else ""),
            "write": f"UPDATE {table} SET {seq} = %s, {hash_} = %s WHERE {pk} = %s",
        }
    return _head_sql[connection.vendor][name]


def _read_head(*, lock: bool) -> tuple[int, str] | None:
    with connection.cursor() as cursor:
        cursor.execute(_head_statement("lock" if lock else "read"), [_HEAD])
        return cursor.fetchone()


def _lock_head() -> tuple[int, str]:
    """The last link's (seq, hash), locked until the transaction ends."""
    head = _read_head(lock=True)
    if head is None:
        ChainHead.objects.get_or_create(pk=_HEAD)
        head = _read_head(lock=True)
    return head


def _move_head(seq: int, hash_: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_head_statement("write"), [seq, hash_, _HEAD])


def event_append(*, actor, verb: str, object_type: str, object_id: int | None, payload: dict | None = None,
                 task_id: int | None = None, unit_id: int | None = None) -> Event:
    """Append one Event inside the caller's transaction.

    The chain head row is locked (PostgreSQL) or the write lock is already held
    (SQLite, IMMEDIATE transactions), so appends are strictly ordered.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_append must run inside the service's transaction")
    head_seq, head_hash = _lock_head()
    event = Event(
        seq=head_seq + 1,
        created_at=clock.now().astimezone(dt.UTC),
        actor=actor if actor is not None and actor.pk else None,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        task_id=task_id,
        unit_id=unit_id,
        payload=_jsonable(payload or {}),
        prev_hash=head_hash,
    )
    event.hash = link_hash(event)
    event.save(force_insert=True)
    _move_head(event.seq, event.hash)
    return event


def events_append(entries: list[dict]) -> int:
    """Append many system Events (no actor) inside the caller's transaction, in order.

    The same chain and hashes as one `event_append` per entry, with the head locked once and
    the rows inserted a thousand at a time: a sweep that lists thousands of tasks in one go
    writes their Events in seconds, not minutes. Each entry holds event_append's keywords.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("events_append must run inside the service's transaction")
    if not entries:
        return 0
    seq, prev = _lock_head()
    at = clock.now().astimezone(dt.UTC)
    events = []
    for entry in entries:
        seq += 1
        event = Event(seq=seq, created_at=at, actor=None, verb=entry["verb"], object_type=entry["object_type"],
                      object_id=entry.get("object_id"), task_id=entry.get("task_id"), unit_id=entry.get("unit_id"),
                      payload=_jsonable(entry.get("payload") or {}), prev_hash=prev)
        event.hash = prev = link_hash(event)
        events.append(event)
    Event.objects.bulk_create(events, batch_size=1000)
    _move_head(seq, prev)
    return len(events)


def _jsonable(payload: dict) -> dict:
    # Payloads go through JSON once so that what is hashed is what is stored.
    return json.loads(json.dumps(payload, ensure_ascii=False, default=str))


class _Link(NamedTuple):
    """An Event's fields as read for verifying: what canonical() hashes, without a model instance."""

    pk: int
    seq: int
    created_at: dt.datetime
    actor_id: int | None
    verb: str
    object_type: str
    object_id: int | None
    task_id: int | None
    unit_id: int | None
    payload: dict
    prev_hash: str
    hash: str


@dataclass
class Verdict:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def chain_verify(events: Iterable[Event] | None = None) -> Verdict:
    """Walk the chain in order; report the first link that does not hold."""
    if events is None:
        # Plain rows: building a model instance per event made verifying a third slower.
        rows = Event.objects.order_by("seq").values_list(*_Link._fields).iterator(chunk_size=5000)
        events = (_Link._make(row) for row in rows)
    prev = GENESIS
    expected_seq = None
    last_seq = 0
    checked = 0
    for event in events:
        if expected_seq is not None and event.seq != expected_seq:
            return Verdict(False, checked, event.seq, event.pk, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != prev:
            return Verdict(False, checked, event.seq, event.pk, "prev_hash does not match the previous link")
        if link_hash(event) != event.hash:
            return Verdict(False, checked, event.seq, event.pk, "content does not match its hash")
        prev = event.hash
        last_seq = event.seq
        expected_seq = event.seq + 1
        checked += 1
    head = _read_head(lock=False)
    if head is not None and (head[1] != prev or head[0] != last_seq):
        return Verdict(False, checked, head[0], None, "chain head does not match the last event (events removed?)")
    return Verdict(True, checked)
