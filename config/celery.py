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
    "system-logs-cleanup": {"task": "auditing.tasks.system_logs_cleanup_task", "schedule": crontab(hour=3, minute=17)},
    "audit-chain-verify": {"task": "auditing.tasks.audit_chain_verify_task", "schedule": crontab(minute=41)},
}
