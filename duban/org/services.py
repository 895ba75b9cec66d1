"""Units, people and roles, under 三员分立.

A sysadmin keeps units and accounts, a secadmin grants and revokes roles (and
lifts a lockout or removes a lost second-factor device), an auditor only reads
the trail; the system (actor None: install, CLI, demo, test cast) may do all
of it. No account is all-powerful: `is_superuser` grants
nothing here. Every function is one transaction that appends exactly one Event;
`address` (the client's IP, when the call comes from a request) goes into its
payload as "ip".
"""

from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.audit.chain import event_append
from duban.core.errors import DomainError, PermissionDenied
from duban.org.models import ADMIN_ROLES, Role, RoleGrant, Unit, UnitLevel, User

BUSINESS_ROLES = frozenset(set(Role) - ADMIN_ROLES)
UNIT_FIELDS = ("name", "short_name", "aliases", "level", "parent", "sort_order", "is_active")
PERSON_FIELDS = ("full_name", "unit", "title", "phone")

_KEEP = object()  # a keyword left out of an update: the field keeps its value


# ---- who may call -----------------------------------------------------------------------------


def _check_sysadmin(actor) -> None:
    """The system, or an active sysadmin: units, accounts, configuration."""
    if actor is None:
        return
    if not actor.is_active:
        raise PermissionDenied("账号已停用。", code="sysadmin_only")
    if not actor.has_role(Role.SYSADMIN):
        raise PermissionDenied("只有系统管理员可以维护单位和人员。", code="sysadmin_only")


def _check_secadmin(actor) -> None:
    """The system, or an active secadmin: roles and security policy."""
    if actor is None:
        return
    if not actor.is_active:
        raise PermissionDenied("账号已停用。", code="secadmin_only")
    if not actor.has_role(Role.SECADMIN):
        raise PermissionDenied("只有安全管理员可以授予或收回角色。", code="secadmin_only")


def _check_account_not_admin(actor, person: User) -> None:
    """A sysadmin may not take over an administrator's account (password, activation).

    Otherwise the sysadmin could reset the auditor's or the secadmin's password and
    act as them, and 三员分立 would hold on paper only. The system may.
    """
    if actor is None:
        return
    if _roles_of(person) & ADMIN_ROLES:
        raise PermissionDenied("管理员账号的密码和启用状态只能由系统运维在命令行维护。",
                               code="user_admin_account_protected")


def _roles_of(person: User) -> set[str]:
    # From the table, not the instance's cache: the caller's copy may be stale.
    return set(RoleGrant.objects.filter(user_id=person.pk).values_list("role", flat=True))


def _check_roles_compatible(held: set[str], adding: set[str]) -> None:
    """三员分立: at most one admin role, and never an admin role beside a business role."""
    roles = held | adding
    if len(roles & ADMIN_ROLES) > 1:
        raise DomainError("user_admin_roles_separated",
                          "系统管理员、安全管理员、审计管理员须由不同人员担任（三员分立）。")
    if roles & ADMIN_ROLES and roles & BUSINESS_ROLES:
        raise DomainError("user_admin_business_separated",
                          "管理员不能同时担任业务角色（领导、督查员、单位负责人、联络员、督查组成员）。")


def _with_ip(payload: dict, address: str | None) -> dict:
    if address:
        payload["ip"] = address
    return payload


def _locked(model, pk: int):
    # The row, re-read and (on PostgreSQL) locked: two admins editing one row take turns.
    return model.objects.select_for_update().get(pk=pk)


def _lock_person(person: User) -> None:
    # Two grants to one person take turns, so that both cannot pass the 三员分立 check.
    User.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()


def _full_clean(obj, code: str, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise DomainError(code, "；".join(exc.messages), {"fields": sorted(exc.message_dict)}) from None


def _password_checked(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("user_password_weak", "密码不符合要求：" + "；".join(exc.messages)) from None


# ---- units ------------------------------------------------------------------------------------


def _clean_aliases(aliases) -> list[str]:
    return list(dict.fromkeys(a.strip() for a in aliases or [] if a and a.strip()))


@transaction.atomic
def unit_create(*, actor, name: str, level: str, parent: Unit | None = None, short_name: str = "",
                aliases: list[str] | None = None, sort_order: int = 0, address: str | None = None) -> Unit:
    _check_sysadmin(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError("unit_name_required", "请填写单位全称。")
    if level not in UnitLevel.values:
        raise DomainError("unit_level_invalid", "单位层级无效。")
    if Unit.objects.filter(parent=parent, name=name).exists():
        raise DomainError("unit_name_taken", f"同一上级下已有“{name}”。")
    unit = Unit(name=name, level=level, parent=parent, short_name=(short_name or "").strip(),
                aliases=_clean_aliases(aliases), sort_order=sort_order)
    _full_clean(unit, "unit_invalid", exclude=["parent"])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    event_append(actor=actor, verb="unit.create", object_type="unit", object_id=unit.pk, unit_id=unit.pk,
                 payload=_with_ip({"name": name, "parent": parent.pk if parent else None, "level": level},
                                  address))
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, name=_KEEP, short_name=_KEEP, aliases=_KEEP, level=_KEEP, parent=_KEEP,
                sort_order=_KEEP, is_active=_KEEP, address: str | None = None) -> Unit:
    """Change a unit. A new parent moves the whole subtree: every path below is rewritten."""
    _check_sysadmin(actor)
    unit = _locked(Unit, unit.pk)
    given = {"name": name, "short_name": short_name, "aliases": aliases, "level": level, "parent": parent,
             "sort_order": sort_order, "is_active": is_active}
    changes = {field: value for field, value in given.items() if value is not _KEEP}
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise DomainError("unit_name_required", "请填写单位全称。")
    if "short_name" in changes:
        changes["short_name"] = (changes["short_name"] or "").strip()
    if "aliases" in changes:
        changes["aliases"] = _clean_aliases(changes["aliases"])
    if "level" in changes and changes["level"] not in UnitLevel.values:
        raise DomainError("unit_level_invalid", "单位层级无效。")
    new_parent = changes.get("parent", unit.parent)
    if new_parent is not None:
        new_parent = Unit.objects.get(pk=new_parent.pk)  # its path as stored, not as the caller holds it
        if new_parent.path.startswith(unit.path):
            raise DomainError("unit_parent_cycle", "上级单位不能是本单位或其下级单位。")
    if "parent" in changes:
        changes["parent"] = new_parent
    new_name = changes.get("name", unit.name)
    if Unit.objects.filter(parent=new_parent, name=new_name).exclude(pk=unit.pk).exists():
        raise DomainError("unit_name_taken", f"同一上级下已有“{new_name}”。")

    changed = sorted(field for field, value in changes.items() if getattr(unit, field) != value)
    for field in changed:
        setattr(unit, field, changes[field])
    _full_clean(unit, "unit_invalid", exclude=["parent"])
    old_path = unit.path
    new_path = f"{new_parent.path if new_parent else '/'}{unit.pk}/"
    if changed:
        unit.save(update_fields=changed)
    moved = 0
    if new_path != old_path:
        # One statement for the unit and everything below it: swap the path prefix.
        moved = Unit.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
        )
        unit.path = new_path
    payload = {"name": unit.name, "fields": changed}
    if "parent" in changed:
        payload.update({"parent": new_parent.pk if new_parent else None, "old_path": old_path,
                        "path": new_path, "moved": moved})
    event_append(actor=actor, verb="unit.update", object_type="unit", object_id=unit.pk, unit_id=unit.pk,
                 payload=_with_ip(payload, address))
    return unit


# ---- people -----------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, actor, username: str, full_name: str, unit: Unit | None, roles: list[str],
                  password: str | None, title: str = "", phone: str = "", check_password: bool = True,
                  password_hash: str | None = None, address: str | None = None) -> User:
    """Create an account. Only the system creates one with roles; a sysadmin's accounts start with none
    and a secadmin grants them (三员分立).

    `password_hash` (an encoded hash from make_password) lets a bulk load such as the demo hash
    one shared password once instead of once per person.
    """
    _check_sysadmin(actor)
    if actor is not None and roles:
        raise PermissionDenied("系统管理员不能授予角色，请创建账号后由安全管理员授予。", code="secadmin_only")
    username = (username or "").strip()
    if not username:
        raise DomainError("user_username_required", "请填写登录名。")
    if User.objects.filter(username=username).exists():
        raise DomainError("user_username_taken", f"登录名“{username}”已被使用。")
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise DomainError("user_role_invalid", f"角色无效：{'、'.join(bad)}")
    _check_roles_compatible(set(), set(roles))
    user = User(username=username, full_name=(full_name or "").strip(), unit=unit, title=(title or "").strip(),
                phone=(phone or "").strip())
    if password_hash:
        user.password = password_hash
    elif password:
        if check_password:
            _password_checked(password, user)
        user.set_password(password)
        # A password someone else chose is for the first sign-in only (the system's own are not).
        user.must_change_password = actor is not None
    else:
        user.set_unusable_password()
    user.save()
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in dict.fromkeys(roles)])
    event_append(actor=actor, verb="user.create", object_type="user", object_id=user.pk,
                 unit_id=unit.pk if unit else None,
                 payload=_with_ip({"username": username, "roles": list(roles)}, address))
    return user


@transaction.atomic
def person_update(*, actor, person: User, full_name=_KEEP, unit=_KEEP, title=_KEEP, phone=_KEEP,
                  address: str | None = None) -> User:
    """Change a person's name, unit, title or phone. Roles, password and activation have their own doors."""
    _check_sysadmin(actor)
    person = _locked(User, person.pk)
    given = {"full_name": full_name, "unit": unit, "title": title, "phone": phone}
    changes = {field: value for field, value in given.items() if value is not _KEEP}
    for field in ("full_name", "title", "phone"):
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    if changes.get("unit") is not None and changes["unit"].pk != person.unit_id:
        if not Unit.objects.filter(pk=changes["unit"].pk, is_active=True).exists():
            raise DomainError("unit_inactive", "不能调入已停用的单位。")
    changed = sorted(field for field, value in changes.items() if getattr(person, field) != value)
    old_unit = person.unit_id
    for field in changed:
        setattr(person, field, changes[field])
    _full_clean(person, "user_invalid", exclude=["password", "username", "unit"])
    if changed:
        person.save(update_fields=changed)
    payload = {"username": person.username, "fields": changed}
    if "unit" in changed:
        payload.update({"old_unit": old_unit, "unit": person.unit_id})
    event_append(actor=actor, verb="user.update", object_type="user", object_id=person.pk,
                 unit_id=person.unit_id, payload=_with_ip(payload, address))
    return person


@transaction.atomic
def person_deactivate(*, actor, person: User, address: str | None = None) -> User:
    """Stop an account: it can no longer log in; its history stays (people are never deleted)."""
    _check_sysadmin(actor)
    person = _locked(User, person.pk)
    if actor is not None and actor.pk == person.pk:
        raise DomainError("user_self_deactivate", "不能停用自己的账号。")
    _check_account_not_admin(actor, person)
    if not person.is_active:
        raise DomainError("user_already_inactive", f"“{person}”的账号已停用。")
    person.is_active = False
    person.save(update_fields=["is_active"])
    event_append(actor=actor, verb="user.deactivate", object_type="user", object_id=person.pk,
                 unit_id=person.unit_id, payload=_with_ip({"username": person.username}, address))
    return person


@transaction.atomic
def person_activate(*, actor, person: User, address: str | None = None) -> User:
    _check_sysadmin(actor)
    person = _locked(User, person.pk)
    _check_account_not_admin(actor, person)
    if person.is_active:
        raise DomainError("user_already_active", f"“{person}”的账号已是启用状态。")
    person.is_active = True
    person.save(update_fields=["is_active"])
    event_append(actor=actor, verb="user.activate", object_type="user", object_id=person.pk,
                 unit_id=person.unit_id, payload=_with_ip({"username": person.username}, address))
    return person


@transaction.atomic
def person_password_reset(*, actor, person: User, password: str, address: str | None = None) -> User:
    """Set a new password that the person must change at the next login. The trail never holds it."""
    _check_sysadmin(actor)
    person = _locked(User, person.pk)
    _check_account_not_admin(actor, person)
    if not password:
        raise DomainError("user_password_required", "请填写新密码。")
    _password_checked(password, person)
    person.set_password(password)
    person.must_change_password = True
    person.save(update_fields=["password", "must_change_password"])
    event_append(actor=actor, verb="user.password_reset", object_type="user", object_id=person.pk,
                 unit_id=person.unit_id, payload=_with_ip({"username": person.username}, address))
    return person


# ---- roles ------------------------------------------------------------------------------------


@transaction.atomic
def role_grant(*, actor, person: User, role: str, address: str | None = None) -> RoleGrant:
    _check_secadmin(actor)
    if role not in Role.values:
        raise DomainError("user_role_invalid", f"角色无效：{role}")
    if actor is not None and actor.pk == person.pk:
        raise PermissionDenied("不能给自己授予角色。", code="role_self_grant")
    _lock_person(person)
    held = _roles_of(person)
    if role in held:
        raise DomainError("role_already_granted", f"“{person}”已是{Role(role).label}。")
    _check_roles_compatible(held, {role})
    grant = RoleGrant.objects.create(user=person, role=role)
    person._roles_cache = None
    event_append(actor=actor, verb="role.grant", object_type="user", object_id=person.pk, unit_id=person.unit_id,
                 payload=_with_ip({"role": role, "person": person.pk, "username": person.username}, address))
    return grant


@transaction.atomic
def role_revoke(*, actor, person: User, role: str, address: str | None = None) -> None:
    _check_secadmin(actor)
    if actor is not None and actor.pk == person.pk:
        raise PermissionDenied("不能收回自己的角色。", code="role_self_revoke")
    _lock_person(person)
    deleted, _ = RoleGrant.objects.filter(user=person, role=role).delete()
    if not deleted:
        raise DomainError("role_not_granted", f"“{person}”没有该角色。")
    person._roles_cache = None
    event_append(actor=actor, verb="role.revoke", object_type="user", object_id=person.pk, unit_id=person.unit_id,
                 payload=_with_ip({"role": role, "person": person.pk, "username": person.username}, address))


# ---- sign-in policy: the secadmin's two corrections ---------------------------------------------


def _security_payload(username: str, address: str | None, **extra) -> dict:
    return _with_ip({"username": username, "outcome": "success", **extra}, address)


@transaction.atomic
def lockout_lift(*, actor, attempt: AccessAttempt, address: str | None = None) -> None:
    """End a lockout early: the account's failures from that address are forgotten."""
    _check_secadmin(actor)
    deleted, _ = AccessAttempt.objects.filter(pk=attempt.pk).delete()
    if not deleted:
        raise DomainError("lockout_not_found", "该锁定记录已不存在，可能已过期或已被解除。")
    person = User.objects.filter(username=attempt.username).first()
    event_append(actor=actor, verb="security.lockout_lift", object_type="security",
                 object_id=person.pk if person else None, unit_id=person.unit_id if person else None,
                 payload=_security_payload(attempt.username or "", address, locked_ip=attempt.ip_address))


@transaction.atomic
def otp_device_remove(*, actor, device: TOTPDevice, address: str | None = None) -> None:
    """Remove a lost authenticator; the person enrols a new one at the next sign-in."""
    _check_secadmin(actor)
    deleted, _ = TOTPDevice.objects.filter(pk=device.pk).delete()
    if not deleted:
        raise DomainError("otp_device_not_found", "该动态口令设备已不存在。")
    person = User.objects.get(pk=device.user_id)
    event_append(actor=actor, verb="security.otp_remove", object_type="security", object_id=person.pk,
                 unit_id=person.unit_id,
                 payload=_security_payload(person.username, address, device=device.persistent_id))
