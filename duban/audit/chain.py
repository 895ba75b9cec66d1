"""Appending to and verifying the event chain."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

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


def _lock_head() -> ChainHead:
    head_qs = ChainHead.objects.filter(pk=1)
    if connection.features.has_select_for_update:
        head_qs = head_qs.select_for_update()
    head = head_qs.first()
    if head is None:
        ChainHead.objects.get_or_create(pk=1)
        head = head_qs.get()
    return head


def event_append(*, actor, verb: str, object_type: str, object_id: int | None, payload: dict | None = None,
                 task_id: int | None = None, unit_id: int | None = None) -> Event:
    """Append one Event inside the caller's transaction.

    The chain head row is locked (PostgreSQL) or the write lock is already held
    (SQLite, IMMEDIATE transactions), so appends are strictly ordered.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_append must run inside the service's transaction")
    head = _lock_head()
    event = Event(
        seq=head.seq + 1,
        created_at=clock.now().astimezone(dt.UTC),
        actor=actor if actor is not None and actor.pk else None,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        task_id=task_id,
        unit_id=unit_id,
        payload=_jsonable(payload or {}),
        prev_hash=head.hash,
    )
    event.hash = link_hash(event)
    event.save(force_insert=True)
    ChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
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
    head = _lock_head()
    seq, prev = head.seq, head.hash
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
    ChainHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return len(events)


def _jsonable(payload: dict) -> dict:
    # Payloads go through JSON once so that what is hashed is what is stored.
    return json.loads(json.dumps(payload, ensure_ascii=False, default=str))


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
        events = Event.objects.order_by("seq").iterator(chunk_size=5000)
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
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.hash != prev or head.seq != last_seq):
        return Verdict(False, checked, head.seq, None, "chain head does not match the last event (events removed?)")
    return Verdict(True, checked)
