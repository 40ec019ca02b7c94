"""Admin for stored files of every owner type."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.rbac_catalog import ACT_FOR_USER
from attachments.models import FileAttachment
from core.admin_performance import LargeTableAdminMixin
from core.formatting import file_size
from core.owner_fields import OwnerField, OwnerFieldsAdminMixin


@admin.register(FileAttachment)
class FileAttachmentAdmin(OwnerFieldsAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    owner_fields = (OwnerField("uploaded_by", permission=ACT_FOR_USER.codename),)
    list_display = ("original_name", "owner_type", "owner_id", "content_type", "size", "is_public", "created_at")
    list_filter = ("owner_type", "is_public")
    date_hierarchy = "created_at"
    search_fields = ("checksum_sha256__exact", "original_name")
    search_help_text = _("An exact SHA-256 checksum, or part of the file's name.")
    autocomplete_fields = ("uploaded_by",)
    # What the upload measured about the file is a fact, not something to edit; the size is shown as
    # "2.3 MB" rather than as the stored byte count.
    exclude = ("size_bytes",)
    readonly_fields = ("size", "checksum_sha256", "download_count", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Nobody adds files here: a file arrives through the upload path, which measures and checks it.

        A plain model form would store an unchecked file without its size or checksum (the database
        refuses the row: a server error rather than an answer).
        """
        return False

    @admin.display(description=_("size"), ordering="size_bytes")
    def size(self, attachment: FileAttachment) -> str:
        # Not None for "not yet": the admin's read-only fields would print "None" (its lists do not).
        if attachment.size_bytes is None:
            return self.get_empty_value_display()
        return file_size(attachment.size_bytes)
