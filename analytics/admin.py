"""Admin view of the pre-computed KPI values: read-only, because `compute_kpis` owns them."""

from django.contrib import admin

from analytics.models import KPIMetric
from core.admin_performance import LargeTableAdminMixin
from core.admin_readonly import ReadOnlyAdminMixin


@admin.register(KPIMetric)
class KPIMetricAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("name", "category", "period", "period_start", "value", "dimensions")
    list_filter = ("category", "period")
    date_hierarchy = "period_start"
    search_fields = ("name__exact",)
    search_help_text = "An exact metric name."
