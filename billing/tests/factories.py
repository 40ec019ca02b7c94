"""Billing rows for tests. Each factory makes a row the database accepts as it stands (its CHECK
constraints): a payment split that adds up, a refund requested (or approved, or rejected with a note).

A processed refund changes its payment (refunded totals, status) as well, so it is made through the
services, as in the product: ``refund_processed``.
"""

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from accounts.rbac_catalog import ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND
from accounts.tests.factories import UserFactory, staff_holding
from billing.models import Payment, PaymentStatus, Refund, RefundStatus, ServiceCommission
from billing.services import refund_approve, refund_process, refund_request
from consultants.tests.factories import BookingFactory, ServiceFactory
from core.factories import ModelFactory


class ServiceCommissionFactory(ModelFactory[ServiceCommission]):
    class Meta:
        model = ServiceCommission

    rate_percent = Decimal("15.00")
    effective_from = date(2024, 1, 1)


class ServiceRuleFactory(ServiceCommissionFactory):
    """A rule for a service of its own: any number of them stand together (active rules of one scope
    may not overlap, so a batch of ``ServiceCommissionFactory`` defaults would be refused)."""

    service = factory.SubFactory(ServiceFactory)


class PaymentFactory(ModelFactory[Payment]):
    """A succeeded payment of 100.00 split at 15 %, nothing refunded."""

    class Meta:
        model = Payment

    booking = factory.SubFactory(BookingFactory)
    payer = factory.SelfAttribute("booking.client")
    amount = Decimal("100.00")
    platform_fee = Decimal("15.00")
    consultant_amount = Decimal("85.00")
    commission_rate_percent = Decimal("15.00")
    status = PaymentStatus.SUCCEEDED
    provider_reference = factory.Sequence(lambda n: f"pi_test_{n:06d}")
    paid_at = factory.LazyFunction(timezone.now)


class RefundFactory(ModelFactory[Refund]):
    """A requested refund of 10.00; ``approved=True`` or ``rejected=True`` for a decided one."""

    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = Decimal("10.00")
    reason = "Session ended early."
    requested_by = factory.SubFactory(UserFactory)

    class Params:
        approved = factory.Trait(
            status=RefundStatus.APPROVED,
            decided_by=factory.SubFactory(UserFactory),
            decided_at=factory.LazyFunction(timezone.now),
        )
        rejected = factory.Trait(
            status=RefundStatus.REJECTED,
            decided_by=factory.SubFactory(UserFactory),
            decided_at=factory.LazyFunction(timezone.now),
            decision_note="The session took place as booked.",
        )


def refund_processed(
    *,
    payment: Payment | None = None,
    amount: Decimal = Decimal("10.00"),
    reason: str = "Session ended early.",
    requested_by: User | None = None,
    finance: User | None = None,
) -> Refund:
    """A refund of ``amount`` of ``payment`` (a new one by default) requested, approved and processed
    through ``billing.services``, so the payment's refunded totals and status follow it. The requester
    and the finance officer who approves and processes are new staff unless given."""
    payment = payment or PaymentFactory()
    requested_by = requested_by or staff_holding(ADD_REFUND)
    finance = finance or staff_holding(APPROVE_REFUND, PROCESS_REFUND)
    refund = refund_request(payment=payment, amount=amount, reason=reason, requested_by=requested_by)
    refund_approve(refund=refund, approved_by=finance)
    return refund_process(refund=refund, processed_by=finance)
