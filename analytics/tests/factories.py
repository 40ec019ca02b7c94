from datetime import date
from decimal import Decimal

import factory

from analytics.models import KPICategory, KPIMetric, KPIPeriod
from core.factories import ModelFactory


class KPIMetricFactory(ModelFactory[KPIMetric]):
    class Meta:
        model = KPIMetric

    name = factory.Sequence(lambda n: f"sessions_completed_{n}")
    category = KPICategory.SESSIONS
    period = KPIPeriod.DAILY
    period_start = date(2026, 1, 1)
    value = Decimal("42")
