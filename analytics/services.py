"""Writing KPI values: derived data, recorded as one RECOMPUTE event per run rather than a row each.

KPI values are recomputed from the facts (bookings, payments, tickets) on a schedule, so the audit trail
does not capture their rows (``auditing.capture_registry``). Whoever computes them stores a period's
values through ``kpi_values_store``: one statement for the values, one audit event saying what was
recomputed and how much was written.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics.models import KPIMetric, KPIPeriod
from auditing.models import AuditAction
from auditing.services import audit_record, entity_type_of

# KPIMetric.value keeps four decimal places; values are rounded to them, half up, before storing.
VALUE_STEP = Decimal("0.0001")
# The fields of the unique constraint analytics_kpi_value_uniq, which the upsert resolves conflicts on.
KPI_VALUE_KEY = ("name", "period", "period_start", "dimensions")
# What a rerun changes on a value already stored (computed_at: auto_now, set by the insert).
KPI_VALUE_UPDATED = ("category", "value", "computed_at")
SCOPE_KEYS = frozenset({"period", "period_start"})


@dataclass(frozen=True)
class KpiValue:
    """One metric's value for the period being stored. ``dimensions`` names the breakdown it belongs to
    (``{"service_category": "legal"}``); empty for the platform-wide value."""

    name: str
    category: str
    value: Decimal | int | float | str
    dimensions: Mapping[str, Any] = field(default_factory=dict)


@transaction.atomic
def kpi_values_store(
    *,
    period: str,
    period_start: date,
    values: Iterable[KpiValue | Mapping[str, Any]],
    scope: Mapping[str, Any] | None = None,
) -> int:
    """Stores ``values`` for the ``period`` (DAILY, WEEKLY, MONTHLY) starting on ``period_start`` and
    returns how many were stored.

    One statement inserts the new values and updates those stored before (same name and dimensions):
    their category, value and ``computed_at``. Values stored before and not named again stay as they are.
    Writes one RECOMPUTE audit event for the call, in the same transaction, with ``{"scope": {"period",
    "period_start", **scope}, "counts": {"values", "metrics"}}``; the rows themselves are not captured.
    ``scope`` says what else the run covered (``{"job": "compute_kpis"}``); its values must be JSON.

    Raises ``ValueError`` and stores nothing for an unknown period, a ``period_start`` that does not begin
    one (weeks begin on Monday, months on the 1st), a value that is not valid (no name, unknown category,
    not a number, too many digits, dimensions that are not a JSON object), a metric given twice with the
    same dimensions, or a ``scope`` naming ``period`` or ``period_start``.
    """
    _check_period(period, period_start)
    scope = dict(scope or {})
    if clash := SCOPE_KEYS & scope.keys():
        raise ValueError(f"scope must not set {', '.join(sorted(clash))}: they are the period's own")
    rows = [_kpi_metric(_kpi_value(value), period, period_start) for value in values]
    _check_each_once(rows)
    KPIMetric.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=KPI_VALUE_KEY, update_fields=KPI_VALUE_UPDATED
    )
    audit_record(
        action=AuditAction.RECOMPUTE,
        entity_type=entity_type_of(KPIMetric),
        changes={
            "scope": {"period": period, "period_start": period_start.isoformat(), **scope},
            "counts": {"values": len(rows), "metrics": len({row.name for row in rows})},
        },
    )
    return len(rows)


def _check_period(period: str, period_start: date) -> None:
    if period not in KPIPeriod.values:
        raise ValueError(f"unknown KPI period {period!r}: expected one of {', '.join(KPIPeriod.values)}")
    if isinstance(period_start, datetime) or not isinstance(period_start, date):
        raise ValueError(f"period_start must be a date, not {period_start!r}")
    if period == KPIPeriod.WEEKLY and period_start.weekday() != 0:
        raise ValueError(f"a WEEKLY period starts on a Monday; {period_start:%Y-%m-%d} is a {period_start:%A}")
    if period == KPIPeriod.MONTHLY and period_start.day != 1:
        first = period_start - timedelta(days=period_start.day - 1)
        raise ValueError(f"a MONTHLY period starts on the 1st: {first:%Y-%m-%d}, not {period_start:%Y-%m-%d}")


def _kpi_value(value: KpiValue | Mapping[str, Any]) -> KpiValue:
    if isinstance(value, KpiValue):
        return value
    try:
        return KpiValue(**value)
    except TypeError as error:
        raise ValueError(
            f"a KPI value has name, category, value and optionally dimensions; got {sorted(value)}"
        ) from error


def _kpi_metric(value: KpiValue, period: str, period_start: date) -> KPIMetric:
    """The row for ``value``, validated by the model's own rules (choices, lengths, digits)."""
    if not isinstance(value.dimensions, Mapping):
        raise ValueError(f"KPI value {value.name!r}: dimensions must be a mapping, not {value.dimensions!r}")
    row = KPIMetric(
        name=value.name,
        category=value.category,
        period=period,
        period_start=period_start,
        value=_quantized(value),
        dimensions=dict(value.dimensions),
    )
    try:
        # The unique and check constraints are the upsert's and the database's to enforce.
        row.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        raise ValueError(f"KPI value {value.name!r} {dict(value.dimensions)}: {problems}") from error
    return row


def _quantized(value: KpiValue) -> Decimal:
    try:
        # A float goes through its shortest text, so 0.1 is 0.1 and not 0.1000000000000000055...
        number = Decimal(str(value.value)) if isinstance(value.value, float) else Decimal(value.value)
        return number.quantize(VALUE_STEP, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValueError(f"KPI value {value.name!r}: {value.value!r} is not a number a KPI value can hold") from error


def _check_each_once(rows: list[KPIMetric]) -> None:
    # One statement cannot update the same row twice (PostgreSQL refuses it): say which value repeats.
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.name, json.dumps(row.dimensions, sort_keys=True))
        if key in seen:
            raise ValueError(f"KPI value {row.name!r} {row.dimensions} is given twice")
        seen.add(key)


# The longest span one recompute covers: ten years of days, each a handful of values.
KPI_COMPUTE_MAX_DAYS = 3_700


@dataclass(frozen=True)
class KpiRecompute:
    days: int
    weeks: int
    months: int
    values: int


def kpis_compute(*, start: date, end: date, job: str = "compute_kpis") -> KpiRecompute:
    """Recomputes every metric (``analytics.metrics``) for each day from ``start`` to ``end`` inclusive (local
    days, ``settings.TIME_ZONE``), and for each week (Monday first) and month those days fall in, so far.

    Safe to repeat: values are upserted, each period in one statement with its RECOMPUTE event. A day without
    facts stores 0 for the platform-wide metrics (a chart's gap would read as "unknown"); breakdowns store
    only what occurred (no 0 for every currency). Raises ``ValueError`` for a backwards or too long span.
    """
    from analytics.metrics import METRICS

    if isinstance(start, datetime) or isinstance(end, datetime):
        raise ValueError("start and end are dates, not times")
    if end < start:
        raise ValueError(f"the span ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
    if (end - start).days + 1 > KPI_COMPUTE_MAX_DAYS:
        raise ValueError(f"at most {KPI_COMPUTE_MAX_DAYS:,} days at a time; split the span")
    # Every day of every week and month touched, so that their totals can be rolled up from the days.
    earliest = min(_week_start(start), start.replace(day=1))
    latest = max(_week_start(end) + timedelta(days=6), _month_end(end))
    zone = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(earliest, time.min, tzinfo=zone)
    until = datetime.combine(latest + timedelta(days=1), time.min, tzinfo=zone)

    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    periods = sorted(
        {(KPIPeriod.DAILY, day) for day in days}
        | {(KPIPeriod.WEEKLY, _week_start(day)) for day in days}
        | {(KPIPeriod.MONTHLY, day.replace(day=1)) for day in days}
    )
    # (period, period start) -> (metric, dimensions as JSON) -> value: each day's facts are added to the
    # day, its week and its month in one pass.
    totals: dict[tuple[str, date], dict[tuple[str, str], Any]] = {period: {} for period in periods}
    for metric in METRICS:
        if not metric.breakdown:  # platform-wide: 0 on a day without facts, so every period has a value
            for values in totals.values():
                values[(metric.name, "{}")] = 0
        for day, dimensions, value in metric.daily(since, until):
            key = (metric.name, json.dumps(dimensions, sort_keys=True))
            for period in (
                (KPIPeriod.DAILY, day),
                (KPIPeriod.WEEKLY, _week_start(day)),
                (KPIPeriod.MONTHLY, day.replace(day=1)),
            ):
                if period in totals:
                    totals[period][key] = totals[period].get(key, 0) + value
    categories = {metric.name: metric.category for metric in METRICS}
    stored = sum(
        kpi_values_store(
            period=period,
            period_start=first,
            values=[
                KpiValue(name, categories[name], value, json.loads(dimensions))
                for (name, dimensions), value in values.items()
            ],
            scope={"job": job},
        )
        for (period, first), values in totals.items()
    )
    count = {kind: sum(1 for period, _start in periods if period == kind) for kind in KPIPeriod.values}
    return KpiRecompute(
        days=count[KPIPeriod.DAILY], weeks=count[KPIPeriod.WEEKLY], months=count[KPIPeriod.MONTHLY], values=stored
    )


def kpis_compute_recent(*, now: datetime | None = None) -> KpiRecompute:
    """The KPI job's run: yesterday (its facts may still have been arriving at midnight) and today so far."""
    today = timezone.localdate(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))
    return kpis_compute(start=today - timedelta(days=1), end=today, job="kpis-compute")


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
