"""Operations' writes: recording job runs, running a job now, changing the system settings."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from operations.jobs import JOBS_BY_NAME, Job
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.permissions import CHANGE_SYSTEM_SETTINGS, RUN_JOB
from operations.system_settings import SETTINGS, stored_values_forget, system_setting

ERROR_MAX_LENGTH = 10_000
WORKER_LOST = "The worker running this job stopped before it ended."
# A run still RUNNING this long after its task's hard time limit has no worker left.
ABANDONED_AFTER_LIMIT = timedelta(minutes=5)


def job_run_started(*, job: Job, trigger: str, requested_by_id: int | None, task_id: str, worker: str) -> JobRun:
    """Records that a run of ``job`` began (committed at once: a run that dies still shows).

    A message delivered again after its worker died (late acknowledgement) carries the same task id: the
    run that worker left RUNNING is closed as FAILED here, rather than wait for the cleanup job.
    """
    if task_id:
        JobRun.objects.filter(job=job.name, task_id=task_id, outcome=JobOutcome.RUNNING).update(
            outcome=JobOutcome.FAILED, finished_at=timezone.now(), error=WORKER_LOST
        )
    return JobRun.objects.create(
        job=job.name,
        trigger=trigger,
        requested_by_id=requested_by_id,
        task_id=task_id or "",
        worker=(worker or "")[:200],
        started_at=timezone.now(),
    )


def job_run_finished(run: JobRun, *, outcome: str, result: Any = None, error: str = "") -> None:
    """Records how ``run`` ended and what it did."""
    finished_at = timezone.now()
    run.finished_at = finished_at
    run.duration_ms = max(0, int((finished_at - run.started_at).total_seconds() * 1000))
    run.outcome = outcome
    run.result = _json_safe(result)
    run.error = error[:ERROR_MAX_LENGTH]
    run.save(update_fields=["finished_at", "duration_ms", "outcome", "result", "error"])


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def job_run_now(*, job_name: str, by) -> str:
    """Queues a run of ``job_name`` now on behalf of ``by`` (needs ``operations.run_jobrun``); returns the task id.

    Runs even when the job is switched off: staff asked for this run by name.
    """
    if not by.has_perm(RUN_JOB):
        raise PermissionDenied
    return job_run_request(job_name=job_name, by=by)


def job_run_request(*, job_name: str, by) -> str:
    """Queues a run of ``job_name`` asked for by ``by``, for a caller that has checked its own permission
    (the audit viewer's "verify now" needs only to view the trail); returns the task id. Recorded as a
    run staff asked for (MANUAL, with ``by``): it runs even when the job is switched off.
    """
    job = JOBS_BY_NAME.get(job_name)
    if job is None:
        raise ValidationError(_("There is no job named %(name)s."), params={"name": job_name[:64]})
    # The registered task, not send_task: without a broker it runs in-process, as every task does.
    result = job_task(job).apply_async(
        kwargs=dict(job.kwargs),
        headers={"job_trigger": JobTrigger.MANUAL, "job_requested_by": by.pk},
    )
    return result.id


def job_enabled(job: Job) -> bool:
    return bool(system_setting(f"jobs.{job.name}.enabled"))


def job_runs_cleanup(*, now=None) -> dict[str, int]:
    """Deletes runs older than ``jobs.run_retention_days``, and marks FAILED the runs left RUNNING by a
    worker that died (started longer ago than their task's hard time limit allows)."""
    now = now or timezone.now()
    # One update per distinct time limit (most jobs share the workers' default), not one per job.
    jobs_by_limit: dict[int, list[str]] = {}
    for job in JOBS_BY_NAME.values():
        jobs_by_limit.setdefault(_task_time_limit(job), []).append(job.name)
    abandoned = 0
    for limit, names in jobs_by_limit.items():
        abandoned += JobRun.objects.filter(
            job__in=names,
            outcome=JobOutcome.RUNNING,
            started_at__lt=now - timedelta(seconds=limit) - ABANDONED_AFTER_LIMIT,
        ).update(outcome=JobOutcome.FAILED, finished_at=now, error=WORKER_LOST)
    cutoff = now - timedelta(days=system_setting("jobs.run_retention_days"))
    deleted, _ = JobRun.objects.filter(started_at__lt=cutoff).delete()
    return {"deleted": deleted, "abandoned": abandoned}


def _task_time_limit(job: Job) -> int:
    """The hard time limit of ``job``'s task in seconds: its own, else the workers' default."""
    return int(job_task(job).time_limit or settings.CELERY_TASK_TIME_LIMIT)


def job_task(job: Job) -> Task:
    """The Celery task that runs ``job``. Its module is imported first: workers import every app's tasks
    when they start, a web process only those its code happened to import."""
    import_module(job.task.rpartition(".")[0])
    return current_app.tasks[job.task]


@transaction.atomic
def system_settings_update(*, changes: dict[str, Any], by) -> dict[str, Any]:
    """Validates and stores ``changes`` (key -> value) on behalf of ``by``; returns the values that changed.

    All or nothing: one value refused (``ValidationError`` naming its key) stores none. A value equal to its
    default with no row yet stores nothing, so the default keeps following the environment; once stored, a
    value stays until staff change it. Each changed row is captured by the audit trail.
    """
    if not by.has_perm(CHANGE_SYSTEM_SETTINGS):
        raise PermissionDenied
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in changes.items():
        setting = SETTINGS.get(key)
        if setting is None:
            errors[str(key)[:100]] = [
                ValidationError(_("There is no setting named %(key)s."), params={"key": str(key)[:100]})
            ]
            continue
        try:
            cleaned[key] = setting.clean(raw)
        except ValidationError as error:
            errors[key] = error.error_list
    if errors:
        raise ValidationError(errors)
    current = {row.key: row for row in SystemSetting.objects.select_for_update().filter(key__in=cleaned)}
    changed: dict[str, Any] = {}
    for key, value in cleaned.items():
        row = current.get(key)
        if row is None:
            if value == SETTINGS[key].default():
                continue
            SystemSetting.objects.create(key=key, value=value, updated_by=by)
        elif row.value != value:
            row.value = value
            row.updated_by = by
            row.save(update_fields=["value", "updated_by", "updated_at"])
        else:
            continue
        changed[key] = value
    if changed:
        transaction.on_commit(stored_values_forget)
    return changed
