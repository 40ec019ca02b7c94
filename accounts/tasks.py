from celery import shared_task

from accounts import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def user_roles_expiry_task() -> dict:
    """Periodic: warns of roles about to expire and records lapsed ones (see the service)."""
    result = services.user_roles_process_expiry()
    return {"warned": result.warned, "lapsed": result.lapsed}
