"""The Celery application as workers and beat load it: every job's task exists, and the reliability settings
hold together (decision 0022)."""

import inspect

import pytest
from django.conf import settings

from config.celery import app
from operations.jobs import JOBS
from operations.schedules import schedule_parse


@pytest.fixture(scope="module")
def tasks():
    """The registered tasks once every app's tasks module is imported, as a worker does when it starts."""
    app.loader.import_default_modules()
    return app.tasks


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.name)
def test_every_job_names_a_task_that_exists_and_takes_its_arguments(tasks, job):
    assert job.task in tasks, f"{job.name}: no task {job.task} is registered"
    inspect.signature(tasks[job.task].run).bind(**job.kwargs)


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.name)
def test_every_job_has_a_default_schedule_that_reads(job):
    schedule_parse(settings.PERIODIC_JOBS[job.name])


def test_beat_has_exactly_the_jobs_and_runs_our_scheduler():
    assert set(app.conf.beat_schedule) == {job.name for job in JOBS}
    assert app.conf.beat_scheduler == "operations.beat:JobScheduler"


def test_no_task_may_run_past_the_time_redis_waits_before_delivering_its_message_again(tasks):
    # A task outliving the visibility timeout would be started a second time while it still runs.
    visibility_timeout = app.conf.broker_transport_options["visibility_timeout"]
    for name, task in tasks.items():
        hard_limit = task.time_limit or app.conf.task_time_limit
        soft_limit = task.soft_time_limit or app.conf.task_soft_time_limit
        assert hard_limit < visibility_timeout, name
        assert soft_limit < hard_limit, name


def test_messages_are_acknowledged_late_and_taken_one_at_a_time(tasks):
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    # every task of ours runs with late acknowledgement: each is safe to run twice
    ours = [task for name, task in tasks.items() if not name.startswith("celery.")]
    assert ours
    assert all(task.acks_late for task in ours)


def test_results_are_stored_only_for_the_tasks_whose_callers_read_them(tasks):
    stored = sorted(name for name, task in tasks.items() if not task.ignore_result and not name.startswith("celery."))
    assert stored == ["core.tasks.ping_task"]
