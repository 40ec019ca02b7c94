"""Demo reports and feasibility studies after sessions, consultants' articles, and messages."""

from datetime import timedelta
from decimal import Decimal

from django.utils.text import slugify

from backoffice.demo_data.context import BookingRef, ConsultantRef, DemoContext
from backoffice.demo_data.vocabulary import ARTICLE_TITLES, MESSAGE_SUBJECTS, REPORT_TITLES, SENTENCES, STUDY_TITLES
from billing.money import CENT
from consultants.models import (
    Article,
    ArticleStatus,
    DeliverableStatus,
    FeasibilityStudy,
    Message,
    MessageStatus,
    Report,
)

REPORT_FIELDS = (
    "id", "consultant_id", "client_id", "booking_id", "title", "body", "status", "delivered_at", "created_at",
    "updated_at",
)  # fmt: skip
STUDY_FIELDS = (
    "id", "consultant_id", "client_id", "booking_id", "title", "summary", "body", "estimated_budget", "status",
    "delivered_at", "created_at", "updated_at",
)  # fmt: skip
ARTICLE_FIELDS = ("id", "author_id", "title", "slug", "body", "status", "published_at", "created_at", "updated_at")
MESSAGE_FIELDS = (
    "id", "sender_id", "recipient_id", "booking_id", "subject", "body", "status", "read_at", "created_at",
    "updated_at",
)  # fmt: skip


def seed_deliverables(ctx: DemoContext) -> None:
    """Reports and studies for some completed sessions, about three articles per consultant, and messages."""
    _seed_reports(ctx)
    _seed_studies(ctx)
    _seed_articles(ctx)
    _seed_messages(ctx)


def _paragraph(ctx: DemoContext, sentences: int = 3) -> str:
    return " ".join(ctx.rng.sample(SENTENCES, sentences))


def _delivery(ctx: DemoContext, booking: BookingRef) -> tuple[str, object, object]:
    """(status, delivered_at, created_at): written within days of the session, delivered after review."""
    created = ctx.after(booking.scheduled_at, min_hours=2, max_hours=24 * 7)
    delivered = ctx.after(created, min_hours=24, max_hours=24 * 10)
    if delivered >= ctx.now:
        return ctx.pick([DeliverableStatus.DRAFT, DeliverableStatus.SUBMITTED]), None, created
    status = DeliverableStatus.ARCHIVED if ctx.rng.random() < 0.1 else DeliverableStatus.DELIVERED
    return status, delivered, created


def _seed_reports(ctx: DemoContext) -> None:
    ids = ctx.writer.reserve(Report, len(ctx.report_bookings))
    ctx.ids["consultants.report"] = ids
    rows = (_report_row(ctx, pk, booking) for pk, booking in zip(ids, ctx.report_bookings, strict=True))
    ctx.writer.write(Report, REPORT_FIELDS, rows)


def _report_row(ctx: DemoContext, pk: int, booking: BookingRef) -> tuple:
    status, delivered, created = _delivery(ctx, booking)
    title, body = ctx.pick(REPORT_TITLES), _paragraph(ctx)
    return (
        pk, booking.consultant_id, booking.client_id, booking.id, title, body, status, delivered, created,
        delivered or created,
    )  # fmt: skip


def _seed_studies(ctx: DemoContext) -> None:
    ids = ctx.writer.reserve(FeasibilityStudy, len(ctx.study_bookings))
    ctx.ids["consultants.feasibilitystudy"] = ids
    rows = (_study_row(ctx, pk, booking) for pk, booking in zip(ids, ctx.study_bookings, strict=True))
    ctx.writer.write(FeasibilityStudy, STUDY_FIELDS, rows)


def _study_row(ctx: DemoContext, pk: int, booking: BookingRef) -> tuple:
    status, delivered, created = _delivery(ctx, booking)
    budget = Decimal(ctx.rng.randrange(10_000, 2_000_000, 500)).quantize(CENT)
    title, summary, body = ctx.pick(STUDY_TITLES), _paragraph(ctx, 2), _paragraph(ctx, 5)
    return (
        pk, booking.consultant_id, booking.client_id, booking.id, title, summary, body, budget, status, delivered,
        created, delivered or created,
    )  # fmt: skip


def _seed_articles(ctx: DemoContext) -> None:
    authors = [consultant for consultant in ctx.consultants for _ in range(ctx.rng.randint(0, 6))]
    ids = ctx.writer.reserve(Article, len(authors))
    ctx.ids["consultants.article"] = ids
    rows = (_article_row(ctx, pk, author) for pk, author in zip(ids, authors, strict=True))
    ctx.writer.write(Article, ARTICLE_FIELDS, rows)


def _article_row(ctx: DemoContext, pk: int, author: ConsultantRef) -> tuple:
    title = ctx.pick(ARTICLE_TITLES)
    created = ctx.moment(max(author.joined, ctx.start), ctx.now)
    published = ctx.after(created, min_hours=24, max_hours=24 * 14)
    draft = published >= ctx.now or ctx.rng.random() < 0.15
    status, published_at = (ArticleStatus.DRAFT, None) if draft else (ArticleStatus.PUBLISHED, published)
    # The id makes the slug unique however often a title repeats.
    slug = f"{slugify(title)}-{pk}"
    return (pk, author.id, title, slug, _paragraph(ctx, 6), status, published_at, created, published_at or created)


def _seed_messages(ctx: DemoContext) -> None:
    ids = ctx.writer.reserve(Message, ctx.plan.messages)
    ctx.ids["consultants.message"] = ids
    ctx.writer.write(Message, MESSAGE_FIELDS, (_message_row(ctx, pk) for pk in ids))


def _message_row(ctx: DemoContext, pk: int) -> tuple:
    booking = ctx.pick(ctx.bookings)
    pair = (booking.client_id, booking.consultant_user_id)
    sender, recipient = pair if ctx.rng.random() < 0.5 else pair[::-1]
    sent = ctx.moment(booking.scheduled_at - timedelta(days=7), booking.scheduled_at + timedelta(days=7))
    sent = ctx.not_after_now(max(sent, ctx.start))
    read_at = ctx.after(sent, max_hours=48) if ctx.rng.random() < 0.7 else None
    status = MessageStatus.READ if read_at else ctx.pick([MessageStatus.SENT, MessageStatus.DELIVERED])
    booking_id = booking.id if ctx.rng.random() < 0.6 else None
    subject = ctx.pick(MESSAGE_SUBJECTS)
    return (pk, sender, recipient, booking_id, subject, _paragraph(ctx, 2), status, read_at, sent, read_at or sent)
