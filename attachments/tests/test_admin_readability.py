"""File sizes read as "2.3 MB", and stay facts nobody edits."""

import pytest

from attachments.models import FileAttachment
from attachments.tests.factories import FileAttachmentFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def test_file_sizes_are_humanised_in_the_list_and_on_the_page(admin_client):
    # given
    attachment = FileAttachmentFactory()
    FileAttachment.objects.filter(pk=attachment.pk).update(size_bytes=2_400_000)
    # when / then
    assert "2.3\xa0MB" in admin_client.get(admin_url(FileAttachment, "changelist")).content.decode()
    response = admin_client.get(admin_url(FileAttachment, "change", attachment.pk))
    assert "2.3\xa0MB" in response.content.decode()
    assert "size_bytes" not in response.context["adminform"].form.fields
