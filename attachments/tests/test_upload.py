"""The upload service: what it stores for a good file, and that every hostile file is refused with a message,
storing nothing and writing no row."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.management import call_command

from accounts.rbac_catalog import CONSULTANT
from accounts.tests.factories import fresh, holder_of, staff_holding
from attachments.models import FileAttachment, FileOwnerType, ThumbnailStatus
from attachments.owners import OWNERS
from attachments.services import attachment_upload
from attachments.tests import samples
from attachments.tests.helpers import stored_files, uploader
from consultants.tests.factories import (
    ArticleFactory,
    BookingFactory,
    ConsultantFactory,
    FeasibilityStudyFactory,
    MessageFactory,
    ReportFactory,
)
from support.tests.factories import SupportTicketFactory, TicketCommentFactory

pytestmark = pytest.mark.django_db


def test_a_good_file_is_stored_under_a_generated_name_with_its_size_checksum_and_type():
    # given a booking and staff who may add files to it
    booking, user = BookingFactory(), uploader()
    content = samples.pdf("Minutes")
    # when they upload a PDF named in Arabic with an unusual extension case
    attachment = attachment_upload(
        uploader=user, owner_type="BOOKING", owner_id=booking.pk, file=samples.upload("محضر الجلسة.PDF", content)
    )
    # then the row describes the stored bytes, and the stored name owes nothing to the uploaded one
    attachment.refresh_from_db()
    assert attachment.original_name == "محضر الجلسة.PDF"
    assert attachment.content_type == "application/pdf"
    assert attachment.size_bytes == len(content)
    assert attachment.checksum_sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == user and not attachment.is_public
    assert attachment.file.name.startswith("private/attachments/") and attachment.file.name.endswith(".pdf")
    assert "محضر" not in attachment.file.name
    assert attachment.thumbnail_status == ThumbnailStatus.NONE
    with attachment.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("photo.jpg", samples.jpeg(), "image/jpeg"),
        ("photo.JPEG", samples.jpeg(), "image/jpeg"),
        ("chart.png", samples.png(), "image/png"),
        ("logo.png", samples.png(alpha=True), "image/png"),
        ("spinner.gif", samples.gif(), "image/gif"),
        ("banner.webp", samples.webp(), "image/webp"),
        ("notes.txt", "Agenda: pricing, hiring.\nNext: ٢٠٢٦.\n".encode(), "text/plain"),
        ("figures.csv", b"month,revenue\n2026-01,12000\n2026-02,13500\n", "text/csv"),
    ],
)
def test_every_accepted_kind_is_stored_with_the_type_its_content_has(name, content, mime):
    booking = BookingFactory()
    attachment = attachment_upload(
        uploader=uploader(), owner_type="BOOKING", owner_id=booking.pk, file=samples.upload(name, content)
    )
    assert attachment.content_type == mime
    expected = ThumbnailStatus.PENDING if mime.startswith("image/") else ThumbnailStatus.NONE
    assert FileAttachment.objects.get(pk=attachment.pk).thumbnail_status in {expected, ThumbnailStatus.READY}


def test_a_public_file_is_stored_where_it_is_served_by_url():
    booking = BookingFactory()
    attachment = attachment_upload(
        uploader=uploader(),
        owner_type="BOOKING",
        owner_id=booking.pk,
        file=samples.upload("chart.png", samples.png()),
        is_public=True,
    )
    assert attachment.file.name.startswith("public/attachments/")
    assert attachment.file.url.startswith("/media/public/attachments/")


def test_a_private_file_has_no_address_of_its_own():
    attachment = attachment_upload(
        uploader=uploader(),
        owner_type="BOOKING",
        owner_id=BookingFactory().pk,
        file=samples.upload("a.pdf", samples.pdf()),
    )
    with pytest.raises(ValueError, match="attachments:download"):
        attachment.file.url  # noqa: B018


@pytest.mark.parametrize("case", sorted(samples.hostile_corpus()))
def test_every_file_of_the_hostile_corpus_is_refused_and_nothing_is_stored(case):
    # given a booking, staff who may add files to it, and what is stored so far
    booking, user = BookingFactory(), uploader()
    before = stored_files()
    hostile = samples.hostile_corpus()[case]
    # when they upload the hostile file
    with pytest.raises(ValidationError) as refused:
        attachment_upload(uploader=user, owner_type="BOOKING", owner_id=booking.pk, file=hostile)
    # then it is refused with a message a person can read, and nothing is stored or written
    assert refused.value.messages and all(len(message) > 15 for message in refused.value.messages)
    assert stored_files() == before
    assert not FileAttachment.objects.exists()


@pytest.mark.parametrize("case", sorted(samples.HOSTILE_NAMES))
def test_names_with_paths_or_hidden_characters_are_refused(case):
    booking, user = BookingFactory(), uploader()
    before = stored_files()
    hostile = File(io.BytesIO(samples.png()), name=samples.HOSTILE_NAMES[case])
    with pytest.raises(ValidationError) as refused:
        attachment_upload(uploader=user, owner_type="BOOKING", owner_id=booking.pk, file=hostile)
    assert refused.value.code in {"name"}, refused.value.messages
    assert stored_files() == before and not FileAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused_before_anything_is_read(settings):
    settings.ATTACHMENT_UPLOAD_RULES = {"default": {"max_bytes": 1_000, "types": ["text/plain"]}}
    big = samples.upload("notes.txt", b"line of text\n" * 100)
    with pytest.raises(ValidationError, match="larger than 1000"):
        attachment_upload(uploader=uploader(), owner_type="BOOKING", owner_id=BookingFactory().pk, file=big)


class _CountingStream(io.BytesIO):
    """Counts what is read of it, to show the upload stopped early."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_a_file_larger_than_it_claims_is_stopped_while_it_streams_and_leaves_nothing(settings):
    # given a 100 kB limit and a 5 MB text file whose declared size is small (a lying client)
    settings.ATTACHMENT_UPLOAD_RULES = {"default": {"max_bytes": 100_000, "types": ["text/plain"]}}
    stream = _CountingStream(b"0123456789abcde\n" * 320_000)
    lying = File(stream, name="log.txt")
    lying.size = 10
    before = stored_files()
    # when it is uploaded
    with pytest.raises(ValidationError, match="larger than"):
        attachment_upload(uploader=uploader(), owner_type="BOOKING", owner_id=BookingFactory().pk, file=lying)
    # then the upload stopped soon after the limit, and the half-written file is gone
    assert stream.bytes_read < 2_000_000
    assert stored_files() == before and not FileAttachment.objects.exists()


def test_a_type_not_accepted_for_the_owner_is_refused_with_what_is_accepted(settings):
    settings.ATTACHMENT_UPLOAD_RULES = {
        "default": {"max_bytes": 10**6, "types": ["application/pdf"]},
        "USER": {"max_bytes": 10**6, "types": ["image/png"]},
    }
    user = uploader()
    with pytest.raises(ValidationError, match="Accepted: PNG image"):
        attachment_upload(
            uploader=staff_holding("attachments.add_fileattachment", "accounts.change_user"),
            owner_type="USER",
            owner_id=user.pk,
            file=samples.upload("cv.pdf", samples.pdf()),
        )


def test_an_image_over_the_pixel_limit_is_refused_without_decoding_it(settings):
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 1_000
    with pytest.raises(ValidationError, match="48 × 32 pixels"):
        attachment_upload(
            uploader=uploader(),
            owner_type="BOOKING",
            owner_id=BookingFactory().pk,
            file=samples.upload("a.png", samples.png()),
        )


@pytest.mark.parametrize("owner_id", [999_999_999, 2**70, -1, 0, "12abc", "", None, "١٢"])
def test_an_owner_that_does_not_exist_is_refused(owner_id):
    with pytest.raises(ValidationError, match="There is no such booking"):
        attachment_upload(
            uploader=uploader(), owner_type="BOOKING", owner_id=owner_id, file=samples.upload("a.pdf", samples.pdf())
        )
    assert not FileAttachment.objects.exists()


@pytest.mark.parametrize("owner_type", ["SPACESHIP", "", None, "booking", "BOOKING\x00"])
def test_an_unknown_owner_type_is_refused(owner_type):
    with pytest.raises(ValidationError, match="cannot be attached"):
        attachment_upload(
            uploader=uploader(), owner_type=owner_type, owner_id=1, file=samples.upload("a.pdf", samples.pdf())
        )


def test_uploading_takes_the_right_to_change_that_very_owner():
    call_command("seed_rbac", verbosity=0)
    # given two consultants, each with a report of their own (per-object grants follow the report)
    consultant_user = holder_of(CONSULTANT, is_staff=False)
    mine, theirs = ConsultantFactory(user=consultant_user), ConsultantFactory()
    my_report, their_report = ReportFactory(consultant=mine), ReportFactory(consultant=theirs)
    consultant_user = fresh(consultant_user)
    # when the consultant uploads to their own report, it is stored
    attachment_upload(
        uploader=consultant_user,
        owner_type="REPORT",
        owner_id=my_report.pk,
        file=samples.upload("a.pdf", samples.pdf()),
    )
    # and to the other consultant's report, it is refused
    with pytest.raises(ValidationError, match="You may not add files to this report"):
        attachment_upload(
            uploader=consultant_user,
            owner_type="REPORT",
            owner_id=their_report.pk,
            file=samples.upload("a.pdf", samples.pdf()),
        )
    assert FileAttachment.objects.filter(owner_type="REPORT").count() == 1


def test_changing_the_owner_is_not_enough_without_the_permission_to_add_files():
    booking = BookingFactory()
    with pytest.raises(ValidationError, match="You may not add files"):
        attachment_upload(
            uploader=staff_holding("consultants.change_booking"),
            owner_type="BOOKING",
            owner_id=booking.pk,
            file=samples.upload("a.pdf", samples.pdf()),
        )


def test_every_owner_type_takes_files_through_the_one_service():
    # given one record of every owner type, and a superuser
    from accounts.tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    owners = {
        FileOwnerType.USER: UserFactory(),
        FileOwnerType.BOOKING: BookingFactory(),
        FileOwnerType.REPORT: ReportFactory(),
        FileOwnerType.FEASIBILITY_STUDY: FeasibilityStudyFactory(),
        FileOwnerType.ARTICLE: ArticleFactory(),
        FileOwnerType.TICKET: SupportTicketFactory(),
        FileOwnerType.MESSAGE: MessageFactory(),
        # A reply's files come with it, from its author (support.access).
        FileOwnerType.TICKET_COMMENT: TicketCommentFactory(author=admin),
    }
    assert set(owners) == set(OWNERS) == set(FileOwnerType.values)
    # when a PDF is uploaded to each
    for owner_type, owner in owners.items():
        attachment_upload(
            uploader=admin, owner_type=owner_type, owner_id=owner.pk, file=samples.upload("a.pdf", samples.pdf())
        )
    # then each has its file
    assert sorted(FileAttachment.objects.values_list("owner_type", "owner_id")) == sorted(
        (owner_type, owner.pk) for owner_type, owner in owners.items()
    )
