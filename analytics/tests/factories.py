from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from analytics.models import KPICategory, KPIMetric, KPIPeriod


class KPIMetricFactory(DjangoModelFactory):
    class Meta:
        model = KPIMetric

    name = factory.Sequence(lambda n: f"sessions_completed_{n}")
    category = KPICategory.SESSIONS
    period = KPIPeriod.DAILY
    period_start = date(2026, 1, 1)
    value = Decimal("42")
