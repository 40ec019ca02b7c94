from celery import shared_task

from operations import services


@shared_task
def job_runs_cleanup_task() -> dict:
    """Periodic: forgets job runs past their retention and closes runs whose worker died."""
    return services.job_runs_cleanup()
