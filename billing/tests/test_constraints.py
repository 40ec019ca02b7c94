"""Money rules the database enforces on its own."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Payment, Refund, ServiceCommission
from billing.tests.factories import PaymentFactory, ServiceCommissionFactory
from consultants.tests.factories import BookingFactory, ServiceFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


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
