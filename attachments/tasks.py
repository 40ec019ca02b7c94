from celery import shared_task

from attachments import services


@shared_task
def attachment_thumbnail_task(attachment_id: int) -> str:
    """After an image upload commits: makes its thumbnail (harmless to repeat; a failure marks the row)."""
    return services.attachment_thumbnail_make(attachment_id=attachment_id)


@shared_task
def attachments_sweep_task() -> dict:
    """Periodic: removes stored objects no row names and rows whose stored file is gone.

    A periodic job (operations.jobs): the task base runs one sweep at a time and records each run.
    """
    report = services.attachments_sweep()
    return {
        "orphan_objects": len(report.orphan_objects),
        "rows_without_object": len(report.rows_without_object),
        "refusal": report.refusal,
    }
