from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import Payment, PaymentStatus, Refund, ServiceCommission
from consultants.tests.factories import BookingFactory
from core.factories import ModelFactory


class ServiceCommissionFactory(ModelFactory[ServiceCommission]):
    class Meta:
        model = ServiceCommission

    rate_percent = Decimal("15.00")
    effective_from = date(2024, 1, 1)


class PaymentFactory(ModelFactory[Payment]):
    class Meta:
        model = Payment

    booking = factory.SubFactory(BookingFactory)
    payer = factory.SelfAttribute("booking.client")
    amount = Decimal("100.00")
    platform_fee = Decimal("15.00")
    consultant_amount = Decimal("85.00")
    status = PaymentStatus.SUCCEEDED
    paid_at = factory.LazyFunction(timezone.now)


class RefundFactory(ModelFactory[Refund]):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = Decimal("10.00")
    reason = "Session ended early."
