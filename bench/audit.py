"""Benchmark: what the audit trail costs writers, how fast it is sealed and verified, and its viewer at ~1M rows.

Since decision 0016 writers take no lock: each audit row carries the hash of its own content, and a sealer
covers committed rows with HMAC seals afterwards. Each part is measured against a baseline of the same run.

Writes (a scratch database ``<prefix>_writes``, bookings as the audited table), each against the same
operation with the table's capture triggers switched off (no audit rows: the bare write):

- a single ``save()`` of one changed field, each in a request context of its own (so the context is
  handed to the database every time, as in production);
- ``bulk_create`` of 1,000 bookings;
- ``QuerySet.update()`` of the same 1,000 bookings: their status (an indexed column, the typical bulk
  action), and their notes (unindexed, so PostgreSQL updates in place: the cheapest bare update).

Each audited run must also write exactly one audit row per changed row (stamped with its content hash;
rows are no longer chained on write). Targets: save <= 1.2x (1.3x with the hash chain), bulk_create and
update() <= 2x.

Concurrency (``<prefix>_writes``): booking updates per second with 1, 4 and 16 concurrent writers, audited
against bare; see ``audit_concurrency.py`` for the workload. Targets: 1 writer <= 1.2x, 16 writers <= 1.5x.
With the hash chain's lock (before decision 0016) it measured 1: 1.00x, 4: 3.66x, 16: 4.56x.

Sealing (``<prefix>_writes``): 100,000 new audit rows (bulk updates of bookings), then the time
``auditing.sealing.audit_rows_seal()`` takes to seal them all, against the time writing them took.
Verification (``<prefix>_1m``): with every row sealed, ``audit_chain_verify(full=True)`` over the whole
trail, against ``audit_chain_verify()`` (incremental: it seals, then checks the new seals only) after
10,000 new rows. Both verdicts must be ok.

Viewer (``<prefix>_10k`` and ``<prefix>_1m`` from ``manage.py seed_demo --scale 10 / 1000``, the same
databases as ``bench/changelists.py``; seeding ~1M rows takes minutes the first time): the first page of
``/staff/audit/`` (over the partitioned trail) unfiltered and with each filter, against the bare page query
(the same filtered, ordered queryset with its select_related, 51 rows materialized) and against the same
page at ~10k rows. Targets: page <= 10x its bare query and <= 1.2x the page at 10k.

Usage: python bench/audit.py [--runs 15] [--rounds 2] [--seconds 3] [--db-prefix bo_bench]
                             [--only writes|concurrency|sealing|viewer] [--strict]
(``--only sealing`` measures sealing and verification.) With ``--strict`` the exit status is 1 when a
target is missed or a verification fails.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from audit_concurrency import BOOKINGS_PER_WRITER, WRITER_COUNTS, measure_concurrency, print_concurrency
from databases import audit_last_id, capture_triggers_set, create_database_if_missing, with_database
from timing import WARM_UP_RUNS, median_ms

ROOT = Path(__file__).resolve().parent.parent
BULK_ROWS = 1_000
WRITE_ROUNDS = 5
TARGETS = {"save": 1.2, "bulk_create": 2.0, "update": 2.0, "update_hot": 2.0}
CONCURRENCY_ROUNDS = 3
SEAL_ROWS = 100_000
VERIFY_NEW_ROWS = 10_000
PARTS = ("writes", "concurrency", "sealing", "viewer")
MAX_PAGE_OVER_QUERY = 10.0
MAX_1M_OVER_10K = 1.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measurement (median is reported)")
    parser.add_argument("--rounds", type=int, default=2, help="measure each database this many times, alternating")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds each concurrent-writers run lasts")
    parser.add_argument("--db-prefix", default="bo_bench", help="databases are <prefix>_writes, _10k and _1m")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--only", choices=PARTS, help="measure one part only (sealing: sealing and verification)")
    parser.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        json.dump(WORKERS[args.worker](args), sys.stdout)
        return 0

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = [args.only] if args.only else PARTS
    met = True
    writes_url = with_database(server_url, f"{args.db_prefix}_writes")
    if "writes" in parts or "concurrency" in parts or "sealing" in parts:
        create_database_if_missing(writes_url)
        print(f"writes, concurrency and sealing: {writes_url}", file=sys.stderr)
    if "writes" in parts:
        met &= print_writes(best_of([run_worker(writes_url, "writes", args) for _ in range(args.rounds)]))
    if "concurrency" in parts:
        met &= print_concurrency(run_worker(writes_url, "concurrency", args))
    if "sealing" in parts:
        met &= print_sealing(run_worker(writes_url, "sealing", args))
        met &= measure_verification_at_1m(server_url, args)
    if "viewer" in parts:
        met &= measure_viewer_rounds(server_url, args)
    return 1 if args.strict and not met else 0


def measure_verification_at_1m(server_url: str, args) -> bool:
    url = with_database(server_url, f"{args.db_prefix}_1m")
    create_database_if_missing(url)
    print(f"verification: {url} (seeded with seed_demo --scale 1000 if empty)", file=sys.stderr)
    return print_verification(run_worker(url, "verification", args, scale=1000))


def measure_viewer_rounds(server_url: str, args) -> bool:
    viewer: dict[str, list[dict]] = {"10k": [], "1m": []}
    for round_number in range(1, args.rounds + 1):
        for label, scale in (("10k", 10), ("1m", 1000)):
            url = with_database(server_url, f"{args.db_prefix}_{label}")
            create_database_if_missing(url)
            print(f"round {round_number}: {url} (seeded with seed_demo --scale {scale} if empty)", file=sys.stderr)
            viewer[label].append(run_worker(url, "viewer", args, scale=scale))
    return print_viewer(best_of(viewer["10k"]), best_of(viewer["1m"]))


def run_worker(database_url: str, worker: str, args, *, scale: int = 0) -> dict:
    """Runs ``worker`` in a subprocess of its own against ``database_url``; returns the JSON it prints."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("DJANGO_DEBUG", None)  # DEBUG would record every query
    env["SYSTEM_LOG_TO_DATABASE"] = "false"
    command = [sys.executable, __file__, "--worker", worker, "--scale", str(scale)]
    command += ["--runs", str(args.runs), "--seconds", str(args.seconds)]
    completed = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=True)  # noqa: S603
    return json.loads(completed.stdout)


def best_of(rounds: list[dict]) -> dict:
    """The first round's results with every timing (``*_ms``) replaced by its lowest over the rounds."""
    best = json.loads(json.dumps(rounds[0]))
    for other in rounds[1:]:
        for name, measured in best.items():
            for key, value in measured.items():
                if key.endswith("_ms"):
                    measured[key] = min(value, other[name][key])
    return best


# Reports


def print_writes(results: dict) -> bool:
    print(f"{'write (bookings)':<34}{'bare':>10}{'audited':>10}{'ratio':>8}{'target':>8}  rows captured  verdict")
    met = True
    for name, measured in results.items():
        ratio = measured["audited_ms"] / measured["bare_ms"]
        ok = ratio <= TARGETS[name] and measured["captured"] == measured["expected"]
        met &= ok
        print(
            f"{measured['label']:<34}{ms(measured['bare_ms']):>10}{ms(measured['audited_ms']):>10}"
            f"{ratio:>7.2f}x{TARGETS[name]:>7.1f}x  {measured['captured']:>5}/{measured['expected']:<7}"
            f"{'ok' if ok else 'MISSED'}"
        )
    print()
    return met


def print_viewer(small: dict, large: dict) -> bool:
    print(
        f"{'audit viewer page':<26}{'rows':>9}{'page@10k':>10}{'page@1M':>10}{'query@1M':>10}"
        f"{'page/query':>12}{'1M/10k':>8}  verdict"
    )
    met = True
    for variant, page in large.items():
        over_query = page["page_ms"] / page["query_ms"]
        over_10k = page["page_ms"] / small[variant]["page_ms"]
        ok = over_query <= MAX_PAGE_OVER_QUERY and over_10k <= MAX_1M_OVER_10K
        met &= ok
        print(
            f"{variant:<26}{small[variant]['rows']:>4}/{page['rows']:<4}{ms(small[variant]['page_ms']):>10}{ms(page['page_ms']):>10}"
            f"{ms(page['query_ms']):>10}{over_query:>11.1f}x{over_10k:>7.2f}x  {'ok' if ok else 'MISSED'}"
        )
    print(
        f"\naudit rows: {large['first page']['table_rows']:,} at 1M, {small['first page']['table_rows']:,} at 10k;\n"
        "rows: on the page at 10k/1M; page: /staff/audit/ in-process as a superuser, median;\n"
        "query: its bare page query (the same filtered, ordered queryset with the actor joined, 51 rows)."
    )
    print(
        f"viewer targets: page <= {MAX_PAGE_OVER_QUERY:.0f}x its query and <= {MAX_1M_OVER_10K}x "
        f"the page at 10k: {'all met' if met else 'MISSED'}"
    )
    return met


def print_sealing(measured: dict) -> bool:
    """Prints how fast the sealer covers new rows, next to how fast the bulk updates wrote them."""
    waiting = measured["waiting_for"]
    ok = measured["rows"] == measured["written"] and not waiting
    print(f"{'sealing':<34}{'rows':>10}{'seals':>8}{'seconds':>10}{'rows/s':>10}")
    print(
        f"{'audit_rows_seal()':<34}{measured['rows']:>10,}{measured['seals']:>8}{measured['seconds']:>10.2f}"
        f"{measured['rows'] / measured['seconds']:>10,.0f}"
    )
    print(
        f"{'(writing them: bulk updates)':<34}{measured['written']:>10,}{'':>8}{measured['write_seconds']:>10.2f}"
        f"{measured['written'] / measured['write_seconds']:>10,.0f}"
    )
    print(
        f"Sealed first (not timed): {measured['backlog']:,} rows earlier parts and runs left, in "
        f"{measured['backlog_seconds']:.1f} s. Every new row sealed: {'ok' if ok else 'MISSED'}"
        f"{' (still waiting for transactions ' + ', '.join(waiting) + ')' if waiting else ''}\n"
    )
    return ok


def print_verification(measured: dict) -> bool:
    """Prints the full verification against the incremental one after new rows."""
    full, incremental = measured["full"], measured["incremental"]
    print(f"{'verification':<34}{'rows checked':>14}{'seals':>8}{'seconds':>10}  verdict")
    met = True
    for label, run in (
        ("audit_chain_verify(full=True)", full),
        (f"audit_chain_verify() (+{measured['written']:,} rows)", incremental),
    ):
        met &= run["ok"]
        print(
            f"{label:<34}{run['rows']:>14,}{run['seals']:>8}{run['seconds']:>10.2f}  "
            f"{'ok' if run['ok'] else 'FAILED: ' + run['problem']}"
        )
    print(
        f"full/incremental: {full['seconds'] / incremental['seconds']:.0f}x the time for "
        f"{full['rows'] / max(incremental['rows'], 1):.0f}x the rows; audit rows: {measured['table_rows']:,}.\n"
        f"Sealed first (not timed): {measured['backlog']:,} rows in {measured['backlog_seconds']:.1f} s; the "
        "incremental run includes sealing the new rows.\n"
    )
    return met


def ms(value: float) -> str:
    return f"{value:.2f}ms"


# Workers (run with DATABASE_URL pointing at the database to measure)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files here
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, stdout=sys.stderr)


def measure_writes(*, runs: int) -> dict:
    setup_django()
    from auditing.models import AuditLog
    from consultants.models import Booking, BookingStatus
    from core.request_context import RequestContext, bind

    template = booking_template()

    def new_rows() -> list:
        return [Booking(**template, notes=f"bench {n}") for n in range(BULK_ROWS)]

    single = Booking.objects.create(**template, notes="single")
    batch = Booking.objects.bulk_create(new_rows())
    batch_ids = [row.pk for row in batch]
    flip = iter(range(10**9))

    def save_once() -> None:
        # One request's worth: its own context (handed to the database), one changed field saved.
        with bind(RequestContext(ip_address="203.0.113.1", user_agent="bench")):
            single.notes = f"note {next(flip)}"
            single.save(update_fields=["notes", "updated_at"])

    def bulk_create_once() -> None:
        Booking.objects.bulk_create(new_rows())

    statuses = iter(itertools.cycle([BookingStatus.CONFIRMED, BookingStatus.PENDING]))

    def update_once() -> None:
        # The typical bulk action: moving a set of bookings to another status (an indexed column).
        Booking.objects.filter(pk__in=batch_ids).update(status=next(statuses))

    def update_notes_once() -> None:
        # The cheapest update there is: an unindexed column, so PostgreSQL rewrites rows in place (HOT).
        Booking.objects.filter(pk__in=batch_ids).update(notes=f"updated {next(flip)}")

    # (label, operation, audit rows per run, timed runs per round): cheap operations get more runs.
    operations = {
        "save": ("save() of one field", save_once, 1, runs * 4),
        "bulk_create": (f"bulk_create of {BULK_ROWS:,}", bulk_create_once, BULK_ROWS, runs),
        "update": (f"update() of {BULK_ROWS:,}: status", update_once, BULK_ROWS, runs),
        "update_hot": (f"update() of {BULK_ROWS:,}: notes (HOT)", update_notes_once, BULK_ROWS, runs),
    }
    results = {}
    for name, (label, operation, rows_per_run, timed_runs) in operations.items():
        # Bare and audited alternate, round after round, and each keeps its best median: a slow spell
        # of the machine (a checkpoint, another process) then cannot land on one side only.
        bare, audited, captured, expected = [], [], 0, 0
        for _ in range(WRITE_ROUNDS):
            bookings_capture(enabled=False)
            bare.append(median_ms(operation, runs=timed_runs))
            bookings_capture(enabled=True)
            first_id = audit_id()
            audited.append(median_ms(operation, runs=timed_runs))
            captured += AuditLog.objects.filter(pk__gt=first_id).count()
            expected += rows_per_run * (timed_runs + WARM_UP_RUNS)
        results[name] = {
            "label": label,
            "bare_ms": min(bare),
            "audited_ms": min(audited),
            "captured": captured,
            "expected": expected,
        }
    Booking.objects.filter(notes__startswith="bench").delete()  # keep the scratch table from growing
    return results


def booking_template() -> dict:
    """Field values of a valid booking, with the client, consultant and service it needs."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from consultants.models import Consultant, Service, ServiceCategory

    client, _ = User.objects.get_or_create(email="bench-client@example.com", defaults={"full_name": "Bench Client"})
    expert, _ = User.objects.get_or_create(email="bench-expert@example.com", defaults={"full_name": "Bench Expert"})
    consultant, _ = Consultant.objects.get_or_create(user=expert, defaults={"hourly_rate": Decimal("100.00")})
    category, _ = ServiceCategory.objects.get_or_create(name="Bench", defaults={"slug": "bench"})
    service, _ = Service.objects.get_or_create(
        consultant=consultant,
        title="Bench session",
        defaults={"category": category, "price": Decimal("120.00"), "duration_minutes": 60},
    )
    scheduled = timezone.now() + timedelta(days=7)
    return {"client": client, "consultant": consultant, "service": service, "scheduled_at": scheduled, "price": 120}


def bookings_capture(*, enabled: bool) -> None:
    """Switches audit capture of the bookings table on or off (off: the bare write)."""
    from django.db import connection

    with connection.cursor() as cursor:
        capture_triggers_set(cursor, table="consultants_booking", enabled=enabled)


def audit_id() -> int:
    """The last audit row id handed out: the rows written from now on have higher ones."""
    from django.db import connection

    with connection.cursor() as cursor:
        return audit_last_id(cursor)


def new_bookings(count: int, *, notes: str) -> list[int]:
    """Ids of ``count`` new bookings (of the bench client, consultant and service)."""
    from consultants.models import Booking

    template = booking_template()
    created = Booking.objects.bulk_create(Booking(**template, notes=f"{notes} {n}") for n in range(count))
    return [booking.pk for booking in created]


def bookings_notes_update(booking_ids: list[int], *, rows: int, label: str) -> None:
    """Writes ``rows`` audit rows: updates of the bookings' notes, all of them at a time, to new values."""
    from consultants.models import Booking

    assert rows % len(booking_ids) == 0, "rows must be a multiple of the bookings updated at a time"
    for n in range(rows // len(booking_ids)):
        Booking.objects.filter(pk__in=booking_ids).update(notes=f"{label} {n}")


def seed_if_empty(scale: int) -> None:
    """Seeds demo data at ``scale`` into an empty database (minutes at 1000, the first time only)."""
    from django.core.management import call_command

    from auditing.models import AuditLog

    if not AuditLog.objects.filter(actor__isnull=False).exists():
        call_command("seed_demo", scale=scale, stdout=sys.stderr)


def measure_concurrency_worker(*, seconds: float) -> dict:
    setup_django()
    from django.db import connections

    from consultants.models import Booking

    booking_ids = new_bookings(max(WRITER_COUNTS) * BOOKINGS_PER_WRITER, notes="concurrency")
    connections.close_all()  # the writers are forked: none may share this process's connection
    try:
        return measure_concurrency(
            database_url=os.environ["DATABASE_URL"],
            booking_ids=booking_ids,
            seconds=seconds,
            rounds=CONCURRENCY_ROUNDS,
        )
    finally:
        Booking.objects.filter(pk__in=booking_ids).delete()  # keep the scratch table from growing


def measure_sealing() -> dict:
    setup_django()
    import time

    from auditing.models import AuditLog
    from auditing.sealing import audit_rows_seal
    from consultants.models import Booking

    booking_ids = new_bookings(BULK_ROWS, notes="sealing")
    started = time.perf_counter()
    backlog = audit_rows_seal()  # what earlier parts and runs left unsealed: not part of the measure
    backlog_seconds = time.perf_counter() - started
    first_id = audit_id()
    started = time.perf_counter()
    bookings_notes_update(booking_ids, rows=SEAL_ROWS, label=f"sealing {first_id}")
    write_seconds = time.perf_counter() - started
    written = AuditLog.objects.filter(pk__gt=first_id).count()
    started = time.perf_counter()
    run = audit_rows_seal()
    seal_seconds = time.perf_counter() - started
    Booking.objects.filter(pk__in=booking_ids).delete()
    return {
        "backlog": backlog.rows,
        "backlog_seconds": backlog_seconds,
        "written": written,
        "write_seconds": write_seconds,
        "rows": run.rows,
        "seals": run.seals,
        "seconds": seal_seconds,
        "waiting_for": list(run.waiting_for),
    }


def measure_verification(*, scale: int) -> dict:
    setup_django()
    import time

    from auditing.chain import audit_chain_verify
    from auditing.models import AuditLog
    from auditing.sealing import audit_rows_seal
    from consultants.models import Booking

    seed_if_empty(scale)
    booking_ids = new_bookings(BULK_ROWS, notes="verification")
    started = time.perf_counter()
    backlog = audit_rows_seal()  # the whole seeded trail, the first time: not part of the measure
    backlog_seconds = time.perf_counter() - started

    def timed_verify(*, full: bool) -> dict:
        started = time.perf_counter()
        verdict = audit_chain_verify(full=full)
        return {
            "seconds": time.perf_counter() - started,
            "rows": verdict.rows,
            "seals": verdict.seals,
            "full": verdict.full,
            "ok": verdict.ok,
            "problem": verdict.problem,
        }

    full = timed_verify(full=True)
    first_id = audit_id()
    bookings_notes_update(booking_ids, rows=VERIFY_NEW_ROWS, label=f"verification {first_id}")
    written = AuditLog.objects.filter(pk__gt=first_id).count()
    incremental = timed_verify(full=False)
    Booking.objects.filter(pk__in=booking_ids).delete()
    return {
        "table_rows": AuditLog.objects.count(),
        "backlog": backlog.rows,
        "backlog_seconds": backlog_seconds,
        "written": written,
        "full": full,
        "incremental": incremental,
    }


def measure_viewer(*, scale: int, runs: int) -> dict:
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from auditing import selectors
    from auditing.filters import AuditLogFilter
    from auditing.models import AuditLog
    from core.keyset import PAGE_SIZE

    seed_if_empty(scale)
    add_bench_history()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE auditing_auditlog")
        cursor.execute("CHECKPOINT")  # flush now rather than in the middle of a measurement
    user, _ = User.objects.get_or_create(
        email="bench-admin@example.com",
        defaults={"full_name": "Benchmark admin", "is_staff": True, "is_superuser": True},
    )
    client = Client()
    client.force_login(user)
    url = reverse("auditing:audit_list")
    table_rows = AuditLog.objects.count()
    results = {}
    for variant, params in viewer_variants().items():
        filterset = AuditLogFilter(params or None, queryset=AuditLog.objects.all())
        assert not filterset.is_bound or filterset.is_valid(), filterset.errors
        queryset = selectors.audit_events(filterset.qs).order_by("-created_at", "-id")

        def bare_query(queryset=queryset) -> None:
            list(queryset[: PAGE_SIZE + 1])

        def open_page(params=params) -> None:
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        results[variant] = {
            "rows": len(queryset[:PAGE_SIZE]),
            "table_rows": table_rows,
            "page_ms": median_ms(open_page, runs=runs),
            "query_ms": median_ms(bare_query, runs=runs),
        }
    return results


# One entity and one address with a full page of events at both sizes, so that the 1M/10k ratio of
# those filters compares pages of the same length (the demo's busiest booking or address at 10k has
# a handful of events, at 1M dozens).
BENCH_ENTITY = ("consultants.booking", "900000001")
BENCH_IP = "100.64.0.250"  # outside the demo's address ranges


def add_bench_history() -> None:
    from auditing.models import AuditAction, AuditLog
    from auditing.services import audit_record
    from core.request_context import RequestContext, bind

    entity_type, entity_id = BENCH_ENTITY
    if AuditLog.objects.filter(entity_type=entity_type, entity_id=entity_id).exists():
        return
    with bind(RequestContext(ip_address=BENCH_IP, user_agent="bench")):
        for n in range(60):
            audit_record(
                action=AuditAction.UPDATE,
                entity_type=entity_type,
                entity_id=entity_id,
                changes={"notes": [f"v{n}", f"v{n + 1}"]},
            )


def viewer_variants() -> dict[str, dict]:
    """The first page, and one of each filter, on values both database sizes share."""
    from datetime import timedelta

    from django.utils import timezone

    from auditing.models import AuditLog

    # The first demo user exists at both sizes.
    actor = AuditLog.objects.filter(actor__isnull=False).order_by("actor_id").values_list("actor__email", flat=True)
    today = timezone.localdate()
    return {
        "first page": {},
        "action": {"action": "PAYMENT"},
        "entity type": {"entity_type": "consultants.booking"},
        "actor (e-mail)": {"actor": actor.first()},
        "entity type + id": {"entity_type": BENCH_ENTITY[0], "entity_id": BENCH_ENTITY[1]},
        "last 30 days": {"date_from": (today - timedelta(days=30)).isoformat(), "date_to": today.isoformat()},
        "IP address": {"ip_address": BENCH_IP},
    }


WORKERS = {
    "writes": lambda args: measure_writes(runs=args.runs),
    "concurrency": lambda args: measure_concurrency_worker(seconds=args.seconds),
    "sealing": lambda args: measure_sealing(),
    "verification": lambda args: measure_verification(scale=args.scale),
    "viewer": lambda args: measure_viewer(scale=args.scale, runs=args.runs),
}

if __name__ == "__main__":
    sys.exit(main())
