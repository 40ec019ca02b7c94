"""What a payment and a rule are given when nobody says otherwise, and how a rule reads."""

from decimal import Decimal

import pytest
from django.db import connection

from billing.models import Payment
from billing.tests.factories import ServiceCommissionFactory
from consultants.tests.factories import BookingFactory, ServiceFactory

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


def test_a_new_payment_has_nothing_refunded_and_names_no_rule():
    booking = BookingFactory()
    payment = Payment.objects.create(
        booking=booking,
        payer=booking.client,
        amount=Decimal("100.00"),
        platform_fee=Decimal("15.00"),
        consultant_amount=Decimal("85.00"),
    )

    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.platform_fee_refunded) == (Decimal("0"), Decimal("0"))
    assert (payment.commission_rule, payment.commission_rate_percent) == (None, None)


def test_rows_inserted_without_the_refunded_totals_get_zero_from_the_database():
    # given a writer that knows nothing of the refunded totals (an older release during a deploy)
    booking = BookingFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_payment (booking_id, payer_id, amount, currency, status, platform_fee, "
            "consultant_amount, provider_reference, created_at, updated_at) "
            "VALUES (%s, %s, 10, 'USD', 'SUCCEEDED', 1.5, 8.5, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) "
            "RETURNING id",
            [booking.pk, booking.client_id],
        )
        (payment_id,) = cursor.fetchone()

    # then the row is whole
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.refunded_amount, payment.platform_fee_refunded) == (Decimal("0"), Decimal("0"))


def test_a_rule_says_what_it_applies_to():
    service = ServiceFactory(title="Tax review")
    assert str(ServiceCommissionFactory(rate_percent=Decimal("12.50"))) == "12.50% · platform default"
    assert ServiceCommissionFactory.build(service=service).scope_label == "service: Tax review"
    assert ServiceCommissionFactory.build(category=service.category).scope_label == f"category: {service.category}"
