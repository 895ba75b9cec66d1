"""The back office's rules of entry (三员分立).

Only an active person holding one of the three admin roles, and no business
role, enters the admin site. Inside, each ModelAdmin names the roles that may
see it (`only_for`) and those that may add, change or delete through it; what
names nobody is shown to nobody. Business content (decisions, tasks,
assignments, reports …) is registered for no role at all.

Writes made in the back office go through the services, which check the actor
again and append the Event: an admin form is only another edge.
"""

from django.contrib import admin, messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from duban.core.errors import DomainError
from duban.org.models import ADMIN_ROLES, Role
from duban.org.services import BUSINESS_ROLES, lockout_lift, otp_device_remove
from duban.security.client_ip import client_ip

NOBODY: frozenset[str] = frozenset()
SECADMIN = frozenset({Role.SECADMIN})

# Admins that other apps register on the default site, and who may look at them.
THIRD_PARTY_ADMINS: dict[str, frozenset[str]] = {
    "axes": SECADMIN,  # login attempts, logs and lockouts
    "otp_totp": SECADMIN,  # second-factor devices
}

# The only writes made through those admins: a delete, done by a service (audited).
THIRD_PARTY_DELETES = {
    "axes.accessattempt": lambda request, obj: lockout_lift(actor=request.user, attempt=obj,
                                                            address=client_address(request)),
    "otp_totp.totpdevice": lambda request, obj: otp_device_remove(actor=request.user, device=obj,
                                                                  address=client_address(request)),
}

# Columns and fields that would show a secret (a TOTP key, its QR code) to whoever looks.
SECRET_FIELDS = frozenset({"key", "bin_key", "config_url", "qrcode_link"})


def may_enter_back_office(user) -> bool:
    if user is None:
        return False
    if not user.is_authenticated:
        return False
    if not user.is_active:
        return False
    if user.has_role(*BUSINESS_ROLES):
        return False
    return user.has_role(*ADMIN_ROLES)


def admin_may(request, roles: frozenset[str]) -> bool:
    """The request's user is in the back office and holds one of `roles`."""
    if not roles:
        return False
    if not may_enter_back_office(request.user):
        return False
    return request.user.has_role(*roles)


def admin_may_write(request, roles: frozenset[str]) -> bool:
    if request.user.is_authenticated and request.user.has_role(Role.AUDITOR):
        return False  # the auditor reads; nothing anywhere is written by the auditor
    return admin_may(request, roles)


class BackOfficeLoginForm(AuthenticationForm):
    """The admin site's login: lets in the three administrators, whatever `is_staff` says; refuses others alike."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_enter_back_office(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


def client_address(request) -> str | None:
    return client_ip(request)


class ShowsRefusals:
    """A service's refusal (DomainError) is shown to the administrator as a message, not turned into a 500.

    The admin view's transaction is rolled back by the exception before the redirect.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            return self.refused(request, exc)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            return self.refused(request, exc)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as exc:
            return self.refused(request, exc)

    def refused(self, request, exc: DomainError):
        self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class RoleAdmin(ShowsRefusals, admin.ModelAdmin):
    """A ModelAdmin opened only by the admin roles it names; writes only by those in the write sets."""

    only_for: frozenset[str] = NOBODY
    add_by: frozenset[str] = NOBODY
    change_by: frozenset[str] = NOBODY
    delete_by: frozenset[str] = NOBODY

    def has_module_permission(self, request):
        return admin_may(request, self.only_for)

    def has_view_permission(self, request, obj=None):
        return admin_may(request, self.only_for)

    def has_add_permission(self, request):
        return admin_may_write(request, self.only_for & self.add_by)

    def has_change_permission(self, request, obj=None):
        return admin_may_write(request, self.only_for & self.change_by)

    def has_delete_permission(self, request, obj=None):
        return admin_may_write(request, self.only_for & self.delete_by)


class ThirdPartyAdmin(ShowsRefusals):
    """Mixed into another app's ModelAdmin by the site: look, delete only through a service, never see a secret."""

    only_for: frozenset[str] = NOBODY
    delete_with = None  # a function (request, obj) that deletes through a service, or None

    def has_module_permission(self, request):
        return admin_may(request, self.only_for)

    def has_view_permission(self, request, obj=None):
        return admin_may(request, self.only_for)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if self.delete_with is None:
            return False
        return admin_may_write(request, self.only_for)

    def delete_model(self, request, obj):
        self.delete_with(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_with(request, obj)

    def get_actions(self, request):
        # Their own actions (e.g. a bulk cleanup) would write unaudited: only the audited delete stays.
        return {name: action for name, action in super().get_actions(request).items() if name == "delete_selected"}

    def get_urls(self):
        # The standard list and detail views only: no extra view (a QR code, a config page).
        return admin.ModelAdmin.get_urls(self)

    def get_list_display(self, request):
        return [f for f in super().get_list_display(request) if f not in SECRET_FIELDS]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in SECRET_FIELDS]})
                for name, opts in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f not in SECRET_FIELDS]


def role_scoped(model, admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """The admin class as our site registers it: ours as written, anyone else's read-only and default-deny."""
    if issubclass(admin_class, RoleAdmin):
        return admin_class
    only_for = THIRD_PARTY_ADMINS.get(model._meta.app_label, NOBODY)
    delete_with = THIRD_PARTY_DELETES.get(model._meta.label_lower)
    return type(admin_class.__name__, (ThirdPartyAdmin, admin_class),
                {"only_for": only_for, "delete_with": staticmethod(delete_with) if delete_with else None,
                 "__module__": admin_class.__module__})
