"""Operations' writes: recording job runs, running a job now, changing the system settings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from operations.jobs import JOBS_BY_NAME, Job
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.permissions import CHANGE_SYSTEM_SETTINGS, RUN_JOB
from operations.system_settings import SETTINGS, stored_values_forget, system_setting

ERROR_MAX_LENGTH = 10_000


def job_run_started(*, job: Job, trigger: str, requested_by_id: int | None, task_id: str, worker: str) -> JobRun:
    """Records that a run of ``job`` began (committed at once: a run that dies still shows)."""
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
    job = JOBS_BY_NAME.get(job_name)
    if job is None:
        raise ValidationError("There is no job named %(name)s.", params={"name": job_name[:64]})
    # The registered task, not send_task: without a broker it runs in-process, as every task does.
    result = current_app.tasks[job.task].apply_async(
        kwargs=dict(job.kwargs),
        headers={"job_trigger": JobTrigger.MANUAL, "job_requested_by": by.pk},
    )
    return result.id


def job_enabled(job: Job) -> bool:
    return bool(system_setting(f"jobs.{job.name}.enabled"))


def job_runs_cleanup(*, now=None) -> dict[str, int]:
    """Deletes runs older than ``jobs.run_retention_days`` and marks FAILED the runs left RUNNING by a worker
    that died (started longer ago than any run may take)."""
    now = now or timezone.now()
    from django.conf import settings

    abandoned = JobRun.objects.filter(
        outcome=JobOutcome.RUNNING, started_at__lt=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    ).update(outcome=JobOutcome.FAILED, finished_at=now, error="The worker running this job stopped before it ended.")
    cutoff = now - timedelta(days=system_setting("jobs.run_retention_days"))
    deleted, _ = JobRun.objects.filter(started_at__lt=cutoff).delete()
    return {"deleted": deleted, "abandoned": abandoned}


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
            errors[str(key)[:100]] = [ValidationError("There is no setting named %(key)s.", params={"key": key})]
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
