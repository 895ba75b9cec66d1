"""Units in a tree, people in units, and the roles they hold."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class UnitLevel(models.TextChoices):
    PROVINCE = "province", "省"
    PREFECTURE = "prefecture", "州/市"
    COUNTY = "county", "县/区"
    DEPARTMENT = "department", "部门"
    TOWNSHIP = "township", "乡镇/街道"


class Unit(models.Model):
    """A unit in the tree 省 → 州/市 → 县 → 部门/乡镇.

    `path` is a materialised path ("/1/4/17/") so that a subtree is one indexed
    prefix match — the whole of a supervisor's scope in one condition.
    """

    name = models.CharField("全称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    aliases = models.JSONField("别称", default=list, blank=True)
    level = models.CharField("层级", max_length=20, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField("路径", max_length=255, db_index=True, editable=False, default="")
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_in_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def is_within(self, other: "Unit") -> bool:
        """True when this unit is `other` or below it."""
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    LEADER = "leader", "领导"
    SUPERVISOR = "supervisor", "督查员"
    UNIT_HEAD = "unit_head", "单位负责人"
    LIAISON = "liaison", "联络员"
    INSPECTOR = "inspector", "督查组成员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITOR = "auditor", "审计管理员"


ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})


class User(AbstractUser):
    """A person: one unit, one or more roles."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="people")
    title = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    # Password age (DUBAN_PASSWORD_MAX_AGE_DAYS) counts from here; a new person starts fresh.
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)
    # Set when an administrator sets or resets the password: the person chooses their own at next sign-in.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def roles(self) -> frozenset[str]:
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("role_grants")
            if prefetched is not None:
                cached = frozenset(g.role for g in prefetched)
            else:
                cached = frozenset(self.role_grants.values_list("role", flat=True))
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "角色授予"
        verbose_name_plural = "角色授予"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique")]
        indexes = [models.Index(fields=["role", "user"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
