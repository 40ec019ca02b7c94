"""Admin for the record of database backups."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backups.models import Backup
from core.admin_performance import LargeTableAdminMixin
from core.formatting import file_size, seconds_as_duration


@admin.register(Backup)
class BackupAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    # Every scheduled run adds a row; the list gets the large-table treatment like the other logs.
    list_display = ("id", "backup_type", "status", "location", "size", "started_at", "took")
    list_filter = ("backup_type", "status", "is_encrypted")
    date_hierarchy = "created_at"
    search_fields = ("location", "checksum_sha256")
    search_help_text = _("Part of the location or of the checksum.")
    # The size is what the backup job measured: shown as "2.4 GB", never typed in.
    exclude = ("size_bytes",)
    readonly_fields = ("size", "took", "created_at", "updated_at")

    @admin.display(description=_("size"), ordering="size_bytes")
    def size(self, backup: Backup) -> str:
        # Not None for "not yet": the admin's read-only fields would print "None" (its lists do not).
        return file_size(backup.size_bytes) if backup.size_bytes is not None else self.get_empty_value_display()

    @admin.display(description=_("took"))
    def took(self, backup: Backup) -> str:
        if backup.started_at is None or backup.finished_at is None:
            return self.get_empty_value_display()
        return seconds_as_duration((backup.finished_at - backup.started_at).total_seconds())
