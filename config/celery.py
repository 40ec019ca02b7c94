"""The Celery application and the one beat schedule of every periodic job."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Every task binds itself as the acting "system: <task name>" (core.task_base).
app = Celery("backoffice", task_cls="core.task_base:SystemActorTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job is listed here and nowhere else. Later capabilities add their entries.
app.conf.beat_schedule = {
    "user-roles-expiry": {"task": "accounts.tasks.user_roles_expiry_task", "schedule": 15 * 60},
    "user-sessions-cleanup": {"task": "accounts.tasks.user_sessions_cleanup_task", "schedule": crontab(minute=23)},
    "system-logs-cleanup": {"task": "auditing.tasks.system_logs_cleanup_task", "schedule": crontab(hour=3, minute=17)},
    # Seconds of sealing lag under normal load (decision 0016); a run finding nothing new costs two queries.
    "audit-rows-seal": {"task": "auditing.tasks.audit_rows_seal_task", "schedule": 5.0},
    "audit-chain-verify": {"task": "auditing.tasks.audit_chain_verify_task", "schedule": crontab(minute=41)},
    "audit-chain-verify-full": {
        "task": "auditing.tasks.audit_chain_verify_task",
        "schedule": crontab(day_of_week="sun", hour=4, minute=7),
        "kwargs": {"full": True},
    },
    # Tickets left RESOLVED past SUPPORT_AUTO_CLOSE_DAYS (support.services.tickets_auto_close).
    "tickets-auto-close": {"task": "support.tasks.tickets_auto_close_task", "schedule": crontab(hour=4, minute=47)},
    # Service-level deadlines passed: flagged once each, assignee and supervisors told (support.services).
    "tickets-sla-breaches": {"task": "support.tasks.tickets_sla_breaches_task", "schedule": 5 * 60},
    # Stored files no row names and rows whose file is gone (attachments.services.attachments_sweep).
    "attachments-sweep": {"task": "attachments.tasks.attachments_sweep_task", "schedule": crontab(hour=4, minute=29)},
    "audit-partitions-ensure": {
        "task": "auditing.tasks.audit_partitions_ensure_task",
        "schedule": crontab(hour=2, minute=3),
    },
}
