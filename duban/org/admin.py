"""Units and people for the sysadmin, role grants for the secadmin. Every save goes through a service."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from duban.core.admin import RoleAdmin, client_address
from duban.core.errors import DomainError
from duban.org.models import Role, RoleGrant, Unit, User
from duban.org.services import (
    PERSON_FIELDS,
    UNIT_FIELDS,
    person_activate,
    person_create,
    person_deactivate,
    person_password_reset,
    person_update,
    role_grant,
    role_revoke,
    unit_create,
    unit_update,
)

SYSADMIN = frozenset({Role.SYSADMIN})
SECADMIN = frozenset({Role.SECADMIN})


class AliasesField(forms.CharField):
    """别称 typed as one line, separated by 、 or commas."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "、".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [a for a in (part.strip() for part in re.split(r"[、,，;；\s]+", text)) if a]


class UnitForm(forms.ModelForm):
    aliases = AliasesField(label="别称", required=False, help_text="多个别称用顿号或逗号分隔。")

    class Meta:
        model = Unit
        fields = list(UNIT_FIELDS)

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and parent.path.startswith(self.instance.path):
            raise forms.ValidationError("上级单位不能是本单位或其下级单位。")
        return parent


@admin.register(Unit)
class UnitAdmin(RoleAdmin):
    only_for = add_by = change_by = SYSADMIN
    form = UnitForm
    list_display = ["name", "short_name", "level", "parent", "sort_order", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "short_name"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [f for f in UNIT_FIELDS if f != "is_active"]  # a new unit starts active
        return [*UNIT_FIELDS, "path"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in form.changed_data if field in UNIT_FIELDS}
            if changes:
                unit_update(actor=request.user, unit=obj, address=client_address(request), **changes)
            obj.refresh_from_db()
            return
        unit = unit_create(actor=request.user, name=data["name"], level=data["level"], parent=data["parent"],
                           short_name=data["short_name"], aliases=data["aliases"], sort_order=data["sort_order"],
                           address=client_address(request))
        obj.pk, obj.path = unit.pk, unit.path


class PersonAddForm(forms.ModelForm):
    password1 = forms.CharField(label="初始密码", strip=False, widget=forms.PasswordInput,
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label="再次输入", strip=False, widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ["username", *PERSON_FIELDS]

    def clean(self):
        data = super().clean()
        password = data.get("password1")
        if password and password != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        elif password:
            try:
                validate_password(password, User(username=data.get("username", ""),
                                                 full_name=data.get("full_name", "")))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PersonChangeForm(forms.ModelForm):
    new_password1 = forms.CharField(label="重置密码", strip=False, required=False, widget=forms.PasswordInput,
                                    help_text="留空则不修改。重置后该人员下次登录须修改密码。")
    new_password2 = forms.CharField(label="再次输入", strip=False, required=False, widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = list(PERSON_FIELDS)

    def clean(self):
        data = super().clean()
        password = data.get("new_password1")
        if password and password != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的密码不一致。")
        elif password:
            try:
                validate_password(password, self.instance)
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return data


@admin.display(description="角色")
def roles_display(person: User) -> str:
    return "、".join(Role(r).label for r in sorted(person.roles)) or "—"


@admin.register(User)
class PersonAdmin(RoleAdmin):
    """People for the sysadmin: accounts, names, units. Roles are shown, never edited, here."""

    only_for = add_by = change_by = SYSADMIN
    list_display = ["username", "full_name", "unit", "title", roles_display, "is_active"]
    list_filter = ["is_active", "role_grants__role"]
    search_fields = ["username", "full_name", "phone"]
    list_select_related = ["unit"]
    actions = ["deactivate_selected", "activate_selected"]
    ordering = ["username"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("role_grants")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = PersonChangeForm if obj is not None else PersonAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["username", *PERSON_FIELDS, "password1", "password2"]})]
        return [
            (None, {"fields": ["username", *PERSON_FIELDS]}),
            ("账号", {"fields": [roles_display, "is_active", "last_login", "date_joined", "password_changed_at",
                                "must_change_password"]}),
            ("重置密码", {"fields": ["new_password1", "new_password2"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["username", roles_display, "is_active", "last_login", "date_joined", "password_changed_at",
                "must_change_password"]

    @method_decorator(sensitive_post_parameters())
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data, address = form.cleaned_data, client_address(request)
        if not change:
            person = person_create(actor=request.user, username=data["username"], full_name=data["full_name"],
                                   unit=data["unit"], roles=[], password=data["password1"], title=data["title"],
                                   phone=data["phone"], address=address)
            obj.pk = person.pk
            return
        changes = {field: data[field] for field in form.changed_data if field in PERSON_FIELDS}
        if changes:
            person_update(actor=request.user, person=obj, address=address, **changes)
        if data.get("new_password1"):
            person_password_reset(actor=request.user, person=obj, password=data["new_password1"], address=address)
        obj.refresh_from_db()

    @admin.action(description="停用所选人员", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._each(request, queryset, person_deactivate, "已停用")

    @admin.action(description="启用所选人员", permissions=["change"])
    def activate_selected(self, request, queryset):
        self._each(request, queryset, person_activate, "已启用")

    def _each(self, request, queryset, service, done: str) -> None:
        # One service call (one transaction, one Event) a person; a refusal leaves the others done.
        ok = 0
        for person in queryset:
            try:
                service(actor=request.user, person=person, address=client_address(request))
                ok += 1
            except DomainError as exc:
                self.message_user(request, f"{person}：{exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done} {ok} 人。", messages.SUCCESS)


class RoleGrantForm(forms.ModelForm):
    class Meta:
        model = RoleGrant
        fields = ["user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).select_related("unit").order_by("username")
        self.fields["user"].label_from_instance = lambda u: f"{u.full_name or u.username}（{u.username}，{u.unit or '无单位'}）"
        self.fields["user"].label = "人员"


@admin.register(RoleGrant)
class RoleGrantAdmin(RoleAdmin):
    """Role grants for the secadmin: add is role_grant, delete is role_revoke; a grant is never edited."""

    only_for = add_by = delete_by = SECADMIN
    form = RoleGrantForm
    list_display = ["user", "username", "unit", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user__unit"]
    ordering = ["user__username", "role"]

    @admin.display(description="登录名", ordering="user__username")
    def username(self, grant: RoleGrant) -> str:
        return grant.user.username

    @admin.display(description="所属单位")
    def unit(self, grant: RoleGrant) -> str:
        return str(grant.user.unit or "—")

    def save_model(self, request, obj, form, change):
        grant = role_grant(actor=request.user, person=obj.user, role=obj.role, address=client_address(request))
        obj.pk = grant.pk

    def delete_model(self, request, obj):
        role_revoke(actor=request.user, person=obj.user, role=obj.role, address=client_address(request))

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("user"):
            role_revoke(actor=request.user, person=grant.user, role=grant.role, address=client_address(request))
