"""Back-office views of the supervision domain: read-only, since every write goes through the services."""

from django.contrib import admin

from duban.core.admin import ReadOnlyAdmin
from duban.supervision.models import Assignment, Decision, Extension, Report, Task


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "doc_number", "issued_on", "owner_unit"]
    list_filter = ["kind"]
    search_fields = ["title", "doc_number"]
    list_select_related = ["owner_unit"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "state", "light", "deadline", "is_key", "owner_unit"]
    list_filter = ["state", "light", "is_key"]
    search_fields = ["code", "title"]
    list_select_related = ["owner_unit"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["task", "unit", "role", "state", "light", "deadline"]
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
