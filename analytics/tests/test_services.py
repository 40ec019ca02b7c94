"""Storing KPI values: one statement for the values, one RECOMPUTE event for the run, no row-by-row trail."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import KPICategory, KPIMetric, KPIPeriod
from analytics.services import KpiValue, kpi_values_store
from analytics.tests.factories import KPIMetricFactory
from auditing.models import AuditAction, AuditLog
from core.request_context import bind_system_actor

pytestmark = pytest.mark.usefixtures("require_postgres")

MARCH = date(2026, 3, 1)


def consultant_values(count: int, offset: int = 0) -> list[dict]:
    """``count`` values: five metrics, each broken down by consultant."""
    return [
        {
            "name": f"metric_{n % 5}",
            "category": KPICategory.SESSIONS,
            "value": Decimal(n + offset),
            "dimensions": {"consultant_id": n // 5},
        }
        for n in range(count)
    ]


def recompute_events():
    return AuditLog.objects.filter(entity_type="analytics.kpimetric")


def test_five_hundred_values_are_one_statement_and_one_audit_event():
    # given
    trail_before = AuditLog.objects.count()
    # when
    with bind_system_actor("compute_kpis"), CaptureQueriesContext(connection) as queries:
        stored = kpi_values_store(
            period=KPIPeriod.MONTHLY, period_start=MARCH, values=consultant_values(500), scope={"job": "kpis"}
        )
    # then
    assert stored == 500 == KPIMetric.objects.filter(period=KPIPeriod.MONTHLY, period_start=MARCH).count()
    writes = [q["sql"] for q in queries if 'INSERT INTO "analytics_kpimetric"' in q["sql"]]
    assert len(writes) == 1 and "ON CONFLICT" in writes[0]
    assert AuditLog.objects.count() == trail_before + 1
    event = recompute_events().get()
    assert (event.action, event.actor_label, event.entity_id) == (AuditAction.RECOMPUTE, "system: compute_kpis", "")
    assert event.changes == {
        "scope": {"period": "MONTHLY", "period_start": "2026-03-01", "job": "kpis"},
        "counts": {"values": 500, "metrics": 5},
    }


def test_a_rerun_updates_the_values_and_writes_one_more_event():
    # given
    kpi_values_store(period=KPIPeriod.MONTHLY, period_start=MARCH, values=consultant_values(50))
    first_computed = KPIMetric.objects.latest("computed_at").computed_at
    # when
    stored = kpi_values_store(period=KPIPeriod.MONTHLY, period_start=MARCH, values=consultant_values(50, offset=1000))
    # then
    assert stored == 50
    values = KPIMetric.objects.filter(period_start=MARCH)
    assert values.count() == 50
    assert values.get(name="metric_0", dimensions={"consultant_id": 0}).value == Decimal("1000")
    assert values.filter(computed_at__lte=first_computed).count() == 0
    assert [event.action for event in recompute_events()] == [AuditAction.RECOMPUTE] * 2


def test_dataclass_values_are_rounded_and_other_values_stay():
    # given a value of another period, and one of this period that the run does not recompute
    other_period = KPIMetricFactory(name="revenue_gross", period=KPIPeriod.WEEKLY, period_start=date(2026, 3, 2))
    untouched = KPIMetricFactory(name="tickets_opened", period=KPIPeriod.MONTHLY, period_start=MARCH)
    # when
    kpi_values_store(
        period=KPIPeriod.MONTHLY,
        period_start=MARCH,
        values=[
            KpiValue(name="revenue_gross", category=KPICategory.REVENUE, value=Decimal("1234.56789")),
            KpiValue(name="revenue_gross", category=KPICategory.REVENUE, value=0.1, dimensions={"currency": "EUR"}),
        ],
    )
    # then
    stored = KPIMetric.objects.filter(name="revenue_gross", period=KPIPeriod.MONTHLY)
    assert sorted(stored.values_list("value", flat=True)) == [Decimal("0.1000"), Decimal("1234.5679")]
    for value in (other_period, untouched):
        assert KPIMetric.objects.get(pk=value.pk).value == value.value


@pytest.mark.parametrize(
    ("period", "period_start", "values", "scope", "message"),
    [
        ("HOURLY", MARCH, [], None, "unknown KPI period 'HOURLY': expected one of DAILY, WEEKLY, MONTHLY"),
        ("WEEKLY", date(2026, 3, 4), [], None, "starts on a Monday; 2026-03-04 is a Wednesday"),
        ("MONTHLY", date(2026, 3, 15), [], None, "starts on the 1st: 2026-03-01, not 2026-03-15"),
        ("DAILY", datetime(2026, 3, 1, tzinfo=UTC), [], None, "must be a date"),
        ("MONTHLY", MARCH, [{"name": "x", "category": "VIBES", "value": 1}], None, "category: Value 'VIBES'"),
        ("MONTHLY", MARCH, [{"name": "", "category": "USERS", "value": 1}], None, "name: This field cannot be blank"),
        ("MONTHLY", MARCH, [{"name": "x", "category": "USERS", "value": "many"}], None, "not a number"),
        ("MONTHLY", MARCH, [{"name": "x", "category": "USERS", "value": 10**17}], None, "no more than 20 digits"),
        ("MONTHLY", MARCH, [{"name": "x", "category": "USERS", "value": 1, "unit": "EUR"}], None, "'unit'"),
        ("MONTHLY", MARCH, [{"name": "x", "category": "USERS", "value": 1, "dimensions": [1]}], None, "mapping"),
        ("MONTHLY", MARCH, [{"name": "x", "category": "USERS", "value": 1}] * 2, None, "given twice"),
        ("MONTHLY", MARCH, [], {"period": "DAILY"}, "scope must not set period"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_stores_nothing(period, period_start, values, scope, message):
    # given a value stored before that the refused run would have overwritten
    KPIMetricFactory(name="x", category=KPICategory.USERS, period=KPIPeriod.MONTHLY, period_start=MARCH, value=7)
    trail_before = AuditLog.objects.count()
    # when / then
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        kpi_values_store(period=period, period_start=period_start, values=[*values, *consultant_values(3)], scope=scope)
    assert KPIMetric.objects.get().value == Decimal(7)
    assert AuditLog.objects.count() == trail_before
