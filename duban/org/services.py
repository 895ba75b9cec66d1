"""Units and people: created by a sysadmin (or the system at install and in the demo)."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from duban.audit.chain import event_append
from duban.core.errors import DomainError, PermissionDenied
from duban.org.models import ADMIN_ROLES, Role, RoleGrant, Unit, UnitLevel, User


def _check_sysadmin(actor) -> None:
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.SYSADMIN)):
        raise PermissionDenied("只有系统管理员可以维护单位和人员。")


@transaction.atomic
def unit_create(*, actor, name: str, level: str, parent: Unit | None = None, short_name: str = "",
                aliases: list[str] | None = None, sort_order: int = 0) -> Unit:
    _check_sysadmin(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError("unit_name_required", "请填写单位全称。")
    if level not in UnitLevel.values:
        raise DomainError("unit_level_invalid", "单位层级无效。")
    if Unit.objects.filter(parent=parent, name=name).exists():
        raise DomainError("unit_name_taken", f"同一上级下已有“{name}”。")
    unit = Unit.objects.create(name=name, level=level, parent=parent, short_name=short_name.strip(),
                               aliases=[a.strip() for a in aliases or [] if a.strip()], sort_order=sort_order)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    event_append(actor=actor, verb="unit.create", object_type="unit", object_id=unit.pk, unit_id=unit.pk,
                 payload={"name": name, "parent": parent.pk if parent else None, "level": level})
    return unit


@transaction.atomic
def person_create(*, actor, username: str, full_name: str, unit: Unit | None, roles: list[str],
                  password: str | None, title: str = "", check_password: bool = True,
                  password_hash: str | None = None) -> User:
    """Create a person with roles. One person never holds two of the three admin roles (三员分立).

    `password_hash` (an encoded hash from make_password) lets a bulk load such as the demo hash
    one shared password once instead of once per person.
    """
    _check_sysadmin(actor)
    username = (username or "").strip()
    if not username:
        raise DomainError("user_username_required", "请填写登录名。")
    if User.objects.filter(username=username).exists():
        raise DomainError("user_username_taken", f"登录名“{username}”已被使用。")
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise DomainError("user_role_invalid", f"角色无效：{'、'.join(bad)}")
    if len(ADMIN_ROLES.intersection(roles)) > 1:
        raise DomainError("user_admin_roles_separated", "系统管理员、安全管理员、审计管理员须由不同人员担任（三员分立）。")
    user = User(username=username, full_name=full_name.strip(), unit=unit, title=title.strip())
    if password_hash:
        user.password = password_hash
    elif password:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise DomainError("user_password_weak", "密码不符合要求：" + "；".join(exc.messages)) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in dict.fromkeys(roles)])
    event_append(actor=actor, verb="user.create", object_type="user", object_id=user.pk,
                 unit_id=unit.pk if unit else None, payload={"username": username, "roles": list(roles)})
    return user
