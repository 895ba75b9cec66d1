"""基层减负: what each unit was asked for in a period, what it sent, and the hours that implies.

Per unit holding work below the reader's unit (read through the scoped selectors), each a grouped query:
- 应报材料 (reports asked): the reports its live assignments' cadences call for in the period — weekly ones once a
  week, monthly once a month, quarterly once a quarter that ends in the period — plus every 催办单 (a report
  asked for by hand). duban asks for no other forms: one report serves every supervisor following a task.
- 实报材料 (reports sent), and of them 疑似照抄 and 疑似堆砌 (duban.quality's advice).
- 通知 (notices): the 催办 of every kind, and the notices they became, one per person told.
- 重复索要 (asked again): a 催办 or 催办单 on an assignment the unit had reported on in the REPEAT_DAYS before it —
  a request for what it had already answered.
- 估算工时 (hours): reports asked × HOURS["report"] + notices × HOURS["notice"], the office's estimate
  (settings.DUBAN_BURDEN_HOURS), shown with its rule.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from duban.core.periods import Period
from duban.escalation.models import Step, Urge
from duban.org.models import Role, Unit
from duban.org.selectors import unit_list_for, viewer_of
from duban.supervision.models import AssignmentState, Cadence, Report
from duban.supervision.selectors import assignment_list_for, report_list_for

REPEAT_DAYS = 7
ASKING_STEPS = (Step.URGE, Step.NOTICE, Step.LISTED, Step.MANUAL, Step.REMINDER)
ENDED = (AssignmentState.REASSIGNED, AssignmentState.CANCELLED, AssignmentState.RETURNED)


def hours_rule() -> dict[str, float]:
    return {"report": 1.5, "notice": 0.1, **getattr(settings, "DUBAN_BURDEN_HOURS", {})}


@dataclass
class UnitBurden:
    unit_id: int
    name: str
    asked: int = 0
    sent: int = 0
    copied: int = 0
    padded: int = 0
    urges: int = 0
    notices: int = 0
    repeated: int = 0
    hours: float = 0.0

    @property
    def copied_rate(self) -> float | None:
        return self.copied / self.sent if self.sent else None

    @property
    def padded_rate(self) -> float | None:
        return self.padded / self.sent if self.sent else None


def _counts_of_period(period: Period) -> dict[str, int]:
    """How many reports each cadence calls for in the period: a week's, each month that ends in it, each quarter
    that ends in it (a period of four weeks or more calls for at least one monthly report)."""
    ends, year, month = [], period.start.year, period.start.month
    while (end := _month_end(year, month)) <= period.end:
        if end >= period.start:
            ends.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    days = (period.end - period.start).days + 1
    return {Cadence.WEEKLY: max(1, round(days / 7)), Cadence.MONTHLY: len(ends) or int(days >= 28),
            Cadence.QUARTERLY: sum(1 for e in ends if e.month % 3 == 0)}


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def burden_for(*, user, period: Period, scope: Unit | None = None) -> list[UnitBurden]:
    """The burden of every unit below the reader's unit (and within `scope`'s subtree, when given) that was
    asked for anything or sent anything."""
    v = viewer_of(user)
    if v is None or not user.has_role(Role.LEADER, Role.SUPERVISOR):
        return []
    units = unit_list_for(user=user).filter(path__startswith=v.unit_path).exclude(pk=user.unit_id)
    if scope is not None:
        units = units.filter(path__startswith=scope.path)
    scope = units.values("pk")
    rows: dict[int, UnitBurden] = {}

    def row(unit_id: int) -> UnitBurden:
        return rows.setdefault(unit_id, UnitBurden(unit_id, ""))

    per = _counts_of_period(period)
    live = (assignment_list_for(user=user).filter(unit_id__in=scope, assigned_on__lte=period.end)
            .exclude(state__in=ENDED).filter(Q(done_at__isnull=True) | Q(done_at__gte=period.since)).order_by()
            .values("unit_id").annotate(**{c: Count("pk", filter=Q(task__cadence=c)) for c in per}))
    for r in live:
        row(r["unit_id"]).asked += sum(r[c] * n for c, n in per.items())
    sent = (report_list_for(user=user).filter(assignment__unit_id__in=scope, submitted_at__gte=period.since,
                                              submitted_at__lt=period.until).order_by()
            .values("assignment__unit_id")
            .annotate(n=Count("pk"), copied=Count("pk", filter=Q(quality__copied=True)),
                      padded=Count("pk", filter=Q(quality__padded=True))))
    for r in sent:
        b = row(r["assignment__unit_id"])
        b.sent, b.copied, b.padded = r["n"], r["copied"], r["padded"]
    seen = assignment_list_for(user=user).filter(unit_id__in=scope).values("pk")
    answered = Report.objects.filter(
        assignment_id=OuterRef("assignment_id"), submitted_at__lt=OuterRef("created_at"),
        submitted_at__gte=OuterRef("created_at") - dt.timedelta(days=REPEAT_DAYS))
    urges = (Urge.objects.filter(unit_id__in=scope, assignment_id__in=seen, created_at__gte=period.since,
                                 created_at__lt=period.until).exclude(step=Step.ASSIGN).order_by()
             .annotate(again=Exists(answered))
             .values("unit_id")
             .annotate(urges=Count("pk", distinct=True), notices=Count("notices"),
                       manual=Count("pk", filter=Q(step=Step.MANUAL), distinct=True),
                       repeated=Count("pk", filter=Q(again=True, step__in=ASKING_STEPS), distinct=True)))
    for r in urges:
        b = row(r["unit_id"])
        b.urges, b.notices, b.repeated = r["urges"], r["notices"], r["repeated"]
        b.asked += r["manual"]
    names = dict(Unit.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
    rule = hours_rule()
    for b in rows.values():
        b.name = names.get(b.unit_id, "")
        b.hours = round(b.asked * rule["report"] + b.notices * rule["notice"], 1)
    return sorted(rows.values(), key=lambda b: (-b.hours, -b.asked, b.name))


def burden_totals(*, user, period: Period, scope: Unit) -> dict:
    """The burden meter summed over a scope, for the bulletin's line: plain JSON."""
    rows = burden_for(user=user, period=period, scope=scope)
    totals = {key: sum(getattr(b, key) for b in rows)
              for key in ("asked", "sent", "copied", "padded", "urges", "notices", "repeated")}
    worst = max(rows, key=lambda b: b.hours, default=None)
    return {**totals, "units": len(rows), "hours": round(sum(b.hours for b in rows), 1),
            "most": {"unit": worst.name, "hours": worst.hours} if worst and worst.hours else None,
            "rule": hours_rule()}
