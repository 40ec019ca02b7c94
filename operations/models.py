"""How the product runs itself: the system settings staff change at run time, and every run of a periodic job."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemSetting(models.Model):
    """One runtime choice staff made, overriding its default (``operations.system_settings.SETTINGS``).

    A key with no row reads its default from the environment (Django settings). Written only through
    ``operations.services.system_settings_update``, which validates every value; every change is captured
    by the audit trail.
    """

    key = models.CharField(verbose_name=_("key"), max_length=100, unique=True)
    value = models.JSONField(verbose_name=_("value"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("system setting")
        verbose_name_plural = _("system settings")
        ordering = ["key"]

    def __str__(self):
        return self.key


class JobTrigger(models.TextChoices):
    SCHEDULE = "SCHEDULE", _("Schedule")
    MANUAL = "MANUAL", _("Run now")


class JobOutcome(models.TextChoices):
    RUNNING = "RUNNING", _("Running")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")
    # Not run: the job is switched off, or another run of it still holds its lock.
    SKIPPED = "SKIPPED", _("Skipped")


class JobRun(models.Model):
    """One run of a periodic job: when, how long, how it ended and what it did.

    Operational records, not facts: not captured by the audit trail, pruned after
    ``jobs.run_retention_days`` (the job-runs cleanup job).
    """

    job = models.CharField(verbose_name=_("job"), max_length=64)
    trigger = models.CharField(
        verbose_name=_("trigger"), max_length=16, choices=JobTrigger.choices, default=JobTrigger.SCHEDULE
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    task_id = models.CharField(verbose_name=_("task id"), max_length=64, blank=True)
    worker = models.CharField(verbose_name=_("worker"), max_length=200, blank=True)
    started_at = models.DateTimeField(verbose_name=_("started at"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(verbose_name=_("duration (ms)"), null=True, blank=True)
    outcome = models.CharField(
        verbose_name=_("outcome"), max_length=16, choices=JobOutcome.choices, default=JobOutcome.RUNNING
    )
    error = models.TextField(verbose_name=_("error"), blank=True)
    # What the run did, as its task returned it: {"deleted": {"INFO": 12}}, {"sent": 40, "failed": 1}, ...
    result = models.JSONField(verbose_name=_("result"), null=True, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trigger__in=JobTrigger.values), name="operations_jobrun_trigger_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=JobOutcome.values), name="operations_jobrun_outcome_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True) | models.Q(finished_at__gte=models.F("started_at")),
                name="operations_jobrun_finished_after_started",
            ),
        ]
        indexes = [
            # A job's runs, newest first (the jobs page's last run, a job's history).
            models.Index(fields=["job", "-started_at"], name="operations_jobrun_job_idx"),
            # Pruning by age.
            models.Index(fields=["started_at"], name="operations_jobrun_started_idx"),
        ]

    def __str__(self):
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M:%S} ({self.outcome})"
