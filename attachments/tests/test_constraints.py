import pytest

from attachments.models import FileAttachment
from attachments.tests.factories import FileAttachmentFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


def test_owner_type_must_be_known():
    assert_rejected(lambda: FileAttachmentFactory(owner_type="SPACESHIP"))


def test_the_stored_file_goes_through_the_storage_api():
    attachment = FileAttachmentFactory()
    stored = FileAttachment.objects.get(pk=attachment.pk)
    with stored.file.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")
    assert str(stored.file).startswith("private/attachments/")  # a generated name, never the client's
