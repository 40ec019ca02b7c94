from datetime import timedelta

import factory
from django.utils import timezone

from core.factories import ModelFactory
from operations.jobs import JOBS
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting


class JobRunFactory(ModelFactory[JobRun]):
    """A finished, successful scheduled run of one of the jobs, a minute ago."""

    class Meta:
        model = JobRun

    job = factory.Iterator([job.name for job in JOBS])
    trigger = JobTrigger.SCHEDULE
    task_id = factory.Faker("uuid4")
    worker = "celery@worker-1"
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    finished_at = factory.LazyAttribute(lambda run: run.started_at + timedelta(seconds=2))
    duration_ms = 2000
    outcome = JobOutcome.SUCCEEDED
    result = factory.LazyFunction(lambda: {"deleted": 0})


class SystemSettingFactory(ModelFactory[SystemSetting]):
    """A stored value for one of the declared numeric settings (a key may be stored once)."""

    class Meta:
        model = SystemSetting
        django_get_or_create = ("key",)

    key = factory.Iterator(
        [
            "jobs.run_retention_days",
            "support.auto_close_days",
            "backups.retention_days",
            "notifications.max_attempts",
            "support.sla.at_risk_minutes",
        ]
    )
    value = 10
