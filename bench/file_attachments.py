"""Benchmark: attachments' thumbnails, a 200 MB upload and a 500 MB streamed download, each against a
baseline measured in the same run.

(Named file_attachments.py, not attachments.py: mypy checks the whole tree and a bench/attachments.py
module would clash with the attachments app.)

Thumbnails: three images generated once (a 4000x3000 JPEG photo with an EXIF rotation, a 2000x1500 PNG
cut-out photo with transparency, a 2000x1500 WebP photo; smooth colour fields plus grain, so they compress
like photos) are uploaded through ``attachment_upload``; then ``attachment_thumbnail_make`` is timed on
each, the row's thumbnail reset (stored thumbnail deleted, status back to PENDING) between runs so that
every run makes one. Baseline: Pillow's own thumbnail recipe on the same stored file, ``Image.open(path)``,
``im.thumbnail(box)`` and ``im.save()`` into memory in the format ours writes (JPEG, or PNG for an
image with transparency), with Pillow's default options. That recipe already decodes JPEGs at reduced
size (``thumbnail`` calls ``draft`` for twice the box), so the ratio shows what ours adds: its row read
and update, the storage's read and write, the EXIF rotation and its own draft and encoder settings. A
full decode (``Image.open(path).load()``, what a thumbnailer without draft mode cannot avoid) is printed
for reference. Target: ours <= 1.5x the recipe for every image.

Upload: a 200 MB text file of printable lines, given to ``attachment_upload`` as a Django ``File`` over
the file on disk (as an upload is once Django's handler has spooled it), stored as a private attachment
of a booking; against ``shutil.copyfile`` of the same file (the kernel's copy, no Python in the loop)
and against a one-pass copy in Python that also hashes (read 1 MiB, SHA-256 it, write it: the least an
upload that measures its checksum while it stores must do). Prints MB/s and the ratios; no target.

Download: private text files of 500 MB and 50 MB (uploaded through the service, not timed) fetched from
``attachments:download`` by the in-process Django test client as a logged-in superuser, iterating
``response.streaming_content``; against reading the stored file directly in the view's chunk size
(``STREAM_CHUNK_BYTES``). Throughput is the median of interleaved runs; the request's fixed cost is
shown apart (the same request for one byte, ``Range: bytes=0-0``), and so is the throughput of the
streaming alone (each download's time less the one-byte request's of the same turn). Memory, in separate untimed passes:
the peak resident memory of the process during one download above what it held before (Linux's
high-water mark, reset through ``/proc/self/clear_refs``) and the peak of Python's traced allocations
(``tracemalloc``). Targets: at 500 MB, the streamed throughput (from the first byte: the download less the
one-byte request of its turn) >= 0.8x the direct read; at both sizes, peak growth < 32 MB (constant,
whatever the file's size). The whole request's ratio is printed too (view/direct): the direct read comes
from the page cache at 12-16 GB/s, 500 MB in about 35 ms, so the request's own cost before its first byte
(session, user, the file's row, the download count and its audit event: 5-9 ms, the "fixed" column)
weighs 15-20% there; it is latency, the same for any size, and the verdict does not count it twice.

Setup: each part runs in a subprocess of its own (so one part's memory does not hide another's) with
``DJANGO_SETTINGS_MODULE=config.settings.base``, against a PostgreSQL database ``<db>`` (default
``bo_bench_files``) on the server of ``DATABASE_URL``, created and migrated when missing and seeded with
``manage.py seed_demo --scale 1`` when it has no booking. ``DJANGO_MEDIA_ROOT`` and
``DJANGO_PRIVATE_MEDIA_ROOT`` point into a temporary folder, deleted at the end whatever happens (about
1 GB at the peak), and ``ATTACHMENT_MAX_BYTES`` is raised to accept the big files. The rows it creates
are deleted at the end of each part. Takes about a minute on two cores. MB here is 2**20 bytes.

Usage: python bench/file_attachments.py [--runs 10] [--db bo_bench_files] [--tmp-dir DIR]
                                   [--only thumbnails|upload|download] [--strict]
With ``--strict`` the exit status is 1 when a target is missed.
"""

import argparse
import hashlib
import json
import logging
import operator
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from changelists import logged_in_client
from databases import create_database_if_missing, with_database

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
PARTS = ("thumbnails", "upload", "download")
# name: (format, width, height, with transparency)
IMAGES = {
    "photo.jpg": ("JPEG", 4000, 3000, False),
    "cutout.png": ("PNG", 2000, 1500, True),
    "photo.webp": ("WEBP", 2000, 1500, False),
}
MAX_THUMBNAIL_OVER_PILLOW = 1.5
UPLOAD_MB = 200
UPLOAD_RUNS = 5
DOWNLOAD_SIZES_MB = (500, 50)
DOWNLOAD_RUNS = 15
MIN_DOWNLOAD_OVER_DIRECT = 0.8
MAX_DOWNLOAD_GROWTH_MB = 32.0
COPY_CHUNK_BYTES = MB
Operation = Callable[[], Callable[[], object] | None]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per thumbnail measurement (median)")
    parser.add_argument("--db", default="bo_bench_files", help="the PostgreSQL database to use (created if missing)")
    parser.add_argument("--tmp-dir", help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--only", choices=PARTS, help="measure one part only")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--worker", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        json.dump(WORKERS[args.worker](args), sys.stdout)
        return 0

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database_url = with_database(server_url, args.db)
    create_database_if_missing(database_url)
    print(f"database: {database_url} (seeded with seed_demo --scale 1 if it has no booking)", file=sys.stderr)
    reports = {"thumbnails": print_thumbnails, "upload": print_upload, "download": print_download}
    met = True
    work_dir = Path(tempfile.mkdtemp(prefix="bench-attachments-", dir=args.tmp_dir))
    try:
        for part in [args.only] if args.only else PARTS:
            met &= reports[part](run_worker(database_url, part, work_dir, args))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)  # hundreds of MB: never left behind
    return 1 if args.strict and not met else 0


def run_worker(database_url: str, part: str, work_dir: Path, args) -> dict:
    """Runs ``part`` in a subprocess of its own, its media folders under ``work_dir``; returns its JSON."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_MEDIA_ROOT": str(work_dir / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(work_dir / "private-media"),
        "ATTACHMENT_MAX_BYTES": str(max(DOWNLOAD_SIZES_MB + (UPLOAD_MB,)) * MB + MB),
        "SYSTEM_LOG_TO_DATABASE": "false",
    }
    env.pop("DJANGO_DEBUG", None)  # DEBUG would record every query
    env.pop("CELERY_BROKER_URL", None)  # the thumbnail job runs in-process, when the upload commits
    command = [sys.executable, __file__, "--worker", part, "--work-dir", str(work_dir), "--runs", str(args.runs)]
    completed = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=True)  # noqa: S603
    return json.loads(completed.stdout)


# Reports


def print_thumbnails(results: dict) -> bool:
    print(
        f"{'thumbnail (box 320x320)':<30}{'ours':>10}{'Pillow':>10}{'decode':>10}"
        f"{'ours/Pillow':>13}{'ours/decode':>13}  verdict"
    )
    misses = []
    for name, measured in results.items():
        ratio = measured["ours_ms"] / measured["pillow_ms"]
        ok = ratio <= MAX_THUMBNAIL_OVER_PILLOW
        if not ok:
            misses.append(name)
        print(
            f"{measured['label']:<30}{ms(measured['ours_ms']):>10}{ms(measured['pillow_ms']):>10}"
            f"{ms(measured['decode_ms']):>10}{ratio:>12.2f}x{measured['ours_ms'] / measured['decode_ms']:>12.2f}x"
            f"  {'ok' if ok else 'MISSED'}"
        )
    print(
        "ours: attachment_thumbnail_make(), median; Pillow: Image.open + thumbnail(box) + save to memory in the\n"
        "same format; decode: Image.open(path).load(), a full decode (reference only)."
    )
    print(
        f"verdict: thumbnail <= {MAX_THUMBNAIL_OVER_PILLOW:g}x Pillow's thumbnail: "
        + (f"MISSED for {', '.join(misses)}" if misses else f"met for all {len(results)} images")
    )
    print()
    return not misses


def print_upload(results: dict) -> bool:
    size_mb = results["bytes"] / MB
    upload = results["upload_s"]
    print(f"{f'upload of a {size_mb:.0f} MB text file':<40}{'seconds':>9}{'MB/s':>8}{'upload/this':>13}")
    for label, key in (
        ("attachment_upload()", "upload_s"),
        ("shutil.copyfile()", "copyfile_s"),
        ("copy + SHA-256 in Python, 1 MiB reads", "hashing_copy_s"),
    ):
        seconds = results[key]
        print(f"{label:<40}{seconds:>9.2f}{size_mb / seconds:>8.0f}{seconds / upload:>12.2f}x")
    print(
        f"median of {UPLOAD_RUNS} interleaved runs; upload/this: the upload's throughput as a share of each;\n"
        f"the stored file's size and SHA-256 match the source: {'yes' if results['checksum_ok'] else 'NO'}."
    )
    print(
        f"verdict: no target for the upload (reported only): its throughput is {results['copyfile_s'] / upload:.2f}x "
        f"shutil.copyfile's and {results['hashing_copy_s'] / upload:.2f}x a hashing copy's"
    )
    print()
    return bool(results["checksum_ok"])


def print_download(results: dict) -> bool:
    print(
        f"{'download (private, streamed)':<30}{'view MB/s':>11}{'direct MB/s':>13}{'view/direct':>13}"
        f"{'fixed':>9}{'stream/direct':>15}{'RSS peak+':>11}{'traced peak':>13}"
    )
    throughput_ok, memory_ok = True, True
    largest = f"{max(DOWNLOAD_SIZES_MB)} MB"
    for label, measured in results.items():
        size_mb = measured["bytes"] / MB
        ratio = measured["direct_s"] / measured["view_s"]
        streaming = measured["streaming_s"]
        stream_ratio = f"{measured['direct_s'] / streaming:.2f}x" if streaming > 0 else "n/a"
        if label == largest:
            throughput_ok = streaming > 0 and measured["direct_s"] / streaming >= MIN_DOWNLOAD_OVER_DIRECT
        growth = measured["rss_growth_mb"]
        memory_ok &= (growth is None or growth < MAX_DOWNLOAD_GROWTH_MB) and (
            measured["traced_peak_mb"] < MAX_DOWNLOAD_GROWTH_MB
        )
        print(
            f"{label:<30}{size_mb / measured['view_s']:>11.0f}{size_mb / measured['direct_s']:>13.0f}{ratio:>12.2f}x"
            f"{ms(measured['fixed_ms']):>9}{stream_ratio:>15}"
            f"{'n/a' if growth is None else f'{growth:.1f} MB':>11}"
            f"{measured['traced_peak_mb']:>10.1f} MB"
        )
    print(
        f"view: GET attachments:download through the test client, reading streaming_content; direct: the stored\n"
        f"file read in the view's chunks; median of {DOWNLOAD_RUNS} interleaved runs. fixed: the same request for\n"
        "one byte (Range: bytes=0-0), in the same turns; stream/direct: the view's throughput less that fixed\n"
        "cost (each download less the one-byte request of its turn; n/a when the difference is within the noise);\n"
        "RSS peak+: the process's peak resident memory during one download above what it held before;\n"
        "traced peak: Python's allocations at their peak during one download."
    )
    large = results[largest]
    streamed = large["direct_s"] / large["streaming_s"] if large["streaming_s"] > 0 else 0.0
    print(
        f"verdict: streamed throughput >= {MIN_DOWNLOAD_OVER_DIRECT:g}x the direct read at {largest}: "
        f"{streamed:.2f}x {'ok' if throughput_ok else 'MISSED'} (the whole request, first byte included: "
        f"{large['direct_s'] / large['view_s']:.2f}x)"
    )
    print(
        f"verdict: peak memory growth < {MAX_DOWNLOAD_GROWTH_MB:g} MB at "
        f"{' and '.join(results)}: {'ok' if memory_ok else 'MISSED'}"
    )
    print()
    return throughput_ok and memory_ok


def ms(value: float) -> str:
    return f"{value:.1f}ms" if value >= 10 else f"{value:.2f}ms"


# Timing and memory


def interleaved_seconds(operations: dict[str, Operation], *, runs: int, warm_up: int = 1) -> dict[str, float]:
    """Each operation's median duration in seconds (`interleaved_samples`)."""
    samples = interleaved_samples(operations, runs=runs, warm_up=warm_up)
    return {name: statistics.median(values) for name, values in samples.items()}


def interleaved_samples(operations: dict[str, Operation], *, runs: int, warm_up: int = 1) -> dict[str, list[float]]:
    """Each operation's durations in seconds, the operations taking turns run by run (so that a load change
    on a shared machine shifts them all alike; the n-th samples of each were taken in the same turn). An
    operation may return an undo, called untimed after its run (deleting the copy it wrote, resetting the
    row it changed)."""
    samples: dict[str, list[float]] = {name: [] for name in operations}
    for run in range(warm_up + runs):
        for name, operation in operations.items():
            started = time.perf_counter()
            undo = operation()
            elapsed = time.perf_counter() - started
            if undo is not None:
                undo()
            if run >= warm_up:
                samples[name].append(elapsed)
    return samples


def rss_growth_mb(operation: Callable[[], object]) -> float | None:
    """The process's peak resident memory during ``operation()`` above what it held just before, in MB.

    Linux keeps the peak (VmHWM) and resets it to the current size on a write of "5" to clear_refs; None
    where that cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    before = memory_status_kb("VmRSS")
    operation()
    return (memory_status_kb("VmHWM") - before) / 1024


def memory_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def settle() -> None:
    """Writes out the hundreds of MB the setup left dirty in the page cache, so that the timed runs do not
    share the disk with their writeback (each download's commits flush PostgreSQL's WAL)."""
    os.sync()


def traced_peak_mb(operation: Callable[[], object]) -> float:
    """The peak of Python's allocations during ``operation()`` above those before it, in MB (tracemalloc)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        operation()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - before) / MB


# Workers (each in its own process; DATABASE_URL and the media folders come from the parent)


def setup_django() -> None:
    # The project's root first: its attachments app, not this file, is `attachments` from here on.
    sys.path.insert(0, str(ROOT))
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files here
    django.setup()
    from django.core.management import call_command

    # The thumbnail job runs eagerly on each image upload: its per-task log lines are noise here.
    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("kombu").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0, stdout=sys.stderr)


def bench_owner() -> tuple:
    """The bench superuser and the booking its files are attached to (demo data seeded when there is none).
    Attachments an interrupted earlier run left are deleted (their files went with its folder)."""
    from django.core.management import call_command

    from attachments.models import FileAttachment
    from consultants.models import Booking

    if not Booking.objects.exists():
        call_command("seed_demo", scale=1, no_progress=True, stdout=sys.stderr)
    user, _ = logged_in_client()
    FileAttachment.objects.filter(uploaded_by=user).delete()
    return user, Booking.objects.order_by("pk").values_list("pk", flat=True).first()


def uploaded(user, booking_id: int, path: Path):
    """``path`` stored through ``attachment_upload`` as a private file of the booking; the new row."""
    from django.core.files.base import File

    from attachments.services import attachment_upload

    with path.open("rb") as handle:
        return attachment_upload(
            uploader=user, owner_type="BOOKING", owner_id=booking_id, file=File(handle, name=path.name)
        )


def text_file_write(path: Path, size_mb: int) -> None:
    """``size_mb`` MB of numbered, printable 64-byte lines (libmagic reads them as text/plain)."""
    line = "Minutes of the consulting session: agenda, notes, follow-ups.\n"
    lines_per_block = MB // (8 + len(line))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as output:
        for block in range(size_mb):
            first = block * lines_per_block
            output.write("".join(f"{n:07d} {line}" for n in range(first, first + lines_per_block)).encode())


def measure_thumbnails(args) -> dict:
    setup_django()
    from io import BytesIO

    from django.conf import settings
    from PIL import Image

    from attachments.models import FileAttachment, ThumbnailStatus
    from attachments.services import attachment_thumbnail_make, attachments_delete
    from attachments.storage import attachment_storage

    user, booking_id = bench_owner()
    box = settings.ATTACHMENT_THUMBNAIL_SIZE
    storage = attachment_storage()
    folder = Path(args.work_dir) / "inputs"
    results = {}
    for name, (image_format, width, height, transparent) in IMAGES.items():
        source = folder / name
        image_write(source, image_format, (width, height), transparent=transparent)
        attachment = uploaded(user, booking_id, source)
        source.unlink()
        path = storage.path(attachment.file.name)
        output_format = "PNG" if transparent else "JPEG"
        attachment.refresh_from_db()
        assert attachment.thumbnail_status == ThumbnailStatus.READY, attachment.thumbnail_error  # made on commit

        def thumbnail_reset(pk=attachment.pk) -> None:
            row = FileAttachment.objects.get(pk=pk)
            if row.thumbnail.name:
                storage.delete(row.thumbnail.name)
            FileAttachment.objects.filter(pk=pk).update(
                thumbnail=None, thumbnail_status=ThumbnailStatus.PENDING, thumbnail_error=""
            )

        def ours(pk=attachment.pk) -> Callable[[], None]:
            status = attachment_thumbnail_make(attachment_id=pk)
            assert status == ThumbnailStatus.READY, status
            return thumbnail_reset

        def pillow_thumbnail(path=path, output_format=output_format) -> None:
            with Image.open(path) as image:
                image.thumbnail(box)
                image.save(BytesIO(), output_format)

        def full_decode(path=path) -> None:
            with Image.open(path) as image:
                image.load()

        thumbnail_reset()  # the upload's job made one already
        timings = interleaved_seconds(
            {"ours": ours, "pillow": pillow_thumbnail, "decode": full_decode}, runs=args.runs, warm_up=2
        )
        results[name] = {
            "label": f"{name} ({image_format} {width}x{height})",
            **{f"{key}_ms": seconds * 1000 for key, seconds in timings.items()},
        }
        attachments_delete([attachment])
    return results


def image_write(path: Path, image_format: str, size: tuple[int, int], *, transparent: bool) -> None:
    """A photo-like image: smooth colour fields with grain (it compresses as photos do, unlike flat colour
    or pure noise); a JPEG carries a camera's EXIF rotation (90 degrees), a transparent image an alpha ramp."""
    from PIL import Image, ImageChops

    rng = random.Random(len(path.name))
    fields = Image.new("RGB", (8, 6))
    fields.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(8 * 6)])
    grain = Image.merge("RGB", [Image.effect_noise(size, 12) for _ in range(3)])
    image = ImageChops.add(fields.resize(size, Image.Resampling.BICUBIC), grain, offset=-128)
    options: dict = {}
    if transparent:
        image.putalpha(Image.linear_gradient("L").resize(size))
    if image_format == "JPEG":
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: rotate 90 degrees, as phones write it
        options = {"quality": 90, "exif": exif}
    elif image_format == "WEBP":
        options = {"quality": 85}
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, image_format, **options)


def measure_upload(args) -> dict:
    setup_django()
    from attachments.services import attachments_delete

    user, booking_id = bench_owner()
    folder = Path(args.work_dir) / "inputs"
    source = folder / "big.txt"
    text_file_write(source, UPLOAD_MB)
    settle()
    copy = folder / "copy.txt"
    digests: list[str] = []
    uploads: list = []

    def upload() -> Callable[[], None]:
        uploads.append(uploaded(user, booking_id, source))
        return lambda: attachments_delete([uploads[-1]])

    def copyfile() -> Callable[[], None]:
        shutil.copyfile(source, copy)
        return copy.unlink

    def hashing_copy() -> Callable[[], None]:
        digest = hashlib.sha256()
        with source.open("rb") as reading, copy.open("wb") as writing:
            while chunk := reading.read(COPY_CHUNK_BYTES):
                digest.update(chunk)
                writing.write(chunk)
        digests.append(digest.hexdigest())
        return copy.unlink

    timings = interleaved_seconds(
        {"upload": upload, "copyfile": copyfile, "hashing_copy": hashing_copy}, runs=UPLOAD_RUNS
    )
    size = source.stat().st_size
    checksum_ok = all(row.size_bytes == size and row.checksum_sha256 == digests[0] for row in uploads)
    source.unlink()
    return {"bytes": size, "checksum_ok": checksum_ok, **{f"{key}_s": value for key, value in timings.items()}}


def measure_download(args) -> dict:
    setup_django()
    from django.urls import reverse

    from attachments.services import attachments_delete
    from attachments.storage import attachment_storage
    from attachments.views import STREAM_CHUNK_BYTES

    user, booking_id = bench_owner()
    _, client = logged_in_client()
    storage = attachment_storage()
    folder = Path(args.work_dir) / "inputs"
    results = {}
    for size_mb in DOWNLOAD_SIZES_MB:
        source = folder / f"download-{size_mb}.txt"
        text_file_write(source, size_mb)
        attachment = uploaded(user, booking_id, source)
        source.unlink()
        path = storage.path(attachment.file.name)
        url = reverse("attachments:download", args=[attachment.pk])
        size = attachment.size_bytes
        settle()

        def through_view(url=url, size=size) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            received = sum(len(chunk) for chunk in response.streaming_content)
            response.close()
            assert received == size, received

        def direct(path=path, size=size) -> None:
            received = 0
            with open(path, "rb") as stored:
                while chunk := stored.read(STREAM_CHUNK_BYTES):
                    received += len(chunk)
            assert received == size, received

        def one_byte(url=url) -> None:
            response = client.get(url, headers={"range": "bytes=0-0"})
            assert response.status_code == 206, response.status_code
            assert sum(len(chunk) for chunk in response.streaming_content) == 1
            response.close()

        # The one-byte request takes its turn with the others: under the same load, it is what the
        # download costs before its first chunk.
        samples = interleaved_samples({"view": through_view, "fixed": one_byte, "direct": direct}, runs=DOWNLOAD_RUNS)
        results[f"{size_mb} MB"] = {
            "bytes": size,
            "view_s": statistics.median(samples["view"]),
            "direct_s": statistics.median(samples["direct"]),
            "fixed_ms": statistics.median(samples["fixed"]) * 1000,
            # Paired turn by turn: a download less the one-byte request of the same turn.
            "streaming_s": statistics.median(map(operator.sub, samples["view"], samples["fixed"])),
            "rss_growth_mb": rss_growth_mb(through_view),
            "traced_peak_mb": traced_peak_mb(through_view),
        }
        attachments_delete([attachment])
    return results


WORKERS = {"thumbnails": measure_thumbnails, "upload": measure_upload, "download": measure_download}

if __name__ == "__main__":
    sys.exit(main())
