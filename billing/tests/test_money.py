"""The money rules, for all amounts, rates and currencies the platform takes (property tests).

- a payment's fee and the consultant's share add up to the amount, the fee being the rate of the amount
  rounded half-up to the currency's minor unit;
- any sequence of refunds within the payment reverses the fee and the share in parts that are never
  negative, add up to each refund, never exceed what was paid, and, once all is returned, reverse
  exactly the fee and the share;
- amounts a person types are refused, with a reason, unless they are money in that currency.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from billing import money

# Pure arithmetic, so many examples are cheap; no example database (nothing written into the work tree).
PROPERTIES = hypothesis_settings(max_examples=300, deadline=None, database=None)

# Read when first drawn, not at import: the currency table is a setting.
currencies = st.deferred(lambda: st.sampled_from(sorted(settings.BILLING_CURRENCIES)))
# A rate in percent, 0 to 100 with two decimals.
rates = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: Decimal(hundredths).scaleb(-2))


def unit_of(currency: str) -> Decimal:
    return Decimal(1).scaleb(-settings.BILLING_CURRENCIES[currency])


def minor_units(currency: str, *, at_most: int | None = None) -> st.SearchStrategy[int]:
    """A positive number of ``currency``'s minor units below the amount limit (or up to ``at_most``)."""
    limit = int(money.AMOUNT_LIMIT / unit_of(currency)) - 1
    return st.integers(min_value=1, max_value=min(limit, at_most) if at_most is not None else limit)


@st.composite
def payments(draw) -> tuple[str, Decimal, Decimal]:
    """(currency, amount as the services hold it, rate): amounts of every size, often small ones."""
    currency = draw(currencies)
    units = draw(st.one_of(minor_units(currency, at_most=10_000), minor_units(currency)))
    amount = money.amount_clean(Decimal(units) * unit_of(currency), currency)
    return currency, amount, draw(rates)


def assert_in_units(value: Decimal, currency: str) -> None:
    assert value == value.quantize(unit_of(currency)), f"{value} is not whole {currency} minor units"


# The split


@PROPERTIES
@given(payments())
@example(("USD", Decimal("0.01"), Decimal("50.00")))  # half a cent of fee: rounds up to the cent
@example(("JPY", Decimal("1.00"), Decimal("50.00")))  # half a yen: rounds up to the yen
@example(("USD", Decimal("9999999999.99"), Decimal("100.00")))
@example(("KRW", Decimal("3.00"), Decimal("0.00")))
def test_the_fee_and_the_consultants_share_add_up_to_the_amount(payment):
    currency, amount, rate = payment

    split = money.payment_split(amount=amount, rate_percent=rate, currency=currency)

    assert split.platform_fee + split.consultant_amount == amount
    assert split.platform_fee >= 0 and split.consultant_amount >= 0
    assert_in_units(split.platform_fee, currency)
    assert_in_units(split.consultant_amount, currency)


@PROPERTIES
@given(payments())
def test_the_fee_is_the_rate_of_the_amount_rounded_half_up_to_the_currencys_unit(payment):
    currency, amount, rate = payment
    exact = amount * rate / 100  # exact: at most 16 digits, well within Decimal's 28
    half = unit_of(currency) / 2

    fee = money.payment_split(amount=amount, rate_percent=rate, currency=currency).platform_fee

    # half-up: the nearest unit, and the upper one on a tie
    assert fee - half <= exact < fee + half


@pytest.mark.parametrize(
    ("amount", "rate", "currency", "fee"),
    [
        (Decimal("0.10"), Decimal("15.00"), "USD", Decimal("0.02")),  # 0.015 rounds up
        (Decimal("0.30"), Decimal("15.00"), "EUR", Decimal("0.05")),  # 0.045 rounds up
        (Decimal("0.03"), Decimal("15.00"), "USD", Decimal("0.00")),  # 0.0045 rounds down
        (Decimal("10.00"), Decimal("15.00"), "JPY", Decimal("2")),  # 1.5 yen rounds up
        (Decimal("3.00"), Decimal("16.66"), "KRW", Decimal("0")),  # 0.4998 won rounds down
    ],
)
def test_fees_round_half_up_in_the_currencys_unit(amount, rate, currency, fee):
    assert money.payment_split(amount=amount, rate_percent=rate, currency=currency).platform_fee == fee


# Refunds


@st.composite
def refund_sequences(draw) -> tuple[str, Decimal, Decimal, list[Decimal]]:
    """A payment and refunds of it that add up to at most its amount (often to all of it)."""
    currency, amount, rate = draw(payments())
    unit = unit_of(currency)
    remaining = int(amount / unit)
    refunds: list[Decimal] = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        if remaining == 0:
            break
        part = draw(st.one_of(st.integers(1, min(remaining, 100)), st.integers(1, remaining), st.just(remaining)))
        refunds.append(Decimal(part) * unit)
        remaining -= part
    if remaining and draw(st.booleans()):
        refunds.append(Decimal(remaining) * unit)  # and the rest: the whole payment returned
    return currency, amount, rate, refunds


@PROPERTIES
@given(refund_sequences())
@example(("USD", Decimal("0.03"), Decimal("50.00"), [Decimal("0.01"), Decimal("0.01"), Decimal("0.01")]))
@example(("JPY", Decimal("7.00"), Decimal("33.33"), [Decimal("1")] * 7))
def test_refunds_reverse_the_fee_and_the_share_in_parts_that_add_up(sequence):
    currency, amount, rate, refunds = sequence
    split = money.payment_split(amount=amount, rate_percent=rate, currency=currency)
    refunded, fee_refunded = Decimal(0), Decimal(0)

    for refund in refunds:
        reversal = money.refund_reversal(
            amount=amount,
            platform_fee=split.platform_fee,
            refunded_before=refunded,
            platform_fee_refunded_before=fee_refunded,
            refund_amount=refund,
            currency=currency,
        )
        # each refund's two parts are never negative, are whole minor units and add up to it
        assert reversal.platform_fee >= 0 and reversal.consultant_amount >= 0
        assert reversal.platform_fee + reversal.consultant_amount == refund
        assert_in_units(reversal.platform_fee, currency)
        refunded += refund
        fee_refunded += reversal.platform_fee
        # and what was returned so far never exceeds what was paid, part by part
        assert fee_refunded <= split.platform_fee
        assert refunded - fee_refunded <= split.consultant_amount

    if refunded == amount:
        assert (fee_refunded, refunded - fee_refunded) == (split.platform_fee, split.consultant_amount)


@PROPERTIES
@given(payments())
def test_a_full_refund_in_one_go_reverses_exactly_the_fee_and_the_share(payment):
    currency, amount, rate = payment
    split = money.payment_split(amount=amount, rate_percent=rate, currency=currency)

    reversal = money.refund_reversal(
        amount=amount,
        platform_fee=split.platform_fee,
        refunded_before=Decimal(0),
        platform_fee_refunded_before=Decimal(0),
        refund_amount=amount,
        currency=currency,
    )

    assert reversal == split


# Amounts people type


def refusal(amount, currency: str = "USD") -> str:
    with pytest.raises(ValidationError) as refused:
        money.amount_clean(amount, currency)
    assert refused.value.messages  # with a message a person can act on
    return refused.value.code or ""


@PROPERTIES
@given(currency=currencies, data=st.data())
def test_money_in_the_currencys_units_is_taken_as_typed(currency, data):
    units = data.draw(minor_units(currency))
    typed = Decimal(units) * unit_of(currency)

    for given_as in (typed, str(typed), f"  {typed}\n", units if unit_of(currency) == 1 else str(typed)):
        cleaned = money.amount_clean(given_as, currency)
        assert cleaned == typed and cleaned == cleaned.quantize(money.CENT)


@PROPERTIES
@given(
    amount=st.one_of(
        st.decimals(max_value=0, allow_nan=False, allow_infinity=False, places=2),
        st.integers(max_value=0),
        st.just("-0.00"),
    ),
    currency=currencies,
)
def test_zero_and_negative_amounts_are_refused(amount, currency):
    assert refusal(amount, currency) == "not_positive"


@PROPERTIES
@given(currency=currencies, data=st.data())
def test_more_decimals_than_the_currency_has_are_refused(currency, data):
    places = settings.BILLING_CURRENCIES[currency]
    units = data.draw(minor_units(currency, at_most=10**9))
    extra = data.draw(st.integers(min_value=1, max_value=9))  # a digit below the minor unit
    typed = Decimal(units) * unit_of(currency) + Decimal(extra).scaleb(-places - 1)

    assert refusal(str(typed), currency) == "too_many_decimals"


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("1.5", "JPY", "too_many_decimals"),
        ("0.001", "USD", "too_many_decimals"),
        ("10000000000", "USD", "too_large"),
        ("9999999999.999", "USD", "too_many_decimals"),
        ("1e10", "EUR", "too_large"),
        ("1e999999999", "USD", "too_large"),
        ("1e-999999999", "USD", "too_many_decimals"),
        ("9" * 200, "USD", "too_large"),
        ("NaN", "USD", "not_a_number"),
        ("sNaN", "USD", "not_a_number"),
        ("-NaN", "USD", "not_a_number"),
        ("Infinity", "USD", "not_a_number"),
        ("-inf", "USD", "not_a_number"),
        (Decimal("NaN"), "USD", "not_a_number"),
        (Decimal("Infinity"), "USD", "not_a_number"),
        (float("nan"), "USD", "not_a_number"),
        ("10\x00", "USD", "not_a_number"),
        ("\x0010.00", "USD", "not_a_number"),
        ("1\x000", "USD", "not_a_number"),
        ("", "USD", "not_a_number"),
        ("ten", "USD", "not_a_number"),
        ("1,000.00", "USD", "not_a_number"),
        (None, "USD", "not_a_number"),
        ("10.00", "XYZ", "unknown_currency"),
        ("10.00", "usd", "unknown_currency"),
        ("10.00", "", "unknown_currency"),
        ("10.00", "US\x00", "unknown_currency"),
    ],
)
def test_what_is_not_money_in_the_currency_is_refused_with_a_reason(amount, currency, code):
    assert refusal(amount, currency) == code


@PROPERTIES
@given(st.text(max_size=5).filter(lambda code: code not in settings.BILLING_CURRENCIES))
def test_a_currency_the_platform_does_not_take_is_refused(currency):
    assert refusal("10", currency) == "unknown_currency"


@PROPERTIES
@given(st.text(min_size=1, max_size=30).map(lambda text: text + "\x00"))
def test_text_with_a_nul_byte_is_never_an_amount(text):
    assert refusal(text) == "not_a_number"


def test_the_minor_units_come_from_the_settings(settings):
    settings.BILLING_CURRENCIES = {**settings.BILLING_CURRENCIES, "BHD": 1}

    assert money.currency_minor_units("BHD") == 1
    assert money.amount_clean("1.5", "BHD") == Decimal("1.50")
    assert refusal("1.55", "BHD") == "too_many_decimals"


# Rates


@PROPERTIES
@given(rates)
def test_every_rate_from_0_to_100_with_two_decimals_is_taken(rate):
    assert money.rate_clean(str(rate)) == rate


@pytest.mark.parametrize(
    ("rate", "code"),
    [
        ("-0.01", "rate_range"),
        ("100.01", "rate_range"),
        ("NaN", "rate_range"),
        ("Infinity", "rate_range"),
        ("12.345", "rate_decimals"),
        ("twelve", "not_a_number"),
        ("12\x00", "not_a_number"),
    ],
)
def test_a_rate_outside_0_to_100_or_finer_than_hundredths_is_refused(rate, code):
    with pytest.raises(ValidationError) as refused:
        money.rate_clean(rate)
    assert refused.value.code == code


def test_half_up_is_what_the_arithmetic_uses_not_bankers_rounding():
    # 2.5 cents of fee: banker's rounding would give 2, half-up gives 3
    split = money.payment_split(amount=Decimal("0.50"), rate_percent=Decimal("5.00"), currency="USD")
    assert split.platform_fee == Decimal("0.025").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == Decimal("0.03")
