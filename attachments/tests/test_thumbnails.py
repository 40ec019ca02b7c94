"""Thumbnails: made after an image upload commits, by a Celery task, harmless to repeat, and a failure marks
the row without undoing the upload."""

import io
import time

import pytest
from PIL import Image

from attachments.models import FileAttachment, ThumbnailStatus
from attachments.services import attachment_thumbnail_make, attachment_upload
from attachments.tasks import attachment_thumbnail_task
from attachments.tests import samples
from attachments.tests.helpers import stored_files, uploader
from consultants.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def uploaded(name: str, content: bytes, *, is_public: bool = False, commit=None) -> FileAttachment:
    return attachment_upload(
        uploader=uploader(),
        owner_type="BOOKING",
        owner_id=BookingFactory().pk,
        file=samples.upload(name, content),
        is_public=is_public,
    )


def thumbnail_image(attachment: FileAttachment) -> Image.Image:
    attachment.refresh_from_db()
    with attachment.thumbnail.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


@pytest.mark.parametrize(
    ("name", "content", "size", "kind"),
    [
        ("photo.jpg", samples.jpeg(2400, 1600), (320, 213), "JPEG"),
        ("tall.jpg", samples.jpeg(300, 900), (107, 320), "JPEG"),
        ("logo.png", samples.png(800, 400, alpha=True), (320, 160), "PNG"),
        ("chart.png", samples.png(1000, 1000), (320, 320), "JPEG"),
        ("spinner.gif", samples.gif(64, 32), (64, 32), "JPEG"),
        ("banner.webp", samples.webp(640, 320), (320, 160), "JPEG"),
    ],
)
def test_an_image_upload_gets_a_thumbnail_once_it_commits(
    django_capture_on_commit_callbacks, name, content, size, kind
):
    # when an image is uploaded and the transaction commits (the task runs in-process in tests)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = uploaded(name, content)
    # then its thumbnail is stored beside it, fitting the box, transparency kept as PNG
    attachment.refresh_from_db()
    assert attachment.thumbnail_status == ThumbnailStatus.READY and attachment.thumbnail_error == ""
    assert str(attachment.thumbnail).startswith("private/thumbnails/")
    image = thumbnail_image(attachment)
    assert image.size == size and image.format == kind


def test_a_public_image_gets_a_public_thumbnail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = uploaded("photo.jpg", samples.jpeg(), is_public=True)
    attachment.refresh_from_db()
    assert str(attachment.thumbnail).startswith("public/thumbnails/")


def test_documents_get_no_thumbnail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attachment = uploaded("a.pdf", samples.pdf())
    assert callbacks == []
    assert attachment_thumbnail_make(attachment_id=attachment.pk) == ThumbnailStatus.NONE
    attachment.refresh_from_db()
    assert not attachment.thumbnail and attachment.thumbnail_status == ThumbnailStatus.NONE


def test_running_the_task_again_changes_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = uploaded("photo.jpg", samples.jpeg())
    attachment.refresh_from_db()
    first, files = attachment.thumbnail.name, stored_files()
    assert attachment_thumbnail_task.delay(attachment.pk).get() == ThumbnailStatus.READY
    attachment.refresh_from_db()
    assert attachment.thumbnail.name == first and stored_files() == files


def test_a_failure_marks_the_attachment_and_is_logged_but_the_upload_stays(caplog):
    # given an uploaded image whose stored file was damaged before its thumbnail was made
    attachment = uploaded("photo.jpg", samples.jpeg())
    with attachment.file.storage.open(str(attachment.file), "wb") as damaged:
        damaged.write(b"\xff\xd8\xff\xe0 not really a jpeg")
    # when the thumbnail task runs
    assert attachment_thumbnail_make(attachment_id=attachment.pk) == ThumbnailStatus.FAILED
    # then the row says so and why, the log has the details, and the attachment is still there
    attachment.refresh_from_db()
    assert attachment.thumbnail_status == ThumbnailStatus.FAILED
    assert attachment.thumbnail_error
    assert not attachment.thumbnail
    assert any("Thumbnail of attachment" in record.getMessage() for record in caplog.records)
    assert FileAttachment.objects.filter(pk=attachment.pk).exists()


def test_the_task_for_a_deleted_attachment_does_nothing():
    assert attachment_thumbnail_make(attachment_id=987_654) == ThumbnailStatus.NONE


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_thumbnail_after_the_upload_commits(celery_worker):
    # given a running Celery worker, when an image is uploaded (its own transaction commits)
    attachment = uploaded("photo.jpg", samples.jpeg(1200, 800))
    assert FileAttachment.objects.get(pk=attachment.pk).thumbnail_status in {
        ThumbnailStatus.PENDING,
        ThumbnailStatus.READY,
    }
    # then the worker makes its thumbnail shortly after
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        attachment.refresh_from_db()
        if attachment.thumbnail_status != ThumbnailStatus.PENDING:
            break
        time.sleep(0.1)
    assert attachment.thumbnail_status == ThumbnailStatus.READY
    assert thumbnail_image(attachment).size == (320, 213)
