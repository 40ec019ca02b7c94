from datetime import date

import pytest

from analytics.tests.factories import KPIMetricFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


def test_one_value_per_metric_period_and_dimensions():
    KPIMetricFactory(name="revenue", period_start=date(2026, 3, 1), dimensions={"category": "legal"})
    assert_rejected(
        lambda: KPIMetricFactory(name="revenue", period_start=date(2026, 3, 1), dimensions={"category": "legal"})
    )


def test_other_dimensions_are_other_values():
    KPIMetricFactory(name="revenue", period_start=date(2026, 3, 1), dimensions={"category": "legal"})
    assert KPIMetricFactory(name="revenue", period_start=date(2026, 3, 1), dimensions={"category": "tax"}).pk


@pytest.mark.parametrize("field, value", [("period", "HOURLY"), ("category", "VIBES")])
def test_kpi_enums_are_enforced(field, value):
    assert_rejected(lambda: KPIMetricFactory(**{field: value}))
