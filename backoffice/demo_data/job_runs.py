"""Demo history of the periodic jobs (the last runs of each, at its default schedule) and a few system settings
staff changed: what the operations pages show on a fresh demo."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from celery.schedules import crontab
from django.db import transaction

from backoffice.demo_data.context import DemoContext
from operations.jobs import JOBS, Job
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.schedules import schedule_parse
from operations.system_settings import stored_values_forget

JOB_RUN_FIELDS = (
    "id", "job", "trigger", "requested_by_id", "task_id", "worker", "started_at", "finished_at", "duration_ms",
    "outcome", "error", "result",
)  # fmt: skip
SETTING_FIELDS = ("id", "key", "value", "updated_by_id", "updated_at")
# The runs kept per job: enough for the pages to show a history, the same at every scale.
RUNS_PER_JOB = 12
# How far back a job's runs are looked for (the default retention of job runs).
HISTORY = timedelta(days=14)
WORKERS = ("celery@worker-1", "celery@worker-2")
_TIMEOUT = (
    "Traceback (most recent call last):\n  ...\n"
    "psycopg.errors.QueryCanceled: canceling statement due to statement timeout"
)
# What each job's task returns, as its run records it (a job missing here returns nothing worth showing).
_RESULTS: dict[str, Callable[[Any], Any]] = {
    "user-roles-expiry": lambda rng: {"warned": rng.randint(0, 2), "lapsed": rng.randint(0, 1)},
    "user-sessions-cleanup": lambda rng: rng.randint(0, 40),
    "notifications-deliver": lambda rng: {"sent": rng.randint(0, 30), "failed": rng.choice((0, 0, 0, 1))},
    "system-logs-cleanup": lambda rng: {"INFO": rng.randint(50, 900), "WARNING": rng.randint(0, 40), "ERROR": 0},
    "audit-rows-seal": lambda rng: {"seals": 1, "rows": rng.randint(1, 60), "busy": False, "lagging": False},
    "audit-chain-verify": lambda rng: {"ok": True, "rows": rng.randint(100, 4000), "broken_id": None, "problem": ""},
    "audit-chain-verify-full": lambda rng: {"ok": True, "rows": rng.randint(20_000, 90_000), "broken_id": None},
    "audit-partitions-ensure": lambda rng: rng.choice((0, 0, 1)),
    "tickets-auto-close": lambda rng: {"closed": rng.randint(0, 5)},
    "tickets-sla-breaches": lambda rng: {"flagged": rng.choice((0, 0, 0, 1, 2))},
    "attachments-sweep": lambda rng: {"orphan_objects": rng.randint(0, 3), "rows_without_object": 0, "refusal": ""},
    "backups-stuck-repair": lambda rng: {"failed": 0},
    "job-runs-cleanup": lambda rng: {"deleted": rng.randint(100, 2000), "abandoned": 0},
}


def seed_job_runs(ctx: DemoContext) -> None:
    """The last ``RUNS_PER_JOB`` runs of every job up to the demo's "now": mostly succeeded, a few skipped
    (another run still going), one failure, and one run asked for by a staff member."""
    runs = [(job, moment) for job in JOBS for moment in _firings(job, ctx.now)]
    ids = ctx.writer.reserve(JobRun, len(runs))
    failing = ctx.rng.randrange(len(runs))
    manual = ctx.rng.randrange(len(runs))
    rows = (
        _run_row(ctx, pk, job, started, failed=index == failing, manual=index == manual)
        for index, (pk, (job, started)) in enumerate(zip(ids, runs, strict=True))
    )
    ctx.writer.write(JobRun, JOB_RUN_FIELDS, rows)


def seed_system_settings(ctx: DemoContext) -> None:
    """Two choices staff made on the settings page: INFO logs kept three weeks, job runs a month."""
    changes = {"logs.retention_days.INFO": 21, "jobs.run_retention_days": 30}
    ids = ctx.writer.reserve(SystemSetting, len(changes))
    staff = ctx.pick(ctx.staff_ids)
    changed_at = ctx.now - timedelta(days=3)
    rows = [(pk, key, value, staff, changed_at) for pk, (key, value) in zip(ids, changes.items(), strict=True)]
    ctx.writer.write(SystemSetting, SETTING_FIELDS, rows)
    # Every process reads the settings through the shared cache: it must not keep what it read before.
    transaction.on_commit(stored_values_forget)


def _firings(job: Job, now: datetime) -> list[datetime]:
    """The last ``RUNS_PER_JOB`` moments before ``now`` (within ``HISTORY``) ``job`` runs at by default."""
    when = schedule_parse(job.default_schedule)
    if isinstance(when, crontab):
        return sorted(_crontab_moments_back(when, now))
    return [now - when.run_every * step for step in range(RUNS_PER_JOB, 0, -1)]


def _crontab_moments_back(when: crontab, now: datetime) -> Iterator[datetime]:
    """Minutes matching ``when`` before ``now``, newest first, at most ``RUNS_PER_JOB`` and within ``HISTORY``."""
    found = 0
    moment = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    while found < RUNS_PER_JOB and now - moment <= HISTORY:
        if (
            moment.minute in when.minute
            and moment.hour in when.hour
            and moment.day in when.day_of_month
            and moment.month in when.month_of_year
            and (moment.weekday() + 1) % 7 in when.day_of_week  # crontab counts Sunday as 0
        ):
            found += 1
            yield moment
        moment -= timedelta(minutes=1)


def _run_row(ctx: DemoContext, pk: int, job: Job, started: datetime, *, failed: bool, manual: bool) -> tuple:
    started = started + timedelta(milliseconds=ctx.rng.randint(5, 900))  # a worker picks it up a moment later
    skipped = not failed and ctx.rng.random() < 0.03
    took = timedelta(milliseconds=ctx.rng.randint(4, 40) if skipped else ctx.rng.randint(20, 4000))
    if failed:
        outcome, result, error = JobOutcome.FAILED, None, _TIMEOUT
    elif skipped:
        outcome, result, error = JobOutcome.SKIPPED, {"skipped": "already running"}, ""
    else:
        outcome, result, error = JobOutcome.SUCCEEDED, _RESULTS.get(job.name, lambda rng: None)(ctx.rng), ""
    trigger, requested_by = (JobTrigger.MANUAL, ctx.pick(ctx.staff_ids)) if manual else (JobTrigger.SCHEDULE, None)
    task_id = str(UUID(int=ctx.rng.getrandbits(128), version=4))
    return (
        pk, job.name, trigger, requested_by, task_id, ctx.pick(WORKERS), started, started + took,
        int(took.total_seconds() * 1000), outcome, error, result,
    )  # fmt: skip
