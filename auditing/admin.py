"""Admin entries of the audit trail and the system log. Both are read on the staff pages (``auditing.views``:
labels instead of ids, diffs, the seal status, keyset pages over the partitioned trail); the admin keeps
them registered, so its navigation and permissions know them, and sends each of its pages there."""

from django.contrib import admin
from django.shortcuts import redirect
from django.utils.text import Truncator

from auditing.models import AuditLog, SystemLog
from core.admin_performance import LargeTableAdminMixin
from core.admin_readonly import ReadOnlyAdminMixin


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "who", "entity_type", "entity_id", "ip_address")
    list_filter = ("action",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=actor__email",)
    search_help_text = "The actor's exact e-mail address."
    list_select_related = ("actor",)

    @admin.display(description="actor", ordering="actor")
    def who(self, log: AuditLog) -> str:
        # A person, or what acted when no person did ("system: compute_kpis").
        return str(log.actor) if log.actor_id else log.actor_label

    def changelist_view(self, request, extra_context=None):
        if request.method != "GET" or not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)  # the admin's own refusal
        return redirect("auditing:audit_list")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET" or not self.has_view_permission(request) or not str(object_id).isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        return redirect("auditing:audit_detail", pk=int(object_id))


@admin.register(SystemLog)
class SystemLogAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "level", "logger", "short_message", "request_id")
    list_filter = ("level",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("logger__exact",)
    search_help_text = "An exact logger name, such as billing.services."

    @admin.display(description="message")
    def short_message(self, log: SystemLog) -> str:
        return Truncator(log.message).chars(120)

    def changelist_view(self, request, extra_context=None):
        if request.method != "GET" or not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)
        return redirect("auditing:systemlog_list")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET" or not self.has_view_permission(request) or not str(object_id).isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        return redirect("auditing:systemlog_detail", pk=int(object_id))
