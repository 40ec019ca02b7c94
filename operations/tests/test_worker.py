"""Jobs run by a real Celery worker consuming from the real Redis broker: the run and its effect visible."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.locks import single_run
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.services import job_run_now
from operations.task_base import job_lock_key
from operations.tasks import job_runs_cleanup_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]

JOB = "job-runs-cleanup"


def finished_run(**filters) -> JobRun:
    """The run matching ``filters`` once the worker has finished it (or fails after 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(job=JOB, **filters).exclude(outcome=JobOutcome.RUNNING).first()
        if run is not None:
            return run
        time.sleep(0.1)
    raise AssertionError(f"no finished run of {JOB} with {filters} within 30 s")


def test_a_job_run_now_is_run_by_the_worker_with_its_effect_and_result_recorded(celery_worker, operator, settings):
    # given a run record long past its retention
    settings.JOB_RUN_RETENTION_DAYS = 14
    ancient = JobRun.objects.create(
        job="audit-rows-seal", outcome=JobOutcome.SUCCEEDED, started_at=timezone.now() - timedelta(days=40)
    )

    # when staff run the cleanup job now, through the broker
    task_id = job_run_now(job_name=JOB, by=operator)

    # then the worker ran it: the old record is gone, and the run says who asked, where it ran and what it did
    run = finished_run(task_id=task_id)
    assert run.outcome == JobOutcome.SUCCEEDED
    assert run.result == {"deleted": 1, "abandoned": 0}
    assert (run.trigger, run.requested_by) == (JobTrigger.MANUAL, operator)
    assert run.worker  # the worker's host name
    assert not JobRun.objects.filter(pk=ancient.pk).exists()


def test_a_scheduled_message_for_a_switched_off_job_is_skipped_by_the_worker(celery_worker):
    # given a message beat sent just before staff switched the job off
    SystemSetting.objects.create(key=f"jobs.{JOB}.enabled", value=False)

    result = job_runs_cleanup_task.apply_async(headers={"job_trigger": JobTrigger.SCHEDULE})

    run = finished_run(task_id=result.id)
    assert (run.outcome, run.result) == (JobOutcome.SKIPPED, {"skipped": "switched off"})


def test_a_run_held_by_another_process_makes_the_workers_run_skip(celery_worker):
    # given another run of the job holding its lock in Redis (taken here; the worker only sees the lock)
    with single_run(job_lock_key(JOB), timeout=60):
        result = job_runs_cleanup_task.apply_async(headers={"job_trigger": JobTrigger.SCHEDULE})
        run = finished_run(task_id=result.id)

    assert (run.outcome, run.result) == (JobOutcome.SKIPPED, {"skipped": "already running"})
