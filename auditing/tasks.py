import logging

from celery import shared_task
from django.core.cache import cache

from auditing.chain import audit_chain_verify
from auditing.services import system_logs_cleanup

CLEANUP_LOCK = "lock:system_logs_cleanup_task"
VERIFY_LOCK = "lock:audit_chain_verify_task"
logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def system_logs_cleanup_task() -> dict | None:
    """Periodic: system log retention. Runs one at a time (a lock), returns rows deleted per level."""
    if not cache.add(CLEANUP_LOCK, "running", timeout=60 * 60):
        return None  # another run is still deleting
    try:
        return system_logs_cleanup()
    finally:
        cache.delete(CLEANUP_LOCK)


@shared_task
def audit_chain_verify_task() -> dict | None:
    """Periodic and on request: walks the audit hash chain; the verdict feeds the viewer's badge.

    A broken chain is logged at CRITICAL, so it lands in the system log. One run at a time (a lock).
    """
    if not cache.add(VERIFY_LOCK, "running", timeout=60 * 60):
        return None
    try:
        verdict = audit_chain_verify()
    finally:
        cache.delete(VERIFY_LOCK)
    if not verdict.ok:
        logger.critical("Audit chain broken at row #%s: an audit row was edited, deleted or moved.", verdict.broken_id)
    return {"ok": verdict.ok, "rows": verdict.rows, "broken_id": verdict.broken_id}
