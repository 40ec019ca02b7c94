"""Admin for stored files of every owner type: to find, look at and delete files.

Files arrive through the attachments panel on their owner's page (``attachments.services.attachment_upload``
checks and measures them); what the upload measured is a fact, so nothing here is editable. Deleting goes
through the service too: the row now, the stored file once the transaction commits.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from attachments.file_types import type_label
from attachments.models import FileAttachment, ThumbnailStatus
from attachments.owners import may_delete_file, may_download, owner_of
from attachments.selectors import owner_label
from attachments.services import attachments_delete
from core.admin_performance import LargeTableAdminMixin
from core.formatting import file_size


@admin.register(FileAttachment)
class FileAttachmentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = (
        "original_name",
        "owner_type",
        "owner_id",
        "type",
        "size",
        "is_public",
        "download_count",
        "created_at",
    )
    list_filter = ("owner_type", "is_public", "thumbnail_status")
    date_hierarchy = "created_at"
    search_fields = ("checksum_sha256__exact", "original_name")
    search_help_text = _("An exact SHA-256 checksum, or part of the file's name.")
    list_select_related = ("uploaded_by",)
    fields = (
        "original_name",
        "owner",
        "type",
        "size",
        "is_public",
        "public_address",
        "checksum_sha256",
        "uploaded_by",
        "created_at",
        "download_count",
        "last_downloaded_at",
        "thumbnail_status",
        "thumbnail_error",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Files are added on their owner's page, where the upload service checks and measures them."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: FileAttachment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FileAttachment | None = None) -> bool:
        if obj is None:
            return super().has_delete_permission(request)
        return may_delete_file(request.user, obj, owner_of(obj))

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The attachments panel's "see all" link lists one owner's files.
        return lookup == "owner_id" or super().lookup_allowed(lookup, value, request)

    def delete_model(self, request: HttpRequest, obj: FileAttachment) -> None:
        attachments_delete([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FileAttachment]) -> None:
        # Django's delete confirmation checked has_delete_permission on each row it lists.
        attachments_delete(list(queryset))

    @admin.display(description=_("size"), ordering="size_bytes")
    def size(self, attachment: FileAttachment) -> str:
        return file_size(attachment.size_bytes)

    @admin.display(description=_("type"), ordering="content_type")
    def type(self, attachment: FileAttachment) -> str:
        return str(type_label(attachment.content_type))

    @admin.display(description=_("public address"))
    def public_address(self, attachment: FileAttachment) -> str:
        """Where anyone may open a public file (the download link counts downloads; this one does not)."""
        if not attachment.is_public:
            return str(_("None: a private file is opened only through the download link."))
        return format_html('<a href="{0}">{0}</a>', attachment.file.url)

    @admin.display(description=_("belongs to"))
    def owner(self, attachment: FileAttachment) -> str:
        owner = owner_of(attachment)
        label = owner_label(attachment.owner_type, owner, attachment.owner_id)
        if owner is None:
            return label
        opts = owner._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[owner.pk])
        return format_html('<a href="{}">{}</a>', url, label)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        """The page shows the preview and download link above the facts, when this user may open the file."""
        attachment = self.get_object(request, object_id)
        if attachment is not None and may_download(request.user, attachment):
            extra_context = {
                **(extra_context or {}),
                "download_url": reverse("attachments:download", args=[attachment.pk]),
                "thumbnail_url": (
                    reverse("attachments:thumbnail", args=[attachment.pk])
                    if attachment.thumbnail_status == ThumbnailStatus.READY
                    else ""
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)
