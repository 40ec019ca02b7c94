"""Reads about people and their access, shared by the permission backend, pages and jobs."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import Permission, UserRole


@dataclass(frozen=True)
class ResolvedPermissions:
    """What a user's roles grant right now, and until when that answer holds.

    ``valid_until`` is the earliest expiry among the roles that contributed, so a cached answer can be
    thrown away the instant any of them expires (``None``: no expiring role).
    """

    codenames: frozenset[str]
    valid_until: datetime | None

    def holds_at(self, moment: datetime) -> bool:
        return self.valid_until is None or moment < self.valid_until


def user_permissions_resolve(*, user_id: int, at: datetime | None = None) -> ResolvedPermissions:
    """The permission codenames (``app.action_model``) granted by the user's roles active at ``at``.

    One query: active assignments joined to their roles' permissions.
    """
    at = at or timezone.now()
    rows = (
        UserRole.objects.active(at)
        .filter(user_id=user_id)
        .values_list(
            "expires_at",
            "role__role_permissions__permission__resource",
            "role__role_permissions__permission__action",
        )
    )
    codenames: set[str] = set()
    expiries: list[datetime] = []
    for expires_at, resource, action in rows:
        if expires_at is not None:
            expiries.append(expires_at)
        if resource is not None:
            codenames.add(Permission(resource=resource, action=action).codename)
    return ResolvedPermissions(frozenset(codenames), min(expiries, default=None))
