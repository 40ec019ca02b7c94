"""System checks for the money settings: a currency table billing can count in, and a default currency
in it. Reported by ``manage.py check`` and at every start-up, rather than by the first payment."""

from django.conf import settings
from django.core import checks

# Amounts are stored with two decimals (NUMERIC(12, 2)): a currency counted in more cannot be stored.
STORABLE_MINOR_UNITS = (0, 1, 2)


def currency_settings_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """billing.E001: a currency code that is not three capital letters, or minor units billing cannot
    store; billing.E002: ``DEFAULT_CURRENCY`` not among ``BILLING_CURRENCIES``."""
    errors: list[checks.CheckMessage] = []
    table = getattr(settings, "BILLING_CURRENCIES", None)
    if not isinstance(table, dict) or not table:
        return [checks.Error("BILLING_CURRENCIES must map currency codes to minor units.", id="billing.E001")]
    for code, places in table.items():
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
            errors.append(checks.Error(f"BILLING_CURRENCIES: {code!r} is not an ISO 4217 code.", id="billing.E001"))
        if places not in STORABLE_MINOR_UNITS:
            errors.append(
                checks.Error(
                    f"BILLING_CURRENCIES: {code} has {places!r} minor units; amounts are stored with two decimals, "
                    "so it must be 0, 1 or 2.",
                    id="billing.E001",
                )
            )
    if settings.DEFAULT_CURRENCY not in table:
        errors.append(
            checks.Error(
                f"DEFAULT_CURRENCY {settings.DEFAULT_CURRENCY!r} is not in BILLING_CURRENCIES.",
                hint="Add it to BILLING_CURRENCIES with its minor units, or choose one listed there.",
                id="billing.E002",
            )
        )
    return errors
