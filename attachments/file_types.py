"""The kinds of file the back office knows, decided from a file's first bytes (libmagic), never its name.

Settings name the types each owner type accepts (``ATTACHMENT_UPLOAD_RULES``); this module says what each
type is: the names it may carry, how people call it, whether it is an image Pillow must check, and whether
a browser may show it inline from our origin (only raster images: never HTML, SVG, PDF or text).
"""

from dataclasses import dataclass

import magic
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# libmagic decides from the start of a file; this much is what it needs for every type below.
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    mime: str
    extensions: tuple[str, ...]
    label: str | Promise
    is_image: bool = False
    # A raster image a browser may display from our origin (Content-Disposition: inline).
    inline_safe: bool = False


FILE_TYPES: dict[str, FileType] = {
    file_type.mime: file_type
    for file_type in (
        FileType("image/jpeg", (".jpg", ".jpeg", ".jpe"), _("JPEG image"), is_image=True, inline_safe=True),
        FileType("image/png", (".png",), _("PNG image"), is_image=True, inline_safe=True),
        FileType("image/gif", (".gif",), _("GIF image"), is_image=True, inline_safe=True),
        FileType("image/webp", (".webp",), _("WebP image"), is_image=True, inline_safe=True),
        FileType("application/pdf", (".pdf",), _("PDF document")),
        FileType("text/plain", (".txt", ".text", ".log", ".md"), _("Text")),
        FileType("text/csv", (".csv",), _("CSV table")),
        FileType(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), _("Word document")
        ),
        FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), _("Excel workbook")),
    )
}

# What libmagic reports, for a file whose name says which of several readings it is: a CSV file is plain
# text to libmagic unless its first lines look like a table; an Office document is a zip archive to older
# libmagic databases.
_READINGS_BY_EXTENSION = {
    ("text/plain", ".csv"): "text/csv",
    ("text/csv", ".txt"): "text/plain",
    ("application/zip", ".docx"): "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("application/zip", ".xlsx"): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# What browsers send for the types above besides their standard names; anything else they claim must be
# the detected type, or no claim at all.
_CLAIM_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
    "application/csv": "text/csv",
    "application/vnd.ms-excel": "text/csv",  # Windows browsers' claim for .csv
    "text/comma-separated-values": "text/csv",
    "text/x-csv": "text/csv",
}
_NO_CLAIM = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}


def detected_mime(head: bytes) -> str:
    """The MIME type libmagic reads in ``head`` (a file's first `SNIFF_BYTES`)."""
    return magic.from_buffer(head, mime=True)


def file_type_for(detected: str, extension: str) -> FileType | None:
    """The known type a file is, given libmagic's reading and the file's extension (lower case, with its
    dot); None for a type the back office does not know."""
    mime = _READINGS_BY_EXTENSION.get((detected, extension), detected)
    return FILE_TYPES.get(mime)


def claim_contradicts(claimed: str | None, file_type: FileType) -> bool:
    """Whether the browser's ``Content-Type`` names another type than the content is. No claim, or the
    generic "octet-stream", contradicts nothing."""
    claim = (claimed or "").split(";", 1)[0].strip().lower()
    if claim in _NO_CLAIM:
        return False
    return _CLAIM_ALIASES.get(claim, claim) != file_type.mime


# Types that are never accepted, named so a refusal reads well ("HTML page", not "text/html").
_REFUSED_LABELS = {
    "text/html": _("HTML page"),
    "image/svg+xml": _("SVG drawing"),
    "text/x-php": _("PHP script"),
    "application/x-dosexec": _("Windows program"),
    "application/x-executable": _("program"),
    "application/x-sharedlib": _("program"),
    "application/zip": _("zip archive"),
    "text/xml": _("XML document"),
    "application/javascript": _("JavaScript"),
    "text/javascript": _("JavaScript"),
}


def type_label(mime: str) -> str | Promise:
    """How people call ``mime`` ("PDF document"); the MIME type itself for one we do not know."""
    known = FILE_TYPES.get(mime)
    return known.label if known else _REFUSED_LABELS.get(mime, mime)
