"""Pre-computed KPI values for the dashboard."""

from django.db import models


class KPIPeriod(models.TextChoices):
    DAILY = "DAILY", "Daily"
    WEEKLY = "WEEKLY", "Weekly"
    MONTHLY = "MONTHLY", "Monthly"


class KPICategory(models.TextChoices):
    SESSIONS = "SESSIONS", "Sessions"
    REVENUE = "REVENUE", "Revenue"
    USERS = "USERS", "Users"
    CONSULTANTS = "CONSULTANTS", "Consultants"
    SUPPORT = "SUPPORT", "Support"


class KPIMetric(models.Model):
    """One metric's value for one period, optionally broken down by ``dimensions``.

    Derived data: recomputed from the facts on a schedule, so the audit trail does not capture these rows
    (``auditing.capture_registry``). Write them through ``analytics.services.kpi_values_store``, which
    records one RECOMPUTE event per run.
    """

    name = models.CharField(max_length=100)
    category = models.CharField(max_length=24, choices=KPICategory.choices)
    period = models.CharField(max_length=16, choices=KPIPeriod.choices)
    period_start = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=4)
    dimensions = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "name"]
        verbose_name = "KPI metric"
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
