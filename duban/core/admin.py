from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Back-office view of rows that only the services (or nobody) may write."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
