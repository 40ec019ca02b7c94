"""Demo backups history and file attachments, the latter backed by a few real files in the attachment storage.

Thousands of attachment rows point at a handful of stored files: the storage holds real, readable files
of each kind (a photo, a PNG chart, PDFs, a CSV table, a text file; the images with their thumbnails)
without writing gigabytes at scale 1000. Each file is stored once per visibility its rows have, under a
fixed name that starts with that visibility as every uploaded file's does (``public/attachments/demo/
office-photo.jpg``, ``attachments.storage``), so a public row names a public object and a private row a
private one. Deleting a row leaves an object another row still names (``attachments.services``).
"""

import hashlib
import io
import math
import posixpath
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from attachments.file_types import FILE_TYPES
from attachments.models import FileAttachment, FileOwnerType, ThumbnailStatus
from attachments.services import thumbnail_of
from attachments.storage import FILES_FOLDER, THUMBNAILS_FOLDER, attachment_storage, visibility_prefix
from backoffice.demo_data.context import DemoContext
from backups.models import Backup, BackupStatus, BackupType

BACKUP_FIELDS = (
    "id", "backup_type", "status", "location", "size_bytes", "checksum_sha256", "is_encrypted", "started_at",
    "finished_at", "error_message", "created_at", "updated_at",
)  # fmt: skip
ATTACHMENT_FIELDS = (
    "id", "owner_type", "owner_id", "file", "original_name", "content_type", "size_bytes", "checksum_sha256",
    "is_public", "uploaded_by_id", "download_count", "last_downloaded_at", "thumbnail", "thumbnail_status",
    "thumbnail_error", "created_at", "updated_at",
)  # fmt: skip
# The folder of the demo files inside each visibility's files and thumbnails folders.
DEMO_FOLDER = "demo"
_FINISHED = (BackupStatus.SUCCEEDED, BackupStatus.FAILED)
_DISK_FULL = "pg_dump: error: could not write to output file: No space left on device"
# Profile pictures and article illustrations are images, mostly public; the other owners get documents.
_PICTURED = (FileOwnerType.USER, FileOwnerType.ARTICLE)


class DemoFile(NamedTuple):
    """A demo file before it is stored: the name people see, its type (a key of ``FILE_TYPES``), its bytes."""

    original_name: str
    content_type: str
    content: bytes


class StoredFile(NamedTuple):
    """A stored demo file as its rows describe it."""

    name: str
    original_name: str
    content_type: str
    size_bytes: int
    checksum_sha256: str
    thumbnail: str | None
    thumbnail_status: str


class DemoFiles:
    """The demo files, each stored the first time a row uses it with a visibility: once per visibility its
    rows have, so that the storage holds no object that no row names (the sweep would remove it)."""

    def __init__(self, ctx: DemoContext, *, pictures: list[DemoFile], documents: list[DemoFile]) -> None:
        self.pictures = pictures
        self.documents = documents
        self._ctx = ctx
        self._stored: dict[tuple[str, bool], StoredFile] = {}

    def stored(self, file: DemoFile, *, is_public: bool) -> StoredFile:
        key = (file.original_name, is_public)
        if key not in self._stored:
            self._stored[key] = _stored(self._ctx, file, is_public=is_public)
        return self._stored[key]


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
    files = _demo_files(ctx)
    owners = {
        FileOwnerType.USER: ctx.user_ids(),
        FileOwnerType.BOOKING: ctx.ids["consultants.booking"],
        FileOwnerType.REPORT: ctx.ids["consultants.report"],
        FileOwnerType.FEASIBILITY_STUDY: ctx.ids["consultants.feasibilitystudy"],
        FileOwnerType.ARTICLE: ctx.ids["consultants.article"],
        FileOwnerType.TICKET: ctx.ids["support.supportticket"],
        FileOwnerType.MESSAGE: ctx.ids["consultants.message"],
        FileOwnerType.TICKET_COMMENT: ctx.ids["support.ticketcomment"],
    }
    owner_types = [owner_type for owner_type, ids in owners.items() if ids]
    ids = ctx.writer.reserve(FileAttachment, ctx.plan.attachments)
    uploaders = ctx.user_ids()
    rows = (_attachment_row(ctx, pk, owner_types[pk % len(owner_types)], owners, uploaders, files) for pk in ids)
    ctx.writer.write(FileAttachment, ATTACHMENT_FIELDS, rows)


def _attachment_row(
    ctx: DemoContext, pk: int, owner_type: str, owners: dict, uploaders: list[int], files: DemoFiles
) -> tuple:
    pictured = owner_type in _PICTURED
    public = pictured and ctx.rng.random() < 0.8
    stored = files.stored(ctx.pick(files.pictures if pictured else files.documents), is_public=public)
    created = ctx.growing_moment(ctx.start, ctx.now)
    downloads = ctx.rng.randint(0, 40)
    last_downloaded = ctx.moment(created, ctx.now) if downloads else None
    return (
        pk, owner_type, ctx.pick(owners[owner_type]), stored.name, stored.original_name, stored.content_type,
        stored.size_bytes, stored.checksum_sha256, public, ctx.pick(uploaders), downloads, last_downloaded,
        stored.thumbnail, stored.thumbnail_status, "", created, created,
    )  # fmt: skip


def _demo_files(ctx: DemoContext) -> DemoFiles:
    pictures = [
        DemoFile("office-photo.jpg", "image/jpeg", _office_photo_jpeg()),
        DemoFile("growth-chart.png", "image/png", _growth_chart_png()),
    ]
    documents = [
        DemoFile("session-notes.pdf", "application/pdf", _pdf("Session notes", _SESSION_NOTES)),
        DemoFile("invoice.pdf", "application/pdf", _pdf("Invoice INV-2025-0142", _INVOICE_LINES)),
        DemoFile("feasibility-summary.pdf", "application/pdf", _pdf("Feasibility summary", _FEASIBILITY_LINES)),
        DemoFile("market-data.csv", "text/csv", _MARKET_DATA_CSV.encode()),
        DemoFile("meeting-notes.txt", "text/plain", _MEETING_NOTES_TXT.encode()),
    ]
    return DemoFiles(ctx, pictures=pictures, documents=documents)


def _stored(ctx: DemoContext, file: DemoFile, *, is_public: bool) -> StoredFile:
    """Stores ``file`` (and an image's thumbnail) with the visibility ``is_public``, as a row describes it."""
    visibility = visibility_prefix(is_public=is_public)
    name = _store(ctx, posixpath.join(visibility, FILES_FOLDER, DEMO_FOLDER, file.original_name), file.content)
    thumbnail, thumbnail_status = None, ThumbnailStatus.NONE
    if FILE_TYPES[file.content_type].is_image:
        content, extension = _thumbnail(file.content)
        stem = posixpath.splitext(file.original_name)[0]
        thumbnail = _store(ctx, posixpath.join(visibility, THUMBNAILS_FOLDER, DEMO_FOLDER, stem + extension), content)
        thumbnail_status = ThumbnailStatus.READY
    checksum = hashlib.sha256(file.content).hexdigest()
    return StoredFile(
        name, file.original_name, file.content_type, len(file.content), checksum, thumbnail, thumbnail_status
    )


def _store(ctx: DemoContext, name: str, content: bytes) -> str:
    """Write ``content`` under ``name`` in the attachment storage, or reuse the file there if it holds
    exactly ``content`` (a second demo seeding after a flush).

    A different file under that name (another Pillow may encode the image differently) is left alone and
    the storage picks a free name beside it, so sizes and checksums in the rows always describe the stored
    bytes. What this run wrote is listed in ``ctx.stored_files``, for removal if the seeding fails.
    """
    storage = attachment_storage()
    if storage.exists(name):
        with storage.open(name) as existing:
            if existing.read() == content:
                return name
    stored_name = storage.save(name, ContentFile(content, name=name))
    ctx.stored_files.append(stored_name)
    return stored_name


def _thumbnail(content: bytes) -> tuple[bytes, str]:
    """The thumbnail the upload's job makes of an image, and its extension."""
    return thumbnail_of(io.BytesIO(content))


def _office_photo_jpeg() -> bytes:
    """An office block against an evening sky, 640 x 427: smooth gradients and soft edges, as in a photo."""
    width, height = 640, 427
    sky = ImageOps.colorize(Image.linear_gradient("L"), black=(34, 62, 128), white=(252, 186, 124))
    image = sky.resize((width, height))
    glow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(glow).ellipse((390, 170, 510, 290), fill=255)
    image.paste((255, 226, 160), mask=glow.filter(ImageFilter.GaussianBlur(18)))
    draw = ImageDraw.Draw(image)
    for depth, (base, color) in enumerate(((330, (70, 104, 86)), (360, (44, 74, 58)))):
        hills = [(x, base + 22 * math.sin(x / (70 + 40 * depth) + depth)) for x in range(0, width + 10, 10)]
        draw.polygon([(0, height), *hills, (width, height)], fill=color)
    for left, top, right, columns, rows in ((110, 110, 290, 6, 10), (310, 210, 400, 3, 6)):
        draw.rectangle((left, top, right, 400), fill=(48, 54, 70))
        for row in range(rows):
            for column in range(columns):
                lit = (row * 5 + column * 3) % 7 < 4
                x, y = left + 12 + column * ((right - left - 12) // columns), top + 14 + row * 27
                draw.rectangle((x, y, x + 14, y + 16), fill=(255, 219, 138) if lit else (74, 82, 102))
    draw.rectangle((0, 400, width, height), fill=(28, 34, 30))
    output = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(0.7)).save(output, "JPEG", quality=85)
    return output.getvalue()


def _growth_chart_png() -> bytes:
    """A bar chart of monthly revenue with its trend line on a card with transparent corners, 480 x 320."""
    width, height = 480, 320
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=24, fill=(250, 251, 253, 255))
    draw.line((48, 270, 448, 270), fill=(150, 158, 172, 255), width=2)
    draw.line((48, 40, 48, 270), fill=(150, 158, 172, 255), width=2)
    revenue = (52, 61, 58, 74, 80, 77, 95, 104, 112, 109, 128, 141)
    trend = []
    for month, value in enumerate(revenue):
        left = 60 + month * 32
        top = 270 - value * 1.5
        shade = 150 + month * 8
        draw.rectangle((left, top, left + 22, 269), fill=(40, 90, min(shade, 255), 255))
        trend.append((left + 11, top - 12))
    draw.line(trend, fill=(236, 128, 42, 255), width=4, joint="curve")
    for x, y in trend:
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(236, 128, 42, 255))
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def _pdf(title: str, lines: tuple[str, ...]) -> bytes:
    """A single-page PDF with a title and a few lines of text (ASCII), as small as a valid PDF gets."""
    text = " T* ".join(f"({_pdf_escaped(line)}) Tj" for line in lines)
    stream = f"BT /F1 20 Tf 72 720 Td ({_pdf_escaped(title)}) Tj /F1 11 Tf 16 TL 0 -34 Td {text} ET".encode()
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


def _pdf_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


_SESSION_NOTES = (
    "Client: Northwind Logistics. Consultant: pricing and go-to-market.",
    "1. Reviewed the current price list against three competitors.",
    "2. Agreed to test a tiered offer with two pilot customers.",
    "3. Next session: results of the pilot and the hiring plan.",
)
_INVOICE_LINES = (
    "Consulting session, 90 minutes (booking 2025-0142)      EUR 270.00",
    "Platform fee included.                                   VAT 0.00",
    "Total paid by card                                        EUR 270.00",
)
_FEASIBILITY_LINES = (
    "Question: can a second warehouse pay for itself within three years?",
    "Demand: 18% yearly growth in the southern region since 2023.",
    "Costs: lease and staff EUR 410,000 a year; savings EUR 520,000 a year.",
    "Conclusion: feasible, with a break-even in month 26.",
)
_MARKET_DATA_CSV = """month,bookings,revenue_eur,new_clients
2025-01,118,15340,21
2025-02,124,16120,19
2025-03,139,18070,26
2025-04,131,17030,22
2025-05,147,19110,28
2025-06,152,19760,25
"""
_MEETING_NOTES_TXT = """Weekly meeting - notes

Attendees: operations, finance, two consultants.
Agenda: pricing, hiring, next steps.

- Pricing: keep the hourly rate, add a package of five sessions.
- Hiring: one more consultant for supply chain topics by spring.
- Next steps: finance drafts the package terms by Friday.
"""
