"""The demo-data generator behind ``manage.py seed_demo``: realistic, linked rows in every table.

Each step fills one area and leaves on the context what later steps link to; ``STEPS`` runs them in
dependency order. ``backoffice.services.demo_data_seed`` runs them in one transaction.
"""

from backoffice.demo_data.activity import seed_notification_preferences, seed_notifications, seed_system_logs
from backoffice.demo_data.audit_trail import seed_audit_logs
from backoffice.demo_data.deliverables import seed_deliverables
from backoffice.demo_data.job_runs import seed_job_runs, seed_system_settings
from backoffice.demo_data.kpis import seed_kpis
from backoffice.demo_data.object_permissions import seed_object_permissions
from backoffice.demo_data.offerings import seed_offerings
from backoffice.demo_data.operations import seed_attachments, seed_backups
from backoffice.demo_data.people import DEMO_EMAIL_DOMAIN, seed_users
from backoffice.demo_data.sessions import seed_sessions
from backoffice.demo_data.support_desk import seed_support_desk

STEPS = (
    seed_users,
    seed_offerings,
    seed_sessions,
    seed_deliverables,
    seed_support_desk,
    seed_notifications,
    seed_notification_preferences,
    seed_audit_logs,
    seed_system_logs,
    seed_kpis,
    seed_backups,
    seed_attachments,
    seed_job_runs,
    seed_system_settings,
    seed_object_permissions,
)

__all__ = ["DEMO_EMAIL_DOMAIN", "STEPS"]
