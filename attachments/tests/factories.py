import hashlib

import factory
from django.core.files.base import ContentFile

from attachments.models import FileAttachment, FileOwnerType
from attachments.storage import FILES_FOLDER, generated_name
from core.factories import ModelFactory

_CONTENT = b"%PDF-1.4 demo attachment\n"


class FileAttachmentFactory(ModelFactory[FileAttachment]):
    class Meta:
        model = FileAttachment

    owner_type = FileOwnerType.TICKET
    owner_id = factory.Sequence(lambda n: n + 1)
    # Stored as the upload service would name it; rows are written directly, so no check runs.
    file = factory.LazyFunction(
        lambda: ContentFile(_CONTENT, name=generated_name(is_public=False, folder=FILES_FOLDER, extension=".pdf"))
    )
    original_name = "brief.pdf"
    content_type = "application/pdf"
    size_bytes = len(_CONTENT)
    checksum_sha256 = hashlib.sha256(_CONTENT).hexdigest()
