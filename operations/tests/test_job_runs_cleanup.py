"""The job-runs cleanup: records kept for their retention, and runs whose worker died closed as failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from operations.models import JobOutcome, JobRun
from operations.services import WORKER_LOST, job_runs_cleanup

pytestmark = pytest.mark.django_db


def run(*, ago: timedelta, outcome=JobOutcome.SUCCEEDED, job="audit-rows-seal") -> JobRun:
    started = timezone.now() - ago
    finished = None if outcome == JobOutcome.RUNNING else started + timedelta(seconds=1)
    return JobRun.objects.create(job=job, started_at=started, finished_at=finished, outcome=outcome)


def test_runs_past_their_retention_are_deleted_and_the_rest_kept(settings):
    settings.JOB_RUN_RETENTION_DAYS = 14
    old = [run(ago=timedelta(days=15)), run(ago=timedelta(days=200), outcome=JobOutcome.FAILED)]
    kept = [run(ago=timedelta(days=13)), run(ago=timedelta(minutes=1), outcome=JobOutcome.SKIPPED)]

    assert job_runs_cleanup() == {"deleted": 2, "abandoned": 0}

    assert set(JobRun.objects.values_list("pk", flat=True)) == {row.pk for row in kept}
    assert not JobRun.objects.filter(pk__in=[row.pk for row in old]).exists()


def test_runs_left_running_past_their_tasks_time_limit_are_closed_as_failed(settings):
    # given a one-hour limit: a run "running" for two hours has no worker left; one running for a minute does
    settings.CELERY_TASK_TIME_LIMIT = 60 * 60
    dead = run(ago=timedelta(hours=2), outcome=JobOutcome.RUNNING)
    alive = run(ago=timedelta(minutes=1), outcome=JobOutcome.RUNNING)

    assert job_runs_cleanup() == {"deleted": 0, "abandoned": 1}

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.outcome, dead.error) == (JobOutcome.FAILED, WORKER_LOST)
    assert dead.finished_at is not None
    assert alive.outcome == JobOutcome.RUNNING


def test_the_retention_staff_set_applies(settings, operator, django_capture_on_commit_callbacks):
    from operations.services import system_settings_update

    settings.JOB_RUN_RETENTION_DAYS = 14
    month_old = run(ago=timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        system_settings_update(changes={"jobs.run_retention_days": 60}, by=operator)

    assert job_runs_cleanup()["deleted"] == 0
    assert JobRun.objects.filter(pk=month_old.pk).exists()


def test_a_second_cleanup_finds_nothing_more_to_do(settings):
    run(ago=timedelta(days=100))
    run(ago=timedelta(days=1), outcome=JobOutcome.RUNNING)
    job_runs_cleanup()
    assert job_runs_cleanup() == {"deleted": 0, "abandoned": 0}
