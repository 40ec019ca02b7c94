"""Operations' writes: recording job runs, running a job now, changing the system settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from operations.jobs import JOBS_BY_NAME, Job
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.permissions import CHANGE_SYSTEM_SETTINGS, RUN_JOB
from operations.presentation import setting_value_text
from operations.system_settings import CHECKS, SETTINGS, stored_values_forget, system_setting

ERROR_MAX_LENGTH = 10_000
WORKER_LOST = "The worker running this job stopped before it ended."
# A run still RUNNING this long after its task's hard time limit has no worker left.
ABANDONED_AFTER_LIMIT = timedelta(minutes=5)
# Big enough to be nobody else's advisory lock key: settings updates take turns (`_settings_write_lock`).
SETTINGS_LOCK_KEY = 7_310_553_023
# The code of a refusal because someone else changed the setting since the page was shown.
CHANGED_MEANWHILE = "changed_meanwhile"


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
def system_settings_update(*, changes: Mapping[str, Any], by, shown: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validates and stores ``changes`` (key -> value) on behalf of ``by``; returns the values that changed.

    ``shown`` holds the values in force that the person saw (key -> value, as on the settings page): a
    change to a setting whose value in force now differs, and is not what they ask for, is refused, as
    someone else changed it meanwhile. Every value is cleaned by its declaration, and every ``CHECKS`` rule
    a change touches judges the values the change would leave in force (long service-level targets need
    enough business hours). Updates take turns (a lock held to the end of the transaction), so these checks
    read what the previous update committed, and two first saves of a key cannot both insert it.

    All or nothing: one refusal (``ValidationError`` naming its key) stores none. A value equal to its
    default with no row yet stores nothing, so the default keeps following the environment; once stored, a
    value stays until staff change it. Each changed row is captured by the audit trail; the cached values
    are replaced once the transaction commits. Raises ``PermissionDenied`` without
    ``operations.change_systemsetting``.
    """
    if not by.has_perm(CHANGE_SYSTEM_SETTINGS):
        raise PermissionDenied
    cleaned = _settings_cleaned(changes)
    _settings_write_lock()
    rows = {row.key: row for row in SystemSetting.objects.all()}
    in_force = {key: rows[key].value if key in rows else setting.default() for key, setting in SETTINGS.items()}
    _settings_unchanged_since_shown(cleaned, in_force=in_force, shown=shown or {})
    changed_keys = {key for key, value in cleaned.items() if value != in_force[key]}
    _settings_checks_pass({**in_force, **cleaned}, changed_keys=changed_keys)
    changed: dict[str, Any] = {}
    for key, value in cleaned.items():
        row = rows.get(key)
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


def _settings_cleaned(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Each of ``changes`` cleaned by its setting's declaration; ``ValidationError`` naming every key refused."""
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
    return cleaned


def _settings_write_lock() -> None:
    """Makes settings updates take turns until the current transaction ends. A row lock cannot: a key's first
    save has no row to lock, and a rule across settings reads rows that another update may be changing.
    (SQLite takes its write lock when a transaction begins: nothing to add.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SETTINGS_LOCK_KEY])


def _settings_unchanged_since_shown(
    cleaned: Mapping[str, Any], *, in_force: Mapping[str, Any], shown: Mapping[str, Any]
) -> None:
    """Refuses (``ValidationError`` by key, code ``CHANGED_MEANWHILE``) each change to a setting whose value
    in force is no longer the one ``shown``, unless it is already the value asked for."""
    errors = {
        key: [
            ValidationError(
                _("Someone changed this since the page was shown (now: %(value)s). Check it, then save again.")
                % {"value": setting_value_text(SETTINGS[key], in_force[key])},
                code=CHANGED_MEANWHILE,
            )
        ]
        for key, value in cleaned.items()
        if key in shown and shown[key] != in_force[key] and value != in_force[key]
    }
    if errors:
        raise ValidationError(errors)


def _settings_checks_pass(values: Mapping[str, Any], *, changed_keys: set[str]) -> None:
    """Runs every rule across settings that a change to ``changed_keys`` touches on ``values``; raises their
    refusals together."""
    errors: dict[str, list[ValidationError]] = {}
    for check in CHECKS:
        if not check.keys & changed_keys:
            continue
        try:
            check.check(values)
        except ValidationError as refusal:
            refusal.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
