"""分办参考: the similar clues and open tasks offered beside a new clue, limited to what the reader may open.

The index (duban.voice.store) knows nothing of scope or state: this module asks it, then keeps what the
person may see, in a fixed number of queries whatever the index returns."""

from dataclasses import dataclass

from duban.org.selectors import viewer_of
from duban.supervision.models import TaskState
from duban.supervision.selectors import task_list_for
from duban.voice.models import Clue, ClueState
from duban.voice.selectors import clue_list_for, subtree_ids

SIMILAR_ASKED = 12  # asked of the index: merged, declined and unseen ones are dropped before showing
SIMILAR_SHOWN = 3
OPEN_TASK = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING)


@dataclass
class Similar:
    kind: str  # "clue" or "task"
    obj: object
    score: float
    why: str


def similar_matches(clue: Clue, office_ids: list[int] | None):
    """The index's suggestions for this clue, best first, the clue itself left out."""
    from duban.voice.store import similar_for

    place = " ".join(p for p in (clue.place_unit.name if clue.place_unit else "", clue.place_text) if p)
    return similar_for(text=clue.description, place=place, category=clue.category, k=SIMILAR_ASKED,
                       exclude=[("clue", clue.pk)], office_ids=office_ids)


def similar_for_page(*, user, clue: Clue) -> list[Similar]:
    """The suggestions this person may open: one query for the office's units, one each for the clues and
    tasks named, whatever their number; merged and declined clues and finished tasks are dropped."""
    v = viewer_of(user)
    if v is None or not v.oversees:
        return []
    matches = list(similar_matches(clue, subtree_ids(v)))
    clue_ids = [m.ref_id for m in matches if m.kind == "clue"]
    task_ids = [m.ref_id for m in matches if m.kind == "task"]
    clues = ({c.pk: c for c in clue_list_for(user=user).filter(pk__in=clue_ids)
              .exclude(state__in=[ClueState.MERGED, ClueState.DECLINED])} if clue_ids else {})
    tasks = ({t.pk: t for t in task_list_for(user=user).filter(pk__in=task_ids, state__in=OPEN_TASK)}
             if task_ids else {})
    shown = []
    for m in matches:
        obj = (clues if m.kind == "clue" else tasks).get(m.ref_id)
        if obj is not None:
            shown.append(Similar(m.kind, obj, m.score, m.why))
    return shown[:SIMILAR_SHOWN]
