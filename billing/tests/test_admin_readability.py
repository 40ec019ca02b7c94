"""Money in the billing admin reads with its currency: "525.00 EUR"."""

from decimal import Decimal

import pytest

from billing.models import Payment, Refund, ServiceCommission
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceCommissionFactory, refund_processed
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
    # 9: a first page also counts the reader's unread notifications for the header's bell (then cached).
    with django_assert_max_num_queries(9):
        admin_client.get(admin_url(Payment, "changelist"))


def test_yen_read_without_decimals(admin_client):
    PaymentFactory(
        currency="JPY", amount=Decimal("5000"), platform_fee=Decimal("750"), consultant_amount=Decimal("4250")
    )
    assert "5,000 JPY" in admin_client.get(admin_url(Payment, "changelist")).content.decode()


def test_a_processed_refund_reads_what_it_reversed_in_the_payments_currency(admin_client):
    refund = refund_processed(payment=PaymentFactory(currency="EUR"), amount=Decimal("40.00"))
    page = admin_client.get(admin_url(Refund, "change", refund.pk)).content.decode()
    assert "6.00 EUR of the platform fee, 34.00 EUR of the consultant&#x27;s share" in page


def test_the_refunds_list_costs_the_same_queries_for_one_row_or_twenty(admin_client, django_assert_max_num_queries):
    RefundFactory.create_batch(10)
    RefundFactory.create_batch(10, approved=True)
    # 9: a first page also counts the reader's unread notifications for the header's bell (then cached).
    with django_assert_max_num_queries(9):
        admin_client.get(admin_url(Refund, "changelist"))
