"""Sign-in events for the audit trail: logins, logouts and failed attempts.

Django announces these through its auth signals from wherever authentication happens (the admin's
sign-in page today, the help center tomorrow), so listening to them is the one place that sees all.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from auditing.models import AuditAction
from auditing.services import audit_record

MAX_ATTEMPTED_LENGTH = 254


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, entity=user, actor=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None:  # signing out without a session announces no user
        audit_record(action=AuditAction.LOGOUT, entity=user, actor=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_failed_login(sender, credentials, request=None, **kwargs):
    # Django already masks the password in `credentials`; only the attempted identity is kept.
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:MAX_ATTEMPTED_LENGTH]
    audit_record(action=AuditAction.LOGIN_FAILED, entity_type="accounts.user", changes={"attempted": attempted})
