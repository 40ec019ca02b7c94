from celery import shared_task


@shared_task
def ping_task() -> str:
    """Round-trip check for operators and health probes: ``celery -A config call core.tasks.ping_task``."""
    return "pong"
