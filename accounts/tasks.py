from celery import shared_task

from accounts import services
from accounts.services.sessions import user_sessions_cleanup


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def user_roles_expiry_task() -> dict:
    """Periodic: warns of roles about to expire and records lapsed ones (see the service)."""
    result = services.user_roles_process_expiry()
    return {"warned": result.warned, "lapsed": result.lapsed}


@shared_task
def user_sessions_cleanup_task() -> int:
    """Periodic: forgets the records of sessions that have ended or expired."""
    return user_sessions_cleanup()
