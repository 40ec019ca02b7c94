"""Downloads: who may read which file, the headers every answer carries, Range requests, and counting."""

import re
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.rbac_catalog import CONSULTANT
from accounts.tests.factories import UserFactory, fresh, holder_of, staff_holding
from attachments.models import FileAttachment
from attachments.services import attachment_upload
from attachments.tests import samples
from attachments.tests.helpers import DOWNLOADER_PERMISSIONS, uploader
from auditing.models import AuditAction, AuditLog
from consultants.tests.factories import BookingFactory, ConsultantFactory

pytestmark = pytest.mark.django_db


def stored(name: str, content: bytes, *, owner=None, is_public: bool = False) -> FileAttachment:
    owner = owner or BookingFactory()
    return attachment_upload(
        uploader=uploader(),
        owner_type="BOOKING",
        owner_id=owner.pk,
        file=samples.upload(name, content),
        is_public=is_public,
    )


def download_url(attachment: FileAttachment) -> str:
    return reverse("attachments:download", args=[attachment.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def assert_hardened(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "content", "mime", "disposition"),
    [
        ("notes.pdf", samples.pdf(), "application/pdf", "attachment"),
        ("notes.txt", b"plain words\n", "text/plain", "attachment"),
        ("figures.csv", b"a,b\n1,2\n", "text/csv", "attachment"),
        ("photo.jpg", samples.jpeg(), "image/jpeg", "inline"),
        ("chart.png", samples.png(), "image/png", "inline"),
    ],
)
def test_a_private_file_is_served_with_its_type_and_only_safe_images_inline(client, name, content, mime, disposition):
    # given a private file and someone who may view its booking and download private files
    attachment = stored(name, content)
    reader = staff_holding(*DOWNLOADER_PERMISSIONS)
    # when they download it
    response = signed_in(client, reader).get(download_url(attachment))
    # then they get the stored bytes, typed from the content, hardened
    assert response.status_code == 200
    assert body(response) == content
    assert response["Content-Type"] == mime
    assert response["Content-Disposition"] == f'{disposition}; filename="{name}"'
    assert response["Content-Length"] == str(len(content))
    assert response["Accept-Ranges"] == "bytes"
    assert "no-store" in response["Cache-Control"]
    assert_hardened(response)


def test_a_non_ascii_name_is_offered_in_utf8_with_an_ascii_fallback(client):
    attachment = stored("Überblick «2026».pdf", samples.pdf())
    response = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(download_url(attachment))
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Uberblick_2026.pdf"; ')
    assert "filename*=utf-8''%C3%9Cberblick%20%C2%AB2026%C2%BB.pdf" in disposition


def test_anonymous_visitors_are_sent_to_sign_in_whatever_the_id_and_read_public_files_at_their_address(client):
    private, public = stored("a.pdf", samples.pdf()), stored("b.png", samples.png(), is_public=True)
    for url in (download_url(private), download_url(public), "/files/987654/download/", "/files/987654/thumbnail/"):
        refused = client.get(url)
        assert refused.status_code == 302 and reverse("admin:login") in refused["Location"], url
    # a public file's own address is its storage name: 128 random bits, nothing to walk
    assert re.fullmatch(r"/media/public/attachments/\d{4}/\d{2}/[0-9a-f]{32}\.png", public.file.url)


def test_a_public_file_is_opened_through_the_view_by_whoever_may_see_its_owner(client):
    public = stored("b.png", samples.png(), is_public=True)
    assert signed_in(client, staff_holding()).get(download_url(public)).status_code == 404
    served = signed_in(client, staff_holding("consultants.view_booking")).get(download_url(public))
    assert served.status_code == 200 and body(served) == samples.png()
    assert_hardened(served)


@pytest.mark.parametrize(
    "permissions",
    [
        (),
        ("consultants.view_booking",),  # sees the booking, may not download private files
        ("attachments.download_private_fileattachment",),  # may download, but not see this booking
        ("attachments.view_fileattachment", "attachments.download_private_fileattachment"),
    ],
)
def test_without_both_rights_a_private_file_is_not_found(client, permissions):
    attachment = stored("a.pdf", samples.pdf())
    response = signed_in(client, staff_holding(*permissions)).get(download_url(attachment))
    assert response.status_code == 404
    assert not hasattr(response, "streaming_content")
    attachment.refresh_from_db()
    assert attachment.download_count == 0


def test_a_consultant_downloads_files_of_their_own_booking_and_not_of_anothers(client):
    # given a consultant with a booking of their own and another consultant's booking, each with a file
    call_command("seed_rbac", verbosity=0)
    consultant_user = holder_of(CONSULTANT, is_staff=False)
    mine = BookingFactory(consultant=ConsultantFactory(user=consultant_user))
    theirs = BookingFactory()
    my_file, their_file = (
        stored("mine.pdf", samples.pdf(), owner=mine),
        stored("theirs.pdf", samples.pdf(), owner=theirs),
    )
    signed_in(client, fresh(consultant_user))
    # when they ask for both (the second by swapping the id)
    assert client.get(download_url(my_file)).status_code == 200
    assert client.get(download_url(their_file)).status_code == 404
    assert client.get(reverse("attachments:thumbnail", args=[their_file.pk])).status_code == 404


@pytest.mark.parametrize("pk", ["0", "99999999", "9223372036854775808", "99999999999999999999999999"])
def test_ids_that_name_no_file_are_not_found(admin_client, pk):
    assert admin_client.get(f"/files/{pk}/download/").status_code == 404
    assert admin_client.get(f"/files/{pk}/thumbnail/").status_code == 404


@pytest.mark.parametrize(
    ("range_header", "status", "expected_slice", "content_range"),
    [
        ("bytes=0-9", 206, slice(0, 10), "bytes 0-9/{size}"),
        ("bytes=10-", 206, slice(10, None), "bytes 10-{last}/{size}"),
        ("bytes=-5", 206, slice(-5, None), "bytes {tail5}-{last}/{size}"),
        ("bytes=5-999999", 206, slice(5, None), "bytes 5-{last}/{size}"),
        ("bytes=0-0", 206, slice(0, 1), "bytes 0-0/{size}"),
        ("bytes=0-1,5-6", 200, slice(None), None),  # several ranges: the whole file, as RFC 9110 allows
        ("pages=1-2", 200, slice(None), None),
        ("bytes=abc", 200, slice(None), None),
        ("bytes=\x00-1", 200, slice(None), None),
    ],
)
def test_range_requests_get_the_bytes_asked_for(client, range_header, status, expected_slice, content_range):
    content = samples.pdf() * 3
    attachment = stored("long.pdf", content)
    response = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(
        download_url(attachment), HTTP_RANGE=range_header
    )
    assert response.status_code == status
    assert body(response) == content[expected_slice]
    size = len(content)
    if content_range:
        assert response["Content-Range"] == content_range.format(size=size, last=size - 1, tail5=size - 5)
    assert_hardened(response)


def test_a_range_past_the_end_is_refused_with_416(client):
    attachment = stored("a.pdf", samples.pdf())
    response = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(
        download_url(attachment), HTTP_RANGE="bytes=999999-"
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{attachment.size_bytes}"


def test_a_range_for_another_version_gets_the_whole_file(client):
    attachment = stored("a.pdf", samples.pdf())
    reader = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS))
    fresh_copy = reader.get(download_url(attachment), HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE='"not-this-one"')
    assert fresh_copy.status_code == 200 and body(fresh_copy) == samples.pdf()
    same = reader.get(download_url(attachment), HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE=fresh_copy["ETag"])
    assert same.status_code == 206 and body(same) == samples.pdf()[:4]


def test_each_download_is_counted_and_a_private_one_is_an_audit_event(client):
    # given a private and a public file
    private, public = stored("a.pdf", samples.pdf()), stored("b.png", samples.png(), is_public=True)
    reader = staff_holding(*DOWNLOADER_PERMISSIONS)
    signed_in(client, reader)
    # when each is downloaded twice, and the private one is also asked for its headers only
    for attachment in (private, private, public, public):
        body(client.get(download_url(attachment)))
    client.head(download_url(private))
    # then each counts two, stamped, and only the private downloads are in the audit trail, by the reader
    for attachment in (private, public):
        attachment.refresh_from_db()
        assert attachment.download_count == 2
        assert attachment.last_downloaded_at is not None
    events = AuditLog.objects.filter(action=AuditAction.DOWNLOAD)
    assert [(event.entity_id, event.actor_id) for event in events] == [(str(private.pk), reader.pk)] * 2
    assert events[0].entity_label == "a.pdf"


def test_head_answers_the_headers_without_a_body_or_a_count(client):
    attachment = stored("a.pdf", samples.pdf())
    response = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).head(download_url(attachment))
    assert response.status_code == 200
    assert response["Content-Length"] == str(attachment.size_bytes)
    attachment.refresh_from_db()
    assert attachment.download_count == 0


def test_other_methods_are_not_allowed(client):
    attachment = stored("a.pdf", samples.pdf())
    assert signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).post(download_url(attachment)).status_code == 405


def test_a_file_missing_from_storage_is_not_found_rather_than_an_error(client):
    attachment = stored("a.pdf", samples.pdf())
    attachment.file.storage.delete(str(attachment.file))
    assert signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(download_url(attachment)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_downloads_add_exactly_two():
    # given a file already downloaded once, and two readers
    attachment = stored("a.pdf", samples.pdf())
    FileAttachment.objects.filter(pk=attachment.pk).update(download_count=1)
    readers = [staff_holding(*DOWNLOADER_PERMISSIONS) for _ in range(2)]
    ready = threading.Barrier(2)
    statuses = []

    def download(reader) -> None:
        client = Client()
        client.force_login(reader)
        ready.wait()
        try:
            response = client.get(download_url(attachment))
            body(response)
            statuses.append(response.status_code)
        finally:
            connection.close()

    # when both download at the same moment
    threads = [threading.Thread(target=download, args=(reader,)) for reader in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then both got the file and the count moved by exactly two
    assert statuses == [200, 200]
    attachment.refresh_from_db()
    assert attachment.download_count == 3


def test_a_superuser_may_download_a_file_whose_owner_is_gone(client):
    attachment = stored("a.pdf", samples.pdf())
    FileAttachment.objects.filter(pk=attachment.pk).update(owner_id=987_654_321)
    response = signed_in(client, UserFactory(is_staff=True, is_superuser=True)).get(download_url(attachment))
    assert response.status_code == 200


def test_a_range_further_in_continues_a_download_and_is_not_counted_again(client):
    attachment = stored("long.pdf", samples.pdf() * 3)
    reader = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS))
    for range_header in ("bytes=0-99", "bytes=100-", "bytes=-50", "bytes=200-299"):
        assert reader.get(download_url(attachment), HTTP_RANGE=range_header).status_code == 206
    attachment.refresh_from_db()
    assert attachment.download_count == 1
    # every part handed out is read, and so in the audit trail
    assert AuditLog.objects.filter(action=AuditAction.DOWNLOAD).count() == 4


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"HTTP_RANGE": "bytes=-99999999999"}, 206),  # "the last n bytes", n past the size: the whole file
        ({"HTTP_RANGE": "bytes=1-", "HTTP_IF_RANGE": '"another-version"'}, 200),  # stale: the whole file
        ({"HTTP_RANGE": "bytes=" + "9" * 5000 + "-"}, 200),  # no number Python reads: no range at all
        ({"HTTP_RANGE": "bytes=0-" + "9" * 5000}, 200),
    ],
)
def test_every_request_handed_the_whole_file_is_counted_and_audited(client, headers, status):
    content = samples.pdf()
    attachment = stored("a.pdf", content)
    response = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(download_url(attachment), **headers)
    assert response.status_code == status and body(response) == content
    attachment.refresh_from_db()
    assert attachment.download_count == 1
    assert AuditLog.objects.filter(action=AuditAction.DOWNLOAD).count() == 1


def test_a_name_that_looks_like_a_header_parameter_stays_inside_its_quotes(client):
    attachment = stored("a filename*=utf-8''evil.bat;.txt", b"plain words\n")
    response = signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(download_url(attachment))
    assert response["Content-Disposition"] == "attachment; filename=\"a filename*=utf-8''evil.bat;.txt\""


def test_a_missing_file_is_neither_counted_nor_audited(client):
    attachment = stored("a.pdf", samples.pdf())
    attachment.file.storage.delete(str(attachment.file))
    assert signed_in(client, staff_holding(*DOWNLOADER_PERMISSIONS)).get(download_url(attachment)).status_code == 404
    attachment.refresh_from_db()
    assert attachment.download_count == 0
    assert not AuditLog.objects.filter(action=AuditAction.DOWNLOAD).exists()
