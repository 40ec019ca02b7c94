"""Backups' writes that need no dump: repairing the records of backups that never finished, and retention."""

from datetime import timedelta

from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from backups.models import Backup, BackupStatus
from operations.system_settings import system_setting


def backups_stuck_repair(*, now=None) -> int:
    """Marks FAILED every backup still PENDING or RUNNING ``backups.stuck_after_hours`` after it began (or was
    queued): its worker died or lost its way, and no backup takes that long. Returns how many it marked.

    Safe to repeat and to run twice at once: the update names only rows still unfinished.
    """
    now = now or timezone.now()
    hours = system_setting("backups.stuck_after_hours")
    cutoff = now - timedelta(hours=hours)
    stuck = Backup.objects.alias(began=Coalesce("started_at", "created_at")).filter(
        Q(status__in=(BackupStatus.PENDING, BackupStatus.RUNNING)), began__lt=cutoff
    )
    return stuck.update(
        status=BackupStatus.FAILED,
        finished_at=now,
        started_at=Coalesce("started_at", "created_at"),
        error_message=f"Marked failed: still unfinished {hours} hours after it began; its worker stopped.",
        updated_at=now,
    )


def backups_retention_apply(*, now=None) -> int:
    """Deletes the records of finished backups older than ``backups.retention_days``; returns how many.

    The newest successful backup of each type always stays, however old: retention must never leave the
    platform with nothing to restore from. Unfinished backups are the stuck repair's, not retention's.
    Safe to repeat.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=system_setting("backups.retention_days"))
    newest_kept = (
        Backup.objects.filter(status=BackupStatus.SUCCEEDED)
        .values("backup_type")
        .annotate(newest=Max("id"))
        .values_list("newest", flat=True)
    )
    expired = Backup.objects.filter(
        status__in=(BackupStatus.SUCCEEDED, BackupStatus.FAILED), created_at__lt=cutoff
    ).exclude(id__in=list(newest_kept))
    deleted, _ = expired.delete()
    return deleted
