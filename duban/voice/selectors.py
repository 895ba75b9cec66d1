"""Who sees which clue (DESIGN.md, Data scope), and the public's one door: the tracking code.

- A supervisor, leader or inspector sees the clues triaged in their unit's subtree, and those behind any task
  they follow.
- A liaison or unit head sees the clues behind the tasks assigned to their unit: what was reported, never who
  reported it (the contact is read only through services.clue_contact_reveal, by the triage office).
"""

from django.db.models import Q, QuerySet

from duban.core.errors import NotFound
from duban.org.models import Role, Unit
from duban.org.selectors import Filters, Viewer, get_one, viewer_of
from duban.supervision.selectors.scope import task_scope
from duban.voice.models import Clue, ClueState


def subtree_ids(v: Viewer) -> list[int]:
    """The ids of the units at and under the viewer's (one small query)."""
    return list(Unit.objects.filter(path__startswith=v.unit_path).order_by().values_list("id", flat=True))


def clue_scope(v: Viewer) -> Q:
    # The office's side of the scope reads the clue's own office_id against the subtree's unit ids (a small
    # set, resolved by the database inside the same query), not a join on the unit's path: the clue's
    # (office, state, submitted_at) index then serves it.
    condition = Q(task__isnull=False) & task_scope(v, "task__")
    if v.oversees:
        condition |= Q(office_id__in=Unit.objects.filter(path__startswith=v.unit_path).order_by().values("id"))
    return condition


def may_triage(user, clue: Clue) -> bool:
    """The triage role: a supervisor whose unit is the clue's office or above it."""
    v = viewer_of(user)
    return (v is not None and v.holds(Role.SUPERVISOR) and v.unit_path is not None
            and clue.office.path.startswith(v.unit_path))


def _clues(user) -> QuerySet[Clue]:
    v = viewer_of(user)
    if v is None:
        return Clue.objects.none()
    return Clue.objects.filter(clue_scope(v)).select_related(
        "office", "place_unit", "task", "merged_into")


def clue_list_for(*, user, filters: dict | None = None) -> QuerySet[Clue]:
    """Filters: state (a ClueState, or "open"), category, q (words of the description or place), unit (a unit
    holding an assignment of the clue's task)."""
    f = Filters(filters, ("state", "category", "q", "unit"), "clue_list_for")
    qs = _clues(user)
    if (state := f.text_of("state")) is not None:
        if state == "open":
            qs = qs.filter(state__in=[ClueState.RECEIVED, ClueState.FORWARDED, ClueState.REOPENED])
        elif state in ClueState.values:
            qs = qs.filter(state=state)
        else:
            raise f._invalid("state")
    if (category := f.text_of("category")) is not None:
        qs = qs.filter(category=category)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(description__icontains=q) | Q(place_text__icontains=q))
    if (unit := f.int_of("unit")) is not None:
        qs = qs.filter(task__assignments__unit_id=unit).distinct()
    return qs.order_by("-submitted_at", "-id")


def clue_get_for(*, user, id: int) -> Clue:
    return get_one(_clues(user), id, "clue")


def clue_for_code(code: str) -> Clue:
    """The clue a tracking code names (case and spacing forgiven), for the public portal."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if len(cleaned) != 12:
        raise NotFound("clue")
    formatted = f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"
    clue = Clue.objects.select_related("place_unit", "task", "merged_into").filter(code=formatted).first()
    if clue is None:
        raise NotFound("clue")
    return clue
