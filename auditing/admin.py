"""Admin views of the audit trail and the system log: read-only, because both are append-only records."""

from django.contrib import admin
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
