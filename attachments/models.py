"""Files attached to any owner (user, booking, report, study, article, ticket, message)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class FileOwnerType(models.TextChoices):
    USER = "USER", _("User")
    BOOKING = "BOOKING", _("Booking")
    REPORT = "REPORT", _("Report")
    FEASIBILITY_STUDY = "FEASIBILITY_STUDY", _("Feasibility study")
    ARTICLE = "ARTICLE", _("Article")
    TICKET = "TICKET", _("Ticket")
    MESSAGE = "MESSAGE", _("Message")


class FileAttachment(TimeStampedModel):
    """A stored file and what we know about it. Ownership is polymorphic: (``owner_type``, ``owner_id``)."""

    owner_type = models.CharField(verbose_name=_("owner type"), max_length=24, choices=FileOwnerType.choices)
    owner_id = models.PositiveBigIntegerField(verbose_name=_("owner id"))
    file = models.FileField(verbose_name=_("file"), upload_to="attachments/%Y/%m/", max_length=255)
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
    thumbnail = models.ImageField(
        verbose_name=_("thumbnail"), upload_to="thumbnails/%Y/%m/", max_length=255, null=True, blank=True
    )

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
