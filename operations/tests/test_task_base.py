"""The task base of the periodic jobs: every run recorded, one at a time, honouring the on/off switch, and
"run now" for those allowed. Tasks run eagerly here; operations/tests/test_worker.py runs them on a worker.

The job under test is operations' own (job-runs-cleanup): this app may not import the apps above it.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.locks import single_run
from core.tasks import ping_task
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.services import WORKER_LOST, job_run_now
from operations.task_base import job_lock_key
from operations.tasks import job_runs_cleanup_task

pytestmark = pytest.mark.django_db

JOB = "job-runs-cleanup"


@pytest.fixture
def ancient_run(settings) -> JobRun:
    """What the job under test removes: a run of another job, long past its retention."""
    settings.JOB_RUN_RETENTION_DAYS = 14
    return JobRun.objects.create(
        job="audit-rows-seal", outcome=JobOutcome.SUCCEEDED, started_at=timezone.now() - timedelta(days=30)
    )


def switched_off(job: str) -> None:
    SystemSetting.objects.create(key=f"jobs.{job}.enabled", value=False)


def runs_of(job: str = JOB):
    return JobRun.objects.filter(job=job)


def test_a_scheduled_run_is_recorded_with_what_it_did(ancient_run):
    # when beat's message for the job is run
    result = job_runs_cleanup_task.apply(headers={"job_trigger": JobTrigger.SCHEDULE}).get()

    # then the job did its work, and its run says so
    assert result == {"deleted": 1, "abandoned": 0}
    assert not JobRun.objects.filter(pk=ancient_run.pk).exists()
    run = runs_of().get()
    assert (run.trigger, run.outcome, run.result, run.error) == (JobTrigger.SCHEDULE, JobOutcome.SUCCEEDED, result, "")
    assert run.finished_at >= run.started_at
    assert run.duration_ms is not None
    assert run.task_id


def test_a_switched_off_job_is_skipped_and_says_why(ancient_run):
    switched_off(JOB)

    assert job_runs_cleanup_task.delay().get() is None

    assert (runs_of().get().outcome, runs_of().get().result) == (JobOutcome.SKIPPED, {"skipped": "switched off"})
    assert JobRun.objects.filter(pk=ancient_run.pk).exists()


def test_a_run_finding_the_job_still_running_is_skipped(ancient_run):
    # given another run of the job holding its lock
    with single_run(job_lock_key(JOB)) as other_run:
        assert other_run
        # when beat sends the job again
        assert job_runs_cleanup_task.delay().get() is None

    # then this run did nothing and says so
    assert (runs_of().get().outcome, runs_of().get().result) == (JobOutcome.SKIPPED, {"skipped": "already running"})
    assert JobRun.objects.filter(pk=ancient_run.pk).exists()


def test_a_failing_run_is_recorded_with_its_error_and_the_error_still_raised(monkeypatch):
    # given a job whose work fails (the database refusing, say)
    def broken(**kwargs):
        raise RuntimeError("canceling statement due to statement timeout")

    monkeypatch.setattr("operations.services.job_runs_cleanup", broken)

    with pytest.raises(RuntimeError, match="statement timeout"):
        job_runs_cleanup_task.delay()

    run = runs_of().get()
    assert run.outcome == JobOutcome.FAILED
    assert run.error.startswith("RuntimeError: canceling statement due to statement timeout")
    assert "Traceback" in run.error
    assert run.finished_at is not None
    # and the job's lock was freed for the next run
    with single_run(job_lock_key(JOB)) as free:
        assert free


def test_run_now_runs_a_switched_off_job_and_records_who_asked(ancient_run, operator):
    switched_off(JOB)

    task_id = job_run_now(job_name=JOB, by=operator)

    run = runs_of().get()
    assert (run.trigger, run.requested_by, run.outcome, run.task_id) == (
        JobTrigger.MANUAL,
        operator,
        JobOutcome.SUCCEEDED,
        task_id,
    )
    assert not JobRun.objects.filter(pk=ancient_run.pk).exists()


def test_run_now_is_refused_without_the_permission(ancient_run, onlooker):
    with pytest.raises(PermissionDenied):
        job_run_now(job_name=JOB, by=onlooker)

    assert not runs_of().exists()
    assert JobRun.objects.filter(pk=ancient_run.pk).exists()


def test_run_now_refuses_a_job_that_does_not_exist(operator):
    with pytest.raises(ValidationError, match="There is no job named"):
        job_run_now(job_name="mine-bitcoin", by=operator)


def test_a_message_delivered_again_closes_the_run_its_dead_worker_left_open():
    # given a run left RUNNING by a worker killed mid-task, whose message the broker hands out again
    left = JobRun.objects.create(job=JOB, task_id="task-1", started_at=timezone.now() - timedelta(minutes=3))

    job_runs_cleanup_task.apply(task_id="task-1")

    left.refresh_from_db()
    assert (left.outcome, left.error) == (JobOutcome.FAILED, WORKER_LOST)
    assert runs_of().filter(task_id="task-1", outcome=JobOutcome.SUCCEEDED).count() == 1


def test_a_task_that_is_not_a_periodic_job_leaves_no_run():
    assert ping_task.delay().get() == "pong"
    assert not JobRun.objects.exists()
