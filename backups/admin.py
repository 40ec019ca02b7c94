"""Admin for the record of database backups."""

from django.contrib import admin

from backups.models import Backup
from core.admin_performance import LargeTableAdminMixin


@admin.register(Backup)
class BackupAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    # Every scheduled run adds a row; the list gets the large-table treatment like the other logs.
    list_display = ("id", "backup_type", "status", "location", "size_bytes", "started_at", "finished_at")
    list_filter = ("backup_type", "status", "is_encrypted")
    date_hierarchy = "created_at"
    search_fields = ("location", "checksum_sha256")
    readonly_fields = ("created_at", "updated_at")
