from django.contrib import admin

from duban.core.admin import ReadOnlyAdmin
from duban.workdays.models import CalendarDay, CalendarYear
from duban.workdays.services import calendar_day_set


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "name"]

    def save_model(self, request, obj, form, change):
        # Through the service, so that the edit is audited and the cache cleared.
        calendar_day_set(actor=request.user, date=obj.date, is_workday=obj.is_workday, name=obj.name)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "source", "updated_at"]
