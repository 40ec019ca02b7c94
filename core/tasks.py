from celery import shared_task


# Its result is what a health probe reads (``ping_task.delay().get(timeout=...)``): the one task whose
# result is stored (every other task's is ignored, CELERY_TASK_IGNORE_RESULT).
@shared_task(ignore_result=False)
def ping_task() -> str:
    """Round-trip check for operators and health probes: ``celery -A config call core.tasks.ping_task``."""
    return "pong"
