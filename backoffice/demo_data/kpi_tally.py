"""Counting what the demo rows add up to, so the seeded KPI history agrees with the seeded data.

Platform-wide and per-category values are kept per day and rolled up into weeks and months when the
KPI rows are written; per-consultant values are kept per week and month only (per day they would cost
millions of counters at scale 1000).
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from analytics.models import KPICategory, KPIPeriod

PLATFORM_METRICS = {
    "sessions_booked": KPICategory.SESSIONS,
    "sessions_completed": KPICategory.SESSIONS,
    "sessions_cancelled": KPICategory.SESSIONS,
    "revenue_gross": KPICategory.REVENUE,
    "platform_fees": KPICategory.REVENUE,
    "refunds_total": KPICategory.REVENUE,
    "new_users": KPICategory.USERS,
    "tickets_opened": KPICategory.SUPPORT,
}
# The metrics also broken down by service category and by consultant.
BROKEN_DOWN_METRICS = ("sessions_completed", "revenue_gross")
# Money, counted in the platform's currency and stored with it as a dimension, as the KPI job stores each
# currency's own (analytics.metrics).
MONEY_METRICS = frozenset({"revenue_gross", "platform_fees", "refunds_total"})

Amount = int | Decimal


def period_start(day: date, period: str) -> date:
    """The first day of the DAILY, WEEKLY (Monday) or MONTHLY period holding ``day``."""
    if period == KPIPeriod.WEEKLY:
        return day - timedelta(days=day.weekday())
    if period == KPIPeriod.MONTHLY:
        return day.replace(day=1)
    return day


class KpiTally:
    def __init__(self) -> None:
        self.platform: defaultdict[tuple[str, date], Amount] = defaultdict(int)
        self.by_category: defaultdict[tuple[str, int, date], Amount] = defaultdict(int)
        self.by_consultant: defaultdict[tuple[str, int, str, date], Amount] = defaultdict(int)

    def add(self, metric: str, day: date, amount: Amount = 1) -> None:
        self.platform[metric, day] += amount

    def add_broken_down(self, metric: str, day: date, amount: Amount, *, category_id: int, consultant_id: int) -> None:
        """Add to the platform-wide value and to the category's and the consultant's."""
        self.platform[metric, day] += amount
        self.by_category[metric, category_id, day] += amount
        for period in (KPIPeriod.WEEKLY, KPIPeriod.MONTHLY):
            self.by_consultant[metric, consultant_id, period, period_start(day, period)] += amount

    def platform_values(self, period: str) -> defaultdict[tuple[str, date], Amount]:
        """Platform-wide values per (metric, period start)."""
        rolled: defaultdict[tuple[str, date], Amount] = defaultdict(int)
        for (metric, day), amount in self.platform.items():
            rolled[metric, period_start(day, period)] += amount
        return rolled

    def category_values(self, period: str) -> defaultdict[tuple[str, int, date], Amount]:
        """Per-category values per (metric, category id, period start)."""
        rolled: defaultdict[tuple[str, int, date], Amount] = defaultdict(int)
        for (metric, category_id, day), amount in self.by_category.items():
            rolled[metric, category_id, period_start(day, period)] += amount
        return rolled
