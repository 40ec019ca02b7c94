"""The role-expiry job's work: notices ahead of expiry, and the record of roles that lapsed."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import NotificationChannel, UserRole
from accounts.services.notifications import notifications_create


@dataclass(frozen=True)
class RoleExpiryResult:
    warned: int
    lapsed: int


def _claim(batch_size: int, **conditions) -> list[UserRole]:
    """Locks up to ``batch_size`` matching assignments, skipping rows another run holds."""
    return list(
        UserRole.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(**conditions)
        .select_related("user", "role", "assigned_by")[:batch_size]
    )


@transaction.atomic
def user_roles_process_expiry(*, now=None, batch_size: int = 500) -> RoleExpiryResult:
    """Warns holders (and whoever granted the role) ahead of expiry and records lapsed assignments.

    An expired assignment grants nothing from its expiry instant whether or not this ran (the permission
    backend checks ``expires_at``); this job adds the notices and the audit record. Each notice goes out
    once (``expiry_warning_sent_at``, ``lapsed_at``). Rows another run is handling are skipped, so
    overlapping runs neither block nor notify twice.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.ROLE_EXPIRY_WARNING_DAYS)
    due_warning = _claim(batch_size, expires_at__gt=now, expires_at__lte=horizon, expiry_warning_sent_at__isnull=True)
    for assignment in due_warning:
        notifications_create(
            users=[assignment.user, assignment.assigned_by],
            title=f"Role {assignment.role.name} expires soon",
            body=f"{assignment.user}'s role {assignment.role.name} expires on "
            f"{timezone.localtime(assignment.expires_at):%Y-%m-%d %H:%M}. Ask an administrator to extend it if needed.",
            channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
        )
    UserRole.objects.filter(pk__in=[a.pk for a in due_warning]).update(expiry_warning_sent_at=now)

    # Lapses older than a week are recorded without notices: a first run on old data must not flood inboxes.
    UserRole.objects.filter(expires_at__lte=now - timedelta(days=7), lapsed_at__isnull=True).update(lapsed_at=now)
    lapsed = _claim(batch_size, expires_at__lte=now, lapsed_at__isnull=True)
    for assignment in lapsed:
        notifications_create(
            users=[assignment.user, assignment.assigned_by],
            title=f"Role {assignment.role.name} has expired",
            body=f"{assignment.user} no longer holds {assignment.role.name} (expired "
            f"{timezone.localtime(assignment.expires_at):%Y-%m-%d %H:%M}).",
        )
    UserRole.objects.filter(pk__in=[a.pk for a in lapsed]).update(lapsed_at=now)
    return RoleExpiryResult(warned=len(due_warning), lapsed=len(lapsed))
