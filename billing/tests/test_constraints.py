"""Money rules the database enforces on its own."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import Payment, PaymentStatus, Refund, RefundStatus, ServiceCommission
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceCommissionFactory
from consultants.tests.factories import BookingFactory, ServiceFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_commission_is_for_a_service_or_a_category_never_both():
    service = ServiceFactory()
    assert_rejected(
        lambda: ServiceCommission.objects.create(
            service=service, category=service.category, rate_percent=Decimal("10"), effective_from=date(2026, 1, 1)
        )
    )


@pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("100.01")])
def test_commission_rate_lies_between_0_and_100(rate):
    assert_rejected(lambda: ServiceCommission.objects.create(rate_percent=rate, effective_from=date(2026, 1, 1)))


@pytest.mark.parametrize("rate", [Decimal("0"), Decimal("100")])
def test_commission_rate_bounds_are_inclusive(rate):
    assert ServiceCommissionFactory(rate_percent=rate).pk


def test_commission_period_cannot_end_before_it_starts():
    assert_rejected(
        lambda: ServiceCommission.objects.create(
            rate_percent=Decimal("10"), effective_from=date(2026, 2, 1), effective_to=date(2026, 1, 31)
        )
    )


@pytest.mark.parametrize(
    "amount, fee, share",
    [
        (Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),  # nothing paid is no payment
        (Decimal("-10.00"), Decimal("0.00"), Decimal("-10.00")),  # negative amount
        (Decimal("100.00"), Decimal("-5.00"), Decimal("105.00")),  # negative fee
        (Decimal("100.00"), Decimal("15.00"), Decimal("80.00")),  # the split loses 5.00
    ],
)
def test_payment_amounts_are_positive_and_the_split_adds_up(amount, fee, share):
    booking = BookingFactory()
    assert_rejected(
        lambda: Payment.objects.create(
            booking=booking, payer=booking.client, amount=amount, platform_fee=fee, consultant_amount=share
        )
    )


def test_payment_status_must_be_known():
    assert_rejected(lambda: PaymentFactory(status="STOLEN"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_refund_amount_is_positive(amount):
    payment = PaymentFactory()
    assert_rejected(lambda: Refund.objects.create(payment=payment, amount=amount, reason="No"))


def test_refund_status_must_be_known():
    payment = PaymentFactory()
    assert_rejected(lambda: Refund.objects.create(payment=payment, amount=Decimal("1"), reason="x", status="LOST"))


# What a payment says about its refunds, and a refund about its workflow


@pytest.mark.parametrize(
    "fields",
    [
        {"refunded_amount": Decimal("100.01"), "platform_fee_refunded": Decimal("15.00")},  # more than paid
        {"refunded_amount": Decimal("20.00"), "platform_fee_refunded": Decimal("15.01")},  # more fee than charged
        {"refunded_amount": Decimal("5.00"), "platform_fee_refunded": Decimal("6.00")},  # fee part above the refund
        {"refunded_amount": Decimal("90.00"), "platform_fee_refunded": Decimal("4.00")},  # share part above the share
        {"refunded_amount": Decimal("-1.00")},
    ],
    ids=["above amount", "above fee", "fee above refunded", "share above share", "negative"],
)
def test_a_payments_refunded_totals_stay_within_what_was_paid(fields):
    assert_rejected(lambda: PaymentFactory(status=PaymentStatus.PARTIALLY_REFUNDED, **fields))


@pytest.mark.parametrize(
    ("status", "refunded", "fee_refunded"),
    [
        (PaymentStatus.REFUNDED, Decimal("0"), Decimal("0")),  # refunded, with nothing returned
        (PaymentStatus.REFUNDED, Decimal("50.00"), Decimal("7.50")),  # refunded, half returned
        (PaymentStatus.PARTIALLY_REFUNDED, Decimal("0"), Decimal("0")),
        (PaymentStatus.PARTIALLY_REFUNDED, Decimal("100.00"), Decimal("15.00")),  # all of it returned
        (PaymentStatus.SUCCEEDED, Decimal("10.00"), Decimal("1.50")),  # money returned, status unmoved
    ],
)
def test_a_payments_status_follows_what_its_refunds_returned(status, refunded, fee_refunded):
    assert_rejected(lambda: PaymentFactory(status=status, refunded_amount=refunded, platform_fee_refunded=fee_refunded))


@pytest.mark.parametrize(
    ("status", "refunded", "fee_refunded"),
    [
        (PaymentStatus.SUCCEEDED, Decimal("0"), Decimal("0")),
        (PaymentStatus.PARTIALLY_REFUNDED, Decimal("40.00"), Decimal("6.00")),
        (PaymentStatus.REFUNDED, Decimal("100.00"), Decimal("15.00")),
    ],
)
def test_a_payment_whose_status_and_totals_agree_is_taken(status, refunded, fee_refunded):
    assert PaymentFactory(status=status, refunded_amount=refunded, platform_fee_refunded=fee_refunded).pk


def test_a_provider_reference_is_recorded_once_and_blank_ones_are_not_compared():
    PaymentFactory(provider_reference="pi_once")
    PaymentFactory(provider_reference="")
    PaymentFactory(provider_reference="")

    assert_rejected(lambda: PaymentFactory(provider_reference="pi_once"))


@pytest.mark.parametrize(
    "fields",
    [
        {"status": RefundStatus.APPROVED},  # decided, but when?
        {"status": RefundStatus.REJECTED, "decided_at": NOW},  # rejected without a reason
        {"status": RefundStatus.PROCESSED, "decided_at": NOW},  # processed without its parts
        {  # processed, parts that do not add up
            "status": RefundStatus.PROCESSED,
            "decided_at": NOW,
            "processed_at": NOW,
            "platform_fee_reversed": Decimal("1.00"),
            "consultant_amount_reversed": Decimal("8.00"),
        },
        {  # processed, a negative part
            "status": RefundStatus.PROCESSED,
            "decided_at": NOW,
            "processed_at": NOW,
            "platform_fee_reversed": Decimal("-1.00"),
            "consultant_amount_reversed": Decimal("11.00"),
        },
        {"processed_at": NOW},  # requested, yet processed at some moment
        {"status": RefundStatus.APPROVED, "decided_at": NOW, "platform_fee_reversed": Decimal("1.50")},
    ],
    ids=[
        "approved undated",
        "rejected unexplained",
        "processed without parts",
        "parts not adding up",
        "negative part",
        "requested with processing date",
        "approved with a reversal",
    ],
)
def test_a_refunds_stamps_follow_its_status(fields):
    payment = PaymentFactory()
    assert_rejected(lambda: Refund.objects.create(payment=payment, amount=Decimal("10.00"), reason="Late", **fields))


def test_a_refund_with_consistent_stamps_is_taken():
    payment = PaymentFactory()
    Refund.objects.create(
        payment=payment,
        amount=Decimal("10.00"),
        reason="Late",
        status=RefundStatus.PROCESSED,
        decided_at=NOW,
        processed_at=NOW,
        platform_fee_reversed=Decimal("1.50"),
        consultant_amount_reversed=Decimal("8.50"),
    )
    assert RefundFactory(rejected=True).pk and RefundFactory(approved=True).pk
