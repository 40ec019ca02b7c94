"""Demo payments and refunds, by billing's own arithmetic, so every demo row keeps billing's invariants.

A paid booking gets a payment (now and then after a declined card): mostly in the platform's currency,
some in others (``OTHER_CURRENCIES``, the booking's price converted at a fixed demo rate, in the
currency's minor units). The fee is ``billing.money.payment_split`` at the commission rule in force that
day (``CommissionRates.rule_for``; with none, ``PLATFORM_DEFAULT_COMMISSION_PERCENT``), and the payment
keeps that rule and rate, as ``billing.services.payment_record`` does.

Some payments get refunds, which go through billing's workflow: asked for by a member of staff, approved
or rejected (for a reason) by another, processed with the fee and the consultant's share reversed by
``billing.money.refund_reversal`` on the running totals. The payment's refunded totals and status follow
its processed refunds, and what its refunds hold (all but the rejected) never exceeds it.

Prices and refunds are whole units of their currency (as price lists and goodwill refunds are). That also
keeps the demo seeding on SQLite, which evaluates billing's CHECK constraints (fee + share == amount, and
the like) in floating point: with cents on both sides a correct split now and then fails there (50.60 EUR
at 15% is 7.59 + 43.01, which floats add to 50.599999...). Every whole amount the demo makes passes.
"""

from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings

from backoffice.demo_data.context import BookingRef, DemoContext, PaymentRef, RefundRef, ServiceRef
from backoffice.demo_data.vocabulary import REFUND_REASONS, REFUND_REJECTIONS
from billing.models import Payment, PaymentStatus, Refund, RefundStatus
from billing.money import CENT, Split, payment_split, refund_reversal
from consultants.models import BookingStatus

PAYMENT_FIELDS = (
    "id", "booking_id", "payer_id", "amount", "currency", "status", "platform_fee", "consultant_amount",
    "provider_reference", "paid_at", "commission_rule_id", "commission_rate_percent", "refunded_amount",
    "platform_fee_refunded", "created_at", "updated_at",
)  # fmt: skip
REFUND_FIELDS = (
    "id", "payment_id", "amount", "reason", "status", "requested_by_id", "decided_by_id", "decided_at",
    "decision_note", "processed_by_id", "processed_at", "platform_fee_reversed", "consultant_amount_reversed",
    "created_at", "updated_at",
)  # fmt: skip
# Payments in a currency other than the platform's: (currency, share of payments). Prices are in the
# platform's currency and converted at a fixed rate per unit of it (``DEMO_EXCHANGE_RATES``): reproducible.
OTHER_CURRENCIES = (("EUR", 0.08), ("JPY", 0.03), ("SAR", 0.03))
DEMO_EXCHANGE_RATES = {"EUR": Decimal("0.92"), "JPY": Decimal("150"), "SAR": Decimal("3.75")}
WHOLE = Decimal(1)
DECLINED_SHARE = 0.06  # a declined card before the payment that went through
# Refunds still waiting for a decision or for the money to go back concern recent sessions only.
RECENT = timedelta(days=30)
PENDING_SHARE_RECENT = 0.2
# A refund story: the refunds of one payment in the order they were asked for, each (status, share of
# the payment asked for; None: all that the other refunds do not hold).
Story = tuple[tuple[str, Decimal | None], ...]


def price_in(price: Decimal, currency: str) -> Decimal:
    """A price in the platform's currency converted to ``currency`` at the demo's rate, rounded half-up to
    a whole unit (unchanged in the platform's currency)."""
    if currency == settings.DEFAULT_CURRENCY:
        return price
    return (price * DEMO_EXCHANGE_RATES[currency]).quantize(WHOLE, rounding=ROUND_HALF_UP).quantize(CENT)


class PaymentRows:
    """The payment and refund rows of a chunk of bookings, until ``write``. The splits computed so far are
    kept across chunks: a few thousand (amount, rate, currency) triples cover a million payments."""

    def __init__(self) -> None:
        self.payments: list[tuple] = []
        self.refunds: list[tuple] = []
        self._splits: dict[tuple[Decimal, Decimal, str], Split] = {}
        self.default_currency: str = settings.DEFAULT_CURRENCY
        self.default_rate: Decimal = settings.PLATFORM_DEFAULT_COMMISSION_PERCENT
        # Only currencies the platform takes, and never the platform's own under another share.
        self.other_currencies = [
            (currency, share)
            for currency, share in OTHER_CURRENCIES
            if currency in settings.BILLING_CURRENCIES and currency != self.default_currency
        ]

    def write(self, ctx: DemoContext) -> None:
        ctx.writer.write(Payment, PAYMENT_FIELDS, self.payments)
        ctx.writer.write(Refund, REFUND_FIELDS, self.refunds)
        self.payments, self.refunds = [], []

    def split(self, amount: Decimal, rate: Decimal, currency: str) -> Split:
        if (split := self._splits.get((amount, rate, currency))) is None:
            split = self._splits[amount, rate, currency] = payment_split(
                amount=amount, rate_percent=rate, currency=currency
            )
        return split

    def currency(self, ctx: DemoContext) -> str:
        roll = ctx.rng.random()
        for currency, share in self.other_currencies:
            if roll < share:
                return currency
            roll -= share
        return self.default_currency


def payments_add(
    ctx: DemoContext,
    rows: PaymentRows,
    booking: BookingRef,
    service: ServiceRef,
    created: datetime,
    *,
    keep: bool,
) -> None:
    """The payment of ``booking`` (booked at ``created``), a declined attempt before it now and then, and
    its refunds, if any."""
    currency = rows.currency(ctx)
    amount = price_in(booking.price, currency)
    if ctx.rng.random() < DECLINED_SHARE:
        declined = _charged(ctx, rows, booking, service, amount, currency, created)
        rows.payments.append(_payment_row(declined, PaymentStatus.FAILED, None, created, Decimal(0), Decimal(0)))
    payment = _charged(ctx, rows, booking, service, amount, currency, ctx.after(created, max_hours=0.5))
    refunded, fee_refunded, updated = _refunds_add(ctx, rows, booking, payment, _refund_story(ctx, booking), keep=keep)
    status = (
        PaymentStatus.REFUNDED
        if refunded == amount
        else PaymentStatus.PARTIALLY_REFUNDED
        if refunded
        else PaymentStatus.SUCCEEDED
    )
    rows.payments.append(_payment_row(payment, status, payment.at, updated, refunded, fee_refunded))
    if currency == rows.default_currency:  # the KPIs count money in the platform's currency
        day = payment.at.date()
        ctx.kpis.add_broken_down(
            "revenue_gross", day, amount, category_id=service.category_id, consultant_id=service.consultant_id
        )
        ctx.kpis.add("platform_fees", day, payment.platform_fee)
    if keep:
        ctx.payments.append(payment)


def _charged(
    ctx: DemoContext,
    rows: PaymentRows,
    booking: BookingRef,
    service: ServiceRef,
    amount: Decimal,
    currency: str,
    at: datetime,
) -> PaymentRef:
    """A payment of ``amount`` at ``at``, split by the rule in force that day, with a reference of its own."""
    (pk,) = ctx.writer.reserve(Payment, 1)
    rule = ctx.commission.rule_for(service, at.date())
    rate = rule.rate_percent if rule is not None else rows.default_rate
    split = rows.split(amount, rate, currency)
    # Unique by construction (the id, fixed-width, first), random-looking after it.
    reference = f"pi_{pk:08x}{ctx.rng.getrandbits(48):012x}"
    rule_id = rule.id if rule is not None else None
    return PaymentRef(
        pk, booking.id, booking.client_id, amount, currency, split.platform_fee, split.consultant_amount, rule_id,
        rate, reference, at,
    )  # fmt: skip


def _payment_row(
    payment: PaymentRef,
    status: str,
    paid_at: datetime | None,
    updated: datetime,
    refunded: Decimal,
    fee_refunded: Decimal,
) -> tuple:
    return (
        payment.id, payment.booking_id, payment.payer_id, payment.amount, payment.currency, status,
        payment.platform_fee, payment.consultant_amount, payment.provider_reference, paid_at,
        payment.commission_rule_id, payment.commission_rate_percent, refunded, fee_refunded, payment.at, updated,
    )  # fmt: skip


def _refund_story(ctx: DemoContext, booking: BookingRef) -> Story:
    """The refunds a payment for ``booking`` gets: a cancelled session's in full, now and then some for a
    completed one (partly, in full, in two goes, declined), none for the others."""
    rng = ctx.rng
    recent = booking.scheduled_at > ctx.now - RECENT
    roll = rng.random()
    pending = RefundStatus.REQUESTED if roll < PENDING_SHARE_RECENT / 2 else RefundStatus.APPROVED
    if booking.status == BookingStatus.CANCELLED:
        return ((pending if recent and roll < PENDING_SHARE_RECENT else RefundStatus.PROCESSED, None),)
    if booking.status != BookingStatus.COMPLETED:
        return ()
    share = Decimal(rng.randint(20, 50)) / 100
    if recent and roll < PENDING_SHARE_RECENT:
        return ((pending, share),)
    if roll < 0.025:
        return ((RefundStatus.PROCESSED, share),)
    if roll < 0.035:  # two parts, the second a smaller one
        return ((RefundStatus.PROCESSED, share), (RefundStatus.PROCESSED, Decimal(rng.randint(5, 20)) / 100))
    if roll < 0.045:
        return ((RefundStatus.PROCESSED, None),)
    if roll < 0.05:  # a part, then the rest
        return ((RefundStatus.PROCESSED, share), (RefundStatus.PROCESSED, None))
    if roll < 0.056:  # everything asked for, declined
        return ((RefundStatus.REJECTED, None),)
    if roll < 0.06:  # everything asked for, declined; a part agreed afterwards
        return ((RefundStatus.REJECTED, None), (RefundStatus.PROCESSED, share))
    return ()


def _refunds_add(
    ctx: DemoContext, rows: PaymentRows, booking: BookingRef, payment: PaymentRef, story: Story, *, keep: bool
) -> tuple[Decimal, Decimal, datetime]:
    """The refunds of ``story``, one after the other. Returns what they returned, its fee part and when
    the payment last changed (its payment, or the last refund processed)."""
    held = refunded = fee_refunded = Decimal(0)
    updated = payment.at
    if not story:
        return refunded, fee_refunded, updated
    # A cancelled session is refunded when it is cancelled; a completed one after the session.
    if booking.status == BookingStatus.CANCELLED:
        asked = ctx.moment(payment.at, min(booking.scheduled_at, ctx.now))
    else:
        asked = _later(ctx, booking.scheduled_at, max_hours=72)
    for status, share in story:
        available = payment.amount - held
        if share is None:
            amount = available
        else:
            amount = min(available, max(WHOLE, (payment.amount * share).quantize(WHOLE, rounding=ROUND_DOWN)))
        if amount <= 0:
            break
        refund = _refund(ctx, payment, amount.quantize(CENT), status, asked, refunded, fee_refunded)
        rows.refunds.append(_refund_row(refund))
        if keep:
            ctx.refunds.append(refund)
        if status != RefundStatus.REJECTED:
            held += refund.amount
        if refund.processed_at is not None and refund.platform_fee_reversed is not None:
            refunded += refund.amount
            fee_refunded += refund.platform_fee_reversed
            updated = refund.processed_at
            if payment.currency == rows.default_currency:
                ctx.kpis.add("refunds_total", refund.processed_at.date(), refund.amount)
        last = refund.processed_at or refund.decided_at or refund.requested_at
        asked = _later(ctx, last, max_hours=24 * 7, min_hours=2)
    return refunded, fee_refunded, updated


def _refund(
    ctx: DemoContext,
    payment: PaymentRef,
    amount: Decimal,
    status: str,
    asked: datetime,
    refunded_before: Decimal,
    fee_refunded_before: Decimal,
) -> RefundRef:
    """One refund of ``payment`` asked for at ``asked`` by a member of staff and, unless still requested,
    decided by another; processed, it reverses its parts of the fee and of the consultant's share."""
    (pk,) = ctx.writer.reserve(Refund, 1)
    requester, decider = _two_staff(ctx)
    requested = RefundRef(pk, payment.id, amount, ctx.pick(REFUND_REASONS), status, requester, asked)
    if status == RefundStatus.REQUESTED:
        return requested
    decided_at = _later(ctx, asked, max_hours=48, min_hours=0.5)
    decided = requested._replace(decided_by=decider, decided_at=decided_at)
    if status == RefundStatus.REJECTED:
        return decided._replace(decision_note=ctx.pick(REFUND_REJECTIONS))
    if status == RefundStatus.APPROVED:
        return decided
    reversal = refund_reversal(
        amount=payment.amount,
        platform_fee=payment.platform_fee,
        refunded_before=refunded_before,
        platform_fee_refunded_before=fee_refunded_before,
        refund_amount=amount,
        currency=payment.currency,
    )
    return decided._replace(
        processed_by=ctx.pick(ctx.staff_ids),
        processed_at=_later(ctx, decided_at, max_hours=72, min_hours=1),
        platform_fee_reversed=reversal.platform_fee,
        consultant_amount_reversed=reversal.consultant_amount,
    )


def _refund_row(refund: RefundRef) -> tuple:
    changed = refund.processed_at or refund.decided_at or refund.requested_at
    return (
        refund.id, refund.payment_id, refund.amount, refund.reason, refund.status, refund.requested_by,
        refund.decided_by, refund.decided_at, refund.decision_note, refund.processed_by, refund.processed_at,
        refund.platform_fee_reversed, refund.consultant_amount_reversed, refund.requested_at, changed,
    )  # fmt: skip


def _two_staff(ctx: DemoContext) -> tuple[int, int]:
    """Two different members of staff: who asks for a refund, and who decides on it (never the same)."""
    staff = ctx.staff_ids
    first = int(ctx.rng.random() * len(staff))
    second = (first + 1 + int(ctx.rng.random() * (len(staff) - 1))) % len(staff)
    return staff[first], staff[second]


def _later(ctx: DemoContext, moment: datetime, *, max_hours: float, min_hours: float = 0.0) -> datetime:
    """A moment after ``moment`` and before now (``moment`` itself if it is not before now).

    Unlike ``DemoContext.after``, never earlier than ``moment``: a refund's steps keep their order.
    """
    later = moment + timedelta(hours=ctx.rng.uniform(min_hours, max_hours))
    if later < ctx.now:
        return later
    return moment + (ctx.now - moment) * ctx.rng.random() if moment < ctx.now else moment
