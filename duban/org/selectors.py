"""Who is looking, and the units and people they may see (DESIGN.md, Users and roles; Data scope).

`viewer_of` is where every scoped read starts: it turns a request's user into
the facts a visibility rule needs, and into nothing at all for an anonymous,
inactive or role-less user. The three administrators (三员分立) never see
business content by their admin role: only business roles make a viewer.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length

from duban.core.errors import DomainError, NotFound
from duban.org.models import ADMIN_ROLES, Role, RoleGrant, Unit, User

OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR)
UNIT_ROLES = (Role.LIAISON, Role.UNIT_HEAD)


@dataclass(frozen=True)
class Viewer:
    """An active, signed-in person with at least one business role."""

    pk: int
    unit_id: int | None
    unit_path: str | None
    roles: frozenset[str]  # business roles only

    def holds(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def oversees(self) -> bool:
        """Supervisor, leader or inspector of a unit: sees the unit's subtree."""
        return self.unit_path is not None and self.holds(*OVERSIGHT_ROLES)

    @property
    def works_in_unit(self) -> bool:
        """Liaison or unit head: sees what is assigned to their own unit."""
        return self.unit_id is not None and self.holds(*UNIT_ROLES)


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def viewer_of(user) -> Viewer | None:
    """The viewer behind `user`, or None when they may see no business content."""
    if not _signed_in(user):
        return None
    business = frozenset(user.roles) - ADMIN_ROLES
    if not business:
        return None
    path = user.unit.path if user.unit_id is not None else None
    return Viewer(pk=user.pk, unit_id=user.unit_id, unit_path=path or None, roles=business)


def admin_roles_of(user) -> frozenset[str]:
    """The admin roles an active, signed-in user holds (`is_superuser` grants nothing)."""
    if not _signed_in(user):
        return frozenset()
    return frozenset(user.roles) & ADMIN_ROLES


# ---- filters -----------------------------------------------------------------------------------


class Filters:
    """The filters a list selector was given, checked against the keys it knows and read by type.

    A key the selector does not know is a programming error (TypeError), so that a
    misspelt filter never silently widens a list; a value that does not parse is
    the caller's error (DomainError, shown to a person).
    """

    def __init__(self, given: dict | None, known: tuple[str, ...], selector: str):
        self._given = {k: v for k, v in (given or {}).items() if v is not None and v != ""}
        unknown = sorted(set(self._given) - set(known))
        if unknown:
            raise TypeError(f"{selector}() got unknown filters: {', '.join(unknown)}")

    def __contains__(self, key: str) -> bool:
        return key in self._given

    def _invalid(self, key: str) -> DomainError:
        return DomainError("filter_invalid", f"筛选条件“{key}”的值无效。", {"filter": key})

    def text_of(self, key: str) -> str | None:
        value = self._given.get(key)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    def int_of(self, key: str) -> int | None:
        value = self._given.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._invalid(key)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise self._invalid(key) from None
        if not 0 <= number < 2**63:
            raise self._invalid(key)
        return number

    def date_of(self, key: str) -> dt.date | None:
        value = self._given.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            raise self._invalid(key)
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self._invalid(key) from None

    def bool_of(self, key: str) -> bool | None:
        value = self._given.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        try:
            return words[str(value).strip().lower()]
        except KeyError:
            raise self._invalid(key) from None


def get_one(qs: QuerySet, id, kind: str):
    """The row `id` of an already scoped queryset, or NotFound(kind): absent and hidden look the same."""
    try:
        pk = int(id)
    except (TypeError, ValueError):
        raise NotFound(kind) from None
    if isinstance(id, bool) or not 0 < pk < 2**63:
        raise NotFound(kind)
    found = qs.filter(pk=pk).first()
    if found is None:
        raise NotFound(kind)
    return found


def text_in_aliases(q: str) -> Q:
    """`q` inside a unit's aliases (a JSON list).

    PostgreSQL keeps the Chinese as written; SQLite stores the JSON text with
    \\uXXXX escapes, so the escaped spelling is matched too.
    """
    escaped = json.dumps(q)[1:-1]
    condition = Q(aliases__icontains=q)
    if escaped != q:
        condition |= Q(aliases__icontains=escaped)
    return condition


# ---- units -------------------------------------------------------------------------------------


def _may_see_units(user) -> bool:
    return viewer_of(user) is not None or Role.SYSADMIN in admin_roles_of(user)


def _units_for(user) -> QuerySet[Unit]:
    if not _may_see_units(user):
        return Unit.objects.none()
    return Unit.objects.filter(is_active=True).select_related("parent")


def unit_list_for(*, user, filters: dict | None = None) -> QuerySet[Unit]:
    """Active units, for anyone with a business role and for the sysadmin (units are picked from the tree)."""
    f = Filters(filters, ("q", "parent"), "unit_list_for")
    qs = _units_for(user)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | text_in_aliases(q))
    if (parent := f.int_of("parent")) is not None:
        qs = qs.filter(parent_id=parent)
    return qs.order_by("path")


def unit_get_for(*, user, id: int) -> Unit:
    return get_one(_units_for(user), id, "unit")


# ---- people ------------------------------------------------------------------------------------


def _people_for(user) -> QuerySet[User]:
    base = User.objects.select_related("unit").prefetch_related("role_grants")
    if admin_roles_of(user) & {Role.SYSADMIN, Role.SECADMIN}:
        return base
    viewer = viewer_of(user)
    if viewer is None or viewer.unit_path is None:
        return User.objects.none()
    return base.filter(is_active=True, unit__path__startswith=viewer.unit_path)


def person_list_for(*, user, filters: dict | None = None) -> QuerySet[User]:
    """Everyone for the sysadmin and the secadmin; active people of their own unit's subtree for a business user.

    Each person's role grants are prefetched: read them as `person.role_grants.all()`.
    """
    f = Filters(filters, ("q", "unit", "role"), "person_list_for")
    qs = _people_for(user)
    if (q := f.text_of("q")) is not None:
        qs = qs.filter(Q(full_name__icontains=q) | Q(username__icontains=q) | Q(title__icontains=q))
    if (unit := f.int_of("unit")) is not None:
        qs = qs.filter(unit_id=unit)
    if (role := f.text_of("role")) is not None:
        qs = qs.filter(Exists(RoleGrant.objects.filter(user_id=OuterRef("pk"), role=role)))
    return qs.order_by("-id")


def person_get_for(*, user, id: int) -> User:
    return get_one(_people_for(user), id, "person")


def _leaders_above(user) -> QuerySet[User]:
    v = viewer_of(user)
    if v is None or v.unit_path is None:
        return User.objects.none()
    ancestors = [int(part) for part in v.unit_path.strip("/").split("/") if part]
    return User.objects.filter(is_active=True, unit_id__in=ancestors, role_grants__role=Role.LEADER)


def leader_above_list_for(*, user) -> QuerySet[User]:
    """The leaders of the user's own unit and of the units above it (whom a blocker may go to), nearest first."""
    return _leaders_above(user).select_related("unit").order_by(Length("unit__path").desc(), "full_name", "id")


def leader_above_get_for(*, user, id: int) -> User:
    """A leader of the user's own unit or of a unit above it: whom a blocker may be escalated to (提请协调).

    Any other id — absent, not a leader, below or beside the user — is not found, so that choosing a
    leader reveals no one else's existence.
    """
    return get_one(_leaders_above(user), id, "person")
