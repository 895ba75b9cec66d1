"""Reads of 实地督查, scoped (DESIGN.md, Data scope).

- A supervisor or leader sees the inspections organised by a unit in their subtree.
- A member of the team (督查组成员, or a supervisor lent to the team) sees the inspections they are on.
- Anyone else sees none: out of scope and absent both raise NotFound.

Units see a finding's rectification only as the ordinary task assigned to them (duban.supervision.selectors).
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from duban.inspection.models import (
    Finding,
    FindingState,
    Inspection,
    InspectionState,
    Recheck,
    Visit,
    VisitPhoto,
)
from duban.inspection.rules import finding_state, open_finding
from duban.org.models import Role, Unit, User
from duban.org.selectors import Filters, Viewer, get_one, viewer_of
from duban.supervision.selectors import task_list_for
from duban.voice.models import Clue
from duban.voice.selectors import clue_list_for

NOTHING = Q(pk__in=[])
CANDIDATE_LIMIT = 1000


def inspection_scope(v: Viewer, via: str = "") -> Q:
    """The inspections `v` may see; `via` is the lookup path from the filtered model to the inspection."""
    on_team = Inspection.team.through.objects.filter(inspection_id=OuterRef(f"{via}pk"), user_id=v.pk)
    condition = Q(Exists(on_team))
    if v.unit_path is not None and v.holds(Role.SUPERVISOR, Role.LEADER):
        condition |= Q(**{f"{via}office__path__startswith": v.unit_path})
    return condition


def _visible(model, user, via: str = "") -> QuerySet:
    v = viewer_of(user)
    if v is None:
        return model.objects.none()
    return model.objects.filter(inspection_scope(v, via))


def _count(model, field: str, where: Q | None = None) -> Coalesce:
    """A correlated COUNT, so that several counts on one list do not multiply each other's rows."""
    rows = (model.objects.filter(where or Q(), **{field: OuterRef("pk")}).order_by().values(field)
            .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


# ---- inspections -------------------------------------------------------------------------------------


def _inspections(user) -> QuerySet[Inspection]:
    return _visible(Inspection, user).select_related("office", "team_leader", "created_by", "decision")


def inspection_list_for(*, user, filters: dict | None = None) -> QuerySet[Inspection]:
    """Filters: state, q (title, focus, places). Each row carries `visit_count`, `finding_count` and
    `open_finding_count` (findings still being rectified or awaiting 复查, read from their tasks)."""
    f = Filters(filters, ("state", "q", "office"), "inspection_list_for")
    qs = _inspections(user).annotate(
        visit_count=_count(Visit, "inspection"),
        finding_count=_count(Finding, "inspection"),
        open_finding_count=_count(Finding, "inspection", where=open_finding()),
    )
    if (state := f.text_of("state")) is not None:
        if state not in InspectionState.values:
            raise f._invalid("state")
        qs = qs.filter(state=state)
    if (office := f.int_of("office")) is not None:
        qs = qs.filter(office_id=office)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(title__icontains=q) | Q(focus__icontains=q) | Q(place_notes__icontains=q))
    return qs.order_by("-starts_on", "-id")


def inspection_get_for(*, user, id: int) -> Inspection:
    return get_one(_inspections(user), id, "inspection")


def inspection_detail(inspection: Inspection) -> dict:
    """Everything one inspection's page and report show, in a fixed number of queries.

    The inspection comes from `inspection_get_for`, so its scope has been checked already. Each finding
    carries `current_state`, read from its task (duban.inspection.rules.finding_state).
    """
    visits = list(
        Visit.objects.filter(inspection=inspection).select_related("unit", "recorded_by")
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("pk")))
        .order_by("visited_on", "pk")
    )
    findings = list(
        Finding.objects.filter(inspection=inspection).annotate(current_state=finding_state())
        .select_related("unit", "task", "created_by", "visit")
        .prefetch_related(Prefetch("rechecks", queryset=Recheck.objects.select_related("checked_by")
                                   .order_by("checked_on", "pk")))
        .order_by("pk")
    )
    return {
        "team": list(inspection.team.select_related("unit").order_by("unit__path", "pk")),
        "places": list(inspection.places.order_by("path")),
        "tasks": list(inspection.tasks.select_related("owner_unit").order_by("-pk")),
        "clues": list(inspection.clues.order_by("-pk")),
        "visits": visits,
        "findings": findings,
    }


# ---- visits, photos, findings ------------------------------------------------------------------------


def visit_get_for(*, user, id: int) -> Visit:
    return get_one(_visible(Visit, user, "inspection__").select_related("inspection", "unit"), id, "visit")


def visit_photo_get_for(*, user, id: int) -> VisitPhoto:
    """A visit photo, only for someone who may see its inspection (photos have no public address)."""
    return get_one(_visible(VisitPhoto, user, "visit__inspection__").select_related("visit"), id, "photo")


def finding_list_for(*, user, filters: dict | None = None) -> QuerySet[Finding]:
    """Filters: inspection, state (as read from the task: `current_state` on each row), unit."""
    f = Filters(filters, ("inspection", "state", "unit"), "finding_list_for")
    qs = (_visible(Finding, user, "inspection__").annotate(current_state=finding_state())
          .select_related("inspection", "unit", "task"))
    if (inspection := f.int_of("inspection")) is not None:
        qs = qs.filter(inspection_id=inspection)
    if (state := f.text_of("state")) is not None:
        if state not in FindingState.values:
            raise f._invalid("state")
        qs = qs.filter(current_state=state)
    if (unit := f.int_of("unit")) is not None:
        qs = qs.filter(unit_id=unit)
    return qs.order_by("-id")


def finding_get_for(*, user, id: int) -> Finding:
    qs = _visible(Finding, user, "inspection__").annotate(current_state=finding_state()).select_related("inspection", "inspection__office", "unit", "task")
    return get_one(qs, id, "finding")


# ---- what a plan may name --------------------------------------------------------------------------


def team_candidates(office: Unit) -> QuerySet[User]:
    """Active inspectors and supervisors of the office's subtree."""
    return (User.objects.filter(is_active=True, unit__path__startswith=office.path,
                                role_grants__role__in=[Role.INSPECTOR, Role.SUPERVISOR])
            .select_related("unit").distinct().order_by("unit__path", "pk"))


def unit_candidates(office: Unit) -> QuerySet[Unit]:
    """Active units below the office: the places a team may visit, and the units a finding may name."""
    return Unit.objects.filter(is_active=True, path__startswith=office.path).exclude(pk=office.pk).order_by("path")


def task_candidates(*, user) -> QuerySet:
    """Open tasks in the planner's scope (a supervisor of the office: the office's subtree)."""
    return task_list_for(user=user, filters={"state": "open"})


def clue_candidates(*, user, office: Unit) -> QuerySet[Clue]:
    """Open clues the planner sees whose triage office is the inspection's office or one below it."""
    return clue_list_for(user=user, filters={"state": "open"}).filter(office__path__startswith=office.path)
