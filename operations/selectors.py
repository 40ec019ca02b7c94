"""Operations' reads for the staff pages: every job with its schedule, last runs and next run; a job's
runs; every system setting with its value, default and who changed it.

Each function costs a fixed number of queries, whatever the number of jobs, runs or settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from operations.jobs import JOBS, Job
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.schedules import schedule_parse
from operations.system_settings import SETTINGS, Setting, system_settings_in_force

FAILURE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class JobOverview:
    job: Job
    schedule: str  # the schedule in force, as written ("15m", "17 3 * * *")
    enabled: bool
    last_run: JobRun | None
    last_success: JobRun | None
    last_scheduled: JobRun | None  # the last run beat started, run or skipped
    next_run: datetime | None  # None: switched off, or an interval beat has not started yet
    failures: int  # in the last FAILURE_WINDOW


def jobs_overview(*, now: datetime | None = None, jobs: Sequence[Job] = JOBS) -> list[JobOverview]:
    """Every job of ``jobs`` (all of ``JOBS`` by default), in its order, with its schedule in force and its
    runs of note.

    Two queries: the runs of note of every job at once (each found through the job's index), and the
    failures of the last day; the settings come from the shared cache.
    """
    now = now or timezone.now()
    in_force = system_settings_in_force()
    runs = _runs_of_note(jobs)
    failures = dict(
        JobRun.objects.filter(
            job__in=[job.name for job in jobs], started_at__gte=now - FAILURE_WINDOW, outcome=JobOutcome.FAILED
        )
        .values_list("job")
        .annotate(count=Count("id"))
        .order_by()
    )
    overview = []
    for job in jobs:
        own = runs.get(job.name, [])
        schedule = str(in_force[f"jobs.{job.name}.schedule"])
        enabled = bool(in_force[f"jobs.{job.name}.enabled"])
        last_scheduled = _newest(own, lambda run: run.trigger == JobTrigger.SCHEDULE)
        overview.append(
            JobOverview(
                job=job,
                schedule=schedule,
                enabled=enabled,
                last_run=_newest(own, lambda run: True),
                last_success=_newest(own, lambda run: run.outcome == JobOutcome.SUCCEEDED),
                last_scheduled=last_scheduled,
                next_run=(
                    next_run_estimate(
                        schedule, last_run_at=last_scheduled.started_at if last_scheduled else None, now=now
                    )
                    if enabled
                    else None
                ),
                failures=failures.get(job.name, 0),
            )
        )
    return overview


def _runs_of_note(jobs: Sequence[Job]) -> dict[str, list[JobRun]]:
    """Per job, its newest run, its newest success and its newest scheduled run (one to three rows), in one
    query: a scalar subquery per job and kind, each an index lookup on (job, started_at), so the cost does
    not grow with the runs kept. The same SQL serves PostgreSQL and SQLite."""
    kinds: tuple[Q, ...] = (Q(), Q(outcome=JobOutcome.SUCCEEDED), Q(trigger=JobTrigger.SCHEDULE))
    wanted = Q(pk__in=[])
    for job in jobs:
        for kind in kinds:
            newest = JobRun.objects.filter(kind, job=job.name).order_by("-started_at", "-id").values("pk")[:1]
            wanted |= Q(pk=newest)
    by_job: dict[str, list[JobRun]] = {}
    for run in JobRun.objects.filter(wanted).select_related("requested_by"):
        by_job.setdefault(run.job, []).append(run)
    return by_job


def _newest(runs: list[JobRun], keep) -> JobRun | None:
    kept = [run for run in runs if keep(run)]
    return max(kept, key=lambda run: (run.started_at, run.pk)) if kept else None


def next_run_estimate(schedule_text: str, *, last_run_at: datetime | None, now: datetime) -> datetime | None:
    """When beat runs the job next: the first time the crontab names after its last scheduled run (or
    after ``now`` if it has none), or the last scheduled run plus the interval. None for an interval
    with no scheduled run yet (beat runs it one interval after it starts) and for a schedule that cannot
    be read. A moment before ``now`` means the run is overdue (is beat running?)."""
    try:
        schedule = schedule_parse(schedule_text)
    except ValidationError:
        return None
    if isinstance(schedule, crontab):
        start, delta, _now = schedule.remaining_delta(last_run_at or now)
        return start + delta
    if last_run_at is None:
        return None
    return last_run_at + schedule.run_every


def job_runs(*, job: Job) -> QuerySet[JobRun]:
    """The runs of ``job`` with who asked for each (a page of them is ordered by ``core.keyset``)."""
    return JobRun.objects.filter(job=job.name).select_related("requested_by")


def job_run_asked(*, job: Job, by, since: datetime, task_id: str = "") -> JobRun | None:
    """The newest run of ``job`` that ``by`` asked for since ``since`` (of task ``task_id`` when given), once
    its worker, or this process, has recorded it. Found through the job's index on (job, started_at)."""
    runs = JobRun.objects.filter(job=job.name, started_at__gte=since, trigger=JobTrigger.MANUAL, requested_by=by)
    if task_id:
        runs = runs.filter(task_id=task_id)
    return runs.order_by("-started_at", "-id").first()


@dataclass(frozen=True)
class SettingState:
    setting: Setting
    value: Any  # in force
    default: Any
    stored: SystemSetting | None  # staff's own value, with who set it and when

    @property
    def overridden(self) -> bool:
        return self.stored is not None


def system_setting_states() -> dict[str, SettingState]:
    """Every setting of ``SETTINGS``, in its order, with its value in force, its default and staff's row
    (one query, read from the table rather than the cache: who changed it and when are shown)."""
    stored = {row.key: row for row in SystemSetting.objects.select_related("updated_by")}
    states = {}
    for key, setting in SETTINGS.items():
        row = stored.get(key)
        default = setting.default()
        states[key] = SettingState(setting, row.value if row else default, default, row)
    return states
