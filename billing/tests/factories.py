from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing.models import Payment, PaymentStatus, Refund, ServiceCommission
from consultants.tests.factories import BookingFactory


class ServiceCommissionFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCommission

    rate_percent = Decimal("15.00")
    effective_from = date(2024, 1, 1)


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    booking = factory.SubFactory(BookingFactory)
    payer = factory.SelfAttribute("booking.client")
    amount = Decimal("100.00")
    platform_fee = Decimal("15.00")
    consultant_amount = Decimal("85.00")
    status = PaymentStatus.SUCCEEDED
    paid_at = factory.LazyFunction(timezone.now)


class RefundFactory(DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = Decimal("10.00")
    reason = "Session ended early."
