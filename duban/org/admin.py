from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from duban.audit.chain import event_append
from duban.org.models import RoleGrant, Unit, User


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "short_name", "aliases", "level", "parent", "sort_order", "is_active"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and parent.path.startswith(self.instance.path):
            raise forms.ValidationError("上级单位不能是本单位或其下级单位。")
        return parent


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitForm
    list_display = ["name", "short_name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "short_name"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        if obj.path != path:
            if change and Unit.objects.filter(parent=obj).exists():
                # Moving a unit moves its subtree: rewrite every descendant's path prefix.
                for child in Unit.objects.filter(path__startswith=obj.path).exclude(pk=obj.pk):
                    Unit.objects.filter(pk=child.pk).update(path=path + child.path[len(obj.path):])
            Unit.objects.filter(pk=obj.pk).update(path=path)
        event_append(actor=request.user, verb="unit.change" if change else "unit.create", object_type="unit",
                     object_id=obj.pk, unit_id=obj.pk,
                     payload={"name": obj.name, "fields": list(form.changed_data)})


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Never the password itself: only which fields changed.
        event_append(actor=request.user, verb="user.change" if change else "user.create", object_type="user",
                     object_id=obj.pk, unit_id=obj.unit_id,
                     payload={"username": obj.username, "fields": list(form.changed_data)})
