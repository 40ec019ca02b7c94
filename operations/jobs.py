"""Every periodic job of the product, in one list: what it is, which task runs it, what it does.

When a job runs comes from ``settings.PERIODIC_JOBS`` (the environment's default) and from the system
settings page (``jobs.<name>.schedule`` and ``jobs.<name>.enabled``), which beat reads while it runs
(``operations.beat``), so a change needs no restart. Tasks are named, not imported: this module sits below
the apps that define them. ``config.celery`` builds the beat schedule from this list.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    description: Any  # a lazy translation
    kwargs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def default_schedule(self) -> str:
        return settings.PERIODIC_JOBS[self.name]


JOBS: tuple[Job, ...] = (
    Job(
        "user-roles-expiry",
        "accounts.tasks.user_roles_expiry_task",
        _("Warns holders of roles about to expire and records the roles that lapsed."),
    ),
    Job(
        "user-sessions-cleanup",
        "accounts.tasks.user_sessions_cleanup_task",
        _("Forgets the records of sessions that ended or expired."),
    ),
    Job(
        "notifications-deliver",
        "accounts.tasks.notifications_deliver_task",
        _("Delivers pending notifications on every channel, and retries those that failed for a passing reason."),
    ),
    Job(
        "system-logs-cleanup",
        "auditing.tasks.system_logs_cleanup_task",
        _("Deletes system log entries older than their level's retention."),
    ),
    Job(
        "audit-rows-seal",
        "auditing.tasks.audit_rows_seal_task",
        _("Seals the audit rows committed since its last run into the hash chain."),
    ),
    Job(
        "audit-chain-verify",
        "auditing.tasks.audit_chain_verify_task",
        _("Verifies the audit chain since the last verification."),
    ),
    Job(
        "audit-chain-verify-full",
        "auditing.tasks.audit_chain_verify_task",
        _("Verifies the whole audit chain from its first row."),
        kwargs=MappingProxyType({"full": True}),
    ),
    Job(
        "audit-partitions-ensure",
        "auditing.tasks.audit_partitions_ensure_task",
        _("Creates the audit trail's monthly partitions ahead of need."),
    ),
    Job(
        "tickets-auto-close",
        "support.tasks.tickets_auto_close_task",
        _("Closes tickets left resolved past the auto-close delay."),
    ),
    Job(
        "tickets-sla-breaches",
        "support.tasks.tickets_sla_breaches_task",
        _("Flags tickets whose service-level deadline passed and tells who must act."),
    ),
    Job(
        "attachments-sweep",
        "attachments.tasks.attachments_sweep_task",
        _("Removes stored files no row names, and rows whose file is gone."),
    ),
    Job(
        "kpis-compute",
        "analytics.tasks.kpis_compute_task",
        _("Recomputes yesterday's and today's KPI values, and their week and month."),
    ),
    Job(
        "backups-stuck-repair",
        "backups.tasks.backups_stuck_repair_task",
        _("Marks failed the backups that have been running or pending far longer than any backup takes."),
    ),
    Job(
        "backups-retention",
        "backups.tasks.backups_retention_task",
        _("Forgets backups past their retention, always keeping the newest good backup of each type."),
    ),
    Job(
        "job-runs-cleanup",
        "operations.tasks.job_runs_cleanup_task",
        _("Deletes job run records past their retention, and closes runs whose worker died."),
    ),
)

JOBS_BY_NAME: Mapping[str, Job] = MappingProxyType({job.name: job for job in JOBS})


def job_for_task(task_name: str, kwargs: Mapping[str, Any] | None) -> Job | None:
    """The job a call of ``task_name`` with ``kwargs`` runs, or None for a task that is not a periodic job."""
    kwargs = dict(kwargs or {})
    for job in JOBS:
        if job.task == task_name and dict(job.kwargs) == kwargs:
            return job
    return None
