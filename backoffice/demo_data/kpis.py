"""Demo KPI history, computed from the demo rows themselves so the dashboard agrees with the tables.

Exactly ``plan.kpi_metrics`` values (when the history holds that many), the most useful first: platform-
wide monthly and weekly series, then daily, then by service category, then by consultant; newest first
within each, so a small scale still shows complete recent series.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice

from django.conf import settings

from analytics.models import KPIMetric, KPIPeriod
from backoffice.demo_data.context import DemoContext
from backoffice.demo_data.kpi_tally import BROKEN_DOWN_METRICS, MONEY_METRICS, PLATFORM_METRICS, period_start

KPI_FIELDS = ("id", "name", "category", "period", "period_start", "value", "dimensions", "computed_at")
# (name, category, period, period start, value, dimensions)
Value = tuple[str, str, str, date, Decimal, dict]


def seed_kpis(ctx: DemoContext) -> None:
    # Values the KPI job already computed win: the demo only fills in what is missing.
    taken = {_key(*row) for row in KPIMetric.objects.values_list("name", "period", "period_start", "dimensions")}
    fresh = (value for value in _values(ctx) if _key(value[0], value[2], value[3], value[5]) not in taken)
    values = list(islice(fresh, ctx.plan.kpi_metrics))
    ids = ctx.writer.reserve(KPIMetric, len(values))
    computed_at = ctx.now
    rows = ((pk, *value, computed_at) for pk, value in zip(ids, values, strict=True))
    ctx.writer.write(KPIMetric, KPI_FIELDS, rows)


def _key(name: str, period: str, start: date, dimensions: dict) -> tuple:
    return name, period, start, tuple(sorted(dimensions.items()))


def _values(ctx: DemoContext) -> Iterator[Value]:
    yield from _platform(ctx, KPIPeriod.MONTHLY)
    yield from _platform(ctx, KPIPeriod.WEEKLY)
    yield from _platform(ctx, KPIPeriod.DAILY)
    yield from _by_category(ctx, KPIPeriod.MONTHLY)
    yield from _by_category(ctx, KPIPeriod.WEEKLY)
    yield from _by_consultant(ctx, KPIPeriod.MONTHLY)
    yield from _by_category(ctx, KPIPeriod.DAILY)
    yield from _by_consultant(ctx, KPIPeriod.WEEKLY)


def _period_starts(ctx: DemoContext, period: str) -> list[date]:
    """Every period start from the first full period of the history up to today's, newest first."""
    first_day, today = ctx.start.date(), ctx.now.date()
    days = (first_day + timedelta(days=offset) for offset in range((today - first_day).days + 1))
    starts = {period_start(day, period) for day in days}
    return sorted((start for start in starts if start >= first_day), reverse=True)


def _platform(ctx: DemoContext, period: str) -> Iterator[Value]:
    values = ctx.kpis.platform_values(period)
    for start in _period_starts(ctx, period):
        for name, category in PLATFORM_METRICS.items():
            yield name, category, period, start, Decimal(values.get((name, start), 0)), _dimensions(name)


def _by_category(ctx: DemoContext, period: str) -> Iterator[Value]:
    values = ctx.kpis.category_values(period)
    for start in _period_starts(ctx, period):
        for category_id, slug in ctx.category_slugs.items():
            for name in BROKEN_DOWN_METRICS:
                amount = Decimal(values.get((name, category_id, start), 0))
                yield name, PLATFORM_METRICS[name], period, start, amount, _dimensions(name, service_category=slug)


def _by_consultant(ctx: DemoContext, period: str) -> Iterator[Value]:
    values = ctx.kpis.by_consultant
    for start in _period_starts(ctx, period):
        for consultant in ctx.consultants:
            for name in BROKEN_DOWN_METRICS:
                amount = Decimal(values.get((name, consultant.id, period, start), 0))
                yield (
                    name,
                    PLATFORM_METRICS[name],
                    period,
                    start,
                    amount,
                    _dimensions(name, consultant_id=consultant.id),
                )


def _dimensions(name: str, **breakdown: object) -> dict:
    """The value's dimensions: its breakdown, and for money the currency it is counted in."""
    return {**breakdown, "currency": settings.DEFAULT_CURRENCY} if name in MONEY_METRICS else breakdown
