"""Beat's side of the periodic jobs: the schedule built from ``operations.jobs``."""

from typing import Any

from operations.jobs import JOBS
from operations.schedules import schedule_parse


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule``: every job at its default schedule (``settings.PERIODIC_JOBS``)."""
    return {
        job.name: {"task": job.task, "schedule": schedule_parse(job.default_schedule), "kwargs": dict(job.kwargs)}
        for job in JOBS
    }
