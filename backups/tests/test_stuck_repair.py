"""The periodic repair of backups that never finished: their worker died, so nobody else will end them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from backups.models import Backup, BackupStatus
from backups.services import backups_retention_apply, backups_stuck_repair
from backups.tasks import backups_retention_task, backups_stuck_repair_task
from backups.tests.factories import BackupFactory
from operations.services import system_settings_update

pytestmark = pytest.mark.django_db


def backup(status: str, *, began_hours_ago: float, started: bool = True) -> Backup:
    began = timezone.now() - timedelta(hours=began_hours_ago)
    row = BackupFactory(status=status)
    Backup.objects.filter(pk=row.pk).update(created_at=began, started_at=began if started else None)
    return row


def test_backups_unfinished_far_longer_than_any_backup_takes_are_marked_failed(settings):
    # given a limit of 6 hours, a backup running for 7, one pending for 7, and others that are fine
    settings.BACKUP_STUCK_AFTER_HOURS = 6
    running_too_long = backup(BackupStatus.RUNNING, began_hours_ago=7)
    never_started = backup(BackupStatus.PENDING, began_hours_ago=7, started=False)
    running = backup(BackupStatus.RUNNING, began_hours_ago=1)
    done = backup(BackupStatus.SUCCEEDED, began_hours_ago=30)

    # when the repair job runs
    assert backups_stuck_repair_task() == {"failed": 2}

    # then only the stuck ones failed, saying why, with a start and an end
    for stuck in (running_too_long, never_started):
        stuck.refresh_from_db()
        assert stuck.status == BackupStatus.FAILED
        assert "still unfinished 6 hours after it began" in stuck.error_message
        assert stuck.started_at is not None and stuck.finished_at is not None
        assert stuck.finished_at >= stuck.started_at
    running.refresh_from_db()
    done.refresh_from_db()
    assert (running.status, done.status) == (BackupStatus.RUNNING, BackupStatus.SUCCEEDED)


def test_running_the_repair_twice_changes_nothing_more():
    backup(BackupStatus.RUNNING, began_hours_ago=100)
    assert backups_stuck_repair() == 1
    assert backups_stuck_repair() == 0


def test_retention_forgets_old_finished_backups_but_keeps_the_newest_good_one_of_each_type(settings):
    # given a retention of 30 days
    settings.BACKUP_RETENTION_DAYS = 30
    old_full = backup(BackupStatus.SUCCEEDED, began_hours_ago=24 * 60)
    older_than_recent_full = backup(BackupStatus.SUCCEEDED, began_hours_ago=24 * 40)
    backup(BackupStatus.FAILED, began_hours_ago=24 * 50)
    recent = backup(BackupStatus.SUCCEEDED, began_hours_ago=24)
    still_running = backup(BackupStatus.RUNNING, began_hours_ago=24 * 90)
    Backup.objects.filter(pk__in=[old_full.pk, older_than_recent_full.pk, recent.pk]).update(backup_type="FULL")
    old_schema = backup(BackupStatus.SUCCEEDED, began_hours_ago=24 * 100)
    Backup.objects.filter(pk=old_schema.pk).update(backup_type="SCHEMA_ONLY")

    # when the retention job runs
    assert backups_retention_task() == {"deleted": 3}

    # then: the newest good FULL is recent (the 40-day one went too); the only SCHEMA_ONLY stays, however
    # old; the running one is the stuck repair's
    assert set(Backup.objects.values_list("pk", flat=True)) == {recent.pk, old_schema.pk, still_running.pk}


def test_retention_keeps_an_old_backup_when_it_is_the_only_good_one(settings):
    settings.BACKUP_RETENTION_DAYS = 1
    only = backup(BackupStatus.SUCCEEDED, began_hours_ago=24 * 365)
    Backup.objects.filter(pk=only.pk).update(backup_type="FULL")
    assert backups_retention_apply() == 0
    assert Backup.objects.filter(pk=only.pk).exists()


def test_retention_reads_the_system_setting_at_run_time(django_capture_on_commit_callbacks):
    # given a backup 10 days old and a newer good one, under the 30-day default
    old = backup(BackupStatus.FAILED, began_hours_ago=24 * 10)
    assert backups_retention_apply() == 0
    # when staff shorten the retention to 7 days
    staff = UserFactory(is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        system_settings_update(changes={"backups.retention_days": 7}, by=staff)
    # then the next run forgets it
    assert backups_retention_apply() == 1
    assert not Backup.objects.filter(pk=old.pk).exists()
