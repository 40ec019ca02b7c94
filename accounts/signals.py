"""Keeps cached permissions honest: any write to roles, grants or assignments invalidates them.

Signals rather than service calls because every path must be covered, including the admin's inline
formsets and queryset deletes. Invalidation waits for the commit: invalidating earlier would let
another process re-cache the old grants under the new token.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts import permission_cache
from accounts.models import Permission, Role, RolePermission, UserRole


@receiver([post_save, post_delete], sender=UserRole, dispatch_uid="rbac_user_role_changed")
def user_role_changed(sender, instance, **kwargs):
    transaction.on_commit(partial(permission_cache.invalidate_user, instance.user_id))


@receiver([post_save, post_delete], sender=RolePermission, dispatch_uid="rbac_role_permission_changed")
@receiver([post_save, post_delete], sender=Role, dispatch_uid="rbac_role_changed")
@receiver([post_save, post_delete], sender=Permission, dispatch_uid="rbac_permission_changed")
def grants_changed(sender, **kwargs):
    transaction.on_commit(permission_cache.invalidate_all)


@receiver(m2m_changed, sender=Role.permissions.through, dispatch_uid="rbac_role_permissions_m2m_changed")
def role_permissions_changed(sender, **kwargs):
    # `role.permissions.add(...)` writes the through rows in bulk, without post_save.
    transaction.on_commit(permission_cache.invalidate_all)
