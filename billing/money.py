"""Money arithmetic: amounts in a currency's minor units, a payment's split and a refund's reversal.

Pure functions over ``Decimal`` (never float), shared by the services, the demo data and the property
tests, so every payment and refund anywhere in the product adds up by the same rules:

- a payment's platform fee is its rate of the amount, rounded half-up to the currency's minor unit, and
  the consultant gets the remainder, so fee + consultant share == amount;
- a refund reverses the fee and the consultant's share in proportion to the money returned so far,
  rounded the same way on the running total, so each refund's two parts add up to it and a full refund
  reverses exactly the fee and the share that were paid.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Amounts are stored as NUMERIC(12, 2): at most ten digits before the point.
AMOUNT_LIMIT = Decimal("10000000000")
CENT = Decimal("0.01")
PERCENT = Decimal(100)


@dataclass(frozen=True)
class Split:
    """An amount in two parts that add up to it: the platform's fee and the consultant's share."""

    platform_fee: Decimal
    consultant_amount: Decimal


def currency_minor_units(currency: str) -> int:
    """The number of decimals ``currency`` is counted in (``BILLING_CURRENCIES``); raises ``ValidationError``
    for a currency the platform does not take."""
    try:
        return settings.BILLING_CURRENCIES[currency]
    except (KeyError, TypeError):
        known = ", ".join(sorted(settings.BILLING_CURRENCIES))
        raise ValidationError(
            _("%(currency)s is not a currency the platform takes (one of %(known)s).")
            % {"currency": str(currency)[:10], "known": known},
            code="unknown_currency",
        ) from None


def currency_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``Decimal("0.01")`` for USD, ``Decimal("1")`` for JPY."""
    return Decimal(1).scaleb(-currency_minor_units(currency))


def amount_clean(amount, currency: str, *, what: str | None = None) -> Decimal:
    """``amount`` as a ``Decimal`` in ``currency``'s minor units, or ``ValidationError`` with a message a
    person can act on: not a number, zero or negative, too large, or more decimals than the currency has."""
    what = what or _("The amount")
    unit = currency_unit(currency)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(what)s must be a number.") % {"what": what}, code="not_a_number") from None
    if not value.is_finite():
        raise ValidationError(_("%(what)s must be a number.") % {"what": what}, code="not_a_number")
    if value <= 0:
        raise ValidationError(_("%(what)s must be more than zero.") % {"what": what}, code="not_positive")
    if value >= AMOUNT_LIMIT:
        raise ValidationError(_("%(what)s is too large.") % {"what": what}, code="too_large")
    if value != value.quantize(unit):
        places = currency_minor_units(currency)
        message = (
            _("%(what)s must be a whole number of %(currency)s.")
            if places == 0
            else _("%(what)s can have at most %(places)s decimals in %(currency)s.")
        )
        raise ValidationError(
            message % {"what": what, "currency": currency, "places": places}, code="too_many_decimals"
        )
    return value.quantize(CENT)


def payment_split(*, amount: Decimal, rate_percent: Decimal, currency: str) -> Split:
    """Split ``amount`` into the platform's fee, ``rate_percent`` of it rounded half-up to ``currency``'s
    minor unit, and the consultant's share, the rest: the two add up to ``amount`` exactly."""
    platform_fee = (amount * rate_percent / PERCENT).quantize(currency_unit(currency), rounding=ROUND_HALF_UP)
    return Split(platform_fee=platform_fee, consultant_amount=amount - platform_fee)


def refund_reversal(
    *,
    amount: Decimal,
    platform_fee: Decimal,
    refunded_before: Decimal,
    platform_fee_refunded_before: Decimal,
    refund_amount: Decimal,
    currency: str,
) -> Split:
    """The parts of the fee and of the consultant's share that a refund of ``refund_amount`` reverses, for
    a payment of ``amount`` with ``platform_fee``, of which ``refunded_before`` (its fee part
    ``platform_fee_refunded_before``) was already returned.

    The fee reversed so far is the fee's share of the money returned so far, rounded half-up to the minor
    unit; this refund reverses what that adds. Rounding the running total, not each refund, keeps the
    parts exact: both are never negative, add up to ``refund_amount``, and once the whole payment is
    returned the fee and the share are reversed in full.
    """
    refunded_after = refunded_before + refund_amount
    fee_refunded_after = (platform_fee * refunded_after / amount).quantize(
        currency_unit(currency), rounding=ROUND_HALF_UP
    )
    fee_reversed = fee_refunded_after - platform_fee_refunded_before
    return Split(platform_fee=fee_reversed, consultant_amount=refund_amount - fee_reversed)


def rate_clean(rate_percent) -> Decimal:
    """A commission rate in percent, from 0 to 100 with at most two decimals, or ``ValidationError``."""
    try:
        value = rate_percent if isinstance(rate_percent, Decimal) else Decimal(str(rate_percent).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The rate must be a number of percent."), code="not_a_number") from None
    if not value.is_finite() or not Decimal(0) <= value <= PERCENT:
        raise ValidationError(_("The rate must be between 0 and 100 percent."), code="rate_range")
    if value != value.quantize(CENT):
        raise ValidationError(_("The rate can have at most two decimals."), code="rate_decimals")
    return value
