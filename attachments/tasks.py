from celery import shared_task

from attachments import services
from core.locks import single_run


@shared_task
def attachment_thumbnail_task(attachment_id: int) -> str:
    """After an image upload commits: makes its thumbnail (harmless to repeat; a failure marks the row)."""
    return services.attachment_thumbnail_make(attachment_id=attachment_id)


@shared_task
def attachments_sweep_task() -> dict:
    """Periodic: removes stored objects no row names and rows whose stored file is gone."""
    with single_run("attachments:sweep") as running:
        if not running:
            return {"skipped": True}
        report = services.attachments_sweep()
    return {
        "orphan_objects": len(report.orphan_objects),
        "rows_without_object": len(report.rows_without_object),
        "refusal": report.refusal,
    }
