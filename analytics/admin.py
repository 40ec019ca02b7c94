"""Admin view of the pre-computed KPI values: read-only, because `compute_kpis` owns them."""

from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from analytics.models import KPICategory, KPIMetric
from core.admin_performance import LargeTableAdminMixin
from core.admin_readonly import ReadOnlyAdminMixin
from core.formatting import duration, money, quantity

# What each metric counts, by name: the one table of KPI units. A unit is a word for counts, or one of
# the markers below for values shown another way. A metric missing here gets its category's unit.
MONEY = "money"  # in the platform's currency
MINUTES = "minutes"  # shown as "1 h 30 min"
PERCENT = "%"
KPI_UNITS: dict[str, str | Promise] = {
    "sessions_booked": _("sessions"),
    "sessions_completed": _("sessions"),
    "sessions_cancelled": _("sessions"),
    "revenue_gross": MONEY,
    "platform_fees": MONEY,
    "refunds_total": MONEY,
    "new_users": _("users"),
    "tickets_opened": _("tickets"),
}
CATEGORY_UNITS: dict[str, str | Promise] = {
    KPICategory.SESSIONS: _("sessions"),
    KPICategory.REVENUE: MONEY,
    KPICategory.USERS: _("users"),
    KPICategory.CONSULTANTS: _("consultants"),
    KPICategory.SUPPORT: _("tickets"),
}


def kpi_unit(*, name: str, category: str) -> str:
    """The unit of metric ``name``: from `KPI_UNITS`, else from its name's ending (``_rate``, ``_percent``,
    ``_minutes``), else its category's."""
    if name in KPI_UNITS:
        return str(KPI_UNITS[name])
    if name.endswith(("_rate", "_percent", "_pct")):
        return PERCENT
    if name.endswith("_minutes"):
        return MINUTES
    return str(CATEGORY_UNITS.get(category, ""))


def kpi_value_shown(*, value: Decimal, name: str, category: str) -> str:
    """A KPI value with its unit: "1,234 sessions", "5,250.00 USD", "12.5 %", "1 h 30 min"."""
    unit = kpi_unit(name=name, category=category)
    if unit == MONEY:
        return money(value, settings.DEFAULT_CURRENCY)
    if unit == MINUTES:
        return duration(value)
    return quantity(value, unit)


@admin.register(KPIMetric)
class KPIMetricAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("name", "category", "period", "period_start", "value_with_unit", "dimensions")
    list_filter = ("category", "period")
    date_hierarchy = "period_start"
    search_fields = ("name__exact",)
    search_help_text = _("An exact metric name.")
    fields = ("name", "category", "period", "period_start", "value_with_unit", "dimensions", "computed_at")
    readonly_fields = ("value_with_unit",)

    @admin.display(description=_("value"), ordering="value")
    def value_with_unit(self, metric: KPIMetric) -> str:
        return kpi_value_shown(value=metric.value, name=metric.name, category=metric.category)
