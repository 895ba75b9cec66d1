"""What a plan of the 示范州's year holds: plain frozen records, decided by the seed before any row exists.

A task comes from a registered decision (决策部署), from a clue the public sent (`clue`: forwarded by the
office, which makes its decision), or from a finding of an inspection (`finding`: recorded on site, which
makes its decision and task). `duban.demo.plan` and `duban.demo.fieldplan` fill these in; the stories
(`duban.demo.stories`, `duban.demo.clue_stories`, `duban.demo.inspection_stories`) live them.
"""

import datetime as dt
from dataclasses import dataclass, field

from duban.demo.orgplan import OrgPlan
from duban.supervision.models import Cadence, Urgency


@dataclass(frozen=True)
class Fate:
    pace: str = "prompt"  # prompt · tight (near the deadline) · late · very_late
    extension: str = ""  # "" · approved · denied
    cancel: bool = False
    returned_to: str = ""  # one unit returns its assignment (退办); it is reassigned (改派) to this unit
    reject_final: bool = False  # the first 申请办结 is sent back (a finding's: its first 复查 fails)
    cascade: tuple[str, ...] = ()  # the county decomposes its assignment to these units
    follow_up: str = ""  # a 批示's task once closed: "read" or "reinstruct"
    leader_note: bool = False  # a leader writes a 批示 on the open task


@dataclass(frozen=True)
class PlannedDecision:
    key: str
    kind: str
    title: str
    doc_number: str
    issuer: str
    issued_on: dt.date
    registered_on: dt.date
    registrar: str
    body: str


@dataclass(frozen=True)
class PlannedFinding:
    """督查发现: recorded on a visit's day by a member of the team; a supervisor of the office issues it."""

    inspection: str
    visit: str  # the key of the visit it was seen on
    recorded_on: dt.date
    text: str  # its first line is the rectification task's title after “<unit>整改：”
    requirement: str
    recorder: str  # a supervisor of the office (issued at once) or a 督查组成员 (issued later)
    issue_after: int = 0  # working days from recording to 交办, when an inspector recorded it
    rechecker: str = ""  # who goes back for the 复查, when the plan asks for one


@dataclass(frozen=True)
class PlannedTask:
    index: int
    decision: str  # the key of its decision, clue or inspection
    title: str
    category: str
    lead: tuple[str, ...]
    cooperate: tuple[str, ...]
    created_on: dt.date
    supervisor: str
    requirements: str = ""
    deadline: dt.date | None = None  # None: the office's default for the decision's kind
    cadence: str = Cadence.NONE
    report_day: int | None = None
    finish_on: dt.date | None = None  # a task with a cadence: the day its lead asks to close, if ever
    is_key: bool = False
    urgency: str = Urgency.NORMAL
    leader: str | None = None
    milestones: tuple[tuple[str, dt.date], ...] = ()
    targets: tuple[tuple[str, str, int, int], ...] = ()  # (name, measure, baseline, target)
    fate: Fate = field(default_factory=Fate)
    clue: str = ""  # the key of the clue it was forwarded for (转办)
    finding: PlannedFinding | None = None  # the finding it rectifies (整改)


@dataclass(frozen=True)
class PlannedClue:
    """群众线索: what one citizen sent, and how the office routed it and the sender rated the answers."""

    key: str
    submitted_at: dt.datetime  # any hour, any day: the public writes when it likes
    category: str
    description: str
    place: str  # the unit key of the place chosen in the form ("" when only typed)
    place_text: str
    name: str
    phone: str
    address: str  # where it came from: the portal counts submissions per address
    photo: bool
    route: str  # forward · merge · decline · queue (still waiting to be triaged when the history ends)
    routed_on: dt.date | None = None
    router: str = ""  # the supervisor who merges or declines it (a forwarded one: its task's supervisor)
    into: str = ""  # merge: the earlier clue of the same matter
    reason: str = ""  # decline: what the sender reads
    answers: tuple[str, ...] = ()  # the lead unit's answer, per round
    ratings: tuple[str, ...] = ()  # per round: satisfied · basic · unsatisfied · "" (never rated)
    comments: tuple[str, ...] = ()
    rate_after: int = 3  # working days from an answer to the sender's rating
    redo_pace: str = "prompt"  # after 不满意, how the second round goes
    reveal: bool = False  # the office reads the sender's contact before forwarding (audited)


@dataclass(frozen=True)
class PlannedVisit:
    key: str
    inspection: str
    day: dt.date
    unit: str
    place: str
    notes: str
    people_met: str
    recorder: str
    photo: bool = False


@dataclass(frozen=True)
class PlannedInspection:
    """实地督查: the plan the office makes, the team, the places, the days."""

    key: str
    title: str
    creator: str
    leader: str
    team: tuple[str, ...]
    places: tuple[str, ...]
    place_notes: str
    focus: str
    planned_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    requires_recheck: bool
    visits: tuple[PlannedVisit, ...] = ()


@dataclass(frozen=True)
class PrefecturePlan:
    org: OrgPlan
    decisions: tuple[PlannedDecision, ...]
    tasks: tuple[PlannedTask, ...]
    start: dt.date
    end: dt.date
    clues: tuple[PlannedClue, ...] = ()
    inspections: tuple[PlannedInspection, ...] = ()
