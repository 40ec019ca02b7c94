"""Beat's scheduler: only the leader sends, the schedules in force are followed without a restart, and the
last runs come from the job run records. The first tests drive the scheduler in this process; the last ones
start real ``celery -A config beat`` processes next to a real worker (decision 0022)."""

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from operations.beat import LEADER_LOCK, JobScheduler
from operations.jobs import JOBS
from operations.models import JobRun, JobTrigger
from operations.schedules import schedule_parse
from operations.services import system_settings_update

ROOT = Path(__file__).resolve().parents[2]
JOB = "job-runs-cleanup"  # the job the real beats send: cheap, and its runs are what the tests count


@pytest.fixture
def scheduler_maker(redis_url):
    """Beat schedulers in this process (as ``celery beat`` makes them), closed after the test."""
    made = []

    def make(max_interval: float = 1.0) -> JobScheduler:
        scheduler = JobScheduler(app=app, max_interval=max_interval)
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.close()


@pytest.mark.django_db
def test_only_one_of_two_schedulers_leads_and_the_other_takes_over_when_it_stops(scheduler_maker):
    first, second = scheduler_maker(), scheduler_maker()

    # when both tick
    first.tick()
    second.tick()

    # then the first leads with every job in its schedule, and the second keeps none: it cannot send
    assert set(first.schedule) == {job.name for job in JOBS}
    assert second.schedule == {}

    # when the leader stops cleanly, it hands over at once
    first.close()
    second.tick()
    assert set(second.schedule) == {job.name for job in JOBS}


@pytest.mark.django_db
def test_a_leader_whose_lock_was_taken_steps_down(scheduler_maker):
    from django.core.cache import cache

    leader = scheduler_maker()
    leader.tick()
    # given the lock expired during a stall and another beat took it
    cache.delete(LEADER_LOCK)
    other = scheduler_maker()
    other.tick()

    # when the old leader wakes up
    leader.tick()

    # then it stands by
    assert leader.schedule == {}
    assert set(other.schedule) == {job.name for job in JOBS}


@pytest.mark.django_db
def test_the_schedule_follows_the_settings_in_force_without_a_restart(
    scheduler_maker, operator, django_capture_on_commit_callbacks
):
    scheduler = scheduler_maker(max_interval=0.5)
    scheduler.tick()
    assert scheduler.schedule[JOB].schedule == schedule_parse(django_settings.PERIODIC_JOBS[JOB])

    with django_capture_on_commit_callbacks(execute=True):
        system_settings_update(
            changes={f"jobs.{JOB}.schedule": "7m", "jobs.audit-rows-seal.enabled": False}, by=operator
        )
    time.sleep(0.6)  # the scheduler re-reads the settings once per loop interval
    scheduler.tick()

    assert scheduler.schedule[JOB].schedule.run_every == timedelta(minutes=7)
    assert "audit-rows-seal" not in scheduler.schedule


@pytest.mark.django_db
def test_a_new_leader_takes_the_last_runs_from_the_job_run_records(scheduler_maker, settings):
    # given the cleanup job every 15 minutes, last run on schedule ten minutes ago (and by hand since)
    settings.PERIODIC_JOBS = {**settings.PERIODIC_JOBS, JOB: "15m"}
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    JobRun.objects.create(job=JOB, trigger=JobTrigger.SCHEDULE, started_at=ten_minutes_ago)
    JobRun.objects.create(job=JOB, trigger=JobTrigger.MANUAL, started_at=timezone.now())

    scheduler = scheduler_maker()
    scheduler.tick()

    # then it is due in about five minutes: neither now (a repeat) nor in fifteen (a skip)
    entry = scheduler.schedule[JOB]
    assert entry.last_run_at == ten_minutes_ago
    is_due, next_in = entry.is_due()
    assert not is_due
    assert 4 * 60 < next_in <= 5 * 60


@pytest.mark.django_db
def test_a_job_whose_default_schedule_cannot_be_read_is_left_out_and_the_others_still_sent(scheduler_maker, settings):
    settings.PERIODIC_JOBS = {**settings.PERIODIC_JOBS, JOB: "every now and then"}

    scheduler = scheduler_maker()
    scheduler.tick()

    assert set(scheduler.schedule) == {job.name for job in JOBS} - {JOB}


# Real beats, a real worker.


def beat_started(name: str, log_dir: Path) -> tuple[subprocess.Popen, Path]:
    """``celery -A config beat`` in a process of its own, on this test's database, cache and broker, waking
    every second (so its leader lock lives 3 s); returns the process and its log file."""
    database = connection.settings_dict
    env = {
        **os.environ,
        # The development settings: the test settings run every task inside the process that sends it.
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
    }
    log = log_dir / f"{name}.log"
    process = subprocess.Popen(  # noqa: S603 (our own program, fixed arguments)
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", "--max-interval=1"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, log


def wait_for(condition, *, within: float, what: str) -> float:
    """Polls ``condition`` until true; returns the seconds it took, or fails saying ``what`` did not happen."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {within} s")


def scheduled_runs() -> list[JobRun]:
    return list(JobRun.objects.filter(job=JOB, trigger=JobTrigger.SCHEDULE).order_by("started_at"))


def assert_no_tick_doubled(runs: list[JobRun]) -> None:
    """One run per tick of a one-second schedule: a second beat sending too would start runs side by side."""
    gaps = [(later.started_at - earlier.started_at).total_seconds() for earlier, later in itertools.pairwise(runs)]
    assert all(gap > 0.5 for gap in gaps), f"two runs of one tick: gaps {gaps}"


@pytest.fixture
def beats(redis_url, settings, tmp_path, operator):
    """Starts real beats; the job under test every second, every other job off. Stops the beats afterwards."""
    # The beats' cache keys carry the test database's name (CACHE_KEY_PREFIX): share them, so that a setting
    # changed here, and the leader lock, are seen by both sides.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"bo:{connection.settings_dict['NAME']}"}
    }
    changes = {f"jobs.{job.name}.enabled": False for job in JOBS if job.name != JOB}
    system_settings_update(changes={**changes, f"jobs.{JOB}.schedule": "1s"}, by=operator)
    started: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        process, log = beat_started(name, tmp_path)
        started.append(process)
        return process, log

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_two_beats_running_together_send_each_tick_once(require_postgres, celery_worker, beats):
    # given two beats started by mistake on the same schedule, and a worker
    first, first_log = beats("first")
    second, second_log = beats("second")

    # when they run for eight seconds with the job due every second
    wait_for(lambda: len(scheduled_runs()) >= 1, within=30, what="the first scheduled run")
    time.sleep(8)
    # Both stopped at once, outright: a clean stop hands the lead over (tested in-process above).
    first.kill()
    second.kill()
    first.wait()
    second.wait()
    time.sleep(1)  # the last message sent, run by the worker

    # then each tick ran the job once: about one run a second, none side by side, none skipped as a duplicate
    runs = scheduled_runs()
    assert 5 <= len(runs) <= 11, [run.started_at for run in runs]
    assert_no_tick_doubled(runs)
    assert {run.outcome for run in runs} == {"SUCCEEDED"}
    # and exactly one of the beats sent anything, while the other stood by
    logs = [first_log.read_text(), second_log.read_text()]
    senders = [log for log in logs if f"Sending due task {JOB}" in log]
    assert len(senders) == 1, logs
    assert any("another beat leads; standing by" in log for log in logs), logs


@pytest.mark.django_db(transaction=True)
def test_the_standby_beat_takes_over_soon_after_the_leader_is_killed(require_postgres, celery_worker, beats):
    # given a leading beat, and a second one standing by
    first, first_log = beats("first")
    wait_for(lambda: "beat: leading" in first_log.read_text(), within=30, what="the first beat leading")
    second, second_log = beats("second")
    wait_for(lambda: "standing by" in second_log.read_text(), within=30, what="the second beat standing by")

    # when the leader is killed outright (no chance to hand over)
    first.kill()
    first.wait()
    killed_at = timezone.now()

    # then the standby leads within the lock's lifetime (3 s) and a wake-up (1 s), and the job goes on
    took = wait_for(lambda: "beat: leading" in second_log.read_text(), within=15, what="the standby taking over")
    assert took < 6
    wait_for(
        lambda: JobRun.objects.filter(job=JOB, started_at__gt=killed_at).count() >= 2,
        within=15,
        what="scheduled runs after the takeover",
    )
    assert_no_tick_doubled(scheduled_runs())


@pytest.mark.django_db(transaction=True)
def test_a_running_beat_follows_schedule_changes_made_on_the_settings_page(
    require_postgres, celery_worker, beats, operator
):
    # given a beat running with the job due only once a day
    system_settings_update(changes={f"jobs.{JOB}.schedule": "1d"}, by=operator)
    beat, log = beats("only")
    wait_for(lambda: "beat: leading" in log.read_text(), within=30, what="the beat leading")
    time.sleep(3)
    assert scheduled_runs() == []

    # when staff set it to every second: it runs, without a restart
    system_settings_update(changes={f"jobs.{JOB}.schedule": "1s"}, by=operator)
    wait_for(lambda: len(scheduled_runs()) >= 2, within=10, what="runs at the new schedule")

    # when staff switch it off: it stops being sent
    system_settings_update(changes={f"jobs.{JOB}.enabled": False}, by=operator)
    time.sleep(3)  # the beat's next reading of the settings, and a message already sent
    runs_when_off = len(scheduled_runs())
    time.sleep(3)
    assert len(scheduled_runs()) == runs_when_off
    assert beat.poll() is None  # never restarted
