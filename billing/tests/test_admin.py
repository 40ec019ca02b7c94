"""The billing admin: payments and refunds are a read-only window that acts through the services, and
commission rules keep what payments were split by."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from accounts.rbac_catalog import ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND
from accounts.tests.factories import staff_holding
from billing.models import Payment, PaymentStatus, Refund, RefundStatus, ServiceCommission
from billing.services import payment_record, refund_approve, refund_request
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceCommissionFactory, refund_processed
from consultants.tests.factories import BookingFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db

VIEW_MONEY = ("billing.view_payment", "billing.view_refund")


def snapshot(model, pk) -> dict:
    return model.objects.values().get(pk=pk)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, action: str, refunds):
    return client.post(
        admin_url(Refund, "changelist"), {"action": action, "_selected_action": [r.pk for r in refunds]}, follow=True
    )


# Payments and refunds are never written here


@pytest.mark.parametrize("model", [Payment, Refund], ids=["payment", "refund"])
def test_nobody_adds_changes_or_deletes_payments_or_refunds_in_the_admin(admin_client, model):
    # given a superuser, and a payment with a refund asked for
    refund = RefundFactory()
    row = refund if model is Refund else refund.payment
    before = snapshot(model, row.pk)

    # when they open the row, then post an add, a change with new amounts, a delete and a bulk delete
    view = admin_client.get(admin_url(model, "change", row.pk))
    add = admin_client.post(admin_url(model, "add"), {"amount": "1.00", "status": "PROCESSED"})
    change = admin_client.post(
        admin_url(model, "change", row.pk), {"amount": "1.00", "status": "REFUNDED", "platform_fee": "0.00"}
    )
    delete = admin_client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
    bulk_delete = admin_client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )

    # then the row shows read-only, every write is refused, and nothing changed or appeared
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False
    assert 'name="_save"' not in view.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk_delete.status_code in (200, 302)  # no delete action is offered: back to the list
    assert snapshot(model, row.pk) == before
    assert model.objects.count() == 1


def test_the_payment_page_offers_no_refund_form(admin_client):
    # given a payment with a refund asked for
    refund = RefundFactory()

    # when a superuser opens the payment
    page = admin_client.get(admin_url(Payment, "change", refund.payment_id)).content.decode()

    # then its refund is shown, with no field to change, delete or add one
    assert "Session ended early." in page
    assert 'name="refunds-0-amount"' not in page and 'name="refunds-0-status"' not in page
    assert 'name="refunds-0-DELETE"' not in page and "refunds-__prefix__" not in page


def test_the_payment_page_shows_the_split_the_rule_and_what_was_returned(admin_client):
    # given a payment split by a 20 % rule, with one refund processed and one rejected
    rule = ServiceCommissionFactory(rate_percent=Decimal("20.00"), effective_from=date(2020, 1, 1))
    booking = BookingFactory()
    payment = payment_record(
        booking=booking, amount="250.00", currency="EUR", provider_reference="pi_1", paid_by=booking.client
    )
    processed = refund_processed(payment=payment, amount=Decimal("50.00"), reason="Started 20 minutes late.")
    rejected = RefundFactory(payment=payment, rejected=True, decision_note="Took place in full.")

    # when a superuser opens the payment
    page = admin_client.get(admin_url(Payment, "change", payment.pk)).content.decode()

    # then the split, the rule and rate applied, the refunded totals and each refund's story are there
    assert "50.00 EUR platform fee, 200.00 EUR to the consultant" in page
    assert f"20 %, by rule #{rule.pk} (platform default)" in page
    assert "50.00 EUR: 10.00 EUR of the platform fee, 40.00 EUR of the consultant&#x27;s share" in page
    assert "Started 20 minutes late." in page
    assert str(processed.requested_by) in page and str(processed.processed_by) in page
    assert "Took place in full." in page and str(rejected.decided_by) in page


def test_a_payment_made_with_no_rule_in_force_says_it_was_the_platform_default(admin_client):
    booking = BookingFactory()
    payment = payment_record(
        booking=booking, amount="100.00", currency="USD", provider_reference="pi_2", paid_by=booking.client
    )

    page = admin_client.get(admin_url(Payment, "change", payment.pk)).content.decode()

    assert "15 %, the platform default: no rule was in force" in page
    assert "Nothing refunded" in page


def test_the_refund_page_says_who_decided_when_and_why(admin_client):
    refund = RefundFactory(rejected=True, decision_note="Outside the refund window.")

    page = admin_client.get(admin_url(Refund, "change", refund.pk)).content.decode()

    assert "Outside the refund window." in page
    assert str(refund.decided_by) in page and str(refund.requested_by) in page
    assert "None: the refund is rejected." in page


def test_a_requested_refund_page_says_how_to_approve_or_reject_it(admin_client):
    refund = RefundFactory()

    page = admin_client.get(admin_url(Refund, "change", refund.pk)).content.decode()

    assert "Approve selected refunds" in page and "the reason the payer is told" in page


def test_staff_who_may_view_payments_see_them_read_only(client):
    staff = staff_holding(*VIEW_MONEY)
    refund = RefundFactory()
    client.force_login(staff)

    assert client.get(admin_url(Payment, "change", refund.payment_id)).status_code == 200
    assert client.get(admin_url(Refund, "change", refund.pk)).status_code == 200
    assert client.post(admin_url(Payment, "change", refund.payment_id), {}).status_code == 403


# Actions, through the services


def test_approving_selected_refunds_approves_each_through_the_service(client):
    # given two requested refunds and someone who may approve them
    approver = staff_holding(*VIEW_MONEY, APPROVE_REFUND)
    refunds = RefundFactory.create_batch(2)
    client.force_login(approver)

    # when they approve the selection
    response = run_action(client, "approve_selected", refunds)

    # then both are approved, by them, and they are told
    assert response.status_code == 200
    for refund in refunds:
        refund.refresh_from_db()
        assert (refund.status, refund.decided_by) == (RefundStatus.APPROVED, approver)
    assert "2 refunds approved." in messages_of(response)


def test_approval_refuses_ones_own_request_and_a_refund_already_decided_and_says_why(client):
    # given an approver's own request, a refund already rejected, and one they may approve
    approver = staff_holding(*VIEW_MONEY, APPROVE_REFUND, ADD_REFUND)
    own = refund_request(payment=PaymentFactory(), amount="5.00", reason="Late", requested_by=approver)
    rejected = RefundFactory(rejected=True)
    fine = RefundFactory()
    client.force_login(approver)
    before = {refund.pk: snapshot(Refund, refund.pk) for refund in (own, rejected)}

    # when they approve all three
    response = run_action(client, "approve_selected", [own, rejected, fine])

    # then only the third is approved; each refusal is reported by name and changed nothing
    shown = messages_of(response)
    assert "1 refund approved." in shown
    assert any(str(own) in text and "someone else must approve" in text for text in shown)
    assert any(str(rejected) in text and "already rejected" in text for text in shown)
    assert {pk: snapshot(Refund, pk) for pk in before} == before
    fine.refresh_from_db()
    assert fine.status == RefundStatus.APPROVED


def test_processing_selected_refunds_returns_the_money_and_refuses_unapproved_ones(client):
    # given an approved refund and a requested one on the same payment
    finance = staff_holding(*VIEW_MONEY, PROCESS_REFUND)
    payment = PaymentFactory()
    approved = RefundFactory(payment=payment, amount=Decimal("40.00"))
    refund_approve(refund=approved, approved_by=staff_holding(APPROVE_REFUND))
    requested = RefundFactory(payment=payment, amount=Decimal("10.00"))
    client.force_login(finance)

    # when they process both
    response = run_action(client, "process_selected", [approved, requested])

    # then the approved one is processed and the payment partly refunded; the other is refused
    approved.refresh_from_db()
    payment.refresh_from_db()
    assert (approved.status, approved.processed_by) == (RefundStatus.PROCESSED, finance)
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("40.00"))
    shown = messages_of(response)
    assert "1 refund processed." in shown
    assert any(str(requested) in text and "only an approved refund can be processed" in text for text in shown)
    assert Refund.objects.get(pk=requested.pk).status == RefundStatus.REQUESTED


@pytest.mark.parametrize(
    ("held", "action"),
    [(PROCESS_REFUND, "approve_selected"), (APPROVE_REFUND, "process_selected")],
    ids=["approve without approve_refund", "process without process_refund"],
)
def test_an_action_is_neither_offered_nor_run_without_its_permission(client, held, action):
    # given staff holding the other permission only
    staff = staff_holding(*VIEW_MONEY, held)
    refund = RefundFactory(approved=(action == "process_selected"))
    client.force_login(staff)
    before = snapshot(Refund, refund.pk)

    # when they open the list and post the action anyway
    listing = client.get(admin_url(Refund, "changelist")).content.decode()
    run_action(client, action, [refund])

    # then it was never offered and nothing changed
    assert f'value="{action}"' not in listing
    assert snapshot(Refund, refund.pk) == before


# Commission rules


def test_a_rule_overlapping_another_of_its_scope_is_refused_by_the_form_naming_it(admin_client):
    # given an open-ended platform default
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2024, 1, 1))

    # when another default from June is added
    response = admin_client.post(
        admin_url(ServiceCommission, "add"),
        {"rate_percent": "12.00", "effective_from": "2025-06-01", "is_active": "on"},
    )

    # then the form says which rule is in the way, and nothing was added
    assert response.status_code == 200
    assert "Another active rule for the same platform default" in response.content.decode()
    assert "15.00% from 2024-01-01 with no end" in response.content.decode()
    assert ServiceCommission.objects.count() == 1


def test_a_rule_payments_were_split_by_can_be_ended_but_not_rewritten_or_deleted(admin_client):
    # given a default rule a payment was split by
    rule = ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    booking = BookingFactory()
    payment_record(booking=booking, amount="100.00", currency="USD", provider_reference="pi_3", paid_by=booking.client)

    # when its page is opened, and a change of rate and start and an end date are posted
    page = admin_client.get(admin_url(ServiceCommission, "change", rule.pk))
    response = admin_client.post(
        admin_url(ServiceCommission, "change", rule.pk),
        {"rate_percent": "1.00", "effective_from": "2019-01-01", "effective_to": "2030-12-31", "is_active": "on"},
    )
    delete = admin_client.post(admin_url(ServiceCommission, "delete", rule.pk), {"post": "yes"})

    # then the rate and start stay as they were, the end is set, and the rule cannot be deleted
    assert 'name="rate_percent"' not in page.content.decode()
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.rate_percent, rule.effective_from, rule.effective_to) == (
        Decimal("15.00"),
        date(2020, 1, 1),
        date(2030, 12, 31),
    )
    assert delete.status_code == 403
    assert ServiceCommission.objects.filter(pk=rule.pk).exists()


def test_an_unused_rule_can_still_be_corrected(admin_client):
    rule = ServiceCommissionFactory(rate_percent=Decimal("15.00"))

    response = admin_client.post(
        admin_url(ServiceCommission, "change", rule.pk),
        {"rate_percent": "14.50", "effective_from": "2024-01-01", "is_active": "on"},
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.rate_percent == Decimal("14.50")


def test_the_rule_list_counts_the_payments_split_by_each_rule(admin_client, django_assert_max_num_queries):
    # given a rule used by three payments and one used by none
    used = ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    ServiceCommissionFactory(rate_percent=Decimal("9.00"), effective_from=date(2020, 1, 1), is_active=False)
    for n in range(3):
        booking = BookingFactory()
        payment_record(
            booking=booking, amount="80.00", currency="USD", provider_reference=f"pi_c{n}", paid_by=booking.client
        )

    # when the list is opened
    with django_assert_max_num_queries(10):
        response = admin_client.get(admin_url(ServiceCommission, "changelist"))

    # then each rule shows how many payments it split
    counts = {row.pk: row.payments_using for row in response.context["cl"].result_list}
    assert counts == {used.pk: 3, **{pk: 0 for pk in counts if pk != used.pk}}
    assert len(counts) == 2


def test_deleting_rules_in_bulk_spares_those_payments_were_split_by(admin_client):
    # given a rule a payment was split by, and an unused one
    used = ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    unused = ServiceCommissionFactory(rate_percent=Decimal("9.00"), effective_from=date(2020, 1, 1), is_active=False)
    booking = BookingFactory()
    payment_record(booking=booking, amount="100.00", currency="USD", provider_reference="pi_4", paid_by=booking.client)

    # when both are deleted with the list's action, confirmed
    admin_client.post(
        admin_url(ServiceCommission, "changelist"),
        {"action": "delete_selected", "_selected_action": [used.pk, unused.pk], "post": "yes"},
    )

    # then nothing is deleted: the used rule is protected, and Django refuses the whole selection
    assert set(ServiceCommission.objects.values_list("pk", flat=True)) == {used.pk, unused.pk}
