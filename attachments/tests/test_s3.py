"""The attachments' S3 path against a real S3-compatible server (moto's, a process of its own; conftest.py):
uploads land in the bucket under the row's name, private downloads are presigned redirects that serve the
file with our headers, public objects are readable by anyone, deletes wait for the commit, the sweep
reconciles bucket and table, and thumbnails are made from and into the bucket.

Moto checks ACLs on anonymous reads but neither signatures nor their expiry, so a presigned URL's lifetime
is read from the URL itself (what S3 enforces), not waited out.
"""

import hashlib
import io
import time
import urllib.error
import urllib.request
from contextlib import suppress
from datetime import timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from storages.backends.s3 import S3Storage

from accounts.tests.factories import staff_holding
from attachments.models import FileAttachment, ThumbnailStatus
from attachments.services import attachment_delete, attachment_thumbnail_make, attachment_upload, attachments_sweep
from attachments.storage import presigned_url
from attachments.tests.conftest import s3_storages_setting
from consultants.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

UPLOAD = ("attachments.add_fileattachment", "consultants.change_booking")
DOWNLOAD = ("consultants.view_booking", "attachments.download_private_fileattachment")
DELETE = ("attachments.delete_fileattachment", "consultants.change_booking")

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n"
    b"%%EOF\n"
)


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height))
    image.putdata([(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)])
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


PNG = png_bytes()


def http_get(url: str) -> tuple[int, Message, bytes]:
    """GET ``url`` as a browser following our redirect would: no credentials, no proxy, no redirects.
    Returns the status, the headers (looked up in any case) and the body."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def signed_lifetime(url: str, *, signed_between: tuple[float, float]) -> tuple[float, float]:
    """The bounds of how many seconds presigned ``url`` stays valid, signed between the two given times:
    SigV4 states it (``X-Amz-Expires``), SigV2 names the moment it ends (``Expires``)."""
    query = parse_qs(urlsplit(url).query)
    if "X-Amz-Expires" in query:
        lifetime = int(query["X-Amz-Expires"][0])
        return lifetime, lifetime
    expires = int(query["Expires"][0])
    before, after = signed_between
    return expires - after, expires - before


def uploaded(*, name: str, content: bytes, content_type: str, is_public: bool = False, booking=None):
    booking = booking or BookingFactory()
    return attachment_upload(
        uploader=staff_holding(*UPLOAD),
        owner_type="BOOKING",
        owner_id=booking.pk,
        file=SimpleUploadedFile(name, content, content_type),
        is_public=is_public,
    )


def test_the_attachment_storages_follow_the_storages_setting(settings):
    # given the filesystem storages of the test settings
    assert isinstance(storages["attachments_private"], FileSystemStorage)

    # when STORAGES names S3 for both, and later goes back
    s3_setting = s3_storages_setting(settings.STORAGES, endpoint="http://s3.invalid", bucket_name="attachments-switch")
    with override_settings(STORAGES=s3_setting):
        during: tuple[Any, Any] = (storages["attachments_private"], storages["attachments_public"])
    after = storages["attachments_private"]

    # then each change rebuilt the storages from the setting (Django's setting_changed receiver)
    assert all(isinstance(storage, S3Storage) for storage in during)
    assert {storage.bucket_name for storage in during} == {"attachments-switch"}
    assert (during[0].default_acl, during[1].default_acl) == ("private", "public-read")
    assert isinstance(after, FileSystemStorage)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("photo.png", PNG, "image/png"), ("brief.pdf", PDF, "application/pdf")],
)
def test_an_upload_stores_the_file_in_the_bucket_under_its_rows_name(s3_bucket, name, content, content_type):
    # when
    attachment = uploaded(name=name, content=content, content_type=content_type)

    # then the bucket holds exactly the uploaded bytes, under the generated private name the row records
    attachment.refresh_from_db()
    assert attachment.file.name.startswith("private/attachments/")
    assert s3_bucket.keys() == {attachment.file.name}
    assert s3_bucket.read(attachment.file.name) == content
    assert attachment.size_bytes == len(content)
    assert attachment.checksum_sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.content_type == content_type
    # and nobody reads it without a signature
    assert not s3_bucket.readable_by_anyone(attachment.file.name)
    status, _, _ = http_get(s3_bucket.unsigned_url(attachment.file.name))
    assert status == 403


def test_an_upload_longer_than_it_claimed_stops_at_the_limit_and_leaves_nothing_in_the_bucket(s3_bucket, settings):
    # given a 4 KB limit and a file that claims to be small but is not
    settings.ATTACHMENT_UPLOAD_RULES = {
        **settings.ATTACHMENT_UPLOAD_RULES,
        "default": {**settings.ATTACHMENT_UPLOAD_RULES["default"], "max_bytes": 4096},
    }
    file = SimpleUploadedFile("long.pdf", PDF + b"%" * 10_000, "application/pdf")
    file.size = len(PDF)
    booking = BookingFactory()

    # when
    with pytest.raises(ValidationError) as refused:
        attachment_upload(uploader=staff_holding(*UPLOAD), owner_type="BOOKING", owner_id=booking.pk, file=file)

    # then it was refused for its size, with no object and no row left behind
    assert refused.value.code == "too_large"
    assert s3_bucket.keys() == set()
    assert not FileAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "disposition"),
    [
        ("photo.png", PNG, "image/png", 'inline; filename="photo.png"'),
        ("Résumé 2026.pdf", PDF, "application/pdf", "attachment; "),
    ],
)
def test_a_private_download_redirects_to_a_presigned_url_serving_the_file(
    s3_bucket, client, name, content, content_type, disposition
):
    # given
    attachment = uploaded(name=name, content=content, content_type=content_type)
    client.force_login(staff_holding(*DOWNLOAD))

    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))

    # then the answer sends the browser to the object itself, signed, and is not cached on the way
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_bucket.unsigned_url(attachment.file.name) + "?")
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    # and that address serves the file with the name and type we asked for
    status, headers, body = http_get(location)
    assert status == 200
    assert body == content
    assert headers["Content-Type"] == content_type
    assert headers["Content-Disposition"].startswith(disposition)
    if not name.isascii():
        assert "filename*=utf-8''R%C3%A9sum%C3%A9%202026.pdf" in headers["Content-Disposition"]
    # and the download was counted
    attachment.refresh_from_db()
    assert attachment.download_count == 1
    assert attachment.last_downloaded_at is not None


def test_a_presigned_url_lives_as_long_as_the_private_storage_says(s3_bucket, client):
    # given
    attachment = uploaded(name="brief.pdf", content=PDF, content_type="application/pdf")
    client.force_login(staff_holding(*DOWNLOAD))

    # when
    before = time.time()
    location = client.get(reverse("attachments:download", args=[attachment.pk]))["Location"]
    short = presigned_url(attachment.file.name, filename_header="attachment", content_type="application/pdf", expire=1)
    after = time.time()
    assert short is not None

    # then the redirect's URL is good for the configured 60 seconds, and one asked for 1 second for 1
    low, high = signed_lifetime(location, signed_between=(before, after))
    assert low - 1 <= 60 <= high + 1
    low, high = signed_lifetime(short, signed_between=(before, after))
    assert low - 1 <= 1 <= high + 1


def test_a_public_file_is_readable_without_a_signature(s3_bucket):
    # when
    attachment = uploaded(name="photo.png", content=PNG, content_type="image/png", is_public=True)

    # then it is stored under the public prefix, readable by anyone at its plain address
    name = attachment.file.name
    assert name.startswith("public/attachments/")
    assert s3_bucket.readable_by_anyone(name)
    url = attachment.file.url
    assert "Signature" not in url
    assert url == s3_bucket.unsigned_url(name)
    status, headers, body = http_get(url)
    assert (status, body) == (200, PNG)
    assert headers["Content-Type"] == "image/png"


def test_a_public_file_downloads_through_the_view_for_whoever_may_see_its_owner(s3_bucket, client):
    # given a public file: anonymous visitors read it at its storage address, not through the view
    attachment = uploaded(name="brief.pdf", content=PDF, content_type="application/pdf", is_public=True)
    refused = client.get(reverse("attachments:download", args=[attachment.pk]))
    assert refused.status_code == 302 and reverse("admin:login") in refused["Location"]

    # when someone who may see the booking follows the download link (and its redirect, if any)
    client.force_login(staff_holding("consultants.view_booking"))
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    if response.status_code == 302:
        location = response["Location"]
        # S3 refuses response-* overrides on an unsigned request (400 InvalidRequest); moto does not check.
        query = parse_qs(urlsplit(location).query)
        overrides = any(key.startswith("response-") for key in query)
        signed = bool({"Signature", "X-Amz-Signature"} & set(query))
        assert signed or not overrides, f"unsigned, with header overrides: S3 would answer 400 to {location}"
        status, headers, body = http_get(location)
    else:
        status, headers, body = response.status_code, response.headers, b"".join(response.streaming_content)

    # then the file arrives, as a download named as uploaded
    assert (status, body) == (200, PDF)
    assert headers["Content-Disposition"] == 'attachment; filename="brief.pdf"'
    attachment.refresh_from_db()
    assert attachment.download_count == 1


@pytest.mark.parametrize(
    "permissions",
    [("consultants.view_booking",), ("attachments.download_private_fileattachment",)],
    ids=["no-download-permission", "no-view-of-the-booking"],
)
def test_a_user_without_permission_gets_404_and_no_address(s3_bucket, client, permissions):
    # given
    attachment = uploaded(name="brief.pdf", content=PDF, content_type="application/pdf")
    client.force_login(staff_holding(*permissions))

    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))

    # then nothing tells the file exists, nor where it is
    assert response.status_code == 404
    assert "Location" not in response
    assert s3_bucket.name.encode() not in response.content
    attachment.refresh_from_db()
    assert attachment.download_count == 0


def test_delete_removes_the_object_and_thumbnail_only_once_the_transaction_commits(
    s3_bucket, django_capture_on_commit_callbacks
):
    # given an image with its thumbnail, both in the bucket
    attachment = uploaded(name="photo.png", content=PNG, content_type="image/png")
    attachment_thumbnail_make(attachment_id=attachment.pk)
    attachment.refresh_from_db()
    names = {attachment.file.name, attachment.thumbnail.name}
    assert s3_bucket.keys() == names
    actor = staff_holding(*DELETE)

    # when a delete is rolled back
    with django_capture_on_commit_callbacks(execute=True) as callbacks, suppress(RuntimeError), transaction.atomic():
        attachment_delete(actor=actor, attachment=attachment)
        raise RuntimeError("rolled back")

    # then row and objects stay
    assert callbacks == []
    assert FileAttachment.objects.filter(pk=attachment.pk).exists()
    assert s3_bucket.keys() == names

    # when a delete commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attachment_delete(actor=actor, attachment=attachment)
        # then until the commit the row is gone but the objects are still there
        assert not FileAttachment.objects.filter(pk=attachment.pk).exists()
        assert s3_bucket.keys() == names

    # and the commit removes them
    assert len(callbacks) == 1
    assert s3_bucket.keys() == set()


def test_the_sweep_removes_orphan_objects_and_rows_whose_object_is_gone(s3_bucket, settings):
    # given a file with its row, a row whose object was deleted behind its back, and objects no row names
    settings.ATTACHMENT_SWEEP_GRACE_SECONDS = 600
    booking = BookingFactory()
    kept = uploaded(name="kept.pdf", content=PDF, content_type="application/pdf", booking=booking)
    lost = uploaded(name="lost.pdf", content=PDF, content_type="application/pdf", booking=booking)
    s3_bucket.remove(lost.file.name)
    orphans = ["private/attachments/2026/01/orphan.pdf", "public/thumbnails/2026/01/orphan.jpg"]
    for orphan in orphans:
        s3_bucket.put(orphan, b"nobody names me")

    # when the sweep runs now, within the grace period
    early = attachments_sweep()

    # then it leaves everything alone: an upload may be about to commit
    assert (early.orphan_objects, early.rows_without_object) == ([], [])
    assert s3_bucket.keys() == {kept.file.name, *orphans}
    assert FileAttachment.objects.filter(pk=lost.pk).exists()

    # when it runs once the grace period is over
    report = attachments_sweep(now=timezone.now() + timedelta(seconds=601))

    # then it removed, and reported, the orphan objects and the row without an object, and nothing else
    assert report.orphan_objects == sorted(orphans)
    assert report.rows_without_object == [lost.pk]
    assert s3_bucket.keys() == {kept.file.name}
    assert list(FileAttachment.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_thumbnail_is_made_from_the_bucket_into_the_bucket(s3_bucket, client):
    # given an image just uploaded
    attachment = uploaded(name="photo.png", content=PNG, content_type="image/png")
    assert attachment.thumbnail_status == ThumbnailStatus.PENDING

    # when the thumbnail job runs
    status = attachment_thumbnail_make(attachment_id=attachment.pk)

    # then the thumbnail is an object beside the file, private like it, within the configured box
    assert status == ThumbnailStatus.READY
    attachment.refresh_from_db()
    assert attachment.thumbnail_status == ThumbnailStatus.READY
    thumbnail_name = attachment.thumbnail.name
    assert thumbnail_name.startswith("private/thumbnails/")
    assert s3_bucket.keys() == {attachment.file.name, thumbnail_name}
    assert not s3_bucket.readable_by_anyone(thumbnail_name)
    with Image.open(io.BytesIO(s3_bucket.read(thumbnail_name))) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (320, 240)
    # and whoever may download the file sees it, streamed from the bucket
    client.force_login(staff_holding(*DOWNLOAD))
    response = client.get(reverse("attachments:thumbnail", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == s3_bucket.read(thumbnail_name)


def test_an_image_upload_gets_its_thumbnail_in_the_bucket_once_committed(s3_bucket, django_capture_on_commit_callbacks):
    # when an image upload commits (the thumbnail task runs eagerly in the tests)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = uploaded(name="photo.png", content=PNG, content_type="image/png", is_public=True)

    # then its thumbnail is in the bucket, public like the file
    attachment.refresh_from_db()
    assert attachment.thumbnail_status == ThumbnailStatus.READY
    assert attachment.thumbnail.name.startswith("public/thumbnails/")
    assert s3_bucket.keys() == {attachment.file.name, attachment.thumbnail.name}
    assert s3_bucket.readable_by_anyone(attachment.thumbnail.name)


def test_head_on_a_private_file_in_s3_describes_it_without_handing_out_an_address(s3_bucket, client):
    attachment = uploaded(name="brief.pdf", content=PDF, content_type="application/pdf")
    client.force_login(staff_holding(*DOWNLOAD))
    response = client.head(reverse("attachments:download", args=[attachment.pk]))
    assert response.status_code == 200 and "Location" not in response
    assert response["Content-Length"] == str(len(PDF))
    assert response["X-Content-Type-Options"] == "nosniff"
    attachment.refresh_from_db()
    assert attachment.download_count == 0
