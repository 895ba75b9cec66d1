from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from duban.org.models import RoleGrant, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "short_name"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        if obj.path != path:
            Unit.objects.filter(pk=obj.pk).update(path=path)


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ["username", "full_name", "unit", "title", "is_active"]
    list_filter = ["is_active", "role_grants__role"]
    search_fields = ["username", "full_name"]
    list_select_related = ["unit"]
    inlines = [RoleGrantInline]
    fieldsets = UserAdmin.fieldsets + (("单位与职务", {"fields": ("full_name", "unit", "title", "phone")}),)
