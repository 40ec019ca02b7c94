import pytest
from django.db import IntegrityError, transaction

from attachments.models import FileAttachment
from attachments.tests.factories import FileAttachmentFactory

pytestmark = pytest.mark.django_db


def test_owner_type_must_be_known():
    with pytest.raises(IntegrityError), transaction.atomic():
        FileAttachmentFactory(owner_type="SPACESHIP")


def test_the_stored_file_goes_through_the_storage_api():
    attachment = FileAttachmentFactory()
    stored = FileAttachment.objects.get(pk=attachment.pk)
    with stored.file.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")
    assert stored.file.name != "brief.pdf"  # stored under a dated folder, not the client's name alone
