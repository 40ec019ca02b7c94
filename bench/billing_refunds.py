"""Benchmark: refund requests with 1, 4 and 16 concurrent writers, and what the payment's row lock costs.

``billing.services.refund_request`` locks the payment's row (``SELECT ... FOR UPDATE``) while it checks
that the refunds never exceed the payment (decision 0021). Writers on different payments never wait for
each other; writers on the same payment queue on its row. This measures both:

- "own payments": each writer asks for refunds on payments no other writer touches;
- "one payment": every writer asks for refunds on the same payment;

each against the bare write: the same refund rows inserted by ``Refund.objects.create`` with no lock, no
check and no audit event, by the same number of writers. Each writer is a process with its own Django and
its own connection, released together at a barrier, running for a fixed time; the two sides alternate
round after round and each keeps its best throughput.

What it shows: bare/ours per writer count is what the service's checks cost a request (its permission
check, the locked read of the payment, the sum of its refunds, the audit event: several statements against
one insert). Whether writers wait for each other shows in how throughput grows from 1 to 16 writers.
While writers run, their sessions are sampled (``pg_stat_activity``): "lock waits" is the share of busy
writers waiting for a lock. Target: writers on their own payments wait for a lock in at most 5% of samples
(the row lock makes no one wait for anyone else). On one payment, writers queue by design (money on one
payment is decided one request at a time): printed, not judged. On a machine with few cores, throughput
stops growing when the cores are busy, sooner for ours (more work per request) than for bare.

Data: the database ``<prefix>_refunds`` on the server of ``DATABASE_URL``, created, migrated and given
payments of 1,000,000.00 each (refunds of 0.01 never exhaust them) on each run.

Usage: python bench/billing_refunds.py [--seconds 3] [--rounds 3] [--db-prefix bo_bench] [--strict]
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

from databases import create_database_if_missing, with_database

ROOT = Path(__file__).resolve().parent.parent
WRITER_COUNTS = (1, 4, 16)
MODES = ("own payments", "one payment")
# Enough payments per writer that each gets a handful of refunds in a run, as real payments do.
PAYMENTS_PER_WRITER = 300
WRITER_NAME = "bench refund writer"  # the writers' application_name, by which their sessions are sampled
SAMPLE_SECONDS = 0.02
WRITER_WAITS = (
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FROM pg_stat_activity "
    "WHERE application_name = %s AND state = 'active'"
)
MAX_LOCK_WAITS = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each run's writers write")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measurement; best kept")
    parser.add_argument("--db-prefix", default="bo_bench", help="the database is <prefix>_refunds")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args()

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database_url = with_database(server_url, f"{args.db_prefix}_refunds")
    create_database_if_missing(database_url)
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings.base")
    sys.path.insert(0, str(ROOT))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)  # noqa: S603
    subprocess.run([sys.executable, "manage.py", "seed_rbac", "-v0"], cwd=ROOT, check=True)  # noqa: S603

    import django

    django.setup()
    requester_id, payment_ids = _payments(max(WRITER_COUNTS) * PAYMENTS_PER_WRITER)
    from django.db import connections

    connections.close_all()

    best: dict[tuple[str, int, str], float] = {}
    lock_waits: dict[tuple[str, int, str], float] = {}
    for round_number in range(args.rounds):
        print(f"round {round_number + 1} of {args.rounds}", file=sys.stderr)
        for mode in MODES:
            for writers in WRITER_COUNTS:
                sides = ("bare", "ours") if round_number % 2 == 0 else ("ours", "bare")
                for side in sides:
                    rate, waits = _run(side, mode, writers, requester_id, payment_ids, args.seconds)
                    key = (mode, writers, side)
                    if rate > best.get(key, 0.0):
                        best[key], lock_waits[key] = rate, waits
    return _report(best, lock_waits, strict=args.strict)


def _payments(count: int) -> tuple[int, list[int]]:
    """A requester who may ask for refunds, and ``count`` fresh payments of 1,000,000.00 USD, written in bulk
    (set-up, not measured) with the split ``payment_record`` would give them."""
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from billing.models import Payment, PaymentStatus
    from billing.money import payment_split
    from consultants.models import Booking, Consultant, Service, ServiceCategory

    requester, _ = User.objects.get_or_create(
        email="bench.refunds@example.com",
        defaults={"is_staff": True, "is_superuser": True, "full_name": "Bench Refunds"},
    )
    client, _ = User.objects.get_or_create(email="bench.client@example.com", defaults={"full_name": "Bench Client"})
    adviser, _ = User.objects.get_or_create(email="bench.adviser@example.com", defaults={"full_name": "Bench Adviser"})
    consultant, _ = Consultant.objects.get_or_create(user=adviser, defaults={"hourly_rate": Decimal("100.00")})
    category, _ = ServiceCategory.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    service, _ = Service.objects.get_or_create(
        consultant=consultant, title="Bench session", defaults={"category": category, "price": Decimal("100.00")}
    )
    now, amount = timezone.now(), Decimal("1000000.00")
    split = payment_split(amount=amount, rate_percent=Decimal("15.00"), currency="USD")
    bookings = Booking.objects.bulk_create(
        Booking(client=client, consultant=consultant, service=service, scheduled_at=now, price=service.price)
        for _ in range(count)
    )
    stamp = time.time_ns()
    payments = Payment.objects.bulk_create(
        Payment(
            booking=booking,
            payer=client,
            amount=amount,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
            platform_fee=split.platform_fee,
            consultant_amount=split.consultant_amount,
            commission_rate_percent=Decimal("15.00"),
            provider_reference=f"bench-{stamp}-{number}",
            paid_at=now,
        )
        for number, booking in enumerate(bookings)
    )
    return requester.pk, [payment.pk for payment in payments]


def _run(
    side: str, mode: str, writers: int, requester_id: int, payment_ids: list[int], seconds: float
) -> tuple[float, float]:
    """Refunds per second written by ``writers`` processes in ``seconds``, and the share of sampled busy
    writer sessions that were waiting for a lock."""
    import psycopg

    context = multiprocessing.get_context("fork")
    barrier, counts = context.Barrier(writers + 1), context.Queue()
    processes = []
    for writer in range(writers):
        own = payment_ids[writer * PAYMENTS_PER_WRITER : (writer + 1) * PAYMENTS_PER_WRITER]
        targets = own if mode == "own payments" else payment_ids[:1]
        process = context.Process(target=_writer, args=(side, targets, requester_id, seconds, barrier, counts))
        process.start()
        processes.append(process)
    waiting = busy = 0
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as sampler:
        barrier.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            locked, active = sampler.execute(WRITER_WAITS, [WRITER_NAME]).fetchone() or (0, 0)
            waiting, busy = waiting + locked, busy + active
            time.sleep(SAMPLE_SECONDS)
    total = sum(counts.get() for _ in processes)
    for process in processes:
        process.join()
    return total / seconds, waiting / busy if busy else 0.0


def _writer(side, payment_ids, requester_id, seconds, barrier, counts) -> None:
    from decimal import Decimal

    from django.db import connections

    connections.close_all()  # a connection of its own, not the parent's
    from accounts.models import User
    from billing.models import Payment, Refund
    from billing.services import refund_request

    with connections["default"].cursor() as cursor:
        cursor.execute("SET application_name = %s", [WRITER_NAME])
    requester = User.objects.get(pk=requester_id)
    payments = list(Payment.objects.filter(pk__in=payment_ids))
    amount = Decimal("0.01")
    barrier.wait()
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        payment = payments[done % len(payments)]
        if side == "ours":
            refund_request(payment=payment, amount=amount, reason="Bench", requested_by=requester)
        else:
            Refund.objects.create(payment=payment, amount=amount, reason="Bench", requested_by=requester)
        done += 1
    connections.close_all()
    counts.put(done)


def _report(
    best: dict[tuple[str, int, str], float], lock_waits: dict[tuple[str, int, str], float], *, strict: bool
) -> int:
    print(f"\n{'mode':<14}{'writers':>8}{'bare/s':>10}{'ours/s':>10}{'bare/ours':>11}{'lock waits':>12}  verdict")
    missed = 0
    for mode in MODES:
        for writers in WRITER_COUNTS:
            bare, ours = best[mode, writers, "bare"], best[mode, writers, "ours"]
            waits = lock_waits[mode, writers, "ours"]
            if mode == "own payments":
                verdict = "ok" if waits <= MAX_LOCK_WAITS else "MISSED"
                missed += verdict == "MISSED"
            else:
                verdict = "(queue on the payment's row by design)"
            print(f"{mode:<14}{writers:>8}{bare:>10.0f}{ours:>10.0f}{bare / ours:>10.2f}x{waits:>11.0%}  {verdict}")
    for mode in MODES:
        bare_growth = best[mode, 16, "bare"] / best[mode, 1, "bare"]
        ours_growth = best[mode, 16, "ours"] / best[mode, 1, "ours"]
        print(f"{mode}: from 1 to 16 writers, bare grows {bare_growth:.2f}x, ours {ours_growth:.2f}x")
    print(
        "bare/ours: what the service's checks cost a request (permission, locked read of the payment, sum of its "
        "refunds, audit event) against one insert; lock waits: share of sampled busy writer sessions waiting for "
        "a lock"
    )
    print(f"target: on their own payments, writers wait for a lock in <= {MAX_LOCK_WAITS:.0%} of samples")
    print("verdict: " + ("target met" if not missed else "MISSED"))
    return 1 if strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
