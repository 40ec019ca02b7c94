"""Recording payments and moving refunds through their workflow (billing.services).

Every refusal is a ``ValidationError`` with a message, and writes nothing: the tests compare every
billing row, audit event and notification before and after (``refused``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification, NotificationChannel
from accounts.rbac_catalog import ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND
from accounts.tests.factories import UserFactory, staff_holding
from auditing.models import AuditAction, AuditLog
from billing.models import Payment, PaymentStatus, Refund, RefundStatus, ServiceCommission
from billing.services import (
    payment_record,
    refund_approve,
    refund_process,
    refund_reject,
    refund_request,
    service_commission_seed_platform_default,
)
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceCommissionFactory
from consultants.models import BookingStatus
from consultants.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def written() -> dict:
    """Every row a billing service may write: payments, refunds, audit events, notifications."""
    return {
        "payments": list(Payment.objects.order_by("pk").values()),
        "refunds": list(Refund.objects.order_by("pk").values()),
        "audit events": AuditLog.objects.count(),
        "notifications": Notification.objects.count(),
        "rules": ServiceCommission.objects.count(),
    }


@contextmanager
def refused(code: str) -> Iterator[pytest.ExceptionInfo]:
    """Asserts the block raises ``ValidationError`` with ``code`` and a message, and wrote nothing."""
    before = written()
    with pytest.raises(ValidationError) as refusal:
        yield refusal
    assert refusal.value.code == code, refusal.value
    assert refusal.value.messages and all(refusal.value.messages)
    assert written() == before


def events(action: AuditAction, entity) -> list[AuditLog]:
    return list(
        AuditLog.objects.filter(action=action, entity_type=entity._meta.label_lower, entity_id=str(entity.pk)).order_by(
            "pk"
        )
    )


@pytest.fixture
def booking():
    return BookingFactory()


@pytest.fixture
def requester():
    return staff_holding(ADD_REFUND)


@pytest.fixture
def approver():
    return staff_holding(APPROVE_REFUND)


@pytest.fixture
def processor():
    return staff_holding(PROCESS_REFUND)


def record(booking, amount="100.00", currency="USD", reference="pi_1", paid_by=None) -> Payment:
    return payment_record(
        booking=booking,
        amount=amount,
        currency=currency,
        provider_reference=reference,
        paid_by=paid_by or booking.client,
    )


# Recording payments


def test_a_payment_is_split_by_the_rule_in_force_and_keeps_it(booking):
    # given a 20 % rule for the booked service, under a 15 % default
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    rule = ServiceCommissionFactory(
        service=booking.service, rate_percent=Decimal("20.00"), effective_from=date(2020, 1, 1)
    )

    # when the client's payment is recorded
    payment = record(booking, amount="250.00", currency="EUR")

    # then it succeeded, split at 20 %, and names the rule and rate it was split by
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (payment.amount, payment.currency, payment.payer) == (Decimal("250.00"), "EUR", booking.client)
    assert (payment.platform_fee, payment.consultant_amount) == (Decimal("50.00"), Decimal("200.00"))
    assert (payment.commission_rule, payment.commission_rate_percent) == (rule, Decimal("20.00"))
    assert payment.paid_at is not None and payment.provider_reference == "pi_1"
    assert (payment.refunded_amount, payment.platform_fee_refunded) == (Decimal("0"), Decimal("0"))


def test_a_later_change_of_the_rules_never_alters_a_recorded_payment(booking):
    # given a payment split by a 20 % default
    rule = ServiceCommissionFactory(rate_percent=Decimal("20.00"), effective_from=date(2020, 1, 1))
    first = record(booking, reference="pi_1")
    before = Payment.objects.values().get(pk=first.pk)

    # when the rule is ended yesterday, replaced by a 10 % one from today, and its row changed behind
    # the admin's back
    today = timezone.localdate()
    ServiceCommission.objects.filter(pk=rule.pk).update(effective_to=today - timedelta(days=1))
    ServiceCommissionFactory(rate_percent=Decimal("10.00"), effective_from=today)
    ServiceCommission.objects.filter(pk=rule.pk).update(rate_percent=Decimal("50.00"))
    second = record(BookingFactory(), reference="pi_2")

    # then the recorded payment is as it was; the next one is split by the new rule
    assert Payment.objects.values().get(pk=first.pk) == before
    assert (second.platform_fee, second.commission_rate_percent) == (Decimal("10.00"), Decimal("10.00"))


def test_with_no_rule_in_force_the_platform_default_rate_applies_and_no_rule_is_named(booking, settings):
    # given no rule in force today (only one that ended), and a 12.5 % platform default
    settings.PLATFORM_DEFAULT_COMMISSION_PERCENT = Decimal("12.50")
    ServiceCommissionFactory(effective_from=date(2020, 1, 1), effective_to=date(2020, 12, 31))

    payment = record(booking, amount="100.00")

    assert (payment.commission_rule, payment.commission_rate_percent) == (None, Decimal("12.50"))
    assert (payment.platform_fee, payment.consultant_amount) == (Decimal("12.50"), Decimal("87.50"))


def test_yen_are_whole_and_the_fee_is_rounded_to_the_yen(booking):
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))

    payment = record(booking, amount="1001", currency="jpy")

    assert (payment.currency, payment.amount) == ("JPY", Decimal("1001"))
    assert (payment.platform_fee, payment.consultant_amount) == (Decimal("150"), Decimal("851"))  # 150.15 yen
    another = BookingFactory()
    with refused("too_many_decimals"):
        record(another, amount="1001.50", currency="JPY", reference="pi_2")


def test_recording_a_payment_is_audited(booking):
    payment = record(booking, amount="80.00", reference="pi_audit")

    (event,) = events(AuditAction.PAYMENT, payment)
    assert event.changes["amount"] == "80.00 USD"
    assert (event.changes["platform_fee"], event.changes["consultant_amount"]) == ("12.00", "68.00")
    assert event.changes["provider_reference"] == "pi_audit"


def test_a_provider_reference_recorded_again_with_the_same_details_returns_the_first_payment(booking):
    # given a recorded payment
    first = record(booking, amount="100.00", reference="pi_retried")
    before = written()

    # when the provider's callback arrives again
    again = record(booking, amount="100", currency=" usd ", reference=" pi_retried ")

    # then it is the same payment, and nothing more was written (no second audit event)
    assert again.pk == first.pk
    assert written() == before


@pytest.mark.parametrize(
    "details",
    [{"amount": "99.00"}, {"currency": "EUR"}, {"booking": "another"}],
    ids=["another amount", "another currency", "another booking"],
)
def test_a_provider_reference_already_recorded_with_other_details_is_refused(booking, details):
    record(booking, amount="100.00", reference="pi_taken")
    other = BookingFactory() if details.get("booking") else booking
    amount, currency = details.get("amount", "100.00"), details.get("currency", "USD")

    with refused("reference_taken") as refusal:
        record(other, amount=amount, currency=currency, reference="pi_taken")

    assert "pi_taken" in refusal.value.messages[0]


def test_a_cancelled_session_cannot_be_paid_for(booking):
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])

    with refused("booking_cancelled"):
        record(booking)


@pytest.mark.parametrize(
    ("amount", "currency", "reference", "code"),
    [
        ("100.00", "XYZ", "pi_1", "unknown_currency"),
        ("100.00", "", "pi_1", "unknown_currency"),
        ("0", "USD", "pi_1", "not_positive"),
        ("-5", "USD", "pi_1", "not_positive"),
        ("1.001", "USD", "pi_1", "too_many_decimals"),
        ("NaN", "USD", "pi_1", "not_a_number"),
        ("1e12", "USD", "pi_1", "too_large"),
        ("100.00", "USD", "", "reference_required"),
        ("100.00", "USD", "pi\x00", "reference_invalid"),
        ("100.00", "USD", "x" * 101, "reference_invalid"),
    ],
)
def test_a_payment_that_is_not_money_or_has_no_reference_is_refused(booking, amount, currency, reference, code):
    with refused(code):
        record(booking, amount=amount, currency=currency, reference=reference)


def test_an_inactive_payer_cannot_pay(booking):
    payer = UserFactory(is_active=False)

    with refused("payer_inactive"):
        record(booking, paid_by=payer)


# Asking for a refund


def test_a_holder_of_add_refund_asks_for_a_refund(requester):
    payment = PaymentFactory()

    refund = refund_request(payment=payment, amount="40", reason="  Started late.  ", requested_by=requester)

    refund.refresh_from_db()
    assert (refund.status, refund.amount, refund.reason) == (RefundStatus.REQUESTED, Decimal("40.00"), "Started late.")
    assert refund.requested_by == requester
    (event,) = events(AuditAction.REFUND, refund)
    assert (event.actor, event.changes["status"]) == (requester, [None, RefundStatus.REQUESTED])


def test_someone_without_add_refund_cannot_ask_for_one():
    payment, approver = PaymentFactory(), staff_holding(APPROVE_REFUND)

    with refused("permission_denied"):
        refund_request(payment=payment, amount="10", reason="Late", requested_by=approver)
    with refused("permission_denied"):
        refund_request(payment=payment, amount="10", reason="Late", requested_by=None)


def test_refunds_asked_for_never_add_up_to_more_than_the_payment(requester):
    # given a payment of 100.00 with 60.00 asked for and 30.00 approved
    payment = PaymentFactory()
    refund_request(payment=payment, amount="60.00", reason="Late", requested_by=requester)
    RefundFactory(payment=payment, amount=Decimal("30.00"), approved=True)

    # then 10.01 more is refused, naming what is left, and 10.00 is taken
    with refused("above_remaining") as refusal:
        refund_request(payment=payment, amount="10.01", reason="Also", requested_by=requester)
    assert "At most 10.00 USD" in refusal.value.messages[0]
    refund_request(payment=payment, amount="10.00", reason="Also", requested_by=requester)


@pytest.mark.parametrize(
    ("amount", "reason", "code"),
    [
        ("10", "", "required"),
        ("10", " \x00 ", "required"),
        ("10", "x" * 2_001, "too_long"),
        ("0", "Late", "not_positive"),
        ("0.001", "Late", "too_many_decimals"),
        ("abc", "Late", "not_a_number"),
    ],
)
def test_a_refund_needs_a_reason_and_an_amount_of_money(requester, amount, reason, code):
    payment = PaymentFactory()

    with refused(code):
        refund_request(payment=payment, amount=amount, reason=reason, requested_by=requester)


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED])
def test_only_a_payment_that_went_through_can_be_refunded(requester, status):
    payment = PaymentFactory(status=status)

    with refused("not_refundable"):
        refund_request(payment=payment, amount="10", reason="Late", requested_by=requester)


def test_a_refund_of_a_yen_payment_is_in_whole_yen(requester):
    payment = PaymentFactory(
        currency="JPY", amount=Decimal("5000"), platform_fee=Decimal("750"), consultant_amount=Decimal("4250")
    )

    with refused("too_many_decimals"):
        refund_request(payment=payment, amount="0.50", reason="Late", requested_by=requester)
    assert refund_request(payment=payment, amount="500", reason="Late", requested_by=requester).amount == 500


# Deciding


def test_someone_else_holding_approve_refund_approves_it(requester, approver):
    refund = refund_request(payment=PaymentFactory(), amount="10", reason="Late", requested_by=requester)

    refund_approve(refund=refund, approved_by=approver)

    refund.refresh_from_db()
    assert (refund.status, refund.decided_by) == (RefundStatus.APPROVED, approver)
    assert refund.decided_at is not None
    approval = events(AuditAction.REFUND, refund)[-1]
    assert (approval.actor, approval.changes["status"]) == (approver, [RefundStatus.REQUESTED, RefundStatus.APPROVED])


def test_without_approve_refund_nobody_approves_or_rejects(requester, processor):
    refund = refund_request(payment=PaymentFactory(), amount="10", reason="Late", requested_by=requester)

    with refused("permission_denied"):
        refund_approve(refund=refund, approved_by=processor)
    with refused("permission_denied"):
        refund_reject(refund=refund, rejected_by=processor, reason="No")


def test_nobody_decides_their_own_request():
    # given someone who may both ask for and approve refunds, and asked for one
    both = staff_holding(ADD_REFUND, APPROVE_REFUND)
    refund = refund_request(payment=PaymentFactory(), amount="10", reason="Late", requested_by=both)

    # then they can neither approve nor reject it
    with refused("own_request"):
        refund_approve(refund=refund, approved_by=both)
    with refused("own_request"):
        refund_reject(refund=refund, rejected_by=both, reason="Changed my mind")


def test_a_refund_is_decided_once(requester, approver):
    refund = refund_request(payment=PaymentFactory(), amount="10", reason="Late", requested_by=requester)
    refund_approve(refund=refund, approved_by=approver)
    other_approver = staff_holding(APPROVE_REFUND)

    with refused("already_decided"):
        refund_approve(refund=refund, approved_by=other_approver)
    with refused("already_decided"):
        refund_reject(refund=refund, rejected_by=other_approver, reason="Too late")


def test_rejecting_needs_a_reason(requester, approver):
    refund = refund_request(payment=PaymentFactory(), amount="10", reason="Late", requested_by=requester)

    with refused("required"):
        refund_reject(refund=refund, rejected_by=approver, reason="   ")


def test_a_rejection_frees_the_amount_tells_the_payer_why_and_is_audited(requester, approver):
    # given the whole payment asked back
    payment = PaymentFactory()
    refund = refund_request(payment=payment, amount="100", reason="Late", requested_by=requester)

    # when it is rejected
    refund_reject(refund=refund, rejected_by=approver, reason="The session took place in full.")

    # then it says who, when and why; the payer is told on each channel; and the amount can be asked again
    refund.refresh_from_db()
    assert (refund.status, refund.decided_by) == (RefundStatus.REJECTED, approver)
    assert refund.decided_at is not None and refund.decision_note == "The session took place in full."
    told = Notification.objects.filter(user=payment.payer)
    assert {n.channel for n in told} == {NotificationChannel.IN_APP, NotificationChannel.EMAIL}
    assert all(n.body == "The session took place in full." and "declined" in n.title for n in told)
    rejection = events(AuditAction.REFUND, refund)[-1]
    assert (rejection.actor, rejection.changes["decision_note"]) == (approver, "The session took place in full.")
    assert refund_request(payment=payment, amount="100", reason="Again", requested_by=requester).amount == 100


# Processing


def approved_refund(payment, amount, requester, approver) -> Refund:
    refund = refund_request(payment=payment, amount=amount, reason="Late", requested_by=requester)
    return refund_approve(refund=refund, approved_by=approver)


def test_processing_reverses_the_fee_in_proportion_and_moves_the_payment(requester, approver, processor):
    # given a payment of 100.00 with 15.00 fee, and refunds of 40.00 and 60.00 approved
    payment = PaymentFactory()
    first = approved_refund(payment, "40", requester, approver)
    second = approved_refund(payment, "60", requester, approver)

    # when the first is processed
    refund_process(refund=first, processed_by=processor)

    # then it reverses 6.00 of the fee and 34.00 of the share, and the payment is partly refunded
    first.refresh_from_db()
    payment.refresh_from_db()
    assert (first.status, first.processed_by) == (RefundStatus.PROCESSED, processor)
    assert first.processed_at is not None
    assert (first.platform_fee_reversed, first.consultant_amount_reversed) == (Decimal("6.00"), Decimal("34.00"))
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert (payment.refunded_amount, payment.platform_fee_refunded) == (Decimal("40.00"), Decimal("6.00"))

    # when the second is processed / then the payment is refunded, its fee and share reversed in full
    refund_process(refund=second, processed_by=processor)
    second.refresh_from_db()
    payment.refresh_from_db()
    assert (second.platform_fee_reversed, second.consultant_amount_reversed) == (Decimal("9.00"), Decimal("51.00"))
    assert payment.status == PaymentStatus.REFUNDED
    assert (payment.refunded_amount, payment.platform_fee_refunded) == (payment.amount, payment.platform_fee)


def test_processing_tells_the_payer_and_is_audited(requester, approver, processor):
    payment = PaymentFactory()
    refund = approved_refund(payment, "25", requester, approver)

    refund_process(refund=refund, processed_by=processor)

    told = Notification.objects.filter(user=payment.payer)
    assert {n.channel for n in told} == {NotificationChannel.IN_APP, NotificationChannel.EMAIL}
    assert all("25.00 USD" in n.title for n in told)
    story = events(AuditAction.REFUND, refund)
    assert [event.changes["status"] for event in story] == [
        [None, RefundStatus.REQUESTED],
        [RefundStatus.REQUESTED, RefundStatus.APPROVED],
        [RefundStatus.APPROVED, RefundStatus.PROCESSED],
    ]
    assert [event.actor for event in story] == [requester, approver, processor]
    assert (story[-1].changes["platform_fee_reversed"], story[-1].changes["consultant_amount_reversed"]) == (
        "3.75",
        "21.25",
    )


def test_without_process_refund_nobody_processes(requester, approver):
    refund = approved_refund(PaymentFactory(), "10", requester, approver)

    with refused("permission_denied"):
        refund_process(refund=refund, processed_by=approver)


@pytest.mark.parametrize("status", ["requested", "rejected", "processed"])
def test_only_an_approved_refund_is_processed(requester, approver, processor, status):
    refund = refund_request(payment=PaymentFactory(), amount="10", reason="Late", requested_by=requester)
    if status == "rejected":
        refund_reject(refund=refund, rejected_by=approver, reason="No")
    if status == "processed":
        refund_approve(refund=refund, approved_by=approver)
        refund_process(refund=refund, processed_by=processor)

    with refused("not_approved"):
        refund_process(refund=refund, processed_by=processor)


def test_a_yen_refund_reverses_whole_yen(requester, approver, processor):
    # given 1001 yen paid with a fee of 150 (15 %)
    payment = PaymentFactory(
        currency="JPY", amount=Decimal("1001"), platform_fee=Decimal("150"), consultant_amount=Decimal("851")
    )
    refunds = [approved_refund(payment, amount, requester, approver) for amount in ("333", "333", "335")]

    for refund in refunds:
        refund_process(refund=refund, processed_by=processor)

    reversed_fees = [Refund.objects.get(pk=refund.pk).platform_fee_reversed for refund in refunds]
    assert reversed_fees == [Decimal("50"), Decimal("50"), Decimal("50")]  # 49.90, 99.80, then all 150
    payment.refresh_from_db()
    assert (payment.status, payment.platform_fee_refunded) == (PaymentStatus.REFUNDED, Decimal("150"))


# The platform default rule


def test_the_platform_default_rule_is_seeded_once(settings):
    settings.PLATFORM_DEFAULT_COMMISSION_PERCENT = Decimal("14.00")

    seeded = service_commission_seed_platform_default()

    assert seeded is not None and seeded.rate_percent == Decimal("14.00")
    assert service_commission_seed_platform_default() is None
    assert ServiceCommission.objects.count() == 1


def test_a_new_default_starts_after_the_last_one_ended():
    ServiceCommissionFactory(effective_from=date(2020, 1, 1), effective_to=date(2021, 6, 30))

    seeded = service_commission_seed_platform_default()

    assert seeded is not None and seeded.effective_from == date(2021, 7, 1)
