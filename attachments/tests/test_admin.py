"""Who uploaded a file is the signed-in user unless they may act for others; the admin cannot forge it."""

import pytest

from accounts.rbac_catalog import ACT_FOR_USER
from accounts.tests.factories import (
    UserFactory,
    staff_holding,
)
from attachments.models import FileAttachment
from attachments.tests.factories import FileAttachmentFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def attachment_form(attachment: FileAttachment, **changes) -> dict:
    data = {
        "owner_type": attachment.owner_type,
        "owner_id": attachment.owner_id,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "uploaded_by": attachment.uploaded_by_id or "",
    }
    return {**data, **changes}


def test_naming_another_uploader_takes_the_permission_to_act_for_others(client):
    # given a file uploaded by someone, a staff member who may change files, and one who may act for others
    uploader, someone = UserFactory(), UserFactory()
    clerk = staff_holding("attachments.change_fileattachment", "attachments.view_fileattachment")
    delegate = staff_holding(
        "attachments.change_fileattachment", "attachments.view_fileattachment", ACT_FOR_USER.codename
    )
    attachment = FileAttachmentFactory(uploaded_by=uploader)
    # when the clerk names someone else as the uploader, the uploader stays
    client.force_login(clerk)
    response = client.post(
        admin_url(FileAttachment, "change", attachment.pk), attachment_form(attachment, uploaded_by=someone.pk)
    )
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.uploaded_by == uploader
    # and when the delegate does, it changes
    client.force_login(delegate)
    response = client.post(
        admin_url(FileAttachment, "change", attachment.pk), attachment_form(attachment, uploaded_by=someone.pk)
    )
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.uploaded_by == someone


def test_files_are_not_added_through_the_admin(admin_client):
    # when even a superuser posts the add form with a file
    response = admin_client.post(
        admin_url(FileAttachment, "add"),
        {"owner_type": "TICKET", "owner_id": 1, "original_name": "a.pdf", "content_type": "application/pdf"},
    )
    # then it is refused as forbidden, not a server error, and nothing is stored
    assert response.status_code == 403
    assert not FileAttachment.objects.exists()
