"""System log retention: old rows go per level, in batches; the audit trail is never touched."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from auditing.models import AuditLog, LogLevel, SystemLog
from auditing.tasks import system_logs_cleanup_task
from auditing.tests.factories import AuditLogFactory, SystemLogFactory
from core.locks import single_run
from operations.services import system_settings_update
from operations.task_base import job_lock_key

pytestmark = pytest.mark.django_db


def aged(level: str, days: int) -> SystemLog:
    row = SystemLogFactory(level=level)
    SystemLog.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days))
    return row


def test_each_level_keeps_its_own_retention(settings):
    settings.SYSTEM_LOG_RETENTION_DAYS = {"INFO": 14, "WARNING": 30, "ERROR": 90, "CRITICAL": 365}
    gone = [aged(LogLevel.INFO, 15), aged(LogLevel.WARNING, 31), aged(LogLevel.ERROR, 91)]
    kept = [aged(LogLevel.INFO, 13), aged(LogLevel.WARNING, 29), aged(LogLevel.ERROR, 89), aged(LogLevel.CRITICAL, 200)]
    old_audit = AuditLogFactory()  # recent, and nothing may age an audit row: retention must not care

    result = system_logs_cleanup_task()

    assert result == {"INFO": 1, "WARNING": 1, "ERROR": 1, "CRITICAL": 0}
    assert set(SystemLog.objects.values_list("pk", flat=True)) == {row.pk for row in kept}
    assert not SystemLog.objects.filter(pk__in=[row.pk for row in gone]).exists()
    assert AuditLog.objects.filter(pk=old_audit.pk).exists()


def test_the_command_deletes_in_batches_and_reports(capsys):
    for _ in range(7):
        aged(LogLevel.INFO, 400)
    call_command("cleanup_logs", "--batch-size", "3")
    assert "INFO 7" in capsys.readouterr().out
    assert not SystemLog.objects.exists()
    call_command("cleanup_logs")  # safe to re-run
    assert "total 0" in capsys.readouterr().out


def test_overlapping_runs_do_not_both_delete():
    aged(LogLevel.INFO, 400)
    with single_run(job_lock_key("system-logs-cleanup")):  # a run still deleting
        assert system_logs_cleanup_task() is None
    assert SystemLog.objects.exists()


def test_a_retention_changed_by_staff_applies_at_the_next_run(settings, django_capture_on_commit_callbacks):
    # given the environment's default of 14 days for INFO, and staff who set 400 days on the settings page
    settings.SYSTEM_LOG_RETENTION_DAYS = {"INFO": 14, "WARNING": 30, "ERROR": 90, "CRITICAL": 365}
    kept = aged(LogLevel.INFO, 300)
    gone = aged(LogLevel.INFO, 401)
    with django_capture_on_commit_callbacks(execute=True):
        system_settings_update(changes={"logs.retention_days.INFO": 400}, by=UserFactory(is_superuser=True))

    # when the job runs
    result = system_logs_cleanup_task()

    # then it used the value in force, not the environment's
    assert result["INFO"] == 1
    assert SystemLog.objects.filter(pk=kept.pk).exists()
    assert not SystemLog.objects.filter(pk=gone.pk).exists()


def test_the_job_is_in_the_beat_schedule():
    from config.celery import app

    assert "auditing.tasks.system_logs_cleanup_task" in {entry["task"] for entry in app.conf.beat_schedule.values()}
