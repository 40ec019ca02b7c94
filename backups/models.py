"""Database backups: what was taken, where it went, and whether it worked."""

from django.db import models

from core.models import TimeStampedModel


class BackupType(models.TextChoices):
    FULL = "FULL", "Full"
    INCREMENTAL = "INCREMENTAL", "Incremental"
    SCHEMA_ONLY = "SCHEMA_ONLY", "Schema only"


class BackupStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"


class Backup(TimeStampedModel):
    backup_type = models.CharField(max_length=16, choices=BackupType.choices)
    status = models.CharField(max_length=16, choices=BackupStatus.choices, default=BackupStatus.PENDING)
    location = models.CharField(max_length=500, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    checksum_sha256 = models.CharField(max_length=64, blank=True)
    is_encrypted = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
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
