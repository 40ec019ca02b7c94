"""Changes to user accounts that auditors ask about."""

from accounts.models import User, UserStatus
from auditing.models import AuditAction
from auditing.services import audit_record


def user_status_change_record(*, user: User, before: str, actor) -> None:
    """Records a suspension (SUSPEND) or reactivation (ACTIVATE) just saved on ``user``.

    Call in the saving transaction, after the checks of ``user_access_change_check``. A suspension takes
    effect on the user's very next request: the backend reads the status with each request's user.
    """
    if before == user.status:
        return
    action = AuditAction.SUSPEND if user.status == UserStatus.SUSPENDED else AuditAction.ACTIVATE
    audit_record(action=action, entity=user, changes={"status": [before, user.status]}, actor=actor)
