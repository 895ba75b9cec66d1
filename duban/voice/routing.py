"""Where a clue goes: the office that triages it, and the units it might be forwarded to (属地优先)."""

from django.db.models import Q

from duban.org.models import Role, Unit, UnitLevel, User


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def office_for(place: Unit | None) -> Unit:
    """The nearest unit at or above the place with an active supervisor (its 督查室); with no place, the
    highest such unit. The clue is triaged there and seen by every supervisor above it."""
    with_supervisor = (User.objects.filter(is_active=True, role_grants__role=Role.SUPERVISOR)
                       .values_list("unit_id", flat=True))
    offices = Unit.objects.filter(is_active=True, pk__in=with_supervisor)
    if place is not None:
        nearest = offices.filter(path__in=_ancestor_paths(place.path)).order_by("-path").first()
        if nearest is not None:
            return nearest
    top = sorted(offices, key=lambda u: (u.path.count("/"), u.path))
    if top:
        return top[0]
    root = Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path").first()
    if root is None:
        raise RuntimeError("no unit exists to receive public clues")
    return root


def units_suggested(*, place: Unit | None, office: Unit, limit: int = 5) -> list[Unit]:
    """属地优先: the place's own unit when it is one the office may assign to (a county, township or
    department), then its parents up to (not including) the office."""
    if place is None or not place.path.startswith(office.path) or place.pk == office.pk:
        return []
    chain = [p for p in _ancestor_paths(place.path) if p.startswith(office.path) and p != office.path]
    units = {u.path: u for u in Unit.objects.filter(path__in=chain, is_active=True)}
    ordered = [units[p] for p in reversed(chain) if p in units]
    return ordered[:limit]


def place_choices(office: Unit | None = None) -> list[Unit]:
    """The places a citizen picks from: counties and townships (and the prefecture itself), not departments."""
    qs = Unit.objects.filter(is_active=True).filter(
        Q(level__in=[UnitLevel.PREFECTURE, UnitLevel.COUNTY, UnitLevel.TOWNSHIP]))
    if office is not None:
        qs = qs.filter(path__startswith=office.path)
    return list(qs.order_by("path"))
