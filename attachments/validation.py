"""What an upload must be before it is stored: a clean name, an accepted type read from its content, a size
within the owner type's limit and, for images, a picture Pillow can read, of bounded size, hiding nothing.

Each check raises ``ValidationError`` with a message the uploader can act on. Nothing here writes.
"""

import hashlib
import os
import re
import struct
import unicodedata
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from attachments.file_types import SNIFF_BYTES, FileType, claim_contradicts, detected_mime, file_type_for, type_label
from attachments.owners import AttachmentOwner

MAX_NAME_LENGTH = 200
CHUNK_BYTES = 1024 * 1024

# Markup a browser would act on, were the bytes ever read as HTML: in an image it means a polyglot or an
# appended page, never a picture. (Image metadata, XMP included, uses none of these.)
_MARKUP = re.compile(
    rb"<(?:script|html|iframe|frame|body|object|embed|svg|img|meta|link|style|form|!doctype|\?php)\b"
    rb"|javascript:|\bon(?:error|load)\s*=",
    re.IGNORECASE,
)
_MARKUP_OVERLAP = 32  # longer than any match above, so a match split across two chunks is still seen


@dataclass(frozen=True)
class UploadRules:
    max_bytes: int
    mimes: tuple[str, ...]


def upload_rules(owner_type: str) -> UploadRules:
    """The size limit and accepted types for files of ``owner_type`` (``ATTACHMENT_UPLOAD_RULES``)."""
    rules = settings.ATTACHMENT_UPLOAD_RULES
    entry = rules.get(owner_type, rules["default"])
    return UploadRules(max_bytes=int(entry["max_bytes"]), mimes=tuple(entry["types"]))


def largest_upload_bytes() -> int:
    """The largest file any owner type accepts: what a request may carry at most."""
    return max(int(entry["max_bytes"]) for entry in settings.ATTACHMENT_UPLOAD_RULES.values())


def cleaned_original_name(name: str | None) -> str:
    """The uploaded file's name as it will be shown and offered for download: Unicode-normalised, trimmed.

    Refused (not silently repaired, so the uploader knows): an empty name, one holding a path ("/", "\\",
    ".."), NUL or any control or invisible formatting character (right-to-left overrides that disguise
    "gpj.exe" as "exe.jpg", zero-width spaces), or one longer than `MAX_NAME_LENGTH` characters.
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name or name in {".", ".."}:
        raise ValidationError(_("The file has no name."), code="name")
    if "/" in name or "\\" in name or ".." in name:
        raise ValidationError(_("The file's name may not contain a folder path (/, \\ or ..)."), code="name")
    if any(unicodedata.category(character) in {"Cc", "Cf", "Cs", "Co", "Cn"} for character in name):
        raise ValidationError(
            _("The file's name contains control or invisible characters; rename the file and try again."),
            code="name",
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The file's name is longer than %(limit)d characters; shorten it and try again.")
            % {"limit": MAX_NAME_LENGTH},
            code="name",
        )
    return name


def ascii_fallback_name(name: str) -> str:
    """``name`` reduced to safe ASCII for the plain ``filename=`` of ``Content-Disposition``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return get_valid_filename(ascii_name) if ascii_name.strip(" ._-") else "download"


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def checked_size(declared: int | None, rules: UploadRules) -> None:
    """Refuses an upload whose known size is zero or over the limit, before anything is read."""
    if declared is None:
        return
    if declared == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if declared > rules.max_bytes:
        raise too_large(rules)


def too_large(rules: UploadRules) -> ValidationError:
    return ValidationError(
        _("The file is larger than %(limit)s, the most accepted here.") % {"limit": filesizeformat(rules.max_bytes)},
        code="too_large",
    )


def checked_type(
    stream: IO[bytes], *, name: str, claimed: str | None, rules: UploadRules, owner: AttachmentOwner
) -> FileType:
    """The file's type, read from its first bytes; refused when unknown, not accepted for ``owner``, not
    what the name's extension says, or not what the browser claimed. Leaves ``stream`` at its start."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not head:
        raise ValidationError(_("The file is empty."), code="empty")
    detected = detected_mime(head)
    extension = extension_of(name)
    file_type = file_type_for(detected, extension)
    accepted = ", ".join(str(type_label(mime)) for mime in rules.mimes)
    if file_type is None or file_type.mime not in rules.mimes:
        raise ValidationError(
            _("Files of type “%(kind)s” are not accepted for a %(owner)s. Accepted: %(accepted)s.")
            % {
                "kind": type_label(file_type.mime if file_type else detected),
                "owner": owner.label,
                "accepted": accepted,
            },
            code="type",
        )
    if extension not in file_type.extensions:
        raise ValidationError(
            _("The file's name ends in “%(extension)s” but its content is of type “%(kind)s”; name it %(expected)s.")
            % {
                "extension": extension or _("(nothing)"),
                "kind": file_type.label,
                "expected": " ".join(file_type.extensions),
            },
            code="extension",
        )
    if claim_contradicts(claimed, file_type):
        raise ValidationError(
            _("The file was sent as “%(claimed)s” but its content is of type “%(kind)s”.")
            % {"claimed": claimed, "kind": file_type.label},
            code="claim",
        )
    return file_type


def checked_image(stream: IO[bytes], file_type: FileType, *, size: int) -> tuple[int, int]:
    """(width, height) of an image that Pillow reads as ``file_type``, has at most
    ``ATTACHMENT_MAX_IMAGE_PIXELS`` pixels (checked from the header, before any decoding), ends where the
    format says it ends and holds no markup. Leaves ``stream`` at its start."""
    limit = settings.ATTACHMENT_MAX_IMAGE_PIXELS
    unreadable = ValidationError(_("The image is damaged or not what its type says; it cannot be read."), code="image")
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size
                if width * height > limit:
                    raise _too_many_pixels(width, height, limit)
                if Image.MIME.get(image.format or "") != file_type.mime:
                    raise unreadable
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(0, 0, limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise unreadable from None
    if _has_markup(stream) or _looks_like_script(stream) or _trailing_bytes(stream, file_type.mime, size) > 0:
        raise ValidationError(
            _("The image carries hidden content (markup, script or data after its end) and is refused."),
            code="hidden_content",
        )
    stream.seek(0)
    return width, height


def _too_many_pixels(width: int, height: int, limit: int) -> ValidationError:
    if width and height:
        return ValidationError(
            _("The image is %(width)d × %(height)d pixels; at most %(limit)s million pixels are accepted.")
            % {"width": width, "height": height, "limit": f"{limit / 1e6:g}"},
            code="pixels",
        )
    return ValidationError(
        _("The image has too many pixels; at most %(limit)s million are accepted.") % {"limit": f"{limit / 1e6:g}"},
        code="pixels",
    )


def _chunks(stream: IO[bytes]):
    stream.seek(0)
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def _has_markup(stream: IO[bytes]) -> bool:
    tail = b""
    for chunk in _chunks(stream):
        window = tail + chunk
        if _MARKUP.search(window):
            return True
        tail = window[-_MARKUP_OVERLAP:]
    return False


def _looks_like_script(stream: IO[bytes]) -> bool:
    """A GIF or JPEG whose header opens a script comment ("GIF89a/*", a JPEG segment length of "/*"): the
    known way to make an image that is also valid JavaScript."""
    stream.seek(0)
    return b"/*" in stream.read(16)


def _trailing_bytes(stream: IO[bytes], mime: str, size: int) -> int:
    """How many bytes follow the end of the image as its format defines it (0 for a clean file)."""
    if mime == "image/png":
        return _png_trailing_bytes(stream, size)
    if mime == "image/jpeg":
        last_end = -1
        offset = 0
        previous = b""
        for chunk in _chunks(stream):
            window = previous + chunk
            found = window.rfind(b"\xff\xd9")
            if found >= 0:
                last_end = offset - len(previous) + found
            previous = window[-1:]
            offset += len(chunk)
        return size - (last_end + 2) if last_end >= 0 else size
    if mime == "image/gif":
        stream.seek(size - 1)
        return 0 if stream.read(1) == b"\x3b" else 1
    if mime == "image/webp":
        stream.seek(4)
        (riff_size,) = struct.unpack("<I", stream.read(4))
        return size - (riff_size + 8)
    return 0


def _png_trailing_bytes(stream: IO[bytes], size: int) -> int:
    stream.seek(8)
    while True:
        header = stream.read(8)
        if len(header) < 8:
            return 0  # Pillow's verify already refused a truncated file
        length, kind = struct.unpack(">I4s", header)
        stream.seek(length + 4, os.SEEK_CUR)  # the chunk's data and its CRC
        if kind == b"IEND":
            return size - stream.tell()


class MeasuringReader:
    """Reads an upload once, for the storage that writes it: counts its bytes, hashes them (SHA-256) and
    stops with `too_large` as soon as the count passes ``max_bytes``; constant memory however large."""

    def __init__(self, source: IO[bytes], *, max_bytes: int, rules: UploadRules) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self._rules = rules
        self._reset()

    def _reset(self) -> None:
        self.size = 0
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(-1 if size is None else size)
        self.size += len(data)
        if self.size > self._max_bytes:
            raise too_large(self._rules)
        self._hash.update(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # Storages rewind before writing; rewinding starts the count and the hash again.
        if (offset, whence) != (0, os.SEEK_SET):
            raise OSError("a measured upload can only be rewound to its start")
        self._source.seek(0)
        self._reset()
        return 0

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True
