"""效能评估 (unit scorecards of a period, with the rule they are scored by) and 研判 (delivery confidence)."""

import datetime as dt

from ninja import Query, Router, Schema, Status
from pydantic import Field

from duban.api.common import caller
from duban.api.errors import ERRORS
from duban.api.schemas import Id, text
from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.core.periods import Period, month, period_read
from duban.org.models import Role
from duban.scorecards.figures import scorecard_for
from duban.scorecards.models import ConfidenceLevel
from duban.scorecards.selectors import confidence_for_task
from duban.scorecards.services import confidence_record
from duban.supervision.selectors import task_get_for

router = Router(tags=["效能评估与研判"])

SCORECARD_ROLES = (Role.LEADER, Role.SUPERVISOR)
FIRST_YEAR, LAST_YEAR = 2000, 2099
LEVELS = "、".join(f"{value}（{label}）" for value, label in ConfidenceLevel.choices)


# ---- the scorecard --------------------------------------------------------------------------------

class ScorecardFilters(Schema):
    period: text(30) | None = Field(None, description="月份（2026-11）、季度（2026-Q4）或起止日期"
                                                      "（2026-11-01..2026-11-15）；默认本月")


class WeightOut(Schema):
    field: str
    name: str
    weight: int = Field(..., description="权重(%)")


class RuleOut(Schema):
    name: str
    text: str = Field(..., description="规则的文字表述，如 综合得分 = 签收及时率×20% + …")
    weights: list[WeightOut]
    show_ranking: bool = Field(..., description="为 false 时不显示排名（rank 为 null）")
    objective_exempts: bool = Field(..., description="已记录客观原因的逾期不计入逾期扣分")


class UnitCardOut(Schema):
    unit_id: int
    name: str
    assigned: int = Field(..., description="计入签收及时率的承办数")
    signed_on_time: int
    sign_rate: float | None = Field(..., description="签收及时率 0..1；无基数为 null")
    done: int = Field(..., description="期间内审核办结的承办数")
    done_on_time: int
    on_time_rate: float | None = Field(..., description="按期办结率 0..1")
    overdue: int
    overdue_days: int = Field(..., description="逾期天数（自然日）")
    overdue_with_reason: int = Field(..., description="逾期中已记录客观原因的")
    overdue_penalised: int = Field(..., description="按规则计入扣分的逾期数")
    due: int = Field(..., description="逾期控制率的基数")
    active: int = Field(..., description="期间内在办的承办数（按原时限办理率的基数）")
    reports: int
    returned: int
    return_rate: float | None = Field(..., description="退回率 0..1")
    extensions: int
    extensions_approved: int
    extensions_denied: int
    extensions_pending: int
    shares: dict[str, float | None] = Field(..., description="各项折算为 0..1 的得分率，按规则的字段")
    score: float | None = Field(..., description="综合得分（百分制）；没有任何基数时为 null")
    rank: int | None = Field(..., description="排名（并列同名次）；规则不显示排名或无得分时为 null")


class ScorecardOut(Schema):
    period: str
    period_label: str
    period_start: dt.date
    period_end: dt.date
    rule: RuleOut
    units: list[UnitCardOut]


def _period(written: str | None) -> Period:
    if not (written or "").strip():
        today = clock.today()
        return month(today.year, today.month)
    period = period_read(written)
    if period is None or not (FIRST_YEAR <= min(period.start, period.end).year
                              and max(period.start, period.end).year <= LAST_YEAR):
        raise DomainError("scorecard_period_invalid",
                          f"评估期间“{written.strip()}”无效：请写月份（如 2026-11）、季度（如 2026-Q4）"
                          "或起止日期（如 2026-11-01..2026-11-15）。", {"field": "period"})
    if period.end < period.start:
        raise DomainError("scorecard_period_reversed", "结束日期不能早于开始日期。", {"field": "period"})
    return period


def _card(c, rule) -> dict:
    return {
        **{k: getattr(c, k) for k in (
            "unit_id", "name", "assigned", "signed_on_time", "sign_rate", "done", "done_on_time", "on_time_rate",
            "overdue", "overdue_days", "overdue_with_reason", "due", "active", "reports", "returned",
            "return_rate", "extensions", "extensions_approved", "extensions_denied", "extensions_pending",
            "score")},
        "overdue_penalised": c.penalised_overdue(rule),
        "shares": dict(c.ratios),
        "rank": c.rank if rule.show_ranking else None,
    }


@router.get("/scorecards", response={200: ScorecardOut, **ERRORS}, operation_id="scorecard_get")
def scorecard_get(request, params: Query[ScorecardFilters]):
    """Every unit of the caller's unit subtree with work in the period, its figures, score and rank, and the
    rule they are scored by (docs/scorecards.md). Leaders and supervisors."""
    user = caller(request)
    if not user.has_role(*SCORECARD_ROLES):
        raise PermissionDenied("效能评估供领导和督查员查看。", code="scorecard_role_denied")
    period = _period(params.period)
    card = scorecard_for(user=user, period=period)
    rule = card.rule
    return {
        "period": period.key, "period_label": period.label, "period_start": period.start,
        "period_end": period.end,
        "rule": {"name": rule.name, "text": rule.text(),
                 "weights": [{"field": f, "name": name, "weight": w} for f, name, w in rule.weights()],
                 "show_ranking": rule.show_ranking, "objective_exempts": rule.objective_exempts},
        "units": [_card(c, rule) for c in card.units],
    }


# ---- 研判 -------------------------------------------------------------------------------------------

class ConfidenceIn(Schema):
    level: text(20) = Field(..., description=f"研判等级：{LEVELS}")
    reason: text(10000) = Field(..., description="研判理由（必填，不超过2000字）")


class ConfidenceOut(Schema):
    id: int
    task_id: int
    level: str
    level_label: str
    reason: str
    by_id: int
    by_name: str
    at: dt.datetime

    @staticmethod
    def resolve_level_label(obj) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_by_name(obj) -> str:
        return obj.by.full_name or obj.by.username


class LevelOut(Schema):
    value: str
    label: str


class TaskConfidenceOut(Schema):
    task_id: int
    latest: ConfidenceOut | None = Field(..., description="现行研判（最新一次）")
    history: list[ConfidenceOut] = Field(..., description="全部研判，最新在前")
    may_record: bool = Field(..., description="调用者可否对该事项作研判")
    levels: list[LevelOut]


@router.get("/tasks/{task_id}/confidence", response={200: TaskConfidenceOut, **ERRORS},
            operation_id="task_confidence")
def task_confidence(request, task_id: Id):
    """研判 of a task: the judgement in force and its history, for anyone who may see the task."""
    user = caller(request)
    shown = confidence_for_task(user=user, task=task_get_for(user=user, id=task_id))
    return {**shown, "task_id": task_id, "levels": [{"value": v, "label": label} for v, label in shown["levels"]]}


@router.post("/tasks/{task_id}/confidence", response={201: ConfidenceOut, **ERRORS},
             operation_id="task_confidence_record")
def task_confidence_record(request, task_id: Id, body: ConfidenceIn):
    """研判: a supervisor of the task judges how likely it is to deliver (an open task, or a closed one with
    quantitative targets), and says why. Refusals: `confidence_level_invalid`, `confidence_reason_required`,
    `confidence_reason_too_long`, `confidence_task_not_open`."""
    user = caller(request)
    judgement = confidence_record(actor=user, task=task_get_for(user=user, id=task_id), level=body.level,
                                  reason=body.reason)
    return Status(201, judgement)
