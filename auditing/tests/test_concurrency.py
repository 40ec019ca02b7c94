"""Audited writers never wait on each other: no lock shared between them, no deadlock the bare schema does
not have, and a sealer running beside them seals every row, late committers included."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from accounts.tests.factories import UserFactory
from auditing.chain import audit_chain_verify
from auditing.models import AuditAction, AuditLog, AuditSeal
from auditing.sealing import audit_rows_seal
from auditing.services import audit_record
from consultants.models import Booking
from consultants.tests.factories import BookingFactory, ServiceFactory
from core.request_context import RequestContext, bind
from core.testing import in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]
WAIT = 10  # seconds a step may take before the test calls it stuck


def capture(enabled: bool) -> None:
    verb = "ENABLE ALWAYS" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        for event in ("insert", "update", "delete"):
            cursor.execute(f"ALTER TABLE consultants_booking {verb} TRIGGER auditing_capture_{event}")


@pytest.fixture
def bookings():
    """Bookings of one client and service, to update (bookings: the issue's own measure of write throughput)."""
    service, client = ServiceFactory(), UserFactory()
    return BookingFactory.create_batch(48, service=service, consultant=service.consultant, client=client)


def crossing_updates(first: Booking, second: Booking, label: str) -> dict:
    """A updates ``first``, B updates ``second``, A then updates ``second`` (waiting for B), B commits.

    With a lock shared between audited writers, B would wait for A's lock while A waits for B's row:
    PostgreSQL would abort one of them with "deadlock detected". Without one, both commit.
    """
    a_has_first, b_has_second = threading.Event(), threading.Event()

    def transaction_a():
        with transaction.atomic():
            Booking.objects.filter(pk=first.pk).update(notes=f"{label} A")
            a_has_first.set()
            assert b_has_second.wait(WAIT)
            Booking.objects.filter(pk=second.pk).update(notes=f"{label} A")  # waits for B to commit

    def transaction_b():
        assert a_has_first.wait(WAIT)
        with transaction.atomic():
            Booking.objects.filter(pk=second.pk).update(notes=f"{label} B")
            b_has_second.set()

    a, a_outcome = in_thread(transaction_a)
    b, b_outcome = in_thread(transaction_b)
    a.join(WAIT * 2)
    b.join(WAIT * 2)
    return {"A": a_outcome.get("error"), "B": b_outcome.get("error")}


def test_crossing_updates_behave_as_they_do_without_capture(bookings):
    first, second = bookings[:2]
    capture(False)
    try:
        bare = crossing_updates(first, second, "bare")
    finally:
        capture(True)
    before = AuditLog.objects.count()

    audited = crossing_updates(first, second, "audited")

    assert bare == audited == {"A": None, "B": None}
    assert AuditLog.objects.count() - before == 3  # A's two updates and B's one, nobody aborted


def test_an_open_audited_transaction_does_not_hold_up_another_writer(bookings):
    # given a transaction that wrote audit rows and stays open
    held, other = bookings[:2]
    wrote, release = threading.Event(), threading.Event()

    def long_transaction():
        with transaction.atomic():
            Booking.objects.filter(pk=held.pk).update(notes="long")
            audit_record(action=AuditAction.PAYMENT, entity=held)
            wrote.set()
            assert release.wait(WAIT)

    holder, holder_outcome = in_thread(long_transaction)
    assert wrote.wait(WAIT)
    try:
        # when another writer writes captured rows and an event, it commits without waiting for it
        second, second_outcome = in_thread(
            lambda: (
                Booking.objects.filter(pk=other.pk).update(notes="not waiting"),
                audit_record(action=AuditAction.PAYMENT, entity=other),
            )
        )
        second.join(WAIT)
        assert not second.is_alive(), "the second writer waited for the first one's transaction"
        assert "error" not in second_outcome
    finally:
        release.set()
        holder.join(WAIT)
    assert "error" not in holder_outcome


def test_a_row_committed_after_later_ids_were_sealed_is_sealed_too(bookings):
    # given a transaction that drew an audit id and stays open
    booking = bookings[0]
    wrote, release = threading.Event(), threading.Event()

    def late_transaction():
        with transaction.atomic():
            audit_record(action=AuditAction.LOGIN, entity=booking)
            wrote.set()
            assert release.wait(WAIT)

    late, late_outcome = in_thread(late_transaction)
    assert wrote.wait(WAIT)
    # and later rows, committed
    later = audit_record(action=AuditAction.LOGOUT, entity=booking)

    # when the sealer runs while the early transaction is open, it seals nothing it could skip
    run = audit_rows_seal(wait_seconds=0.2)
    assert run.waiting_for and run.seals == 0
    # and once it has committed, everything is sealed and verifies
    release.set()
    late.join(WAIT)
    assert "error" not in late_outcome
    audit_rows_seal()
    early = AuditLog.objects.get(entity_type="consultants.booking", entity_id=str(booking.pk), action=AuditAction.LOGIN)
    assert early.pk < later.pk
    assert AuditSeal.objects.filter(first_id__lt=early.pk, last_id__gte=early.pk).exists()
    assert audit_chain_verify(full=True).ok


def test_forty_eight_concurrent_writers_and_a_sealer_leave_a_trail_that_verifies(bookings):
    writers, transactions = 48, 240
    people = [UserFactory() for _ in range(8)]
    done = threading.Event()

    def write(n: int) -> None:
        try:
            with bind(RequestContext(user=people[n % 8], request_id=f"writer-{n}")), transaction.atomic():
                booking = bookings[n % writers]
                Booking.objects.filter(pk=booking.pk).update(notes=f"writer {n}")  # a captured update
                Booking.objects.filter(pk=booking.pk).update(notes=f"writer {n} again")  # another
                audit_record(action=AuditAction.PAYMENT, entity=booking)  # and a recorded event
        finally:
            connections.close_all()

    def keep_sealing() -> int:
        seals = 0
        while not done.is_set():
            seals += audit_rows_seal(wait_seconds=0.5).seals
        return seals

    before = AuditLog.objects.count()
    sealer, sealer_outcome = in_thread(keep_sealing)
    # PostgreSQL here allows 100 connections: 240 writer transactions from 48 concurrent sessions.
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(write, range(transactions)))
    done.set()
    sealer.join(WAIT * 3)

    assert "error" not in sealer_outcome and sealer_outcome["result"] > 0
    verdict = audit_chain_verify(full=True)
    assert verdict.ok, verdict.problem
    assert AuditLog.objects.count() - before == 3 * transactions
    assert verdict.unsealed_rows == 0 and verdict.head_id == AuditLog.objects.latest("id").pk
