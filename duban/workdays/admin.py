from django.contrib import admin

from duban.core.admin import RoleAdmin
from duban.org.models import Role
from duban.workdays.models import CalendarDay, CalendarYear
from duban.workdays.services import calendar_day_set

SYSADMIN = frozenset({Role.SYSADMIN})


@admin.register(CalendarDay)
class CalendarDayAdmin(RoleAdmin):
    only_for = add_by = change_by = SYSADMIN
    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["date"] if obj is not None else []  # another date is another row: add it instead

    def save_model(self, request, obj, form, change):
        # Through the service, so that the edit is audited and the cache cleared.
        calendar_day_set(actor=request.user, date=obj.date, is_workday=obj.is_workday, name=obj.name)


@admin.register(CalendarYear)
class CalendarYearAdmin(RoleAdmin):
    only_for = SYSADMIN
    list_display = ["year", "source", "updated_at"]
