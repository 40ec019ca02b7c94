"""Real files for the attachments tests, made on the spot: good ones of every accepted kind and a hostile
corpus of files that must be refused."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin


def png(width: int = 48, height: int = 32, *, alpha: bool = False, text: dict | None = None) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (200, 60, 40, 128) if alpha else (200, 60, 40))
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg(width: int = 640, height: int = 480) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def gif(width: int = 20, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height), 3).save(out, "GIF")
    return out.getvalue()


def webp(width: int = 30, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "WEBP")
    return out.getvalue()


def pdf(text: str = "Session notes") -> bytes:
    """A small, valid one-page PDF (libmagic reads it as application/pdf)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def huge_png_header(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG claiming ``width`` x ``height`` pixels: a few hundred bytes that would decode to gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PHP = b"<?php system($_GET['cmd']); ?>\n"
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'
# A GIF whose header opens a JavaScript comment: the classic image that is also a script.
GIF_JS_POLYGLOT = b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00*/=alert(document.domain);//" + b"\x3b"


def hostile_corpus() -> dict[str, SimpleUploadedFile]:
    """Each must be refused with a message, storing nothing."""
    clean_png = png()
    return {
        "html named .jpg": upload("holiday.jpg", HTML, "image/jpeg"),
        "php named .jpg": upload("avatar.jpg", PHP, "image/jpeg"),
        "html named .txt": upload("notes.txt", HTML, "text/plain"),
        "png with html appended": upload("chart.png", clean_png + HTML, "image/png"),
        "png with markup in a text chunk": upload(
            "badge.png", png(text={"Comment": "<script>alert(1)</script>"}), "image/png"
        ),
        "svg with script": upload("logo.svg", SVG_SCRIPT, "image/svg+xml"),
        "svg with script named .png": upload("logo.png", SVG_SCRIPT, "image/png"),
        "gif that is also javascript": upload("spinner.gif", GIF_JS_POLYGLOT, "image/gif"),
        "jpeg with data after its end": upload("photo.jpg", jpeg(64, 48) + b"MZ\x90\x00payload", "image/jpeg"),
        "50,000 x 50,000 png": upload("poster.png", huge_png_header(), "image/png"),
        "empty file": upload("empty.pdf", b"", "application/pdf"),
        "png claiming to be a pdf": upload("scan.png", clean_png, "application/pdf"),
        "pdf named .png": upload("scan.png", pdf(), "image/png"),
        "png named .pdf": upload("scan.pdf", clean_png, "application/pdf"),
        "truncated png": upload("cut.png", clean_png[: len(clean_png) // 2], "image/png"),
        "executable": upload("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "application/pdf"),
    }


# Names the upload service refuses whatever the content (the upload's own name is set to these).
HOSTILE_NAMES = {
    "parent folder": "../../etc/passwd.png",
    "windows parent folder": "..\\..\\boot.png",
    "absolute path": "/etc/photo.png",
    "nul byte": "photo\x00.png",
    "control character": "photo\x07.png",
    "right-to-left override": "invoice\u202egnp.exe.png",
    "zero-width space": "pho\u200bto.png",
    "newline": "photo\n.png",
    "too long": "a" * 250 + ".png",
    "only dots": "..",
    "blank": "   ",
}
