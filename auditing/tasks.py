import logging

from celery import shared_task

from auditing.chain import audit_chain_verify
from auditing.services import system_logs_cleanup
from core.locks import single_run

CLEANUP_LOCK = "lock:system_logs_cleanup_task"
VERIFY_LOCK = "lock:audit_chain_verify_task"
logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def system_logs_cleanup_task() -> dict | None:
    """Periodic: system log retention. Runs one at a time (a lock), returns rows deleted per level."""
    with single_run(CLEANUP_LOCK) as running:
        return system_logs_cleanup() if running else None  # None: another run is still deleting


@shared_task
def audit_chain_verify_task() -> dict | None:
    """Periodic and on request: walks the audit hash chain; the verdict feeds the viewer's badge.

    A broken chain is logged at CRITICAL, so it lands in the system log. One run at a time (a lock).
    """
    with single_run(VERIFY_LOCK) as running:
        if not running:
            return None
        verdict = audit_chain_verify()
    if not verdict.ok:
        logger.critical("Audit chain broken at row #%s: an audit row was edited, deleted or moved.", verdict.broken_id)
    return {"ok": verdict.ok, "rows": verdict.rows, "broken_id": verdict.broken_id}
