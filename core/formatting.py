"""Values as people read them: sizes, money, durations and quantities with their unit.

One place for the admin, the staff pages and their templates (``core/templatetags/formatting.py``), so a
payment reads "525.00 EUR" and a backup "2.4 MB" wherever it is shown. Every function takes ``None`` for
"no value" and returns "" then; callers that show a placeholder (the admin's "-") test for it first.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext

CENTS = Decimal("0.01")


def file_size(num_bytes: int | None) -> str:
    """``2_400_000`` -> "2.3 MB" (binary multiples, as Django's ``filesizeformat``)."""
    if num_bytes is None:
        return ""
    return str(filesizeformat(num_bytes))


def money(amount: Decimal | int | str | None, currency: str) -> str:
    """``Decimal("1525")``, ``"EUR"`` -> "1,525.00 EUR": grouped, with the currency code, in as many
    decimals as the currency has (``BILLING_CURRENCIES``; two for one it does not list): "1,525 JPY".

    Quantised half-up; an amount that is not a number is shown as given rather than raising.
    """
    if amount is None:
        return ""
    places = settings.BILLING_CURRENCIES.get(currency, 2)
    try:
        value = Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return f"{amount} {currency}".strip()
    return f"{number_format(value, decimal_pos=places, force_grouping=True)} {currency}".strip()


def duration(minutes: int | Decimal | None) -> str:
    """Minutes as hours and minutes: ``90`` -> "1 h 30 min", ``120`` -> "2 h", ``45`` -> "45 min"."""
    if minutes is None:
        return ""
    total = int(minutes)
    sign, total = ("-" if total < 0 else ""), abs(total)
    hours, rest = divmod(total, 60)
    if hours and rest:
        text = gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    elif hours:
        text = gettext("%(hours)s h") % {"hours": hours}
    else:
        text = gettext("%(minutes)s min") % {"minutes": rest}
    return sign + text


def seconds_as_duration(seconds: float | None) -> str:
    """A span in seconds, shown as `duration` for a minute or more and in seconds below ("42 s")."""
    if seconds is None:
        return ""
    if abs(seconds) < 60:
        return gettext("%(seconds)s s") % {"seconds": round(seconds)}
    return duration(round(seconds / 60))


def quantity(value: Decimal | int | float | None, unit: str = "") -> str:
    """A number with its unit: ``Decimal("1234.0000")``, "sessions" -> "1,234 sessions"; ``12.5``, "%" ->
    "12.5 %". Trailing zeros of the fraction are dropped."""
    if value is None:
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        shown = number_format(number.to_integral_value(), decimal_pos=0, force_grouping=True)
    else:
        shown = number_format(number.normalize(), force_grouping=True)
    return f"{shown} {unit}".strip()
