"""The escalation sweep: every cause now due, found and written with set-based SQL.

For each active ladder step the due causes are one query (the cause's date lies in the
step's window, computed once in Python from the calendar: `timing.fires_by`), inserted
as urges with `INSERT … SELECT … ON CONFLICT DO NOTHING`. Then `urges_plan` turns the
new urges into notices (one per recipient) and deliveries (one per outside channel)
with a fixed handful of statements. The unique keys make it idempotent: running it twice,
or in four workers at once, writes each urge, notice and delivery once.

A step's window is (date of the next step's threshold, this step's threshold]: when a
sweep runs late (a worker was down), only the step a cause has now reached is sent,
not every step it skipped.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Value,
    When,
)

from duban.audit.chain import event_append, events_append
from duban.core import clock
from duban.escalation import timing
from duban.escalation.models import (
    Cause,
    Delivery,
    LadderStep,
    Notice,
    NoticePreference,
    Robot,
    Urge,
)
from duban.org.models import RoleGrant, User
from duban.supervision.models import Assignment, Extension, Task
from duban.workdays.store import get_calendar

TASK_ACTIVE = ("assigned", "in_progress", "closing")
# Assignments a cause can still concern: not yet asking to close, not ended.
WORKING = ("pending", "in_progress")


@dataclass
class SweepResult:
    urges: int = 0
    notices: int = 0
    deliveries: int = 0
    listed: int = 0

    def __str__(self) -> str:
        return f"urges={self.urges} notices={self.notices} deliveries={self.deliveries} listed={self.listed}"


def _approved_extension():
    return Exists(Extension.objects.filter(assignment_id=OuterRef("pk"), state="approved",
                                           granted_deadline=OuterRef("deadline")))


def cause_queryset(cause: str, *, upper: dt.date, lower: dt.date | None):
    """Assignments with a cause of this kind whose date lies in (lower, upper], annotated `x_due`, `x_ref`."""
    base = Assignment.objects.filter(task__state__in=TASK_ACTIVE)
    if cause in (Cause.DEADLINE, Cause.EXTENSION):
        qs = base.filter(state__in=WORKING, deadline__lte=upper)
        if lower is not None:
            qs = qs.filter(deadline__gt=lower)
        qs = qs.filter(_approved_extension()) if cause == Cause.EXTENSION else qs.exclude(_approved_extension())
        return qs.annotate(x_due=F("deadline"), x_ref=Value(0, output_field=IntegerField()))
    if cause == Cause.SIGN:
        qs = base.filter(state="pending", sign_due__lte=upper)
        if lower is not None:
            qs = qs.filter(sign_due__gt=lower)
        return qs.annotate(x_due=F("sign_due"), x_ref=Value(0, output_field=IntegerField()))
    if cause == Cause.REPORT:
        qs = base.filter(state="in_progress", next_report_due__lte=upper)
        if lower is not None:
            qs = qs.filter(next_report_due__gt=lower)
        return qs.annotate(x_due=F("next_report_due"), x_ref=Value(0, output_field=IntegerField()))
    if cause == Cause.MILESTONE:
        # One condition set in one filter(): the same milestone join for every clause.
        window = Q(task__milestones__done_at__isnull=True, task__milestones__due__lte=upper)
        if lower is not None:
            window &= Q(task__milestones__due__gt=lower)
        qs = base.filter(window, role="lead", state__in=WORKING)
        return qs.annotate(x_due=F("task__milestones__due"),
                           x_ref=F("task__milestones__id"))
    raise ValueError(f"not an automatic cause: {cause}")


URGE_COLUMNS = ("step", "cause", "due_on", "ref_id", "ladder_step_id", "task_id", "assignment_id", "unit_id",
                "to_liaison", "to_unit_head", "to_leader", "to_supervisor", "urgent", "message", "created_at",
                "planned")


def _new_causes(qs, step: LadderStep):
    """The due causes of `qs` not yet urged at this step (an anti-join on the urge's unique key)."""
    already = Urge.objects.filter(step=step.step, cause=step.cause, assignment_id=OuterRef("pk"),
                                  ref_id=OuterRef("x_ref"), due_on=OuterRef("x_due"))
    return qs.exclude(Exists(already)).order_by()


def _insert_urges(qs, step: LadderStep, now: dt.datetime) -> int:
    qs = _new_causes(qs, step).annotate(
        x_step=Value(step.step), x_cause=Value(step.cause), x_ladder=Value(step.pk),
        x_liaison=Value(step.to_liaison), x_head=Value(step.to_unit_head),
        x_leader=Value(step.to_leader), x_supervisor=Value(step.to_supervisor),
        x_urgent=Case(When(task__urgency="urgent", then=Value(True)), default=Value(step.urgent),
                      output_field=BooleanField()),
        # Planned in this same transaction (urges_plan, by id range): no second write of the flag.
        x_message=Value(""), x_at=Value(now, output_field=DateTimeField()), x_planned=Value(True),
    ).values_list("x_step", "x_cause", "x_due", "x_ref", "x_ladder", "task_id", "id", "unit_id",
                  "x_liaison", "x_head", "x_leader", "x_supervisor", "x_urgent", "x_message", "x_at", "x_planned")
    sql, params = qs.query.sql_with_params()
    table = Urge._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(URGE_COLUMNS)}) {sql} ON CONFLICT DO NOTHING", params)
        return cursor.rowcount


def _steps_with_new_causes(plan: list[tuple[LadderStep, object]]) -> set[int]:
    """Which steps have anything new, in one plain SELECT.

    PostgreSQL runs no part of an INSERT … SELECT with parallel workers, but does run a plain
    SELECT so; asking first lets the sweep, on a day with nothing new, skip the inserts.
    """
    parts = [_new_causes(qs, step).annotate(x_ladder=Value(step.pk, output_field=IntegerField()))
             .values_list("x_ladder", flat=True) for step, qs in plan]
    sql, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT x_ladder FROM ({sql}) due", params)
        return {row[0] for row in cursor.fetchall()}


def ladders() -> dict[str, dict[str, list[LadderStep]]]:
    """Active steps by category ('' = default) and cause, each list ordered by offset."""
    found: dict[str, dict[str, list[LadderStep]]] = {}
    for step in LadderStep.objects.filter(is_active=True).order_by("offset_workdays", "id"):
        found.setdefault(step.category, {}).setdefault(step.cause, []).append(step)
    return found


def escalation_sweep(*, moment: dt.datetime | None = None) -> SweepResult:
    """Write the urges, notices and deliveries for every cause now due. Call inside a transaction."""
    now = moment or clock.now()
    today = clock.local(now).date()
    calendar = get_calendar()
    result = SweepResult()
    by_category = ladders()
    own_categories = [c for c in by_category if c]
    plan = []
    for category, by_cause in by_category.items():
        for cause, steps in by_cause.items():
            for i, step in enumerate(steps):
                upper = timing.fires_by(calendar, today, step.offset_workdays)
                following = steps[i + 1] if i + 1 < len(steps) else None
                lower = timing.fires_by(calendar, today, following.offset_workdays) if following else None
                if lower is not None and lower >= upper:
                    continue
                qs = cause_queryset(cause, upper=upper, lower=lower)
                if category:
                    qs = qs.filter(task__category=category)
                elif own_categories:
                    qs = qs.exclude(task__category__in=own_categories)
                plan.append((step, qs))
    if not plan:
        return result
    last_before = Urge.objects.aggregate(last=Max("id"))["last"] or 0
    busy = _steps_with_new_causes(plan) if connection.vendor == "postgresql" else None
    for step, qs in plan:
        if busy is None or step.pk in busy:
            result.urges += _insert_urges(qs, step, now)
    if not result.urges:
        return result
    result.notices, result.deliveries, result.listed = urges_plan(now=now, after_id=last_before)
    event_append(actor=None, verb="escalation.sweep", object_type="urge", object_id=None,
                 payload={"urges": result.urges, "notices": result.notices,
                          "deliveries": result.deliveries, "listed": result.listed})
    return result


def _t(model) -> str:
    return model._meta.db_table


def urges_plan(*, now: dt.datetime, urge_ids: list[int] | None = None,
               after_id: int | None = None) -> tuple[int, int, int]:
    """Notices and deliveries for new urges; returns (notices, deliveries, listed).

    Either the unplanned urges among `urge_ids` (a 催办单, a 批示, a 交办), or every ladder urge
    with an id above `after_id` (what a sweep has just inserted; a concurrent sweep's urges in
    that range are harmless: every insert below is ON CONFLICT DO NOTHING). A fixed set of
    statements whatever the number of urges. Call inside a transaction.
    """
    calendar = get_calendar()
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    routine_at = ops.adapt_datetimefield_value(timing.send_at(calendar, now, urgent=False))
    if after_id is not None:
        chosen, chosen_params = "u.id > %s AND u.ladder_step_id IS NOT NULL", [after_id]
    elif urge_ids:
        chosen = f"u.planned = %s AND u.id IN ({', '.join(['%s'] * len(urge_ids))})"
        chosen_params = [False, *urge_ids]
    else:
        return 0, 0, 0
    urge, notice, user, grant, task = _t(Urge), _t(Notice), _t(User), _t(RoleGrant), _t(Task)
    delivery, pref, robot = _t(Delivery), _t(NoticePreference), _t(Robot)
    notices = deliveries = 0

    insert_notice = f"INSERT INTO {notice} (urge_id, recipient_id, urgent, created_at) "

    def people_of(unit_column: str, role: str, flag: str, extra: str = "") -> tuple[str, list]:
        return (insert_notice + f"SELECT u.id, p.id, u.urgent, %s FROM {urge} u JOIN {task} t ON t.id = u.task_id "
                f"JOIN {user} p ON p.unit_id = {unit_column} AND p.is_active = %s "
                f"JOIN {grant} g ON g.user_id = p.id AND g.role = %s "
                f"WHERE {chosen} AND u.{flag} = %s{extra} ON CONFLICT DO NOTHING",
                [at, True, role, *chosen_params, True])

    statements = [
        people_of("u.unit_id", "liaison", "to_liaison"),
        people_of("u.unit_id", "unit_head", "to_unit_head"),
        people_of("t.owner_unit_id", "supervisor", "to_supervisor"),
        # The task's responsible leader; a task without one reaches its office's leaders.
        (insert_notice + f"SELECT u.id, p.id, u.urgent, %s FROM {urge} u JOIN {task} t ON t.id = u.task_id "
         f"JOIN {user} p ON p.id = t.responsible_leader_id AND p.is_active = %s "
         f"WHERE {chosen} AND u.to_leader = %s ON CONFLICT DO NOTHING",
         [at, True, *chosen_params, True]),
        people_of("t.owner_unit_id", "leader", "to_leader", " AND t.responsible_leader_id IS NULL"),
    ]
    insert_delivery = (f"INSERT INTO {delivery} (urge_id, notice_id, channel, target, urgent, state, due_at, "
                       f"attempts, claim, last_error, created_at) ")
    for channel, column, default in (("email", "email", settings.DUBAN_NOTICE_EMAIL_DEFAULT),
                                     ("sms", "phone", settings.DUBAN_NOTICE_SMS_DEFAULT)):
        if channel == "sms" and not settings.DUBAN_SMS_URL:
            continue
        pref_column = "email" if channel == "email" else "sms"
        statements.append((
            insert_delivery + f"SELECT u.id, n.id, %s, 'user:' || CAST(n.recipient_id AS VARCHAR(20)), n.urgent, 'pending', "
            f"CASE WHEN n.urgent THEN %s ELSE %s END, 0, '', '', %s "
            f"FROM {notice} n JOIN {urge} u ON u.id = n.urge_id JOIN {user} p ON p.id = n.recipient_id "
            f"LEFT JOIN {pref} pr ON pr.user_id = p.id "
            f"WHERE {chosen} AND p.{column} <> '' AND COALESCE(pr.{pref_column}, %s) = %s "
            f"ON CONFLICT DO NOTHING",
            [channel, at, routine_at, at, *chosen_params, default, True],
        ))
    # A unit's group robot hears the urges addressed to the unit (not those for leaders alone).
    statements.append((
        insert_delivery + f"SELECT u.id, NULL, r.kind, 'robot:' || CAST(r.id AS VARCHAR(20)), u.urgent, 'pending', "
        f"CASE WHEN u.urgent THEN %s ELSE %s END, 0, '', '', %s "
        f"FROM {urge} u JOIN {robot} r ON r.unit_id = u.unit_id AND r.is_active = %s "
        f"WHERE {chosen} AND (u.to_liaison = %s OR u.to_unit_head = %s) ON CONFLICT DO NOTHING",
        [at, routine_at, at, True, *chosen_params, True, True],
    ))
    listed = _list_key_tasks(chosen, chosen_params)
    with connection.cursor() as cursor:
        for i, (sql, params) in enumerate(statements):
            cursor.execute(sql, params)
            if i < 5:
                notices += cursor.rowcount
            else:
                deliveries += cursor.rowcount
        if after_id is None:
            cursor.execute(f"UPDATE {urge} SET planned = %s WHERE id IN (SELECT u.id FROM {urge} u WHERE {chosen})",
                           [True, *chosen_params])
    return notices, deliveries, listed


def _list_key_tasks(chosen: str, chosen_params: list) -> int:
    """挂牌督办: a step that lists its task marks it key, with an Event on the task's timeline."""
    urge, step_table, task = _t(Urge), _t(LadderStep), _t(Task)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT u.task_id FROM {urge} u JOIN {step_table} s ON s.id = u.ladder_step_id "
            f"JOIN {task} t ON t.id = u.task_id WHERE {chosen} AND s.flags_key = %s AND t.is_key = %s",
            [*chosen_params, True, False],
        )
        candidates = [row[0] for row in cursor.fetchall()]
    listed = []
    for start in range(0, len(candidates), 1000):
        chunk = candidates[start:start + 1000]
        # Locked first, so that a task another sweep lists meanwhile gets one Event, not two.
        rows = Task.objects.filter(pk__in=chunk, is_key=False)
        if connection.features.has_select_for_update:
            rows = rows.select_for_update()
        ids = list(rows.values_list("pk", flat=True))
        Task.objects.filter(pk__in=ids).update(is_key=True, version=F("version") + 1)
        listed.extend(ids)
    events_append([{"verb": "task.listed", "object_type": "task", "object_id": task_id, "task_id": task_id,
                    "payload": {"reason": "逾期挂牌督办"}} for task_id in listed])
    return len(listed)
