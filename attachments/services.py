"""Every write to attachments: upload, delete, download tracking, thumbnails and the sweep.

Pages, admins and jobs call these; none writes a ``FileAttachment`` or a stored object itself.
"""

import logging
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from attachments.file_types import FILE_TYPES
from attachments.models import FileAttachment, ThumbnailStatus
from attachments.owners import may_add_files, may_delete_file, owner_of, owner_registration, owner_row
from attachments.storage import (
    FILES_FOLDER,
    PRIVATE,
    PUBLIC,
    THUMBNAILS_FOLDER,
    attachment_storage,
    generated_name,
    is_public_name,
    stored_names,
)
from attachments.validation import (
    MeasuringReader,
    checked_image,
    checked_size,
    checked_type,
    cleaned_original_name,
    upload_rules,
)
from auditing.models import AuditAction
from auditing.services import audit_record

logger = logging.getLogger(__name__)


def attachment_upload(*, uploader, owner_type: str, owner_id: int | str, file: File, is_public: bool = False):
    """Stores ``file`` as an attachment of (``owner_type``, ``owner_id``) for ``uploader`` and returns the row.

    Refused with a ``ValidationError`` saying why (nothing stored, no row written) when the owner does not
    exist, ``uploader`` may not add files to it (``attachments.owners.may_add_files``), or the file breaks
    the owner type's rules (``attachments.validation``): its name, size, type read from its content, or,
    for an image, its pixels and hidden content. The file is read once while it is stored: its size and
    SHA-256 are measured then, and the upload stops as soon as it passes the size limit. An image gets its
    thumbnail from a background job once the row is committed.
    """
    registration = owner_registration(owner_type)
    owner = owner_row(owner_type, owner_id)
    if uploader is None or not may_add_files(uploader, owner):
        raise ValidationError(
            _("You may not add files to this %(owner)s.") % {"owner": registration.label}, code="permission"
        )
    rules = upload_rules(owner_type)
    original_name = cleaned_original_name(getattr(file, "name", ""))
    checked_size(getattr(file, "size", None), rules)
    stream: IO[bytes] = file  # a File reads and seeks as a binary stream
    file_type = checked_type(
        stream, name=original_name, claimed=getattr(file, "content_type", None), rules=rules, owner=registration
    )
    if file_type.is_image:
        checked_image(stream, file_type, size=file.size)
    storage = attachment_storage()
    measured = MeasuringReader(stream, max_bytes=rules.max_bytes, rules=rules)
    name = generated_name(is_public=is_public, folder=FILES_FOLDER, extension=file_type.extensions[0])
    stored_name = None
    try:
        stored_name = storage.save(name, File(measured, name=name))  # type: ignore[arg-type]  # reads as a stream
        if measured.size == 0:
            raise ValidationError(_("The file is empty."), code="empty")
        with transaction.atomic():
            attachment = FileAttachment.objects.create(
                owner_type=registration.owner_type,
                owner_id=owner.pk,
                file=stored_name,
                original_name=original_name,
                content_type=file_type.mime,
                size_bytes=measured.size,
                checksum_sha256=measured.sha256,
                is_public=is_public,
                uploaded_by=uploader,
                thumbnail_status=ThumbnailStatus.PENDING if file_type.is_image else ThumbnailStatus.NONE,
            )
    except BaseException:
        # Also the file a failed write left half-written (the filesystem keeps what it wrote so far).
        _stored_objects_delete([stored_name or name])
        raise
    if file_type.is_image:
        from attachments.tasks import attachment_thumbnail_task  # the task module imports this one

        transaction.on_commit(lambda: attachment_thumbnail_task.delay(attachment.pk))
    return attachment


def attachments_upload_all(*, uploader, owner_type: str, owner_id: int | str, files: Sequence[File]) -> list:
    """Stores every one of ``files`` for one owner, or none: at the first refusal the files already stored
    are deleted and the ``ValidationError`` raised, so the caller's transaction (required: their rows are
    rolled back with it) leaves no row and no file behind. For a message written with its files."""
    if files and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("attachments_upload_all needs the caller's transaction")
    stored: list[FileAttachment] = []
    try:
        for file in files:
            stored.append(attachment_upload(uploader=uploader, owner_type=owner_type, owner_id=owner_id, file=file))
    except BaseException:
        _stored_objects_delete([name for attachment in stored for name in _stored_names_of(attachment)])
        raise
    return stored


def attachment_delete(*, actor, attachment: FileAttachment) -> None:
    """Deletes ``attachment``'s row now and its stored file and thumbnail once the transaction commits (a
    rollback keeps both). ``ValidationError`` when ``actor`` may not (``attachments.owners.may_delete_file``).
    A stored file that another row still names stays."""
    owner = owner_of(attachment)
    if not may_delete_file(actor, attachment, owner):
        raise ValidationError(_("You may not delete this file."), code="permission")
    attachments_delete([attachment])


def attachments_delete(attachments: list[FileAttachment]) -> None:
    """Deletes the rows, then (after commit) their stored objects that no remaining row names. For callers
    that checked permissions already (the admin's bulk delete checks each row)."""
    names = {name for attachment in attachments for name in _stored_names_of(attachment)}
    FileAttachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
    transaction.on_commit(lambda: _unreferenced_objects_delete(names))


def attachment_download_record(*, attachment: FileAttachment, user, counted: bool = True) -> None:
    """Records that ``user`` was handed ``attachment``'s bytes: a private file's every read is a DOWNLOAD
    event in the audit trail, naming who read which file of which owner; when ``counted`` (the read starts
    at the first byte: a new download, not the rest of one), the count moves in the database
    (``download_count + 1``, so concurrent downloads never lose one) and the time is stamped."""
    if counted:
        FileAttachment.objects.filter(pk=attachment.pk).update(
            download_count=F("download_count") + 1, last_downloaded_at=timezone.now()
        )
    if not attachment.is_public:
        audit_record(
            action=AuditAction.DOWNLOAD,
            entity=attachment,
            changes={
                "owner_type": attachment.owner_type,
                "owner_id": attachment.owner_id,
                "size_bytes": attachment.size_bytes,
                "checksum_sha256": attachment.checksum_sha256,
            },
            actor=user if user is not None and user.is_authenticated else None,
        )


def attachment_thumbnail_make(*, attachment_id: int) -> str:
    """Makes the thumbnail of an image attachment and returns the resulting ``ThumbnailStatus``.

    Harmless to repeat: an attachment whose thumbnail is ready, or that is gone, or not an image, is left
    as it is. A failure marks the row FAILED with the reason and is logged; it never raises, so the upload
    it follows stays done. The thumbnail is stored beside the file with the same visibility; JPEGs are
    decoded at reduced size (Pillow's draft mode), which is most of the work saved.
    """
    attachment = FileAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return ThumbnailStatus.NONE
    file_type = FILE_TYPES.get(attachment.content_type)
    if file_type is None or not file_type.is_image:
        return attachment.thumbnail_status
    if attachment.thumbnail_status == ThumbnailStatus.READY and attachment.thumbnail:
        return ThumbnailStatus.READY
    storage = attachment_storage()
    try:
        content, extension = _thumbnail_bytes(attachment)
        name = generated_name(
            is_public=is_public_name(attachment.file.name or ""), folder=THUMBNAILS_FOLDER, extension=extension
        )
        stored = storage.save(name, ContentFile(content, name=name))
    except Exception as error:  # anything the image or the storage throws: mark, log, carry on
        logger.warning("Thumbnail of attachment %s failed: %s", attachment_id, error, exc_info=True)
        FileAttachment.objects.filter(pk=attachment_id).update(
            thumbnail_status=ThumbnailStatus.FAILED, thumbnail_error=str(error)[:255] or type(error).__name__
        )
        return ThumbnailStatus.FAILED
    updated = FileAttachment.objects.filter(pk=attachment_id).update(
        thumbnail=stored, thumbnail_status=ThumbnailStatus.READY, thumbnail_error=""
    )
    if not updated:  # deleted meanwhile
        _stored_objects_delete([stored])
        return ThumbnailStatus.NONE
    return ThumbnailStatus.READY


def _thumbnail_bytes(attachment: FileAttachment) -> tuple[bytes, str]:
    with attachment.file.open("rb") as stored:
        return thumbnail_of(stored)


def thumbnail_of(source: IO[bytes]) -> tuple[bytes, str]:
    """The thumbnail of the image in ``source`` and its extension: fitted into ``ATTACHMENT_THUMBNAIL_SIZE``,
    turned upright as its EXIF says, a PNG when the image has transparency and a JPEG otherwise. Raises
    what Pillow raises for an unreadable image, and ``ValueError`` past the pixel limit."""
    box = settings.ATTACHMENT_THUMBNAIL_SIZE
    with Image.open(source) as image:
        if image.width * image.height > settings.ATTACHMENT_MAX_IMAGE_PIXELS:
            raise ValueError("the image has more pixels than the limit")
        if image.format == "JPEG":
            image.draft("RGB", box)  # decode at 1/2, 1/4 or 1/8 scale, the smallest still covering the box
        image.seek(0)
        # Shrunk first, then turned upright as its EXIF says: the box is square, so the order does not change
        # the result, and turning the full-size picture would copy all of it.
        image.thumbnail(box)
        thumbnail = ImageOps.exif_transpose(image)
        has_alpha = thumbnail.mode in {"RGBA", "LA", "PA"} or "transparency" in thumbnail.info
        output = BytesIO()
        if has_alpha:
            # Pillow's default compression: "optimize" takes three times as long for the same few kilobytes.
            thumbnail.convert("RGBA").save(output, "PNG")
            return output.getvalue(), ".png"
        thumbnail.convert("RGB").save(output, "JPEG", quality=82)
        return output.getvalue(), ".jpg"


@dataclass
class SweepReport:
    """What a sweep removed: stored objects no row names, and rows whose stored file is gone. ``refusal``
    says why it removed nothing, when it did not dare (`attachments_sweep`)."""

    orphan_objects: list[str] = field(default_factory=list)
    rows_without_object: list[int] = field(default_factory=list)
    refusal: str = ""


# Past this many rows whose file is gone (and this share of all rows), something is wrong with the storage
# rather than with the rows: the sweep removes nothing and says so.
SWEEP_MAX_LOST_ROWS = 100
SWEEP_MAX_LOST_SHARE = 0.05


def attachments_sweep(*, now: datetime | None = None, dry_run: bool = False) -> SweepReport:
    """Removes stored objects that no row names (files and thumbnails older than
    ``ATTACHMENT_SWEEP_GRACE_SECONDS``: younger ones may belong to an upload about to commit) and rows
    whose stored file is gone. One listing of the storage and one pass over the rows' names; returns both
    lists. ``dry_run`` only reports.

    Removes nothing, and says why in ``refusal`` (logged as an error), when the storage looks wrong rather
    than the rows: a visibility's folder lists no file while rows name files in it (an unmounted volume, a
    wrong ``DJANGO_PRIVATE_MEDIA_ROOT`` or bucket), or more rows lost their file than
    ``SWEEP_MAX_LOST_ROWS`` and ``SWEEP_MAX_LOST_SHARE`` allow.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ATTACHMENT_SWEEP_GRACE_SECONDS)
    storage = attachment_storage()
    stored = {
        name
        for visibility in (PUBLIC, PRIVATE)
        for folder in (FILES_FOLDER, THUMBNAILS_FOLDER)
        for name in stored_names(posixpath.join(visibility, folder))
    }
    named: set[str] = set()
    missing: list[int] = []
    judged = {PUBLIC: 0, PRIVATE: 0}
    rows = FileAttachment.objects.order_by().values_list("pk", "file", "thumbnail", "created_at")
    for pk, file_name, thumbnail_name, created_at in rows.iterator(chunk_size=5_000):
        named.add(file_name)
        if thumbnail_name:
            named.add(thumbnail_name)
        if _sweepable_name(file_name):
            judged[file_name.partition("/")[0]] += 1
            if file_name not in stored and created_at < cutoff:
                missing.append(pk)
    report = SweepReport(rows_without_object=missing)
    for name in sorted(stored - named):
        try:
            modified = storage.get_modified_time(name)
        except (FileNotFoundError, OSError):
            continue  # removed since the listing
        if modified < cutoff:
            report.orphan_objects.append(name)
    report.refusal = _sweep_refusal(stored, judged, len(missing))
    if report.refusal:
        logger.error("Attachment sweep removed nothing: %s", report.refusal)
        return report
    if report.orphan_objects or report.rows_without_object:
        logger.warning(
            "Attachment sweep%s: %d stored objects no row names (%s), %d rows whose file is gone (ids %s).",
            " (dry run)" if dry_run else "",
            len(report.orphan_objects),
            ", ".join(report.orphan_objects[:20]) + (" ..." if len(report.orphan_objects) > 20 else ""),
            len(missing),
            ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else ""),
        )
    if not dry_run:
        for start in range(0, len(missing), 1_000):
            FileAttachment.objects.filter(pk__in=missing[start : start + 1_000]).delete()
        _stored_objects_delete(report.orphan_objects)
    return report


def _sweep_refusal(stored: set[str], judged: dict[str, int], lost: int) -> str:
    for visibility, rows in judged.items():
        if rows and not any(name.startswith(f"{visibility}/{FILES_FOLDER}/") for name in stored):
            return (
                f"the {visibility} storage lists no file while {rows} attachments name one there; check where it "
                "points (DJANGO_MEDIA_ROOT, DJANGO_PRIVATE_MEDIA_ROOT or the bucket)"
            )
    if lost > SWEEP_MAX_LOST_ROWS and lost > SWEEP_MAX_LOST_SHARE * sum(judged.values()):
        return (
            f"{lost} attachments name files that are gone, more than a sweep removes on its own; "
            "`manage.py sweep_attachments --dry-run` lists them"
        )
    return ""


def _sweepable_name(name: str) -> bool:
    """Names the sweep lists (under public/ or private/); rows naming anything else are not judged."""
    return any(name.startswith(posixpath.join(v, f) + "/") for v in (PUBLIC, PRIVATE) for f in (FILES_FOLDER,))


def _stored_names_of(attachment: FileAttachment) -> list[str]:
    return [name for name in (attachment.file.name, attachment.thumbnail.name if attachment.thumbnail else "") if name]


def _unreferenced_objects_delete(names: set[str]) -> None:
    if not names:
        return
    still_named = set(FileAttachment.objects.filter(file__in=names).values_list("file", flat=True))
    still_named |= set(FileAttachment.objects.filter(thumbnail__in=names).values_list("thumbnail", flat=True))
    _stored_objects_delete(sorted(names - still_named))


def _stored_objects_delete(names: list[str]) -> None:
    """Deletes stored objects, logging (not raising) a storage that refuses: the sweep retries later."""
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.warning("Could not delete stored file %s; the sweep will retry.", name, exc_info=True)
