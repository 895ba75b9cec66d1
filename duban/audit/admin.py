from django.contrib import admin

from duban.audit.models import Event
from duban.core.admin import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "actor", "verb", "object_type", "object_id"]
    list_filter = ["verb", "object_type"]
    list_select_related = ["actor"]
