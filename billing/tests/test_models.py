"""What a payment is given when nobody says otherwise."""

from decimal import Decimal

import pytest

from billing.models import Payment
from consultants.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_a_payment_recorded_without_a_currency_is_in_the_platform_currency(settings):
    # given a platform that bills in euros
    settings.DEFAULT_CURRENCY = "EUR"
    booking = BookingFactory()

    # when a payment for a booking is recorded without naming its currency
    payment = Payment.objects.create(
        booking=booking,
        payer=booking.client,
        amount=Decimal("100.00"),
        platform_fee=Decimal("15.00"),
        consultant_amount=Decimal("85.00"),
    )

    # then it is in euros
    payment.refresh_from_db()
    assert payment.currency == "EUR"
