from celery import shared_task

from support import services

# Periodic jobs (operations.jobs): the task base runs one at a time per job and records each run.


@shared_task
def tickets_auto_close_task() -> dict:
    """Periodic: closes tickets left RESOLVED past the auto-close delay (``support.auto_close_days``)."""
    return {"closed": services.tickets_auto_close()}


@shared_task
def tickets_sla_breaches_task() -> dict:
    """Periodic: flags tickets whose service-level deadline has passed and tells who must act."""
    return {"flagged": services.tickets_sla_breaches_flag()}
