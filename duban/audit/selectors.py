"""Reading the trail (留痕), scoped.

A business user reads the timeline of the tasks they may see, less the steps
about a report, blocker or extension they may not see: the timeline must not
tell what the lists hide (a unit's draft round stays inside the unit, another
unit's extension, 退办 reason or 催办单 stays with that unit, a notice read with its reader). The auditor (审计管理员) reads the whole
trail, which is their part of 三员分立; the sysadmin and the secadmin read none
of it here.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from duban.audit.models import Event
from duban.escalation.models import Notice
from duban.org.models import Role
from duban.org.selectors import Filters, admin_roles_of, get_one, viewer_of
from duban.supervision.models import Assignment, Blocker, Extension, Report, Task
from duban.supervision.selectors.scope import (
    assignment_scope,
    blocker_scope,
    extension_scope,
    report_scope,
    task_scope,
)

# Objects inside a task with a visibility of their own: an event about one shows only with it.
SCOPED_OBJECTS = {
    "report": (Report, report_scope),
    "blocker": (Blocker, blocker_scope),
    "extension": (Extension, extension_scope),
    # A unit's 退办 reason, the supervisor's rejection and a 催办单 stay with that unit (and those above it).
    "assignment": (Assignment, assignment_scope),
    # Who read which notice when is the reader's own business.
    "notice": (Notice, lambda v: Q(recipient_id=v.pk)),
}


def _events(user) -> QuerySet[Event]:
    if Role.AUDITOR in admin_roles_of(user):
        return Event.objects.select_related("actor")
    v = viewer_of(user)
    if v is None:
        return Event.objects.none()
    condition = Q(Exists(Task.objects.filter(task_scope(v), pk=OuterRef("task_id"))))
    for object_type, (model, rule) in SCOPED_OBJECTS.items():
        seen = model.objects.filter(rule(v), pk=OuterRef("object_id"))
        condition &= ~Q(object_type=object_type) | Q(Exists(seen))
    return Event.objects.filter(condition).select_related("actor")


def event_list_for(*, user, filters: dict | None = None) -> QuerySet[Event]:
    """Newest first. Filters: task, verb, since_seq (after that link), actor, object_type."""
    f = Filters(filters, ("task", "verb", "since_seq", "actor", "object_type"), "event_list_for")
    qs = _events(user)
    if (task := f.int_of("task")) is not None:
        qs = qs.filter(task_id=task)
    if (verb := f.text_of("verb")) is not None:
        qs = qs.filter(verb=verb)
    if (since := f.int_of("since_seq")) is not None:
        qs = qs.filter(seq__gt=since)
    if (actor := f.int_of("actor")) is not None:
        qs = qs.filter(actor_id=actor)
    if (object_type := f.text_of("object_type")) is not None:
        qs = qs.filter(object_type=object_type)
    return qs.order_by("-seq")


def event_get_for(*, user, id: int) -> Event:
    return get_one(_events(user), id, "event")
