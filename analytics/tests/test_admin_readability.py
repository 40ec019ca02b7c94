"""KPI values read with their unit, from the one table of units (``analytics.admin.KPI_UNITS``)."""

from decimal import Decimal

import pytest

from analytics.admin import kpi_value_shown
from analytics.models import KPICategory, KPIMetric
from analytics.tests.factories import KPIMetricFactory
from core.testing import admin_url


@pytest.mark.parametrize(
    ("name", "category", "value", "shown"),
    [
        ("sessions_completed", KPICategory.SESSIONS, Decimal("1234.0000"), "1,234 sessions"),
        ("revenue_gross", KPICategory.REVENUE, Decimal("5250.5000"), "5,250.50 EUR"),
        ("new_users", KPICategory.USERS, Decimal("17"), "17 users"),
        ("first_response_minutes", KPICategory.SUPPORT, Decimal("90"), "1 h 30 min"),
        ("completion_rate", KPICategory.SESSIONS, Decimal("12.5000"), "12.5 %"),
        ("something_new", KPICategory.CONSULTANTS, Decimal("3"), "3 consultants"),
    ],
)
def test_each_value_is_shown_with_its_unit(settings, name, category, value, shown):
    settings.DEFAULT_CURRENCY = "EUR"
    assert kpi_value_shown(value=value, name=name, category=category) == shown


@pytest.mark.django_db
def test_the_kpi_list_shows_values_with_units(admin_client, settings):
    settings.DEFAULT_CURRENCY = "EUR"
    KPIMetricFactory(name="platform_fees", category=KPICategory.REVENUE, value=Decimal("99.5"))
    assert "99.50 EUR" in admin_client.get(admin_url(KPIMetric, "changelist")).content.decode()
