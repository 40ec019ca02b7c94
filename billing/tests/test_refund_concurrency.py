"""Money rules hold when staff act at the same moment: each call from its own database connection (a
thread each, released together by a barrier), committed for real (``transactional_db``)."""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from accounts.rbac_catalog import ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND
from accounts.tests.factories import fresh, staff_holding
from auditing.models import AuditAction, AuditLog
from billing.models import Payment, PaymentStatus, Refund, RefundStatus
from billing.services import payment_record, refund_approve, refund_process, refund_request
from billing.tests.factories import PaymentFactory
from consultants.tests.factories import BookingFactory

pytestmark = [pytest.mark.usefixtures("transactional_db", "require_postgres")]


@dataclass
class Outcome:
    value: object = None
    refusal: ValidationError | None = None
    error: BaseException | None = None


def together(calls: Sequence[Callable[[], object]]) -> list[Outcome]:
    """Runs each call in a thread of its own (so on a connection of its own), all released at once, and
    returns what each returned or raised, in the order given."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(outcome: Outcome, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            outcome.value = call()
        except ValidationError as refusal:
            outcome.refusal = refusal
        except BaseException as error:  # noqa: BLE001 - reported by the test, not lost in the thread
            outcome.error = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(o, c)) for o, c in zip(outcomes, calls, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a call never finished (a deadlock?)"
    assert [o.error for o in outcomes if o.error] == []
    return outcomes


def test_refunds_asked_for_at_once_never_add_up_to_more_than_the_payment():
    # given a payment of 100.00, and 20 requests from 5.00 to 11.00 (160.00 in all) from 20 people
    payment = PaymentFactory()
    amounts = [Decimal(5 + i % 7) for i in range(20)]
    requesters = [staff_holding(ADD_REFUND) for _ in amounts]

    # when they are all asked for at the same moment
    outcomes = together(
        [
            partial(refund_request, payment=payment, amount=amount, reason="Late", requested_by=who)
            for amount, who in zip(amounts, requesters, strict=True)
        ]
    )

    # then what was taken fits in the payment, and each refused call was refused for lack of room
    held = Refund.objects.filter(payment=payment).exclude(status=RefundStatus.REJECTED)
    total = held.aggregate(total=Sum("amount"))["total"]
    left = payment.amount - total
    taken = [o for o in outcomes if o.refusal is None]
    refused = [(amount, o.refusal) for amount, o in zip(amounts, outcomes, strict=True) if o.refusal is not None]
    assert total <= payment.amount
    assert held.count() == len(taken) and refused
    for amount, refusal in refused:
        assert refusal.code == "above_remaining" and amount > left


def test_two_approvers_at_once_approve_a_refund_once():
    # given a requested refund and two people who may approve it
    requester = staff_holding(ADD_REFUND)
    refund = refund_request(payment=PaymentFactory(), amount="30", reason="Late", requested_by=requester)
    approvers = [staff_holding(APPROVE_REFUND), staff_holding(APPROVE_REFUND)]

    # when both approve it at the same moment
    outcomes = together([partial(refund_approve, refund=refund, approved_by=who) for who in approvers])

    # then exactly one approval went through, recorded once; the other was told it was already decided
    winners = [who for who, o in zip(approvers, outcomes, strict=True) if o.refusal is None]
    assert len(winners) == 1
    assert [o.refusal.code for o in outcomes if o.refusal is not None] == ["already_decided"]
    refund.refresh_from_db()
    assert (refund.status, refund.decided_by) == (RefundStatus.APPROVED, winners[0])
    approvals = AuditLog.objects.filter(action=AuditAction.REFUND, entity_id=str(refund.pk))
    assert sum(event.changes["status"][1] == RefundStatus.APPROVED for event in approvals) == 1


def test_a_provider_callback_delivered_many_times_at_once_records_one_payment():
    # given a booking, and its payment's callback arriving eight times at once
    booking = BookingFactory()

    outcomes = together(
        [
            lambda: payment_record(
                booking=booking, amount="120.00", currency="EUR", provider_reference="pi_race", paid_by=booking.client
            )
            for _ in range(8)
        ]
    )

    # then there is one payment, every call was answered with it, and it was audited once
    payment = Payment.objects.get(provider_reference="pi_race")
    assert Payment.objects.count() == 1
    assert {o.value.pk for o in outcomes} == {payment.pk}  # type: ignore[attr-defined]
    assert AuditLog.objects.filter(action=AuditAction.PAYMENT, entity_id=str(payment.pk)).count() == 1


def test_processing_and_asking_at_once_keep_the_payments_totals_exact():
    # given a payment with four approved refunds of 10.00, and people asking for 15.00 more each
    payment = PaymentFactory()
    requester, approver = staff_holding(ADD_REFUND), staff_holding(APPROVE_REFUND)
    approved = [
        refund_approve(
            refund=refund_request(payment=payment, amount="10", reason="Late", requested_by=requester),
            approved_by=approver,
        )
        for _ in range(4)
    ]
    processors = [staff_holding(PROCESS_REFUND) for _ in approved]
    askers = [fresh(requester) for _ in range(6)]

    # when the four are processed while six more refunds are asked for
    processing = [partial(refund_process, refund=r, processed_by=p) for r, p in zip(approved, processors, strict=True)]
    asking = [partial(refund_request, payment=payment, amount="15", reason="Late", requested_by=who) for who in askers]
    outcomes = together(processing + asking)

    # then every processing went through, four of the six requests fit (40 + 60 = 100), and the payment's
    # totals are exactly its processed refunds
    assert all(o.refusal is None for o in outcomes[:4])
    assert sum(o.refusal is None for o in outcomes[4:]) == 4
    payment.refresh_from_db()
    processed = Refund.objects.filter(payment=payment, status=RefundStatus.PROCESSED)
    assert payment.refunded_amount == processed.aggregate(total=Sum("amount"))["total"] == Decimal("40.00")
    assert payment.platform_fee_refunded == processed.aggregate(total=Sum("platform_fee_reversed"))["total"]
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
