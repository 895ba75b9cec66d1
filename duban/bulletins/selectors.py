"""Bulletins, scoped: a supervisor, leader or inspector sees those whose scope lies in their unit's subtree."""

from django.db.models import QuerySet

from duban.bulletins.models import Bulletin
from duban.org.models import Unit
from duban.org.selectors import Filters, get_one, unit_list_for, viewer_of


def _bulletins(user) -> QuerySet[Bulletin]:
    v = viewer_of(user)
    if v is None or not v.oversees:
        return Bulletin.objects.none()
    return (Bulletin.objects.filter(scope_unit__path__startswith=v.unit_path)
            .select_related("scope_unit", "created_by")
            .defer("figures"))


def bulletin_list_for(*, user, filters: dict | None = None) -> QuerySet[Bulletin]:
    """Filters: scope (a unit id), period (its key, e.g. 2026-11). The newest first."""
    f = Filters(filters, ("scope", "period"), "bulletin_list_for")
    qs = _bulletins(user)
    if (scope := f.int_of("scope")) is not None:
        qs = qs.filter(scope_unit_id=scope)
    if (period := f.text_of("period")) is not None:
        qs = qs.filter(period_key=period)
    return qs.order_by("-created_at", "-id")


def bulletin_get_for(*, user, id: int) -> Bulletin:
    return get_one(_bulletins(user).defer(None), id, "bulletin")


def bulletin_scope_list_for(*, user) -> QuerySet[Unit]:
    """The units a person may make a bulletin for: their own unit and every unit below it."""
    v = viewer_of(user)
    if v is None or not v.oversees:
        return Unit.objects.none()
    return unit_list_for(user=user).filter(path__startswith=v.unit_path)
