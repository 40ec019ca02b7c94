"""Demo backups history and file attachments, the latter backed by a few real files in the storage.

Thousands of attachment rows point at a handful of stored files: the storage holds real, readable files
of each kind (PDF, CSV, text, an image with its thumbnail) without writing gigabytes at scale 1000.
"""

import hashlib
import io
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from attachments.models import FileAttachment, FileOwnerType
from backoffice.demo_data.context import DemoContext
from backups.models import Backup, BackupStatus, BackupType

BACKUP_FIELDS = (
    "id", "backup_type", "status", "location", "size_bytes", "checksum_sha256", "is_encrypted", "started_at",
    "finished_at", "error_message", "created_at", "updated_at",
)  # fmt: skip
ATTACHMENT_FIELDS = (
    "id", "owner_type", "owner_id", "file", "original_name", "content_type", "size_bytes", "checksum_sha256",
    "is_public", "uploaded_by_id", "download_count", "thumbnail", "created_at", "updated_at",
)  # fmt: skip
STORAGE_PREFIX = "demo"
_FINISHED = (BackupStatus.SUCCEEDED, BackupStatus.FAILED)
_DISK_FULL = "pg_dump: error: could not write to output file: No space left on device"


class StoredFile(NamedTuple):
    name: str
    original_name: str
    content_type: str
    size_bytes: int
    checksum_sha256: str
    thumbnail: str | None


class DemoFiles(NamedTuple):
    documents: list[StoredFile]
    image: StoredFile


def seed_backups(ctx: DemoContext) -> None:
    """Weekly full backups for two years, daily incrementals for two months, schema dumps, a few failures."""
    plans = _backup_plans(ctx)
    ids = ctx.writer.reserve(Backup, len(plans))
    rows = (_backup_row(ctx, pk, *plan) for pk, plan in zip(ids, plans, strict=True))
    ctx.writer.write(Backup, BACKUP_FIELDS, rows)


def _backup_plans(ctx: DemoContext) -> list[tuple[str, datetime, str]]:
    first_sunday = ctx.start + timedelta(days=(6 - ctx.start.weekday()) % 7, hours=2)
    plans = [(BackupType.FULL, first_sunday + timedelta(weeks=week), BackupStatus.SUCCEEDED) for week in range(104)]
    plans += [
        (BackupType.INCREMENTAL, ctx.now - timedelta(days=day, hours=21), BackupStatus.SUCCEEDED)
        for day in range(1, 61)
    ]
    plans += [
        (BackupType.SCHEMA_ONLY, ctx.now - timedelta(days=30 * month + 3), BackupStatus.SUCCEEDED) for month in range(4)
    ]
    plans += [(BackupType.FULL, ctx.now - timedelta(days=days), BackupStatus.FAILED) for days in (200, 95, 12)]
    plans += [(BackupType.INCREMENTAL, ctx.now - timedelta(minutes=10), BackupStatus.RUNNING)]
    plans += [(BackupType.FULL, ctx.now, BackupStatus.PENDING)]
    return [plan for plan in plans if plan[1] <= ctx.now]


def _backup_row(ctx: DemoContext, pk: int, kind: str, started: datetime, status: str) -> tuple:
    succeeded = status == BackupStatus.SUCCEEDED
    finished = started + timedelta(minutes=ctx.rng.uniform(1, 40)) if status in _FINISHED else None
    location = f"backups/{kind.lower()}/{started:%Y%m%dT%H%M%SZ}.dump.enc" if succeeded else ""
    checksum = hashlib.sha256(location.encode()).hexdigest() if succeeded else ""
    size = _backup_size(ctx, kind, started) if succeeded else None
    error = _DISK_FULL if status == BackupStatus.FAILED else ""
    started_at = None if status == BackupStatus.PENDING else started
    return (
        pk, kind, status, location, size, checksum, succeeded, started_at, finished, error, started,
        finished or started,
    )  # fmt: skip


def _backup_size(ctx: DemoContext, kind: str, started: datetime) -> int:
    # Full dumps grow with the business; incrementals and schema dumps stay small.
    if kind == BackupType.FULL:
        return int(80e6 * ctx.plan.scale * (1 + (started - ctx.start).days / 365))
    return int(4e6 * ctx.plan.scale) if kind == BackupType.INCREMENTAL else 200_000


def seed_attachments(ctx: DemoContext) -> None:
    """About ``plan.attachments`` attachments spread over every owner type, pointing at stored demo files."""
    files = _store_demo_files(ctx)
    owners = {
        FileOwnerType.USER: ctx.user_ids(),
        FileOwnerType.BOOKING: ctx.ids["consultants.booking"],
        FileOwnerType.REPORT: ctx.ids["consultants.report"],
        FileOwnerType.FEASIBILITY_STUDY: ctx.ids["consultants.feasibilitystudy"],
        FileOwnerType.ARTICLE: ctx.ids["consultants.article"],
        FileOwnerType.TICKET: ctx.ids["support.supportticket"],
        FileOwnerType.MESSAGE: ctx.ids["consultants.message"],
    }
    owner_types = [owner_type for owner_type, ids in owners.items() if ids]
    ids = ctx.writer.reserve(FileAttachment, ctx.plan.attachments)
    uploaders = ctx.user_ids()
    rows = (_attachment_row(ctx, pk, owner_types[pk % len(owner_types)], owners, uploaders, files) for pk in ids)
    ctx.writer.write(FileAttachment, ATTACHMENT_FIELDS, rows)


def _attachment_row(
    ctx: DemoContext, pk: int, owner_type: str, owners: dict, uploaders: list[int], files: DemoFiles
) -> tuple:
    # Profile pictures and article illustrations are images, and mostly public; the rest are documents.
    pictured = owner_type in (FileOwnerType.USER, FileOwnerType.ARTICLE)
    stored = files.image if pictured else ctx.pick(files.documents)
    public = pictured and ctx.rng.random() < 0.8
    created = ctx.growing_moment(ctx.start, ctx.now)
    return (
        pk, owner_type, ctx.pick(owners[owner_type]), stored.name, stored.original_name, stored.content_type,
        stored.size_bytes, stored.checksum_sha256, public, ctx.pick(uploaders), ctx.rng.randint(0, 40),
        stored.thumbnail, created, created,
    )  # fmt: skip


def _store_demo_files(ctx: DemoContext) -> DemoFiles:
    image, thumbnail = _png(480, 320), _png(128, 85)
    thumbnail_name = _store(ctx, f"{STORAGE_PREFIX}/thumbnails/office-photo.png", thumbnail)
    documents = [
        _stored(ctx, "session-notes.pdf", "application/pdf", _pdf("Session notes")),
        _stored(ctx, "invoice.pdf", "application/pdf", _pdf("Invoice")),
        _stored(ctx, "market-data.csv", "text/csv", b"month,revenue\n2025-01,12000\n2025-02,13500\n"),
        _stored(ctx, "meeting-notes.txt", "text/plain", b"Agenda: pricing, hiring, next steps.\n"),
    ]
    return DemoFiles(documents, _stored(ctx, "office-photo.png", "image/png", image, thumbnail_name))


def _stored(ctx: DemoContext, name: str, content_type: str, content: bytes, thumbnail: str | None = None) -> StoredFile:
    stored_name = _store(ctx, f"{STORAGE_PREFIX}/attachments/{name}", content)
    checksum = hashlib.sha256(content).hexdigest()
    return StoredFile(stored_name, name, content_type, len(content), checksum, thumbnail)


def _store(ctx: DemoContext, name: str, content: bytes) -> str:
    """Write ``content`` under ``name``, or reuse the file there if it holds exactly ``content``.

    A different file under that name (another Pillow may encode the image differently) is left alone and
    the storage picks a free name, so sizes and checksums in the rows always describe the stored bytes.
    """
    if default_storage.exists(name):
        with default_storage.open(name) as existing:
            if existing.read() == content:
                return name
    stored_name = default_storage.save(name, ContentFile(content))
    ctx.stored_files.append(stored_name)
    return stored_name


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (32, 87, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 8, height // 4, width * 7 // 8, height * 3 // 4), fill=(240, 200, 80))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf(title: str) -> bytes:
    # A minimal single-page PDF that readers open; enough for demo downloads.
    stream = f"BT /F1 24 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
