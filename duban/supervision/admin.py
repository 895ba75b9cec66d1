"""Back-office views of the supervision domain: read-only, since every write goes through the services."""

from django.contrib import admin

from duban.core.admin import ReadOnlyAdmin
from duban.supervision.models import Assignment, Decision, Extension, Report, Task
from duban.workdays.store import get_calendar


@admin.display(description="完成时限", ordering="deadline")
def deadline_with_warning(obj) -> str:
    """The deadline, marked when its year has no published holiday data (Mon–Fri assumed)."""
    if obj.deadline is None:
        return "长期"
    if get_calendar().is_estimated(obj.deadline):
        return f"{obj.deadline:%Y-%m-%d}（该年节假日未发布，按周一至周五估算）"
    return f"{obj.deadline:%Y-%m-%d}"


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "doc_number", "issued_on", "owner_unit"]
    list_filter = ["kind"]
    search_fields = ["title", "doc_number"]
    list_select_related = ["owner_unit"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "state", "light", deadline_with_warning, "is_key", "owner_unit"]
    list_filter = ["state", "light", "is_key"]
    search_fields = ["code", "title"]
    list_select_related = ["owner_unit"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["task", "unit", "role", "state", "light", deadline_with_warning]
    list_filter = ["state", "light", "role"]
    list_select_related = ["task", "unit"]
    raw_id_fields = ["task"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "progress", "is_final", "state", "submitted_at"]
    list_filter = ["state", "is_final"]
    list_select_related = ["assignment__task", "assignment__unit"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "old_deadline", "requested_deadline", "state"]
    list_filter = ["state"]
    list_select_related = ["assignment__task", "assignment__unit"]
