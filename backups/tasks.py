from celery import shared_task

from backups import services


@shared_task
def backups_stuck_repair_task() -> dict:
    """Periodic: marks failed the backups that never finished."""
    return {"failed": services.backups_stuck_repair()}


@shared_task
def backups_retention_task() -> dict:
    """Periodic: forgets backups past their retention, keeping the newest good one of each type."""
    return {"deleted": services.backups_retention_apply()}
