"""Demo bookings over the past two years (and the next two months), their payments and refunds.

Generated in chunks so memory stays flat at a million bookings: each chunk's bookings are written, then
the payments and refunds they led to. Statuses follow the calendar: past sessions were completed,
cancelled or missed, future ones are pending or confirmed; confirmed and completed sessions were paid.
"""

from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings

from backoffice.demo_data.context import BookingRef, DemoContext, PaymentRef, ServiceRef
from backoffice.demo_data.vocabulary import REFUND_REASONS
from billing.models import Payment, PaymentStatus, Refund, RefundStatus
from billing.money import CENT, payment_split
from billing.money import Split as PaymentSplit
from consultants.models import Booking, BookingStatus

CHUNK_SIZE = 20_000
FUTURE_SHARE = 0.05
BOOKING_FIELDS = (
    "id", "client_id", "consultant_id", "service_id", "scheduled_at", "status", "price", "notes", "created_at",
    "updated_at",
)  # fmt: skip
PAYMENT_FIELDS = (
    "id", "booking_id", "payer_id", "amount", "currency", "status", "platform_fee", "consultant_amount",
    "provider_reference", "paid_at", "created_at", "updated_at",
)  # fmt: skip
REFUND_FIELDS = (
    "id", "payment_id", "amount", "reason", "status", "requested_by_id", "processed_at", "created_at", "updated_at",
)  # fmt: skip
# Fee splits by (price, rate): a few hundred distinct pairs cover a million payments.
Splits = dict[tuple[Decimal, Decimal], PaymentSplit]
PAID_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW})


class _Chunk:
    def __init__(self) -> None:
        self.bookings: list[tuple] = []
        self.payments: list[tuple] = []
        self.refunds: list[tuple] = []


def seed_sessions(ctx: DemoContext) -> None:
    """About ``plan.bookings`` bookings with their payments (fee split by the commission in force) and refunds."""
    ids = ctx.writer.reserve(Booking, ctx.plan.bookings)
    keep_every = ctx.sample_every(len(ids))
    splits: Splits = {}
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = _Chunk()
        for pk in ids[start : start + CHUNK_SIZE]:
            _add_booking(ctx, chunk, pk, splits, keep=pk % keep_every == 0)
        ctx.writer.write(Booking, BOOKING_FIELDS, chunk.bookings)
        ctx.writer.write(Payment, PAYMENT_FIELDS, chunk.payments)
        ctx.writer.write(Refund, REFUND_FIELDS, chunk.refunds)
    ctx.ids["consultants.booking"] = ids


def _add_booking(ctx: DemoContext, chunk: _Chunk, pk: int, splits: Splits, *, keep: bool) -> None:
    service, client_id = ctx.pick(ctx.services), ctx.pick(ctx.client_ids)
    scheduled, status = _schedule(ctx)
    created = ctx.not_after_now(scheduled - timedelta(hours=ctx.rng.uniform(2, 24 * 21)))
    booking = BookingRef(
        pk, client_id, service.consultant_id, service.consultant_user_id, scheduled, status, service.price
    )
    updated = ctx.after(scheduled, max_hours=3) if scheduled < ctx.now else created
    chunk.bookings.append(
        (pk, client_id, service.consultant_id, service.id, scheduled, status, service.price, "", created, updated)
    )
    _tally_booking(ctx, booking, service, created)
    if keep:
        ctx.bookings.append(booking)
    if status == BookingStatus.COMPLETED:
        roll = ctx.rng.random()
        if roll < 0.1:
            ctx.report_bookings.append(booking)
        elif roll < 0.12:
            ctx.study_bookings.append(booking)
    if status in PAID_STATUSES or (status == BookingStatus.CANCELLED and ctx.rng.random() < 0.5):
        _add_payments(ctx, chunk, booking, service, created, splits, keep=keep)


def _schedule(ctx: DemoContext) -> tuple[datetime, str]:
    rng = ctx.rng
    if rng.random() < FUTURE_SHARE:
        # From tomorrow on: `ctx.now` is today's midnight, and the clock may already be well past it.
        moment = ctx.now + timedelta(days=1, hours=rng.uniform(0, 24 * 59))
        status = rng.choices(_FUTURE_STATUSES, _FUTURE_WEIGHTS)[0]
    else:
        moment = ctx.growing_moment(ctx.start, ctx.now - timedelta(days=1))
        recent = moment > ctx.now - timedelta(days=3)
        # Sessions of the last few days may not have been marked completed yet.
        status = (
            BookingStatus.CONFIRMED if recent and rng.random() < 0.6 else rng.choices(_PAST_STATUSES, _PAST_WEIGHTS)[0]
        )
    # Sessions start on the hour or the half hour, during office hours.
    return moment.replace(hour=8 + moment.hour % 10, minute=30 * (moment.minute % 2), second=0, microsecond=0), status


_PAST_STATUSES = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW)
_PAST_WEIGHTS = (86, 9, 5)
_FUTURE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CANCELLED)
_FUTURE_WEIGHTS = (60, 30, 10)


def _tally_booking(ctx: DemoContext, booking: BookingRef, service: ServiceRef, created: datetime) -> None:
    ctx.kpis.add("sessions_booked", created.date())
    if booking.status == BookingStatus.COMPLETED:
        ctx.kpis.add_broken_down(
            "sessions_completed",
            booking.scheduled_at.date(),
            1,
            category_id=service.category_id,
            consultant_id=service.consultant_id,
        )
    elif booking.status == BookingStatus.CANCELLED:
        ctx.kpis.add("sessions_cancelled", booking.scheduled_at.date())


def _add_payments(
    ctx: DemoContext,
    chunk: _Chunk,
    booking: BookingRef,
    service: ServiceRef,
    created: datetime,
    splits: Splits,
    *,
    keep: bool,
) -> None:
    paid_at = ctx.after(created, max_hours=0.5)
    rate = ctx.commission.rate_for(service, paid_at.date())
    if (split := splits.get((booking.price, rate))) is None:
        split = splits[booking.price, rate] = payment_split(
            amount=booking.price, rate_percent=rate, currency=settings.DEFAULT_CURRENCY
        )
    if ctx.rng.random() < 0.06:  # a declined card before the payment that went through
        chunk.payments.append(_payment_row(ctx, booking, split, PaymentStatus.FAILED, None, created))
    refund = _refund_plan(ctx, booking)
    status = refund[0] if refund else PaymentStatus.SUCCEEDED
    payment_row = _payment_row(ctx, booking, split, status, paid_at, paid_at)
    chunk.payments.append(payment_row)
    ctx.kpis.add_broken_down(
        "revenue_gross",
        paid_at.date(),
        booking.price,
        category_id=service.category_id,
        consultant_id=service.consultant_id,
    )
    ctx.kpis.add("platform_fees", paid_at.date(), split.platform_fee)
    payment = PaymentRef(payment_row[0], booking.client_id, booking.price, paid_at)
    if keep:
        ctx.payments.append(payment)
    if refund:
        _add_refund(ctx, chunk, booking, payment, refund[1], refund[2], keep=keep)


def _payment_row(
    ctx: DemoContext, booking: BookingRef, split: PaymentSplit, status: str, paid_at: datetime | None, created: datetime
) -> tuple:
    (pk,) = ctx.writer.reserve(Payment, 1)
    reference = f"pi_{ctx.rng.getrandbits(64):016x}"
    return (
        pk, booking.id, booking.client_id, booking.price, settings.DEFAULT_CURRENCY, status, split.platform_fee,
        split.consultant_amount, reference, paid_at, created, paid_at or created,
    )  # fmt: skip


def _refund_plan(ctx: DemoContext, booking: BookingRef) -> tuple[str, str, Decimal] | None:
    """(payment status, refund status, share refunded) for a payment that gets a refund, else None."""
    if booking.status == BookingStatus.CANCELLED:
        return PaymentStatus.REFUNDED, RefundStatus.PROCESSED, Decimal(1)
    if booking.status != BookingStatus.COMPLETED:
        return None
    roll = ctx.rng.random()
    share = Decimal(ctx.rng.randint(20, 50)) / 100
    if roll < 0.03:
        return PaymentStatus.PARTIALLY_REFUNDED, RefundStatus.PROCESSED, share
    if roll < 0.04:
        return PaymentStatus.REFUNDED, RefundStatus.PROCESSED, Decimal(1)
    if roll < 0.045:
        return PaymentStatus.SUCCEEDED, RefundStatus.REJECTED, share
    if roll < 0.05:
        return PaymentStatus.SUCCEEDED, RefundStatus.REQUESTED, share
    return None


def _add_refund(
    ctx: DemoContext,
    chunk: _Chunk,
    booking: BookingRef,
    payment: PaymentRef,
    status: str,
    share: Decimal,
    *,
    keep: bool,
) -> None:
    (pk,) = ctx.writer.reserve(Refund, 1)
    # Never more than the payment: a share of at most 1, rounded down to the cent.
    amount = max(CENT, (payment.amount * share).quantize(CENT, rounding=ROUND_DOWN))
    # A cancelled session is refunded when it is cancelled; a completed one after the session.
    if booking.status == BookingStatus.CANCELLED:
        requested = ctx.moment(payment.at, min(booking.scheduled_at, ctx.now))
    else:
        requested = ctx.after(booking.scheduled_at, max_hours=72)
    processed = ctx.after(requested, max_hours=96) if status != RefundStatus.REQUESTED else None
    reason = ctx.pick(REFUND_REASONS)
    chunk.refunds.append(
        (pk, payment.id, amount, reason, status, booking.client_id, processed, requested, processed or requested)
    )
    if status == RefundStatus.PROCESSED and processed is not None:  # a processed refund always has its date
        ctx.kpis.add("refunds_total", processed.date(), amount)
    if keep:
        ctx.refunds.append(PaymentRef(pk, booking.client_id, amount, processed or requested))
