"""Where attachments and their thumbnails are stored: public files in one storage, private ones in another.

A stored name starts with its visibility ("public/attachments/2026/11/<random>.png",
"private/thumbnails/..."), and `AttachmentStorage` sends each name to the storage configured for it
(``STORAGES["attachments_public"]`` or ``["attachments_private"]``): on the filesystem, MEDIA_ROOT (served by
URL) and PRIVATE_MEDIA_ROOT (served by nobody); on S3, public-read objects and private ones reached through
presigned URLs. One ``FileField`` thus holds either kind. A name without either prefix (rows from before
this scheme) is private.
"""

import posixpath
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.utils import timezone
from django.utils.deconstruct import deconstructible

PUBLIC = "public"
PRIVATE = "private"
FILES_FOLDER = "attachments"
THUMBNAILS_FOLDER = "thumbnails"


def visibility_prefix(*, is_public: bool) -> str:
    return PUBLIC if is_public else PRIVATE


def generated_name(*, is_public: bool, folder: str, extension: str, now: datetime | None = None) -> str:
    """A fresh stored name: visibility, folder, year and month, 128 random bits, the type's extension.

    Nothing of the uploaded name reaches the storage; the original name is kept in the row for display.
    """
    now = timezone.localtime(now or timezone.now())
    return posixpath.join(
        visibility_prefix(is_public=is_public), folder, f"{now:%Y}", f"{now:%m}", secrets.token_hex(16) + extension
    )


def is_public_name(name: str) -> bool:
    return name.startswith(PUBLIC + "/")


def storage_for(name: str) -> Storage:
    return storages["attachments_public" if is_public_name(name) else "attachments_private"]


@deconstructible(path="attachments.storage.AttachmentStorage")
class AttachmentStorage(Storage):
    """Routes every operation on a name to the public or the private storage (module docstring)."""

    def _open(self, name: str, mode: str = "rb"):
        return storage_for(name).open(name, mode)

    def _save(self, name: str, content) -> str:
        return storage_for(name).save(name, _ReadOnceFile(content, name=content.name))

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return storage_for(name).get_available_name(name, max_length=max_length)

    def generate_filename(self, filename) -> str:
        return storage_for(str(filename)).generate_filename(filename)

    def delete(self, name: str) -> None:
        storage_for(name).delete(name)

    def exists(self, name: str) -> bool:
        return storage_for(name).exists(name)

    def size(self, name: str) -> int:
        return storage_for(name).size(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return storage_for(path).listdir(path)

    def get_modified_time(self, name: str) -> datetime:
        return storage_for(name).get_modified_time(name)

    def path(self, name: str) -> str:
        return storage_for(name).path(name)

    def url(self, name: str | None) -> str:
        """A public file's address. A private file has none: it is read through ``attachments:download``."""
        if name and is_public_name(name):
            return storage_for(name).url(name)
        raise ValueError("A private file has no public address; link to attachments:download instead.")


class _ReadOnceFile(File):
    """``content`` handed to a backend as a stream read once, from its start to its end (it may still be
    rewound to its start). An upload is measured and hashed while it is stored
    (``attachments.validation.MeasuringReader``), so it cannot seek to its end: S3's uploader does that to a
    seekable file to learn its size, and also asks whether it is ``closed``. Not seekable, it reads it in
    parts instead."""

    @property
    def closed(self) -> bool:
        return bool(getattr(self.file, "closed", False))

    def seekable(self) -> bool:
        return False


def attachment_storage() -> AttachmentStorage:
    """The storage of ``FileAttachment.file`` and ``.thumbnail`` (a callable, so migrations do not record
    the configured backends)."""
    return AttachmentStorage()


def presigned_url(name: str, *, filename_header: str, content_type: str, expire: int | None = None) -> str | None:
    """A short-lived address at which the object storage serves private ``name`` itself, with our
    ``Content-Disposition`` and ``Content-Type``; None when the storage cannot sign one (the filesystem) or
    does not (public objects, whose unsigned URLs S3 answers with 400 when they carry header overrides), and
    the file is streamed by the view instead."""
    storage = storage_for(name)
    if not hasattr(storage, "bucket"):  # django-storages' S3 backend; the filesystem has none
        return None
    if not getattr(storage, "querystring_auth", False):  # public objects: S3 refuses unsigned header overrides
        return None
    parameters = {"ResponseContentDisposition": filename_header, "ResponseContentType": content_type}
    extra: dict[str, Any] = {"parameters": parameters}
    if expire is not None:
        extra["expire"] = expire
    return storage.url(name, **extra)


def stored_names(prefix: str) -> Iterator[str]:
    """Every name stored under ``prefix`` (a folder, e.g. "private/attachments"), walking its subfolders."""
    storage = storage_for(prefix)
    try:
        folders, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for file_name in files:
        yield posixpath.join(prefix, file_name)
    for folder in folders:
        yield from stored_names(posixpath.join(prefix, folder))
