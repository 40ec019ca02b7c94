"""Money in the billing admin reads with its currency: "525.00 EUR"."""

from decimal import Decimal

import pytest

from billing.models import Payment, Refund, ServiceCommission
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceCommissionFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def test_payments_show_amounts_with_their_own_currency(admin_client):
    # given
    payment = PaymentFactory(
        amount=Decimal("525.00"), platform_fee=Decimal("78.75"), consultant_amount=Decimal("446.25"), currency="EUR"
    )
    # when / then: in the list, and the split on the payment's page
    assert "525.00 EUR" in admin_client.get(admin_url(Payment, "changelist")).content.decode()
    page = admin_client.get(admin_url(Payment, "change", payment.pk)).content.decode()
    assert "78.75 EUR platform fee, 446.25 EUR to the consultant" in page


def test_refunds_show_the_payments_currency(admin_client):
    RefundFactory(payment=PaymentFactory(currency="GBP"), amount=Decimal("12.50"))
    assert "12.50 GBP" in admin_client.get(admin_url(Refund, "changelist")).content.decode()


def test_commission_rates_read_as_percentages(admin_client):
    ServiceCommissionFactory(rate_percent=Decimal("12.50"))
    assert "12.5 %" in admin_client.get(admin_url(ServiceCommission, "changelist")).content.decode()


def test_the_payments_list_costs_the_same_queries_for_one_row_or_twenty(admin_client, django_assert_max_num_queries):
    PaymentFactory.create_batch(20)
    with django_assert_max_num_queries(8):
        admin_client.get(admin_url(Payment, "changelist"))
