"""Downloads (private files through a permission check, streamed with Range support), thumbnails, and the
attachments panel's upload and delete.

Access is decided by ``attachments.owners`` (has_perm on the owner, guardian included); every write goes
through ``attachments.services``.
"""

import re
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import resolve_url
from django.utils.http import content_disposition_header, http_date, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from attachments import services
from attachments.file_types import FILE_TYPES
from attachments.forms import AttachmentUploadForm
from attachments.models import FileAttachment
from attachments.owners import ADD_ATTACHMENT, DELETE_ATTACHMENT, may_download, may_see_files, owner_of
from attachments.storage import presigned_url
from attachments.upload_handlers import CappedUploadHandler
from attachments.validation import ascii_fallback_name, largest_upload_bytes
from core.access import is_active_staff

STREAM_CHUNK_BYTES = 1024 * 1024
# Nothing in a served file may run or load anything, even if a browser were to render it.
FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
# One range; at most 19 digits a side (any real offset), so a huge number is no range at all rather than a
# number Python refuses to read.
_RANGE = re.compile(r"^bytes=([0-9]{0,19})-([0-9]{0,19})$")
MAX_ID = 2**63 - 1


@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file of attachment ``pk``.

    Signed-in users only (anonymous visitors are sent to sign in whatever the id, so an id reveals
    nothing); anyone who may not open the file (``attachments.owners.may_download``) gets 404, as for a file
    that does not exist. A public file's address for everyone is its storage URL (a random name), not
    this view, so public files cannot be walked by id. On S3 a GET is answered with a redirect to a
    short-lived presigned URL given after the same check (a HEAD with the headers only); otherwise the
    file is streamed from storage, honouring a single ``Range``. Every GET that hands out bytes of a
    private file is a DOWNLOAD audit event; the download count moves when the bytes served start at the
    first one (a ``Range`` further in continues a download). Only known-safe raster images are shown
    inline; everything else is an attachment, and every answer forbids sniffing and runs in a sandbox.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = _attachment_or_404(pk)
    if not may_download(request.user, attachment):
        raise Http404
    disposition = _disposition(attachment)
    name = attachment.file.name or ""
    signed = presigned_url(name, filename_header=disposition, content_type=attachment.content_type)
    if signed is not None:
        if request.method == "HEAD":
            described = HttpResponse(content_type=attachment.content_type)
            described["Content-Length"] = str(attachment.size_bytes)
            described["Content-Disposition"] = disposition
            described["Cache-Control"] = "private, no-store"
            return _hardened(described)
        services.attachment_download_record(attachment=attachment, user=request.user)
        response: HttpResponseBase = HttpResponseRedirect(signed)
        response["Cache-Control"] = "private, no-store"
        return _hardened(response)
    served, first_byte = _streamed(request, attachment, name, disposition)
    if request.method == "GET" and served.status_code in (200, 206):
        services.attachment_download_record(attachment=attachment, user=request.user, counted=first_byte == 0)
    return served


@require_http_methods(["GET", "HEAD"])
def thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The thumbnail of attachment ``pk`` (our own re-encoded image, shown inline), under the same rule
    as the file; 404 while there is none."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = _attachment_or_404(pk)
    if not attachment.thumbnail or not may_download(request.user, attachment):
        raise Http404
    name = attachment.thumbnail.name or ""
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    disposition = content_disposition_header(False, "thumbnail") or "inline"
    return _streamed(request, attachment, name, disposition, content_type)[0]


@csrf_exempt  # the upload handler must be in place before the body is read; CSRF is checked just below
@require_POST
def upload(request: HttpRequest) -> HttpResponseBase:
    """The attachments panel's upload: stores the file through the upload service and goes back to the
    page it came from, saying what happened. The request stops being stored past the largest size any
    owner type accepts."""
    if not is_active_staff(request.user):
        return redirect_to_login(resolve_url("admin:index"))
    if not request.user.has_perm(ADD_ATTACHMENT):
        raise PermissionDenied
    request.upload_handlers.insert(0, CappedUploadHandler(request, limit=largest_upload_bytes()))
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponseBase:
    form = AttachmentUploadForm(request.POST, request.FILES)
    back = _back_url(request)
    if getattr(request, "upload_too_large", False):
        return _back(
            request, back, errors=[_("The upload is larger than any accepted here, or holds more than one file.")]
        )
    if not form.is_valid():
        return _back(request, back, errors=[str(error) for errors in form.errors.values() for error in errors])
    try:
        attachment = services.attachment_upload(
            uploader=request.user,
            owner_type=form.cleaned_data["owner_type"],
            owner_id=form.cleaned_data["owner_id"],
            file=form.cleaned_data["file"],
            is_public=form.cleaned_data["is_public"],
        )
    except ValidationError as error:
        return _back(request, back, errors=error.messages)
    return _back(request, back, success=_("“%(name)s” was uploaded.") % {"name": attachment.original_name})


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The attachments panel's delete (permission checked by the service), back to the page it came from."""
    if not is_active_staff(request.user):
        return redirect_to_login(resolve_url("admin:index"))
    if not request.user.has_perm(DELETE_ATTACHMENT):
        raise PermissionDenied
    attachment = _attachment_or_404(pk)
    owner = owner_of(attachment)
    if owner is not None and not may_see_files(request.user, owner):
        raise Http404  # as for a file that does not exist: an id reveals nothing
    back = _back_url(request)
    try:
        services.attachment_delete(actor=request.user, attachment=attachment)
    except ValidationError as error:
        return _back(request, back, errors=error.messages)
    return _back(request, back, success=_("“%(name)s” was deleted.") % {"name": attachment.original_name})


def _attachment_or_404(pk: int) -> FileAttachment:
    if not 0 < pk <= MAX_ID:
        raise Http404
    attachment = FileAttachment.objects.filter(pk=pk).order_by().first()
    if attachment is None:
        raise Http404
    return attachment


def _back(request: HttpRequest, back: str, *, errors=(), success: str = "") -> HttpResponseRedirect:
    """Back to the page the panel's form came from (303), saying what happened."""
    for error in errors:
        messages.error(request, error)
    if success:
        messages.success(request, success)
    return HttpResponseRedirect(back, status=303)


def _back_url(request: HttpRequest) -> str:
    """Where the panel's forms return: their ``next`` if it is ours, else the admin's home."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url("admin:index")


def _disposition(attachment: FileAttachment) -> str:
    """Inline for a known-safe raster image, an attachment for everything else; the original name in
    UTF-8 (``filename*``), with a plain ASCII fallback."""
    file_type = FILE_TYPES.get(attachment.content_type)
    inline = bool(file_type and file_type.inline_safe)
    header = content_disposition_header(not inline, attachment.original_name)
    kind = "inline" if inline else "attachment"
    if header and header.startswith(f"{kind}; filename*="):
        # Django wrote only the encoded name (the name is not plain ASCII): give old clients a readable
        # ASCII one too. A name that merely contains "filename*=" is quoted by Django and left alone.
        fallback = ascii_fallback_name(attachment.original_name)
        header = f'{kind}; filename="{fallback}"; {header.removeprefix(f"{kind}; ")}'
    return header or kind


def _streamed(
    request: HttpRequest, attachment: FileAttachment, name: str, disposition: str, content_type: str | None = None
) -> tuple[HttpResponseBase, int]:
    """``name`` from storage, whole or the one range asked for, in chunks (constant memory), and the
    offset of the first byte served."""
    storage = attachment.file.storage
    try:
        size = storage.size(name)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    etag = f'"{attachment.checksum_sha256}"' if name == attachment.file.name else None
    start, end, status = 0, size - 1, 200
    wanted = request.headers.get("Range", "")
    if wanted and (not request.headers.get("If-Range") or request.headers.get("If-Range") == etag):
        match = _RANGE.match(wanted.strip())
        if match and (match[1] or match[2]):
            first, last = match[1], match[2]
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:
                start, end = max(size - int(last), 0), size - 1
            if start >= size or start > end:
                refused = HttpResponse(status=416)
                refused["Content-Range"] = f"bytes */{size}"
                return _hardened(refused), start
            status = 206
    length = end - start + 1
    body: Iterator[bytes] = iter(()) if request.method == "HEAD" else _chunks(storage, name, start, length)
    response = StreamingHttpResponse(body, status=status, content_type=content_type or attachment.content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = disposition
    response["Last-Modified"] = http_date(attachment.created_at.timestamp())
    response["Cache-Control"] = "public, max-age=3600" if attachment.is_public else "private, no-store"
    if etag:
        response["ETag"] = etag
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _hardened(response), start


def _chunks(storage, name: str, start: int, length: int) -> Iterator[bytes]:
    with storage.open(name, "rb") as stored:
        if start:
            stored.seek(start)
        remaining = length
        while remaining > 0:
            chunk = stored.read(min(STREAM_CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def _hardened(response: HttpResponseBase) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
