"""The back office: one admin site for the three administrators (三员分立).

This module is imported while the app registry is still loading (settings names
DubanAdminConfig), so anything that touches models is imported inside methods.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse


class DubanAdminSite(admin.AdminSite):
    site_header = "督办 · 后台管理"
    site_title = "督办"
    index_title = "后台管理"

    @property
    def login_form(self):
        from duban.core.admin import BackOfficeLoginForm

        return BackOfficeLoginForm

    def has_permission(self, request):
        # Not is_staff, not is_superuser: one of the three admin roles and no business role.
        from duban.core.admin import may_enter_back_office

        return may_enter_back_office(request.user)

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every registration, ours or another app's, passes through the role rules.
        from duban.core.admin import role_scoped

        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        for model in models:
            super().register(model, role_scoped(model, admin_class or admin.ModelAdmin), **options)

    def password_change(self, request, extra_context=None):
        # A password changes through the account's own page (audited), never through a bare admin form.
        try:
            return HttpResponseRedirect(reverse("password_change"))
        except NoReverseMatch:
            raise Http404 from None


class DubanAdminConfig(AdminConfig):
    default_site = "duban.core.adminsite.DubanAdminSite"
