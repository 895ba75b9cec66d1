"""The API's input (…In) and output (…Out) shapes. Inputs carry the limits the database holds."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from duban.supervision.models import Cadence as CadenceChoices
from duban.supervision.models import Urgency
from duban.supervision.states import state_label

# Database ids: positive and within a 64-bit integer.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="对象的当前版本号（读取时得到）；过期版本返回409")]
NO_NUL = r"^[^\x00]*$"


def text(max_length: int, min_length: int = 0):
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length, pattern=NO_NUL)]


Word = text(200)
Para = text(20000)
Date = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2099, 12, 31),
                                description="2000-01-01 至 2099-12-31")]
Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]


def _choices(choices) -> object:
    return Literal[tuple(choices.values)]


Cadence = _choices(CadenceChoices)
UrgencyIn = _choices(Urgency)


def _label(machine: str, obj, context) -> str:
    request = (context or {}).get("request")
    return state_label(machine, obj.state, getattr(request, "auth", None))


# ---- people and units ---------------------------------------------------------------------------

class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    aliases: list[str]
    level: str
    parent_id: int | None
    is_active: bool


class PersonOut(Schema):
    id: int
    username: str
    full_name: str
    unit_id: int | None
    unit_name: str | None = Field(None, alias="unit.name")
    title: str
    is_active: bool
    roles: list[str]

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(g.role for g in obj.role_grants.all())


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    unit_id: int | None
    unit_name: str | None
    roles: list[str]


class TokenIn(Schema):
    name: text(100, 1)
    days: int = Field(90, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="只显示这一次，请妥善保存")


# ---- decisions and tasks ------------------------------------------------------------------------

class DecisionIn(Schema):
    kind: Literal["document", "meeting", "instruction", "clue", "inspection", "plan"]
    title: text(200, 1)
    issued_on: Date
    doc_number: text(100) = ""
    issuer: text(100) = ""
    body: text(200000) = ""


class DecisionOut(Schema):
    id: int
    kind: str
    title: str
    doc_number: str
    issuer: str
    issued_on: dt.date
    owner_unit_id: int
    created_at: dt.datetime


class MilestoneIn(Schema):
    title: text(200, 1)
    due: Date


class TargetIn(Schema):
    name: text(100, 1)
    measure: text(20) = ""
    baseline: Amount = Decimal(0)
    target: Amount


class TaskIn(Schema):
    decision_id: Id | None = Field(None, description="决策部署；由承办单位分解时可省略")
    parent_assignment_id: Id | None = Field(None, description="由本单位承办的事项分解（层层分解）")
    title: text(300, 1)
    requirements: Para = ""
    lead_unit_ids: list[Id] = Field(..., min_length=1, max_length=200)
    cooperating_unit_ids: list[Id] = Field([], max_length=200)
    deadline: Date | None = None
    cadence: Cadence = "none"
    report_day: int | None = Field(None, ge=1, le=28)
    responsible_leader_id: Id | None = None
    urgency: UrgencyIn = "normal"
    is_key: bool = False
    category: text(50) = ""
    milestones: list[MilestoneIn] = Field([], max_length=100)
    targets: list[TargetIn] = Field([], max_length=100)


class TaskUpdateIn(Schema):
    version: Version
    title: text(300, 1) | None = None
    requirements: Para | None = None
    category: text(50) | None = None
    urgency: UrgencyIn | None = None
    is_key: bool | None = None
    responsible_leader_id: Id | None = None
    deadline: Date | None = None


class TaskOut(Schema):
    id: int
    code: str
    title: str
    decision_id: int
    decision_title: str = Field(..., alias="decision.title")
    parent_id: int | None
    owner_unit_id: int
    owner_unit_name: str = Field(..., alias="owner_unit.name")
    responsible_leader_id: int | None
    category: str
    urgency: str
    deadline: dt.date | None
    cadence: str
    is_key: bool
    state: str
    state_label: str
    light: str
    round: int
    version: int
    created_at: dt.datetime
    assigned_at: dt.datetime | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_state_label(obj, context) -> str:
        return _label("task", obj, context)


class MilestoneOut(Schema):
    id: int
    title: str
    due: dt.date
    done_at: dt.datetime | None


class TargetOut(Schema):
    id: int
    name: str
    measure: str
    baseline: Decimal
    target: Decimal


class InstructionOut(Schema):
    id: int
    leader_id: int
    text: str
    created_at: dt.datetime
    round: int


class TaskDetailOut(TaskOut):
    requirements: str
    close_note: str
    leader_read_at: dt.datetime | None
    milestones: list[MilestoneOut]
    targets: list[TargetOut]
    instructions: list[InstructionOut]

    @staticmethod
    def resolve_milestones(obj):
        return list(obj.milestones.all())

    @staticmethod
    def resolve_targets(obj):
        return list(obj.targets.all())

    @staticmethod
    def resolve_instructions(obj):
        return list(obj.instructions.all())


class VersionIn(Schema):
    version: Version


class NoteIn(Schema):
    version: Version
    note: text(10000, 1)


class ReasonIn(Schema):
    version: Version
    reason: text(10000, 1)


class CommentIn(Schema):
    version: Version
    comment: text(10000) = ""


class InstructionIn(Schema):
    version: Version | None = None
    text: text(10000, 1)


class ReassignIn(Schema):
    version: Version
    unit_id: Id


# ---- assignments and what units send ------------------------------------------------------------

class AssignmentOut(Schema):
    id: int
    task_id: int
    task_code: str = Field(..., alias="task.code")
    task_title: str = Field(..., alias="task.title")
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    role: str
    state: str
    state_label: str
    light: str
    assigned_on: dt.date
    sign_due: dt.date
    deadline: dt.date | None
    next_report_due: dt.date | None
    signed_at: dt.datetime | None
    progress: int
    return_count: int
    returned_reason: str
    submitted_on: dt.date | None
    done_at: dt.datetime | None
    reassigned_to_id: int | None
    version: int

    @staticmethod
    def resolve_state_label(obj, context) -> str:
        return _label("assignment", obj, context)


class ExtensionIn(Schema):
    reason: text(10000, 1)
    requested_deadline: Date


class ExtensionDecideIn(Schema):
    approve: bool
    comment: text(10000) = ""
    granted_deadline: Date | None = None


class ExtensionOut(Schema):
    id: int
    assignment_id: int
    requested_by_id: int
    reason: str
    old_deadline: dt.date
    requested_deadline: dt.date
    state: str
    requested_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    granted_deadline: dt.date | None
    comment: str


class BlockerIn(Schema):
    text: text(10000, 1)


class BlockerEscalateIn(Schema):
    leader_id: Id


class BlockerAnswerIn(Schema):
    answer: text(10000, 1)


class BlockerOut(Schema):
    id: int
    assignment_id: int
    report_id: int | None
    text: str
    state: str
    raised_by_id: int
    raised_at: dt.datetime
    escalated_to_id: int | None
    answer: str
    answered_at: dt.datetime | None


class EvidenceOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/evidence/{obj.pk}/download"


class TargetValueOut(Schema):
    target_id: int
    value: Decimal
    recorded_on: dt.date


class ReportOut(Schema):
    id: int
    assignment_id: int
    task_id: int = Field(..., alias="assignment.task_id")
    unit_id: int = Field(..., alias="assignment.unit_id")
    author_id: int | None
    text: str
    progress: int
    is_final: bool
    state: str
    state_label: str
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_comment: str
    evidence: list[EvidenceOut]
    values: list[TargetValueOut]

    @staticmethod
    def resolve_state_label(obj, context) -> str:
        return _label("report", obj, context)

    @staticmethod
    def resolve_evidence(obj):
        return list(obj.evidence.all())

    @staticmethod
    def resolve_values(obj):
        return list(obj.values.all())


class UnitReviewIn(Schema):
    approve: bool
    comment: text(10000) = ""


class ReviewIn(Schema):
    accept: bool
    comment: text(10000) = ""


# ---- the audit trail ----------------------------------------------------------------------------

class EventOut(Schema):
    seq: int
    created_at: dt.datetime
    actor_id: int | None
    verb: str
    object_type: str
    object_id: int | None
    task_id: int | None
    unit_id: int | None
    payload: dict
    hash: str
