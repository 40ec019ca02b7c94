"""The operations pages' reads: every job with its runs of note and its next run, in a fixed number of
queries whatever the runs kept."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from operations import selectors
from operations.jobs import JOBS, JOBS_BY_NAME
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting

pytestmark = pytest.mark.django_db

JOB = "job-runs-cleanup"


def ran(job: str = JOB, *, minutes_ago: float, outcome=JobOutcome.SUCCEEDED, trigger=JobTrigger.SCHEDULE, **fields):
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return JobRun.objects.create(
        job=job,
        trigger=trigger,
        outcome=outcome,
        started_at=started,
        finished_at=started + timedelta(seconds=1),
        duration_ms=1000,
        **fields,
    )


def overview_of(job: str) -> selectors.JobOverview:
    return next(item for item in selectors.jobs_overview() if item.job.name == job)


def test_every_job_is_listed_in_order_with_its_schedule_in_force():
    # given a schedule changed by staff
    SystemSetting.objects.create(key=f"jobs.{JOB}.schedule", value="2h")
    SystemSetting.objects.create(key=f"jobs.{JOB}.enabled", value=False)

    overview = selectors.jobs_overview()

    assert [item.job for item in overview] == list(JOBS)
    item = overview_of(JOB)
    assert item.schedule == "2h" and item.enabled is False and item.next_run is None
    assert item.last_run is None and item.failures == 0


def test_the_last_run_last_success_and_last_scheduled_run_are_each_the_newest_of_their_kind():
    # given a success long ago, a scheduled failure, then a manual skip, and another job's newer run
    success = ran(minutes_ago=300)
    scheduled_failure = ran(minutes_ago=60, outcome=JobOutcome.FAILED, error="RuntimeError: no")
    newest = ran(minutes_ago=5, outcome=JobOutcome.SKIPPED, trigger=JobTrigger.MANUAL)
    ran("user-roles-expiry", minutes_ago=1)
    ran(minutes_ago=60 * 30, outcome=JobOutcome.FAILED)  # a failure older than a day

    item = overview_of(JOB)

    assert item.last_run == newest
    assert item.last_success == success
    assert item.last_scheduled == scheduled_failure
    assert item.failures == 1


def test_an_interval_runs_next_one_interval_after_the_last_scheduled_run():
    SystemSetting.objects.create(key=f"jobs.{JOB}.schedule", value="15m")
    scheduled = ran(minutes_ago=10)
    ran(minutes_ago=1, trigger=JobTrigger.MANUAL)  # a run asked for by hand does not move the schedule

    assert overview_of(JOB).next_run == scheduled.started_at + timedelta(minutes=15)


def test_an_interval_never_run_has_no_estimate_and_a_crontab_has_its_next_time():
    SystemSetting.objects.create(key=f"jobs.{JOB}.schedule", value="15m")
    assert overview_of(JOB).next_run is None

    # a crontab's times are in CELERY_TIMEZONE: the next 03:17 there after the last run, the next day
    zone = ZoneInfo(settings.CELERY_TIMEZONE)
    last = datetime(2026, 3, 1, 3, 17, 5, tzinfo=zone)
    estimate = selectors.next_run_estimate("17 3 * * *", last_run_at=last, now=last)
    assert estimate is not None and estimate.astimezone(zone) == datetime(2026, 3, 2, 3, 17, tzinfo=zone)
    assert selectors.next_run_estimate("not a schedule", last_run_at=None, now=last) is None


def test_a_late_crontab_run_shows_as_an_estimate_in_the_past():
    long_ago = timezone.now() - timedelta(days=3)
    estimate = selectors.next_run_estimate("17 3 * * *", last_run_at=long_ago, now=timezone.now())
    assert estimate is not None and estimate < timezone.now()


def test_the_overview_costs_the_same_queries_for_no_runs_and_for_many():
    selectors.jobs_overview()  # the settings' cache filled
    with CaptureQueriesContext(connection) as empty:
        selectors.jobs_overview()
    for job in JOBS:
        for minutes in range(1, 8):
            ran(job.name, minutes_ago=minutes, outcome=JobOutcome.FAILED if minutes % 2 else JobOutcome.SUCCEEDED)
    with CaptureQueriesContext(connection) as full:
        overview = selectors.jobs_overview()
    assert len(full) == len(empty) == 2
    assert all(item.last_run is not None and item.failures == 4 for item in overview)


def test_one_jobs_overview_reads_that_job_only():
    ran(minutes_ago=1)
    (item,) = selectors.jobs_overview(jobs=(JOBS_BY_NAME[JOB],))
    assert item.job.name == JOB and item.last_run is not None


def test_setting_states_say_which_are_overridden_and_by_whom():
    SystemSetting.objects.create(key="logs.retention_days.INFO", value=9)
    states = selectors.system_setting_states()
    assert states["logs.retention_days.INFO"].overridden and states["logs.retention_days.INFO"].value == 9
    assert not states["logs.retention_days.ERROR"].overridden
    assert states["logs.retention_days.ERROR"].value == states["logs.retention_days.ERROR"].default
