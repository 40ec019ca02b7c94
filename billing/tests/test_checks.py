"""The money settings are checked at start-up (``manage.py check``), not by the first payment."""

import pytest
from django.core import checks
from django.test import override_settings

from billing.checks import currency_settings_check


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_shipped_settings_pass():
    assert currency_settings_check(None) == []


@pytest.mark.parametrize(
    "table",
    [
        {"usd": 2, "USD": 2},  # not in capitals
        {"US": 2, "USD": 2},  # not three letters
        {"U5D": 2, "USD": 2},  # not letters
        {7: 2, "USD": 2},  # not text
        {"BHD": 3, "USD": 2},  # three decimals: amounts are stored with two
        {"XAU": -1, "USD": 2},
        {"XAU": "2", "USD": 2},
    ],
)
def test_a_currency_billing_cannot_count_in_is_billing_e001(table):
    with override_settings(BILLING_CURRENCIES=table, DEFAULT_CURRENCY="USD"):
        found = currency_settings_check(None)

    assert ids(found) == ["billing.E001"]
    assert all(isinstance(message, checks.Error) for message in found)


@pytest.mark.parametrize("table", [{}, None, [("USD", 2)], "USD"])
def test_no_currency_table_is_billing_e001(table):
    with override_settings(BILLING_CURRENCIES=table):
        assert ids(currency_settings_check(None)) == ["billing.E001"]


def test_a_default_currency_outside_the_table_is_billing_e002():
    with override_settings(BILLING_CURRENCIES={"USD": 2, "JPY": 0}, DEFAULT_CURRENCY="EUR"):
        found = currency_settings_check(None)

    assert ids(found) == ["billing.E002"]
    assert "EUR" in found[0].msg and found[0].hint


def test_the_check_runs_with_every_system_check():
    with override_settings(BILLING_CURRENCIES={"USD": 2}, DEFAULT_CURRENCY="GBP"):
        found = checks.run_checks()

    assert "billing.E002" in ids(found)
