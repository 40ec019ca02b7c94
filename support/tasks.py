from celery import shared_task

from core.locks import single_run
from support import services


@shared_task
def tickets_auto_close_task() -> dict:
    """Periodic: closes tickets left RESOLVED past SUPPORT_AUTO_CLOSE_DAYS."""
    with single_run("support:auto-close") as running:
        if not running:
            return {"skipped": True}
        return {"closed": services.tickets_auto_close()}


@shared_task
def tickets_sla_breaches_task() -> dict:
    """Periodic: flags tickets whose service-level deadline has passed and tells who must act."""
    with single_run("support:sla-breaches") as running:
        if not running:
            return {"skipped": True}
        return {"flagged": services.tickets_sla_breaches_flag()}
