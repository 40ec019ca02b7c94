"""The attachments panel on every owner's admin page, its upload and delete, and the files admin."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_holding
from attachments.models import FileAttachment, ThumbnailStatus
from attachments.owners import OWNERS
from attachments.services import attachment_upload
from attachments.tests import samples
from attachments.tests.helpers import UPLOADER_PERMISSIONS, stored_files, uploader
from consultants.models import Booking
from consultants.tests.factories import (
    ArticleFactory,
    BookingFactory,
    FeasibilityStudyFactory,
    MessageFactory,
    ReportFactory,
)
from core.testing import admin_url
from support.tests.factories import SupportTicketFactory, TicketCommentFactory

pytestmark = pytest.mark.django_db

PANEL_EDITOR = (
    *UPLOADER_PERMISSIONS,
    "attachments.delete_fileattachment",
    "attachments.download_private_fileattachment",
)


def upload_to(booking, name="a.pdf", content=None, **extra) -> FileAttachment:
    return attachment_upload(
        uploader=uploader(),
        owner_type="BOOKING",
        owner_id=booking.pk,
        file=samples.upload(name, content or samples.pdf()),
        **extra,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_every_owner_models_page_has_the_panel(admin_client, superuser):
    owners = [
        UserFactory(),
        BookingFactory(),
        ReportFactory(),
        FeasibilityStudyFactory(),
        ArticleFactory(),
        SupportTicketFactory(),
        MessageFactory(),
        TicketCommentFactory(author=superuser),  # a reply's files come from its author (support.access)
    ]
    assert {type(owner)._meta.label for owner in owners} == {o.model_label for o in OWNERS.values()}
    for owner in owners:
        response = admin_client.get(admin_url(type(owner), "change", owner.pk))
        assert response.status_code == 200, type(owner)
        assert b'id="attachments"' in response.content, type(owner)
        assert reverse("attachments:upload").encode() in response.content


def test_pages_of_models_without_files_have_no_panel(admin_client):
    from consultants.tests.factories import SpecialtyFactory

    specialty = SpecialtyFactory()
    response = admin_client.get(admin_url(type(specialty), "change", specialty.pk))
    assert response.status_code == 200 and b'id="attachments"' not in response.content


def test_the_panel_lists_files_with_their_facts(client, django_capture_on_commit_callbacks):
    booking = BookingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        photo = upload_to(booking, "site-visit.jpg", samples.jpeg())
    document = upload_to(booking, "minutes.pdf", samples.pdf(), is_public=True)
    client.force_login(staff_holding(*PANEL_EDITOR))
    page = client.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert "site-visit.jpg" in page and "minutes.pdf" in page
    assert reverse("attachments:thumbnail", args=[photo.pk]) in page
    assert reverse("attachments:download", args=[document.pk]) in page
    assert "JPEG image" in page and "PDF document" in page
    assert reverse("attachments:delete", args=[photo.pk]) in page


def test_someone_who_may_only_view_the_booking_sees_names_but_no_upload_delete_or_private_links(client):
    booking = BookingFactory()
    private = upload_to(booking, "minutes.pdf")
    client.force_login(staff_holding("consultants.view_booking"))
    page = client.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert "minutes.pdf" in page
    assert reverse("attachments:download", args=[private.pk]) not in page
    assert reverse("attachments:upload") not in page
    assert reverse("attachments:delete", args=[private.pk]) not in page


def test_the_panel_costs_the_same_queries_for_one_file_or_forty(client, django_assert_num_queries):
    booking, other = BookingFactory(), BookingFactory()
    upload_to(booking)
    for _ in range(40):
        upload_to(other)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(admin_url(Booking, "change", other.pk))  # first-request work (session stamp, content types)
    counts = []
    for owner in (booking, other):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(admin_url(Booking, "change", owner.pk)).status_code == 200
        counts.append([q["sql"][:120] for q in queries.captured_queries])
    assert len(counts[0]) == len(counts[1]), "\n".join(counts[0]) + "\n-----\n" + "\n".join(counts[1])


def test_uploading_through_the_panel_stores_the_file_and_returns_to_the_page(
    client, django_capture_on_commit_callbacks
):
    booking = BookingFactory()
    client.force_login(staff_holding(*PANEL_EDITOR))
    page = admin_url(Booking, "change", booking.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("attachments:upload"),
            {
                "owner_type": "BOOKING",
                "owner_id": booking.pk,
                "file": samples.upload("visit.jpg", samples.jpeg()),
                "next": page + "#attachments",
            },
        )
    assert response.status_code == 303 and response["Location"] == page + "#attachments"
    assert messages_of(response) == ["“visit.jpg” was uploaded."]
    attachment = FileAttachment.objects.get()
    assert attachment.thumbnail_status == ThumbnailStatus.READY and not attachment.is_public


@pytest.mark.parametrize("case", ["html named .jpg", "50,000 x 50,000 png", "svg with script"])
def test_a_hostile_upload_through_the_panel_says_why_and_stores_nothing(client, case):
    booking = BookingFactory()
    client.force_login(staff_holding(*PANEL_EDITOR))
    before = stored_files()
    response = client.post(
        reverse("attachments:upload"),
        {"owner_type": "BOOKING", "owner_id": booking.pk, "file": samples.hostile_corpus()[case]},
    )
    assert response.status_code == 303
    assert len(messages_of(response)) == 1
    assert not FileAttachment.objects.exists() and stored_files() == before


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"owner_type": "BOOKING"},
        {"owner_type": "BOOKING", "owner_id": "abc"},
        {"owner_type": "BOOKING", "owner_id": "99999999999999999999999"},
        {"owner_type": "SPACESHIP", "owner_id": "1"},
        {"owner_type": "BOOKING\x00", "owner_id": "1"},
    ],
)
def test_a_malformed_upload_is_a_clear_refusal(client, fields):
    client.force_login(staff_holding(*PANEL_EDITOR))
    response = client.post(reverse("attachments:upload"), fields)
    assert response.status_code in {303, 400}
    assert messages_of(response)
    assert not FileAttachment.objects.exists()


def test_a_request_larger_than_any_upload_is_cut_off_while_it_streams(client, settings):
    settings.ATTACHMENT_UPLOAD_RULES = {"default": {"max_bytes": 10_000, "types": ["text/plain"]}}
    booking = BookingFactory()
    client.force_login(staff_holding(*PANEL_EDITOR))
    before = stored_files()
    response = client.post(
        reverse("attachments:upload"),
        {"owner_type": "BOOKING", "owner_id": booking.pk, "file": samples.upload("big.txt", b"words " * 20_000)},
    )
    assert response.status_code == 303
    assert messages_of(response) == ["The upload is larger than any accepted here, or holds more than one file."]
    assert not FileAttachment.objects.exists() and stored_files() == before


def test_a_return_address_elsewhere_is_ignored(client):
    client.force_login(staff_holding(*PANEL_EDITOR))
    response = client.post(reverse("attachments:upload"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:index")


def test_uploading_needs_a_csrf_token():
    booking = BookingFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_holding(*PANEL_EDITOR))
    response = client.post(
        reverse("attachments:upload"),
        {"owner_type": "BOOKING", "owner_id": booking.pk, "file": samples.upload("a.pdf", samples.pdf())},
    )
    assert response.status_code == 403 and not FileAttachment.objects.exists()


def test_uploading_needs_the_permission_to_add_files(client):
    client.force_login(staff_holding("consultants.change_booking"))
    assert client.post(reverse("attachments:upload"), {}).status_code == 403


def test_deleting_through_the_panel(client, django_capture_on_commit_callbacks):
    booking = BookingFactory()
    attachment = upload_to(booking)
    client.force_login(staff_holding(*PANEL_EDITOR))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("attachments:delete", args=[attachment.pk]), {"next": "/admin/"})
    assert response.status_code == 303 and messages_of(response) == ["“a.pdf” was deleted."]
    assert not FileAttachment.objects.exists()
    assert attachment.file.name not in stored_files()


def test_deleting_a_file_of_a_booking_one_may_not_change_is_refused(client):
    attachment = upload_to(BookingFactory())
    client.force_login(staff_holding("attachments.delete_fileattachment", "consultants.view_booking"))
    response = client.post(reverse("attachments:delete", args=[attachment.pk]))
    assert response.status_code == 303 and messages_of(response) == ["You may not delete this file."]
    assert FileAttachment.objects.filter(pk=attachment.pk).exists()


def test_the_files_admin_shows_a_file_read_only_with_its_owner_and_preview(
    admin_client, django_capture_on_commit_callbacks
):
    booking = BookingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        attachment = upload_to(booking, "visit.jpg", samples.jpeg())
    page = admin_client.get(admin_url(FileAttachment, "change", attachment.pk)).content.decode()
    assert reverse("attachments:thumbnail", args=[attachment.pk]) in page
    assert reverse("attachments:download", args=[attachment.pk]) in page
    assert admin_url(Booking, "change", booking.pk) in page
    assert 'name="original_name"' not in page and "_save" not in page
    listing = admin_client.get(
        admin_url(FileAttachment, "changelist"), {"owner_type__exact": "BOOKING", "owner_id": booking.pk}
    )
    assert listing.status_code == 200 and "visit.jpg" in listing.content.decode()


def test_files_are_not_added_or_changed_through_the_admin(admin_client):
    attachment = upload_to(BookingFactory())
    added = admin_client.post(admin_url(FileAttachment, "add"), {"owner_type": "TICKET", "owner_id": 1})
    assert added.status_code == 403
    changed = admin_client.post(admin_url(FileAttachment, "change", attachment.pk), {"original_name": "x.exe"})
    assert changed.status_code == 403
    attachment.refresh_from_db()
    assert attachment.original_name == "a.pdf" and FileAttachment.objects.count() == 1


def test_deleting_in_the_files_admin_removes_the_stored_file_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    attachment = upload_to(BookingFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(admin_url(FileAttachment, "delete", attachment.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not FileAttachment.objects.exists() and attachment.file.name not in stored_files()


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd.png", "..\\..\\boot.png", "photo\x00.png", "invoice\u202egnp.exe.png", "a" * 300 + ".png"],
)
def test_hostile_file_names_sent_by_a_browser_are_refused_or_made_safe_never_a_server_error(client, filename):
    # Django keeps only the last part of a path a browser sends; what is left is checked by the service.
    booking = BookingFactory()
    client.force_login(staff_holding(*PANEL_EDITOR))
    client.raise_request_exception = False
    upload = samples.upload("placeholder.png", samples.png(), "image/png")
    upload.name = filename
    response = client.post(
        reverse("attachments:upload"), {"owner_type": "BOOKING", "owner_id": booking.pk, "file": upload}
    )
    assert response.status_code == 303, response.status_code
    assert messages_of(response)
    for attachment in FileAttachment.objects.all():
        assert "/" not in attachment.original_name and "\\" not in attachment.original_name
        assert "\x00" not in attachment.original_name and "\u202e" not in attachment.original_name


def test_a_file_whose_owner_is_gone_is_deleted_only_by_staff_who_see_all_files(client):
    attachment = upload_to(BookingFactory())
    FileAttachment.objects.filter(pk=attachment.pk).update(owner_id=987_654_321)
    client.force_login(staff_holding("attachments.delete_fileattachment"))
    response = client.post(reverse("attachments:delete", args=[attachment.pk]))
    assert messages_of(response) == ["You may not delete this file."]
    assert FileAttachment.objects.filter(pk=attachment.pk).exists()


def test_the_delete_button_shows_only_to_those_who_may_delete(client):
    booking = BookingFactory()
    attachment = upload_to(booking)
    client.force_login(staff_holding(*UPLOADER_PERMISSIONS))
    page = client.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert reverse("attachments:upload") in page
    assert reverse("attachments:delete", args=[attachment.pk]) not in page


def test_an_upload_holding_two_files_is_refused(client):
    booking = BookingFactory()
    client.force_login(staff_holding(*PANEL_EDITOR))
    response = client.post(
        reverse("attachments:upload"),
        {
            "owner_type": "BOOKING",
            "owner_id": booking.pk,
            "file": [samples.upload("a.pdf", samples.pdf()), samples.upload("b.pdf", samples.pdf())],
        },
    )
    assert messages_of(response) == ["The upload is larger than any accepted here, or holds more than one file."]
    assert not FileAttachment.objects.exists()
