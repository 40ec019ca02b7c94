"""Writes and money rules for billing: the platform-default commission and how a payment is split."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import ServiceCommission

CENT = Decimal("0.01")
# The default commission rule seeded on a fresh platform applies from before any booking we hold.
DEFAULT_COMMISSION_EFFECTIVE_FROM = date(2020, 1, 1)


@dataclass(frozen=True)
class PaymentSplit:
    platform_fee: Decimal
    consultant_amount: Decimal


def payment_split(*, amount: Decimal, rate_percent: Decimal) -> PaymentSplit:
    """Split ``amount`` into the platform's fee (``rate_percent`` of it, rounded half-up to the cent) and
    the consultant's share (the rest), so the two always add up to ``amount`` exactly."""
    platform_fee = (amount * rate_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return PaymentSplit(platform_fee=platform_fee, consultant_amount=amount - platform_fee)


@transaction.atomic
def service_commission_seed_platform_default() -> ServiceCommission | None:
    """Create the platform-default commission (``PLATFORM_DEFAULT_COMMISSION_PERCENT``, from 2020-01-01)
    unless an active default rule exists that has not ended (including one that starts later: we never
    create overlapping defaults). Returns the rule created, or ``None`` if there was one."""
    active_defaults = ServiceCommission.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=timezone.localdate()),
        service__isnull=True,
        category__isnull=True,
        is_active=True,
    )
    if active_defaults.exists():
        return None
    commission = ServiceCommission(
        rate_percent=settings.PLATFORM_DEFAULT_COMMISSION_PERCENT,
        effective_from=DEFAULT_COMMISSION_EFFECTIVE_FROM,
    )
    commission.full_clean()
    commission.save()
    return commission
