from celery import shared_task
from django.core.cache import cache

from auditing.services import system_logs_cleanup
from core.request_context import bind_system_actor

CLEANUP_LOCK = "lock:system_logs_cleanup_task"


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def system_logs_cleanup_task() -> dict | None:
    """Periodic: system log retention. Runs one at a time (a lock), returns rows deleted per level."""
    if not cache.add(CLEANUP_LOCK, "running", timeout=60 * 60):
        return None  # another run is still deleting
    try:
        with bind_system_actor("system_logs_cleanup_task"):
            return system_logs_cleanup()
    finally:
        cache.delete(CLEANUP_LOCK)
