"""Demo service categories, the consultants' services, and commission rules per category and service."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils.text import slugify

from backoffice.demo_data.context import CommissionRates, CommissionRule, ConsultantRef, DemoContext, ServiceRef
from backoffice.demo_data.vocabulary import SENTENCES, SERVICE_CATEGORIES
from billing.models import ServiceCommission
from billing.money import CENT
from consultants.models import Service, ServiceCategory

DURATIONS = (30, 45, 60, 60, 60, 90, 120)
CATEGORY_RATES = (Decimal("12.00"), Decimal("18.00"), Decimal("20.00"))
SERVICE_RATE = Decimal("10.00")
SERVICE_FIELDS = (
    "id", "consultant_id", "category_id", "title", "description", "price", "duration_minutes", "is_active",
    "created_at", "updated_at",
)  # fmt: skip
COMMISSION_FIELDS = (
    "id", "service_id", "category_id", "rate_percent", "effective_from", "is_active", "created_at", "updated_at",
)  # fmt: skip


def seed_offerings(ctx: DemoContext) -> None:
    """Categories (reused when they exist), two to four services per consultant, and commission rules."""
    titles = _ensure_categories(ctx)
    _seed_services(ctx, titles)
    _seed_commissions(ctx)


def _ensure_categories(ctx: DemoContext) -> dict[int, tuple[str, ...]]:
    titles: dict[int, tuple[str, ...]] = {}
    for name, service_titles in SERVICE_CATEGORIES:
        category, _ = ServiceCategory.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        titles[category.pk] = service_titles
        ctx.category_slugs[category.pk] = category.slug
    return titles


def _seed_services(ctx: DemoContext, titles: dict[int, tuple[str, ...]]) -> None:
    category_ids = list(titles)
    rows = []
    for consultant in ctx.consultants:
        # Most consultants work in one field, with the odd service outside it.
        home = ctx.pick(category_ids)
        for _ in range(ctx.rng.randint(2, 4)):
            category_id = home if ctx.rng.random() < 0.7 else ctx.pick(category_ids)
            (pk,) = ctx.writer.reserve(Service, 1)
            price = Decimal(ctx.rng.randrange(50, 800, 5)).quantize(CENT)
            ctx.services.append(ServiceRef(pk, consultant.id, consultant.user_id, category_id, price))
            rows.append(_service_row(ctx, pk, consultant, category_id, price, titles[category_id]))
    ctx.writer.write(Service, SERVICE_FIELDS, rows)


def _service_row(
    ctx: DemoContext, pk: int, consultant: ConsultantRef, category_id: int, price: Decimal, titles: tuple[str, ...]
) -> tuple:
    created = ctx.after(consultant.joined, max_hours=24 * 30)
    title, description, duration = ctx.pick(titles), ctx.pick(SENTENCES), ctx.pick(DURATIONS)
    active = ctx.rng.random() < 0.9
    return (pk, consultant.id, category_id, title, description, price, duration, active, created, created)


def _seed_commissions(ctx: DemoContext) -> None:
    """A rate for some categories from a year ago and a negotiated rate for a few services, beside the
    active rules already there (the platform default at least), all held in ``ctx.commission``.

    A category that already has an active rule keeps it alone: a demo rule beside it could overlap it,
    which billing forbids.
    """
    existing = ServiceCommission.objects.filter(service=None, is_active=True).order_by("-effective_from", "-pk")
    ctx.commission = CommissionRates(default=[])
    for rule in existing:
        held = CommissionRule(rule.pk, rule.effective_from, rule.effective_to, rule.rate_percent)
        if rule.category_id is None:
            ctx.commission.default.append(held)
        else:
            ctx.commission.by_category.setdefault(rule.category_id, []).append(held)
    since = (ctx.now - timedelta(days=365)).date()
    rows: list[tuple[int, int | None, int | None, Decimal, date]] = []
    for category_id, rate in zip(ctx.category_slugs, CATEGORY_RATES, strict=False):
        if category_id not in ctx.commission.by_category:
            (pk,) = ctx.writer.reserve(ServiceCommission, 1)
            ctx.commission.by_category[category_id] = [CommissionRule(pk, since, None, rate)]
            rows.append((pk, None, category_id, rate, since))
    for service in ctx.services:
        if ctx.rng.random() < 0.02:  # a negotiated rate for a few star consultants' services
            (pk,) = ctx.writer.reserve(ServiceCommission, 1)
            ctx.commission.by_service[service.id] = [CommissionRule(pk, ctx.start.date(), None, SERVICE_RATE)]
            rows.append((pk, service.id, None, SERVICE_RATE, ctx.start.date()))
    values = [(*row, True, ctx.start, ctx.start) for row in rows]
    ctx.writer.write(ServiceCommission, COMMISSION_FIELDS, values)
