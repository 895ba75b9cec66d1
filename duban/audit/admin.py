"""The trail, for the auditor alone: read, filter, search; nothing is ever written here."""

import json

from django.contrib import admin
from django.utils.html import format_html

from duban.audit.models import Event
from duban.core.admin import RoleAdmin
from duban.org.models import Role


@admin.register(Event)
class EventAdmin(RoleAdmin):
    only_for = frozenset({Role.AUDITOR})
    list_display = ["seq", "created_at", "actor", "verb", "object_type", "object_id", "ip"]
    list_filter = ["verb", ("actor", admin.RelatedOnlyFieldListFilter), ("created_at", admin.DateFieldListFilter),
                   "object_type"]
    search_fields = ["verb", "object_type", "actor__username", "actor__full_name"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    list_per_page = 50
    show_full_result_count = False  # the trail grows without end: no second COUNT(*) on every page
    fields = ["seq", "created_at", "actor", "verb", "object_type", "object_id", "task_id", "unit_id",
              "payload_pretty", "prev_hash", "hash"]
    readonly_fields = fields

    @admin.display(description="IP")
    def ip(self, event: Event) -> str:
        return event.payload.get("ip", "") if isinstance(event.payload, dict) else ""

    @admin.display(description="内容")
    def payload_pretty(self, event: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, ensure_ascii=False, indent=2))
