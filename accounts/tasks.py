from celery import shared_task

from accounts import services
from accounts.services.delivery import notifications_deliver
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


@shared_task
def notifications_deliver_task() -> dict:
    """Periodic: delivers every due notification on the channels that are on, retries included (the job
    "notifications-deliver"); returns what it did for the job's run record."""
    return notifications_deliver().as_dict()


@shared_task(ignore_result=True)
def notifications_deliver_kick_task(notification_ids: list[int]) -> dict:
    """Soon after notifications are queued: delivers those of ``notification_ids`` still due (the rest were
    sent by someone else or are gone). Not a periodic job, so it runs beside the job's run instead of
    waiting for its lock; the rows' leases keep the two from sending one twice."""
    return notifications_deliver(ids=notification_ids).as_dict()
