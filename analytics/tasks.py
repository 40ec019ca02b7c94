from dataclasses import asdict

from celery import shared_task

from analytics import services


@shared_task
def kpis_compute_task() -> dict:
    """Periodic: recomputes yesterday's and today's KPI values and their week and month."""
    return asdict(services.kpis_compute_recent())
