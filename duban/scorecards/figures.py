"""效能评估: each unit's figures for a period, computed by a few grouped queries over the viewer's scope.

The definitions (docs/scorecards.md gives them in full; every one can be recomputed from the Events):

- 签收及时率: of the assignments assigned in the period that were signed, or are still unsigned past their
  sign-in date, the share signed before the sign-in date ended (the `late` flag of `assignment.sign`).
- 按期办结率: of the assignments verified in the period, the share with light 按期办结 (`on_time` of
  `assignment.verify`).
- 逾期: at the period's end, assignments past their deadline (on or before the last day) and not done by
  then, plus those done late in the period; 逾期天数 in calendar days: to the day the unit asked to close
  for those done late, to the day after the period for those still open.
- 退回率: reports returned in the period (退回重报 and 办结申请退回) ÷ reports released in the period.
- 延期申请: requests made in the period, by how they were decided.
- 群众线索: answers the unit gave the public in the period (按期 when given by the round's deadline), and the
  ratings of its answers made in the period; 群众满意率 = (满意 + 基本满意) ÷ ratings.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from duban.core import clock
from duban.core.periods import Period
from duban.scorecards.models import ScoreRule, default_rule
from duban.supervision.models import AssignmentState, ExtensionState, Light, ReportState
from duban.supervision.selectors import assignment_list_for, extension_list_for, report_list_for
from duban.supervision.selectors.scope import RELEASED_REPORT_STATES
from duban.voice.models import ClueRating, ClueReply, Rating
from duban.voice.selectors import clue_list_for

ENDED = (AssignmentState.REASSIGNED, AssignmentState.CANCELLED)


class DayNumber(Func):
    """A date as a day count (days since 2000-01-01), so that date differences sum on both databases."""

    output_field = IntegerField()
    template = "(%(expressions)s - DATE '2000-01-01')"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="CAST(julianday(%(expressions)s) - 2451544.5 AS INTEGER)", **extra)


def office_date(name: str, shift_hours: int = 0):
    """The office-local date of a stored moment, optionally as if `shift_hours` later."""
    expr = F(name)
    if shift_hours:
        expr = ExpressionWrapper(F(name) + dt.timedelta(hours=shift_hours), output_field=DateTimeField())
    return TruncDate(expr, tzinfo=clock.OFFICE_TZ)


def active_rule() -> ScoreRule:
    return ScoreRule.objects.filter(is_active=True).first() or default_rule()


@dataclass
class UnitCard:
    unit_id: int
    name: str
    path: str
    assigned: int = 0  # 签收 counted: signed, or unsigned past the sign-in date
    signed_on_time: int = 0
    done: int = 0
    done_on_time: int = 0
    overdue: int = 0
    overdue_days: int = 0
    overdue_with_reason: int = 0  # of `overdue`, those with a recorded 客观原因
    due: int = 0  # due by the period's end and not done before it: the base of 逾期控制率
    active: int = 0  # at work during the period: the base of the extension rate
    reports: int = 0
    returned: int = 0
    copied: int = 0  # of `reports`, flagged as near-copies of an earlier report (duban.quality): shown, not scored
    padded: int = 0  # of `reports`, flagged as mostly stock phrases with few facts: shown, not scored
    extensions: int = 0
    extensions_approved: int = 0
    extensions_denied: int = 0
    extensions_pending: int = 0
    answered: int = 0  # 群众线索 answered
    answered_on_time: int = 0
    rated: int = 0
    satisfied: int = 0  # 满意 or 基本满意
    ratios: dict = field(default_factory=dict)  # figure field → 0..1 or None
    score: float | None = None
    rank: int | None = None

    @property
    def sign_rate(self):
        return _ratio(self.signed_on_time, self.assigned)

    @property
    def on_time_rate(self):
        return _ratio(self.done_on_time, self.done)

    @property
    def return_rate(self):
        return _ratio(self.returned, self.reports)

    @property
    def copied_rate(self):
        return _ratio(self.copied, self.reports)

    @property
    def padded_rate(self):
        return _ratio(self.padded, self.reports)

    @property
    def answer_on_time_rate(self):
        return _ratio(self.answered_on_time, self.answered)

    @property
    def satisfaction_rate(self):
        return _ratio(self.satisfied, self.rated)

    def penalised_overdue(self, rule: ScoreRule) -> int:
        return self.overdue - (self.overdue_with_reason if rule.objective_exempts else 0)


@dataclass
class Scorecard:
    period: Period
    rule: ScoreRule
    units: list[UnitCard]


def _ratio(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def _unclamped_complement(part: int, whole: int) -> float | None:
    return None if not whole else max(0.0, 1 - part / whole)


def scorecard_for(*, user, period: Period, rule: ScoreRule | None = None) -> Scorecard:
    """Every unit of the viewer's subtree with work in the period: three grouped queries and the rule."""
    rule = rule or active_rule()
    unit_path = getattr(getattr(user, "unit", None), "path", None)
    if unit_path is None:
        return Scorecard(period, rule, [])
    start, last = period.start, period.end
    cards: dict[int, UnitCard] = {}

    # ---- assignments ----
    end_hour = settings.DUBAN_DAY_END_HOUR
    sign_day = office_date("signed_at", 24 - end_hour if end_hour < 24 else 0)
    done_day = office_date("done_at")
    passed = clock.passed_through()
    live = ~Q(state__in=ENDED) & ~Q(state=AssignmentState.RETURNED)
    assigned_in = Q(assigned_on__gte=start, assigned_on__lte=last)
    signed = Q(signed_at__isnull=False)
    counted_sign = assigned_in & (signed | Q(state=AssignmentState.PENDING, sign_due__lte=passed))
    done_in = Q(state=AssignmentState.DONE, done_day__gte=start, done_day__lte=last)
    late_done = done_in & Q(light=Light.DONE_LATE)
    not_done_by_end = Q(done_at__isnull=True) | Q(done_day__gt=last)
    open_overdue = (live & Q(deadline__lte=last, assigned_on__lte=last) & not_done_by_end
                    & (Q(submitted_on__isnull=True) | Q(submitted_on__gt=F("deadline"))))
    overdue = late_done | open_overdue
    not_done_before = Q(done_at__isnull=True) | Q(done_day__gte=start)
    has_reason = ~Q(objective_reason="")
    finished_on = Coalesce("submitted_on", "done_day")
    rows = (
        assignment_list_for(user=user)
        .filter(unit__path__startswith=unit_path)
        .annotate(sign_day=sign_day, done_day=done_day)
        .order_by()
        .values("unit_id", "unit__name", "unit__short_name", "unit__path")
        .annotate(
            assigned=Count("pk", filter=counted_sign),
            signed_on_time=Count("pk", filter=assigned_in & signed & Q(sign_day__lte=F("sign_due"))),
            done=Count("pk", filter=done_in),
            done_on_time=Count("pk", filter=done_in & Q(light=Light.DONE_ON_TIME)),
            overdue=Count("pk", filter=overdue),
            overdue_with_reason=Count("pk", filter=overdue & has_reason),
            overdue_days=Sum(Case(
                When(late_done, then=DayNumber(finished_on) - DayNumber("deadline")),
                When(open_overdue, then=DayNumber(Value(period.after)) - DayNumber("deadline")),
                default=Value(0), output_field=IntegerField())),
            due=Count("pk", filter=live & Q(deadline__lte=last, assigned_on__lte=last) & not_done_before),
            active=Count("pk", filter=live & Q(assigned_on__lte=last) & not_done_before),
        )
    )
    for r in rows:
        cards[r["unit_id"]] = UnitCard(
            unit_id=r["unit_id"], name=r["unit__short_name"] or r["unit__name"], path=r["unit__path"],
            **{k: r[k] or 0 for k in ("assigned", "signed_on_time", "done", "done_on_time", "overdue",
                                      "overdue_with_reason", "overdue_days", "due", "active")})

    # ---- reports ----
    report_rows = (
        report_list_for(user=user)
        .filter(assignment__unit__path__startswith=unit_path, state__in=RELEASED_REPORT_STATES)
        .annotate(sent_day=office_date("submitted_at"), reviewed_day=office_date("reviewed_at"))
        .order_by()
        .values("assignment__unit_id")
        .annotate(
            reports=Count("pk", filter=Q(sent_day__gte=start, sent_day__lte=last)),
            returned=Count("pk", filter=Q(state=ReportState.RETURNED, reviewed_day__gte=start,
                                          reviewed_day__lte=last)),
            copied=Count("pk", filter=Q(sent_day__gte=start, sent_day__lte=last, quality__copied=True)),
            padded=Count("pk", filter=Q(sent_day__gte=start, sent_day__lte=last, quality__padded=True)),
        )
    )
    for r in report_rows:
        card = cards.get(r["assignment__unit_id"])
        if card is not None:
            card.reports, card.returned = r["reports"], r["returned"]
            card.copied, card.padded = r["copied"], r["padded"]

    # ---- extensions ----
    asked_in = Q(asked_day__gte=start, asked_day__lte=last)
    extension_rows = (
        extension_list_for(user=user)
        .filter(assignment__unit__path__startswith=unit_path)
        .annotate(asked_day=office_date("requested_at"))
        .order_by()
        .values("assignment__unit_id")
        .annotate(
            extensions=Count("pk", filter=asked_in),
            extensions_approved=Count("pk", filter=asked_in & Q(state=ExtensionState.APPROVED)),
            extensions_denied=Count("pk", filter=asked_in & Q(state=ExtensionState.DENIED)),
            extensions_pending=Count("pk", filter=asked_in & Q(state=ExtensionState.PENDING)),
        )
    )
    for r in extension_rows:
        card = cards.get(r["assignment__unit_id"])
        if card is not None:
            for k in ("extensions", "extensions_approved", "extensions_denied", "extensions_pending"):
                setattr(card, k, r[k])

    _clue_figures(user, unit_path, period, cards)
    units = [c for c in cards.values()
             if c.assigned or c.done or c.due or c.reports or c.extensions or c.overdue or c.answered or c.rated]
    score_units(units, rule)
    return Scorecard(period, rule, units)


def _clue_figures(user, unit_path: str, period: Period, cards: dict[int, UnitCard]) -> None:
    """群众线索: two grouped queries over the clues the viewer may see."""
    visible = clue_list_for(user=user).order_by().values("pk")
    in_period = Q(day__gte=period.start, day__lte=period.end)
    replies = (ClueReply.objects.filter(unit__path__startswith=unit_path, clue_id__in=visible)
               .annotate(day=office_date("created_at")).filter(in_period).order_by()
               .values("unit_id", "unit__name", "unit__short_name", "unit__path")
               .annotate(answered=Count("pk"),
                         answered_on_time=Count("pk", filter=Q(due__isnull=True) | Q(day__lte=F("due")))))
    ratings = (ClueRating.objects.filter(unit__path__startswith=unit_path, clue_id__in=visible)
               .annotate(day=office_date("created_at")).filter(in_period).order_by()
               .values("unit_id", "unit__name", "unit__short_name", "unit__path")
               .annotate(rated=Count("pk"),
                         satisfied=Count("pk", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC]))))
    for rows, names in ((replies, ("answered", "answered_on_time")), (ratings, ("rated", "satisfied"))):
        for r in rows:
            card = cards.get(r["unit_id"])
            if card is None:
                card = cards[r["unit_id"]] = UnitCard(unit_id=r["unit_id"], path=r["unit__path"],
                                                      name=r["unit__short_name"] or r["unit__name"])
            for name in names:
                setattr(card, name, r[name])


def score_units(units: list[UnitCard], rule: ScoreRule) -> None:
    """Normalise each figure to 0..1 (higher is better), weigh them, and rank (ties share a rank).

    A figure without a base in the period (nothing to sign, nothing done, …) is left out and the other
    weights count in proportion, so a unit is neither rewarded nor punished for work it was not given.
    """
    for c in units:
        c.ratios = {
            "w_sign": c.sign_rate,
            "w_on_time": c.on_time_rate,
            "w_overdue": _unclamped_complement(c.penalised_overdue(rule), c.due),
            "w_returns": _unclamped_complement(c.returned, c.reports),
            "w_extensions": _unclamped_complement(c.extensions, c.active),
            "w_satisfaction": c.satisfaction_rate,
        }
        weighed = [(w, c.ratios[f]) for f, _label, w in rule.weights() if w and c.ratios[f] is not None]
        total = sum(w for w, _ in weighed)
        c.score = round(100 * sum(w * x for w, x in weighed) / total, 1) if total else None
    units.sort(key=lambda c: (c.score is None, -(c.score or 0), c.path))
    rank, previous = 0, None
    for i, c in enumerate(units, start=1):
        if c.score is None:
            c.rank = None
            continue
        if c.score != previous:
            rank, previous = i, c.score
        c.rank = rank
