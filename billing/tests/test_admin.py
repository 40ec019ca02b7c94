"""Refunds in the admin: who asked is the signed-in user, unless they may act for others."""

import pytest

from accounts.rbac_catalog import ACT_FOR_USER
from accounts.tests.factories import UserFactory, staff_holding
from billing.models import Refund
from billing.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

FINANCE = ("billing.view_refund", "billing.add_refund", "billing.view_payment", "billing.change_payment")


def refund_form(payment, requester):
    return {
        "payment": payment.pk,
        "amount": "5.00",
        "reason": "Late start",
        "status": "REQUESTED",
        "requested_by": requester.pk,
    }


def test_a_refund_added_without_the_permission_is_requested_by_whoever_adds_it(client):
    # given finance staff who may not act for others, and someone else to blame
    staff, victim, payment = staff_holding(*FINANCE), UserFactory(), PaymentFactory()
    client.force_login(staff)

    # when they add a refund naming the other person as its requester
    response = client.post("/admin/billing/refund/add/", refund_form(payment, victim))

    # then the refund is theirs
    assert response.status_code == 302
    assert Refund.objects.get(payment=payment).requested_by == staff


def test_a_holder_of_the_permission_records_a_refund_for_someone_else(client):
    staff = staff_holding(*FINANCE, ACT_FOR_USER.codename)
    victim, payment = UserFactory(), PaymentFactory()
    client.force_login(staff)

    client.post("/admin/billing/refund/add/", refund_form(payment, victim))

    assert Refund.objects.get(payment=payment).requested_by == victim


def test_a_refund_added_on_the_payment_page_is_requested_by_whoever_adds_it(client):
    staff, victim, payment = staff_holding(*FINANCE), UserFactory(), PaymentFactory()
    client.force_login(staff)
    page = client.get(f"/admin/billing/payment/{payment.pk}/change/")
    assert 'name="refunds-0-requested_by"' not in page.content.decode()

    data = {
        "booking": payment.booking_id,
        "payer": payment.payer_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "platform_fee": payment.platform_fee,
        "consultant_amount": payment.consultant_amount,
        "provider_reference": payment.provider_reference or "",
        "paid_at_0": f"{payment.paid_at:%Y-%m-%d}",
        "paid_at_1": f"{payment.paid_at:%H:%M:%S}",
        "refunds-TOTAL_FORMS": "1",
        "refunds-INITIAL_FORMS": "0",
        "refunds-0-amount": "5.00",
        "refunds-0-reason": "Late start",
        "refunds-0-status": "REQUESTED",
        "refunds-0-requested_by": victim.pk,
    }
    response = client.post(f"/admin/billing/payment/{payment.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Refund.objects.get(payment=payment).requested_by == staff
