"""Delivering the outbox: claim, send, record, retry — at least once, with an idempotency key.

A worker claims a batch with one conditional UPDATE (`SKIP LOCKED` on PostgreSQL; SQLite's
write lock serialises it), stamping its claim token and a lease. It sends each message and
marks it sent only if its token still holds. A worker killed mid-batch loses nothing: its
lease runs out and another worker claims the rows again. The one message that may have left
just before the kill goes again with the same `Idempotency-Key`, so a receiver that honours
the key (the SMS gateway, the sink in the tests) acts on it once.

Routine deliveries are never sent one by one: `digests_build` merges those due into one
digest per channel and recipient per day, itself an outbox row.
"""

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from duban.core import clock
from duban.escalation import texts, timing
from duban.escalation.channels import DeliveryError, Message, transport_for
from duban.escalation.models import Delivery, DeliveryAttempt, DeliveryState, Robot
from duban.org.models import User
from duban.workdays.store import get_calendar

log = logging.getLogger("duban.delivery")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _t() -> str:
    return Delivery._meta.db_table


# ---- Digests ----


def digests_build(*, now: dt.datetime | None = None) -> int:
    """Merge due routine deliveries into today's digest per (channel, target); returns items merged.

    At most one digest per channel and recipient per day: routine items that arrive after
    today's digest has gone wait for the next working morning. Call inside a transaction.
    """
    now = now or clock.now()
    today = clock.local(now).date()
    at = connection.ops.adapt_datetimefield_value(now)
    day = connection.ops.adapt_datefield_value(today)
    table = _t()
    due_routine = "state = 'pending' AND urgent = %s AND digest_day IS NULL AND due_at <= %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (channel, target, urgent, digest_day, state, due_at, attempts, claim, last_error, "
            f"created_at) SELECT DISTINCT channel, target, %s, %s, 'pending', %s, 0, '', '', %s FROM {table} "
            f"WHERE {due_routine} ON CONFLICT DO NOTHING",
            [False, day, at, at, False, at],
        )
        # Hold today's unsent digests so no worker claims one while items join it (they skip locked rows).
        if connection.features.has_select_for_update_skip_locked:
            cursor.execute(f"SELECT id FROM {table} WHERE digest_day = %s AND state = 'pending' FOR UPDATE",
                           [day])
        cursor.execute(
            f"UPDATE {table} SET state = 'digested', digest_id = (SELECT d.id FROM {table} d "
            f"WHERE d.digest_day = %s AND d.channel = {table}.channel AND d.target = {table}.target "
            f"AND d.state = 'pending') "
            f"WHERE {due_routine} AND EXISTS (SELECT 1 FROM {table} d WHERE d.digest_day = %s "
            f"AND d.channel = {table}.channel AND d.target = {table}.target AND d.state = 'pending')",
            [day, False, at, day],
        )
        merged = cursor.rowcount
        # Today's digest has already gone: the rest wait for tomorrow's.
        later = connection.ops.adapt_datetimefield_value(timing.next_working_morning(get_calendar(), now))
        cursor.execute(f"UPDATE {table} SET due_at = %s WHERE {due_routine}", [later, False, at])
    return merged


# ---- Claiming ----


def deliveries_claim(*, limit: int, now: dt.datetime | None = None) -> tuple[str, list[Delivery]]:
    """Claim up to `limit` due messages (urgent ones and digests); returns (claim token, rows)."""
    now = now or clock.now()
    token = uuid.uuid4().hex
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    lease = ops.adapt_datetimefield_value(now + dt.timedelta(seconds=settings.DUBAN_DELIVERY_LEASE_SECONDS))
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    table = _t()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = 'sending', claim = %s, lease_until = %s, attempts = attempts + 1 "
            f"WHERE id IN (SELECT id FROM {table} WHERE ((state = 'pending' AND due_at <= %s) "
            f"OR (state = 'sending' AND lease_until < %s)) AND (urgent = %s OR digest_day IS NOT NULL) "
            f"ORDER BY due_at LIMIT %s{lock})",
            [token, lease, at, at, True, limit],
        )
        if cursor.rowcount == 0:
            return token, []
    rows = list(Delivery.objects.filter(claim=token, state=DeliveryState.SENDING)
                .select_related("urge__task", "urge__unit", "urge__assignment").order_by("due_at", "id"))
    return token, rows


# ---- Sending ----


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


@dataclass
class Addresses:
    """The people and robots a batch goes to, read in two queries when the batch is claimed."""

    people: dict[int, dict]
    robots: dict[int, Robot]
    mobiles: dict[int, tuple[str, ...]]

    @classmethod
    def of(cls, rows: list[Delivery]) -> "Addresses":
        user_ids, robot_ids = set(), set()
        for d in rows:
            kind, _, raw_id = d.target.partition(":")
            if raw_id.isdigit():
                (user_ids if kind == "user" else robot_ids if kind == "robot" else set()).add(int(raw_id))
        people = {p["pk"]: p for p in User.objects.filter(pk__in=user_ids, is_active=True)
                  .values("pk", "email", "phone")} if user_ids else {}
        robots = {r.pk: r for r in Robot.objects.filter(pk__in=robot_ids, is_active=True)} if robot_ids else {}
        mobiles: dict[int, list[str]] = {}
        if robots:
            for unit_id, phone in (User.objects.filter(unit_id__in={r.unit_id for r in robots.values()},
                                                       is_active=True, role_grants__role="liaison")
                                   .exclude(phone="").values_list("unit_id", "phone")):
                mobiles.setdefault(unit_id, []).append(phone)
        return cls(people=people, robots=robots, mobiles={k: tuple(v[:5]) for k, v in mobiles.items()})

    def resolve(self, target: str, channel: str) -> tuple[str, str, tuple[str, ...]]:
        """(address, secret, mobiles to mention), as they are now: a changed address is used."""
        kind, _, raw_id = target.partition(":")
        if kind == "user" and raw_id.isdigit():
            person = self.people.get(int(raw_id))
            if person is None:
                raise DeliveryError(f"recipient {target} no longer active", transient=False)
            address = person["email"] if channel == "email" else person["phone"]
            if not address:
                raise DeliveryError(f"recipient {target} has no {channel} address", transient=False)
            return address, "", ()
        if kind == "robot" and raw_id.isdigit():
            robot = self.robots.get(int(raw_id))
            if robot is None:
                raise DeliveryError(f"robot {target} removed or disabled", transient=False)
            return robot.webhook, robot.secret, self.mobiles.get(robot.unit_id, ())
        raise DeliveryError(f"unknown target {target}", transient=False)


def message_for(delivery: Delivery) -> Message:
    key = f"duban-{delivery.pk}"
    link = texts.home_link()
    if delivery.digest_day is not None:
        items = list(Delivery.objects.filter(digest=delivery).select_related("urge__task", "urge__unit", "urge__assignment")
                     .order_by("id"))
        lines = []
        for n, item in enumerate(items, 1):
            urge = item.urge
            lines.append(f"{n}. {texts.urge_title(urge)}")
            lines.extend(f"   {line}" for line in texts.urge_lines(urge))
        return Message(key=key, title=texts.digest_title(delivery.digest_day, len(items)), lines=tuple(lines),
                       urgent=False, link=link)
    urge = delivery.urge
    return Message(key=key, title=texts.urge_title(urge), lines=tuple(texts.urge_lines(urge)),
                   urgent=delivery.urgent, link=texts.task_link(urge.task_id))


def _finish(delivery: Delivery, token: str, *, state: str, error: str = "", due_at=None, now) -> bool:
    """Write the outcome if our claim still holds; False when another worker has taken the row over."""
    fields = {"state": state, "last_error": error[:2000], "claim": "", "lease_until": None}
    if state == DeliveryState.SENT:
        fields["sent_at"] = now
    if due_at is not None:
        fields["due_at"] = due_at
    changed = Delivery.objects.filter(pk=delivery.pk, claim=token, state=DeliveryState.SENDING).update(**fields)
    if changed and delivery.digest_day is not None and state in (DeliveryState.SENT, DeliveryState.FAILED):
        Delivery.objects.filter(digest=delivery).update(state=state, sent_at=fields.get("sent_at"),
                                                        last_error=fields["last_error"])
    return changed == 1


def delivery_send(delivery: Delivery, token: str, *, worker: str = "", addresses: Addresses | None = None) -> str:
    """Send one claimed message and record the attempt; returns the state it ends in."""
    started = clock.now()
    try:
        addresses = addresses or Addresses.of([delivery])
        address, secret, mobiles = addresses.resolve(delivery.target, delivery.channel)
        message = message_for(delivery)
        if mobiles and delivery.urgent:
            message = Message(key=message.key, title=message.title, lines=message.lines, urgent=True,
                              link=message.link, mobiles=mobiles)
        detail = transport_for(delivery.channel).send(message, address=address, secret=secret)
        ok, transient = True, False
    except DeliveryError as exc:
        detail, ok, transient = str(exc), False, exc.transient
    except Exception as exc:  # a bug in one message must not stop the queue; it is recorded and shown
        log.exception("delivery %s crashed", delivery.pk)
        detail, ok, transient = f"internal error: {exc!r}", False, False
    now = clock.now()
    backoff = settings.DUBAN_DELIVERY_BACKOFF
    if ok:
        state, due_at = DeliveryState.SENT, None
    elif transient and delivery.attempts <= len(backoff):
        state, due_at = DeliveryState.PENDING, now + dt.timedelta(seconds=backoff[delivery.attempts - 1])
    else:
        state, due_at = DeliveryState.FAILED, None
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, at=started, ok=ok, transient=transient,
                                       detail=detail[:2000], worker=worker)
        held = _finish(delivery, token, state=state, error="" if ok else detail, due_at=due_at, now=now)
    if not held:
        log.warning("delivery %s: claim lost before it finished (lease %ss too short?)", delivery.pk,
                    settings.DUBAN_DELIVERY_LEASE_SECONDS)
    elif state == DeliveryState.FAILED:
        log.warning("delivery %s to %s via %s gave up: %s", delivery.pk, delivery.target, delivery.channel, detail)
    return state


def deliveries_release(token: str, ids: list[int]) -> int:
    """Hand back claimed rows we will not get to (the lease is running out)."""
    return Delivery.objects.filter(pk__in=ids, claim=token, state=DeliveryState.SENDING).update(
        state=DeliveryState.PENDING, claim="", lease_until=None)


def deliveries_run(*, limit: int | None = None, worker: str = "") -> Outcome:
    """Claim one batch and send it. Returns what happened; an empty outcome means nothing was due."""
    limit = limit or settings.DUBAN_DELIVERY_BATCH
    token, rows = deliveries_claim(limit=limit)
    outcome = Outcome()
    addresses = Addresses.of(rows)
    lease_ends = clock.now() + dt.timedelta(seconds=settings.DUBAN_DELIVERY_LEASE_SECONDS)
    for i, delivery in enumerate(rows):
        # Never start a send that could outlast the lease: another worker would send it again.
        if clock.now() + dt.timedelta(seconds=settings.DUBAN_DELIVERY_TIMEOUT + 1) > lease_ends:
            outcome.released += deliveries_release(token, [d.pk for d in rows[i:]])
            break
        state = delivery_send(delivery, token, worker=worker, addresses=addresses)
        if state == DeliveryState.SENT:
            outcome.sent += 1
        elif state == DeliveryState.PENDING:
            outcome.retried += 1
        else:
            outcome.failed += 1
    return outcome

