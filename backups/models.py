"""Database backups: what was taken, where it went, and whether it worked."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class BackupType(models.TextChoices):
    FULL = "FULL", _("Full")
    INCREMENTAL = "INCREMENTAL", _("Incremental")
    SCHEMA_ONLY = "SCHEMA_ONLY", _("Schema only")


class BackupStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    RUNNING = "RUNNING", _("Running")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")


class Backup(TimeStampedModel):
    backup_type = models.CharField(verbose_name=_("backup type"), max_length=16, choices=BackupType.choices)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=BackupStatus.choices, default=BackupStatus.PENDING
    )
    location = models.CharField(verbose_name=_("location"), max_length=500, blank=True)
    size_bytes = models.PositiveBigIntegerField(verbose_name=_("size bytes"), null=True, blank=True)
    checksum_sha256 = models.CharField(verbose_name=_("checksum sha256"), max_length=64, blank=True)
    is_encrypted = models.BooleanField(verbose_name=_("is encrypted"), default=False)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    error_message = models.TextField(verbose_name=_("error message"), blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(backup_type__in=BackupType.values), name="backups_backup_type_valid"
            ),
            models.CheckConstraint(condition=models.Q(status__in=BackupStatus.values), name="backups_status_valid"),
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(started_at__isnull=False, finished_at__gte=models.F("started_at")),
                name="backups_finished_after_started",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="backups_backup_status_idx")]

    def __str__(self):
        return f"{self.get_backup_type_display()} backup #{self.pk} ({self.status})"
