"""Demo bookings over the past two years (and the next two months), their payments and refunds.

Generated in chunks so memory stays flat at a million bookings: each chunk's bookings are written, then
the payments and refunds they led to. Statuses follow the calendar: past sessions were completed,
cancelled or missed, future ones are pending or confirmed; confirmed and completed sessions were paid.
"""

from datetime import datetime, timedelta

from backoffice.demo_data.context import BookingRef, DemoContext, ServiceRef
from backoffice.demo_data.payments import PaymentRows, payments_add
from consultants.models import Booking, BookingStatus

CHUNK_SIZE = 20_000
FUTURE_SHARE = 0.05
BOOKING_FIELDS = (
    "id", "client_id", "consultant_id", "service_id", "scheduled_at", "status", "price", "notes", "created_at",
    "updated_at",
)  # fmt: skip
PAID_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW})


def seed_sessions(ctx: DemoContext) -> None:
    """About ``plan.bookings`` bookings with their payments (``payments.payments_add``) and refunds."""
    ids = ctx.writer.reserve(Booking, ctx.plan.bookings)
    keep_every = ctx.sample_every(len(ids))
    payments = PaymentRows()
    for start in range(0, len(ids), CHUNK_SIZE):
        bookings: list[tuple] = []
        for pk in ids[start : start + CHUNK_SIZE]:
            _add_booking(ctx, bookings, payments, pk, keep=pk % keep_every == 0)
        ctx.writer.write(Booking, BOOKING_FIELDS, bookings)
        payments.write(ctx)
    ctx.ids["consultants.booking"] = ids


def _add_booking(ctx: DemoContext, bookings: list[tuple], payments: PaymentRows, pk: int, *, keep: bool) -> None:
    service, client_id = ctx.pick(ctx.services), ctx.pick(ctx.client_ids)
    scheduled, status = _schedule(ctx)
    created = ctx.not_after_now(scheduled - timedelta(hours=ctx.rng.uniform(2, 24 * 21)))
    booking = BookingRef(
        pk, client_id, service.consultant_id, service.consultant_user_id, scheduled, status, service.price
    )
    updated = ctx.after(scheduled, max_hours=3) if scheduled < ctx.now else created
    bookings.append(
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
        payments_add(ctx, payments, booking, service, created, keep=keep)


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
