"""Periodic jobs of the audit trail: sealing, verification, partitions, system log retention."""

from celery import shared_task

from auditing.alerts import seal_lag_alert, verification_failed_alert
from auditing.chain import audit_chain_verify
from auditing.partitions import audit_partitions_ensure
from auditing.sealing import audit_rows_seal, audit_seal_status, seal_status_remember
from auditing.services import system_logs_cleanup
from core.locks import single_run

CLEANUP_LOCK = "lock:system_logs_cleanup_task"
VERIFY_LOCK = "lock:audit_chain_verify_task"


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def system_logs_cleanup_task() -> dict | None:
    """Periodic: system log retention. Runs one at a time (a lock), returns rows deleted per level."""
    with single_run(CLEANUP_LOCK) as running:
        return system_logs_cleanup() if running else None  # None: another run is still deleting


@shared_task(ignore_result=True)
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
def audit_chain_verify_task(full: bool = False) -> dict | None:
    """Periodic and on request: verifies the trail (incremental; ``full`` weekly), feeding the viewer's badge.

    A failure is logged at CRITICAL (so it lands in the system log) and notified. One run at a time.
    """
    with single_run(VERIFY_LOCK) as running:
        if not running:
            return None
        verdict = audit_chain_verify(full=full)
    if not verdict.ok:
        verification_failed_alert(verdict)
    seal_lag_alert(audit_seal_status())
    return {"ok": verdict.ok, "rows": verdict.rows, "broken_id": verdict.broken_id, "problem": verdict.problem}


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def audit_partitions_ensure_task() -> int:
    """Daily: the audit trail's monthly partitions exist months ahead of need."""
    return audit_partitions_ensure()
