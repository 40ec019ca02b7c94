"""Files attached to any owner (user, booking, report, study, article, ticket, ticket comment, message)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attachments.storage import attachment_storage
from core.models import TimeStampedModel


class FileOwnerType(models.TextChoices):
    USER = "USER", _("User")
    BOOKING = "BOOKING", _("Booking")
    REPORT = "REPORT", _("Report")
    FEASIBILITY_STUDY = "FEASIBILITY_STUDY", _("Feasibility study")
    ARTICLE = "ARTICLE", _("Article")
    TICKET = "TICKET", _("Ticket")
    MESSAGE = "MESSAGE", _("Message")
    # Beyond the seed's list: a reply or internal note on a ticket carries its own files (decision 0020).
    TICKET_COMMENT = "TICKET_COMMENT", _("Ticket comment")


class ThumbnailStatus(models.TextChoices):
    NONE = "NONE", _("No thumbnail (not an image)")
    PENDING = "PENDING", _("Being made")
    READY = "READY", _("Ready")
    FAILED = "FAILED", _("Failed")


class FileAttachment(TimeStampedModel):
    """A stored file and what we know about it. Ownership is polymorphic: (``owner_type``, ``owner_id``);
    ``attachments.owners`` says which model each type is and who may do what with its files.

    Rows are written by ``attachments.services`` only: the stored name is generated (its first folder says
    whether the file is public, ``attachments.storage``), the type is read from the content, and the size
    and checksum are measured while the file is stored.
    """

    owner_type = models.CharField(verbose_name=_("owner type"), max_length=24, choices=FileOwnerType.choices)
    owner_id = models.PositiveBigIntegerField(verbose_name=_("owner id"))
    file = models.FileField(verbose_name=_("file"), storage=attachment_storage, max_length=255)
    original_name = models.CharField(verbose_name=_("original name"), max_length=255)
    content_type = models.CharField(verbose_name=_("content type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(verbose_name=_("size bytes"))
    checksum_sha256 = models.CharField(verbose_name=_("checksum sha256"), max_length=64, db_index=True)
    is_public = models.BooleanField(verbose_name=_("is public"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_files",
    )
    download_count = models.PositiveIntegerField(verbose_name=_("download count"), default=0)
    last_downloaded_at = models.DateTimeField(verbose_name=_("last downloaded at"), null=True, blank=True)
    thumbnail = models.ImageField(
        verbose_name=_("thumbnail"), storage=attachment_storage, max_length=255, null=True, blank=True
    )
    thumbnail_status = models.CharField(
        verbose_name=_("thumbnail status"), max_length=8, choices=ThumbnailStatus.choices, default=ThumbnailStatus.NONE
    )
    # Why the last attempt at a thumbnail failed, for whoever looks into it (the system log has the trace).
    thumbnail_error = models.CharField(verbose_name=_("thumbnail error"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("file attachment")
        verbose_name_plural = _("file attachments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_type__in=FileOwnerType.values), name="attachments_owner_type_valid"
            ),
        ]
        indexes = [
            # Every owner's attachments panel: the files of one (owner_type, owner_id).
            models.Index(fields=["owner_type", "owner_id"], name="attachments_owner_idx"),
        ]

    def __str__(self):
        return self.original_name
