"""Files attached to any owner (user, booking, report, study, article, ticket, message)."""

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class FileOwnerType(models.TextChoices):
    USER = "USER", "User"
    BOOKING = "BOOKING", "Booking"
    REPORT = "REPORT", "Report"
    FEASIBILITY_STUDY = "FEASIBILITY_STUDY", "Feasibility study"
    ARTICLE = "ARTICLE", "Article"
    TICKET = "TICKET", "Ticket"
    MESSAGE = "MESSAGE", "Message"


class FileAttachment(TimeStampedModel):
    """A stored file and what we know about it. Ownership is polymorphic: (``owner_type``, ``owner_id``)."""

    owner_type = models.CharField(max_length=24, choices=FileOwnerType.choices)
    owner_id = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    checksum_sha256 = models.CharField(max_length=64, db_index=True)
    is_public = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploaded_files"
    )
    download_count = models.PositiveIntegerField(default=0)
    thumbnail = models.ImageField(upload_to="thumbnails/%Y/%m/", max_length=255, null=True, blank=True)

    class Meta:
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
