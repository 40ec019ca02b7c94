"""The KPI metrics, as data: what each one counts, from which facts, on which date of them.

Each metric reads one table, grouped by the local day (``settings.TIME_ZONE``) of one of its timestamps,
optionally broken down by a column (payments by currency: amounts in different currencies never add up).
``analytics.services.kpis_compute`` turns them into DAILY values and rolls the days up into their week and
month. Counts and sums only: a week's value is the sum of its days, so a roll-up needs no second pass over
the facts. A metric added here is computed by the next run of the KPI job. The demo history
(``backoffice.demo_data.kpi_tally``) writes the same names, money by currency too.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from analytics.models import KPICategory
from billing.models import Payment, Refund, RefundStatus
from consultants.models import Booking, BookingStatus, Consultant
from support.models import SupportTicket


@dataclass(frozen=True)
class Metric:
    name: str
    category: str
    description: object  # a lazy translation
    rows: Callable[[], QuerySet]  # the facts counted
    day_field: str  # the timestamp whose local day a fact counts on
    total: str | None = None  # the column summed; None counts rows
    breakdown: str | None = None  # the column values are broken down by (stored as the dimension)

    @property
    def dimension(self) -> str:
        """The breakdown's name in stored values: ``payment__currency`` is stored as ``currency``."""
        return (self.breakdown or "").rpartition("__")[2]

    def daily(self, start: datetime, end: datetime) -> list[tuple[date, dict[str, str], object]]:
        """(day, dimensions, value) for each day in [start, end) with facts; days without facts are absent."""
        # TruncDate takes the current time zone: settings.TIME_ZONE in a job, whoever's zone is active else.
        day = TruncDate(self.day_field, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
        queryset = (
            self.rows()
            .filter(**{f"{self.day_field}__gte": start, f"{self.day_field}__lt": end})
            .annotate(kpi_day=day)
            .values("kpi_day", *([self.breakdown] if self.breakdown else []))
            .annotate(kpi_value=Sum(self.total) if self.total else Count("pk"))
            .order_by()
        )
        return [
            (
                row["kpi_day"],
                {self.dimension: row[self.breakdown]} if self.breakdown else {},
                row["kpi_value"] or 0,
            )
            for row in queryset
        ]


METRICS: tuple[Metric, ...] = (
    Metric(
        "sessions_booked",
        KPICategory.SESSIONS,
        _("Sessions booked"),
        lambda: Booking.objects.all(),
        "created_at",
    ),
    Metric(
        "sessions_completed",
        KPICategory.SESSIONS,
        _("Sessions held"),
        lambda: Booking.objects.filter(status=BookingStatus.COMPLETED),
        "scheduled_at",
    ),
    Metric(
        "sessions_cancelled",
        KPICategory.SESSIONS,
        _("Sessions cancelled"),
        lambda: Booking.objects.filter(status=BookingStatus.CANCELLED),
        "scheduled_at",
    ),
    Metric(
        "sessions_no_show",
        KPICategory.SESSIONS,
        _("Sessions the client missed"),
        lambda: Booking.objects.filter(status=BookingStatus.NO_SHOW),
        "scheduled_at",
    ),
    Metric(
        "revenue_gross",
        KPICategory.REVENUE,
        _("Payments received"),
        lambda: Payment.objects.filter(paid_at__isnull=False),
        "paid_at",
        total="amount",
        breakdown="currency",
    ),
    Metric(
        "platform_fees",
        KPICategory.REVENUE,
        _("Platform commission earned"),
        lambda: Payment.objects.filter(paid_at__isnull=False),
        "paid_at",
        total="platform_fee",
        breakdown="currency",
    ),
    Metric(
        "refunds_total",
        KPICategory.REVENUE,
        _("Money refunded"),
        lambda: Refund.objects.filter(status=RefundStatus.PROCESSED),
        "processed_at",
        total="amount",
        breakdown="payment__currency",
    ),
    Metric(
        "new_users",
        KPICategory.USERS,
        _("People who joined"),
        lambda: User.objects.all(),
        "created_at",
    ),
    Metric(
        "new_consultants",
        KPICategory.CONSULTANTS,
        _("Consultants who joined"),
        lambda: Consultant.objects.all(),
        "created_at",
    ),
    Metric(
        "tickets_opened",
        KPICategory.SUPPORT,
        _("Tickets opened"),
        lambda: SupportTicket.objects.all(),
        "created_at",
    ),
    Metric(
        "tickets_resolved",
        KPICategory.SUPPORT,
        _("Tickets resolved"),
        lambda: SupportTicket.objects.filter(resolved_at__isnull=False),
        "resolved_at",
    ),
    Metric(
        "first_response_breaches",
        KPICategory.SUPPORT,
        _("First responses later than promised"),
        lambda: SupportTicket.objects.filter(first_response_breached_at__isnull=False),
        "first_response_breached_at",
    ),
)
