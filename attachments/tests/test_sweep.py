"""The sweep: stored objects no row names, and rows whose stored file is gone, are removed and reported."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from attachments.models import FileAttachment
from attachments.services import attachment_delete, attachment_upload, attachments_sweep
from attachments.storage import attachment_storage
from attachments.tests import samples
from attachments.tests.helpers import deleter, isolated_media, stored_files, uploader
from config.celery import app
from consultants.tests.factories import BookingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]
__all__ = ["isolated_media"]  # the fixture, imported for pytest to find

LATER = timezone.now() + timedelta(days=2)  # past the sweep's grace period for everything made now


def uploaded(name="a.pdf", content=None) -> FileAttachment:
    return attachment_upload(
        uploader=uploader(),
        owner_type="BOOKING",
        owner_id=BookingFactory().pk,
        file=samples.upload(name, content or samples.pdf()),
    )


def test_orphan_objects_and_rows_without_a_file_are_removed_and_reported():
    # given a file in good order, a stored object no row names, and a row whose file vanished
    kept, lost = uploaded(), uploaded()
    orphan = attachment_storage().save("private/attachments/2020/01/orphan.pdf", ContentFile(samples.pdf()))
    attachment_storage().delete(str(lost.file))
    # when the sweep runs after the grace period
    report = attachments_sweep(now=LATER)
    # then both are gone and reported, and the good file stays
    assert report.orphan_objects == [orphan]
    assert report.rows_without_object == [lost.pk]
    assert orphan not in stored_files() and kept.file.name in stored_files()
    assert list(FileAttachment.objects.values_list("pk", flat=True)) == [kept.pk]


def test_young_objects_are_left_alone_for_the_upload_that_may_be_about_to_commit():
    young = attachment_storage().save("private/attachments/2026/11/young.pdf", ContentFile(samples.pdf()))
    report = attachments_sweep()
    assert report.orphan_objects == [] and young in stored_files()


def test_a_dry_run_reports_without_removing():
    orphan = attachment_storage().save("public/thumbnails/2020/01/orphan.jpg", ContentFile(b"x"))
    report = attachments_sweep(now=LATER, dry_run=True)
    assert report.orphan_objects == [orphan] and orphan in stored_files()


def test_the_command_reports_what_it_removed(capsys):
    orphan = attachment_storage().save("private/attachments/2020/01/orphan.pdf", ContentFile(b"x"))
    call_command("sweep_attachments", "--grace-seconds", "0")
    out = capsys.readouterr().out
    assert "1 stored object no row names" in out and orphan in out
    assert orphan not in stored_files()


def test_deleting_an_attachment_removes_its_file_only_after_commit(django_capture_on_commit_callbacks):
    attachment = uploaded("photo.jpg", samples.jpeg())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachment_delete(actor=deleter(), attachment=attachment)
    assert attachment.file.name in stored_files()  # a rollback would keep it
    for callback in callbacks:
        callback()
    assert attachment.file.name not in stored_files()


def test_a_stored_file_another_row_still_names_is_kept(django_capture_on_commit_callbacks):
    first = uploaded()
    twin = FileAttachment.objects.get(pk=first.pk)
    twin.pk = None
    twin.save()
    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(actor=deleter(), attachment=first)
    assert first.file.name in stored_files()


def test_the_sweep_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "attachments.tasks.attachments_sweep_task" in tasks


def test_a_storage_that_lists_nothing_while_rows_name_files_is_not_swept(settings, tmp_path):
    # given files in good order, and then the private storage pointed at an empty folder (a volume not
    # mounted, a wrong setting)
    kept = uploaded()
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "empty"), "base_url": None},
        },
    }
    # when the sweep runs, then it removes nothing and says why
    report = attachments_sweep(now=LATER)
    assert "private storage lists no file while 1 attachments name one" in report.refusal
    assert FileAttachment.objects.filter(pk=kept.pk).exists()
    with pytest.raises(CommandError, match="Removed nothing"):
        call_command("sweep_attachments", "--grace-seconds", "0")


def test_more_lost_files_than_a_sweep_removes_on_its_own_are_reported_not_removed(monkeypatch):
    monkeypatch.setattr("attachments.services.SWEEP_MAX_LOST_ROWS", 1)
    uploaded()  # one in good order
    lost, also_lost = uploaded(), uploaded()
    for attachment in (lost, also_lost):
        attachment_storage().delete(str(attachment.file))
    report = attachments_sweep(now=LATER)
    assert "2 attachments name files that are gone" in report.refusal
    assert FileAttachment.objects.count() == 3


def test_a_negative_grace_period_is_refused():
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("sweep_attachments", "--grace-seconds", "-5")
