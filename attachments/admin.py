"""Admin for stored files of every owner type."""

from django.contrib import admin

from attachments.models import FileAttachment
from core.admin_performance import LargeTableAdminMixin


@admin.register(FileAttachment)
class FileAttachmentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "owner_type", "owner_id", "content_type", "size_bytes", "is_public", "created_at")
    list_filter = ("owner_type", "is_public")
    date_hierarchy = "created_at"
    search_fields = ("checksum_sha256__exact", "original_name")
    autocomplete_fields = ("uploaded_by",)
    # What the upload measured about the file is a fact, not something to edit.
    readonly_fields = ("size_bytes", "checksum_sha256", "download_count", "created_at", "updated_at")
