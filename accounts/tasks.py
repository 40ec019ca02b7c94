from celery import shared_task

from accounts import services
from core.request_context import bind_system_actor


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def user_roles_expiry_task() -> dict:
    """Periodic: warns of roles about to expire and records lapsed ones (see the service)."""
    with bind_system_actor("user_roles_expiry_task"):
        result = services.user_roles_process_expiry()
    return {"warned": result.warned, "lapsed": result.lapsed}
