"""Pre-computed KPI values for the dashboard."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KPIPeriod(models.TextChoices):
    DAILY = "DAILY", _("Daily")
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")


class KPICategory(models.TextChoices):
    SESSIONS = "SESSIONS", _("Sessions")
    REVENUE = "REVENUE", _("Revenue")
    USERS = "USERS", _("Users")
    CONSULTANTS = "CONSULTANTS", _("Consultants")
    SUPPORT = "SUPPORT", _("Support")


class KPIMetric(models.Model):
    """One metric's value for one period, optionally broken down by ``dimensions``.

    Derived data: recomputed from the facts on a schedule, so the audit trail does not capture these rows
    (``auditing.capture_registry``). Write them through ``analytics.services.kpi_values_store``, which
    records one RECOMPUTE event per run.
    """

    name = models.CharField(verbose_name=_("name"), max_length=100)
    category = models.CharField(verbose_name=_("category"), max_length=24, choices=KPICategory.choices)
    period = models.CharField(verbose_name=_("period"), max_length=16, choices=KPIPeriod.choices)
    period_start = models.DateField(verbose_name=_("period start"))
    value = models.DecimalField(verbose_name=_("value"), max_digits=20, decimal_places=4)
    dimensions = models.JSONField(verbose_name=_("dimensions"), default=dict, blank=True)
    computed_at = models.DateTimeField(verbose_name=_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("KPI metric")
        verbose_name_plural = _("KPI metrics")
        ordering = ["-period_start", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "period", "period_start", "dimensions"], name="analytics_kpi_value_uniq"
            ),
            models.CheckConstraint(condition=models.Q(period__in=KPIPeriod.values), name="analytics_kpi_period_valid"),
            models.CheckConstraint(
                condition=models.Q(category__in=KPICategory.values), name="analytics_kpi_category_valid"
            ),
        ]
        indexes = [
            # The dashboard: one category's series over a period range.
            models.Index(fields=["category", "period", "-period_start"], name="analytics_kpi_series_idx"),
            models.Index(fields=["-period_start"], name="analytics_kpi_start_idx"),
        ]

    def __str__(self):
        return f"{self.name} {self.period} {self.period_start}"
