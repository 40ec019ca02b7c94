"""Periodic jobs of the audit trail: sealing, verification, partitions, system log retention."""

from celery import shared_task

from auditing.alerts import seal_lag_alert, verification_failed_alert
from auditing.chain import audit_chain_verify
from auditing.partitions import audit_partitions_ensure
from auditing.sealing import audit_rows_seal, audit_seal_status, seal_status_remember
from auditing.services import system_logs_cleanup

# Each of these is a periodic job (operations.jobs): the task base runs one at a time per job, records the
# run and honours its on/off switch, so no task here takes a lock of its own.


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def system_logs_cleanup_task() -> dict:
    """Periodic: system log retention (``logs.retention_days.<LEVEL>``); returns rows deleted per level."""
    return system_logs_cleanup()


@shared_task
def audit_rows_seal_task() -> dict:
    """Every few seconds: seals the audit rows committed since the last run, then checks the lag.

    One sealer runs at a time (the sealing service's own lock): an overlapping run returns at once.
    """
    run = audit_rows_seal()
    status = audit_seal_status()
    if status is not None:
        seal_status_remember(status)
    lagging = seal_lag_alert(status)
    return {"seals": run.seals, "rows": run.rows, "busy": run.busy, "lagging": lagging}


@shared_task
def audit_chain_verify_task(full: bool = False) -> dict:
    """Periodic and on request: verifies the trail (incremental; ``full`` weekly), feeding the viewer's badge.

    A failure is logged at CRITICAL (so it lands in the system log) and notified. The incremental and the
    full verification are two jobs and may overlap: both only read, and each records its own verdict.
    """
    verdict = audit_chain_verify(full=full)
    if not verdict.ok:
        verification_failed_alert(verdict)
    seal_lag_alert(audit_seal_status())
    return {"ok": verdict.ok, "rows": verdict.rows, "broken_id": verdict.broken_id, "problem": verdict.problem}


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def audit_partitions_ensure_task() -> int:
    """Daily: the audit trail's monthly partitions exist months ahead of need."""
    return audit_partitions_ensure()
