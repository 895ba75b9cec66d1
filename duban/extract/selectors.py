"""智能分解, scoped: a supervision office sees the documents its own supervisors read, nobody else does."""

from django.db.models import Count, Q, QuerySet

from duban.extract.models import Extraction, ProposedTask
from duban.org.models import Role
from duban.org.selectors import Filters, get_one


def _extractions(user) -> QuerySet[Extraction]:
    if user is None or not user.is_active or user.unit_id is None or not user.has_role(Role.SUPERVISOR):
        return Extraction.objects.none()
    return Extraction.objects.filter(unit_id=user.unit_id)


def extraction_list_for(*, user, filters: dict | None = None) -> QuerySet[Extraction]:
    """Filters: state (draft, accepted, discarded). The newest first, with their item counts, without the text."""
    f = Filters(filters, ("state",), "extraction_list_for")
    qs = _extractions(user)
    if (state := f.text_of("state")) is not None:
        qs = qs.filter(state=state)
    return (qs.defer("text").select_related("created_by", "decision")
            .annotate(kept=Count("items", filter=Q(items__dropped=False)), proposed=Count("items"))
            .order_by("-created_at", "-id"))


def extraction_get_for(*, user, id: int) -> Extraction:
    return get_one(_extractions(user).select_related("created_by", "decision"), id, "extraction")


def proposed_task_list_for(*, user, extraction: Extraction) -> QuerySet[ProposedTask]:
    """The proposals of an extraction the user may see, in document order."""
    return ProposedTask.objects.filter(extraction__in=_extractions(user).filter(pk=extraction.pk)).order_by(
        "position", "id")


def proposed_task_get_for(*, user, id: int) -> ProposedTask:
    return get_one(ProposedTask.objects.filter(extraction__in=_extractions(user)).select_related("extraction"), id,
                   "proposed_task")
