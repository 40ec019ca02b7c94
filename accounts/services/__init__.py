"""Writes and rules about people and their access, one module per concern.

``from accounts import services`` gives every service function, wherever it lives.
"""

from accounts.services.delivery import DeliveryCounts, notifications_deliver, notifications_retry
from accounts.services.expiry import RoleExpiryResult, user_roles_process_expiry
from accounts.services.notifications import notifications_create
from accounts.services.roles import (
    grantable_codenames,
    holds_every_permission,
    role_codenames,
    role_create,
    role_delete,
    role_edit_refusal,
    role_keeps_every_permission,
    role_permissions_set,
    role_update,
    user_access_change_check,
    user_delete_check,
    user_role_grant,
    user_role_revoke,
)
from accounts.services.seeding import (
    DemoAdminResult,
    RbacNotSeededError,
    RbacSeedResult,
    demo_admin_ensure,
    permissions_seed_catalog,
    rbac_seed,
    role_permissions_seed_defaults,
    roles_seed_system,
)
from accounts.services.users import user_status_change_record

__all__ = [
    "DeliveryCounts",
    "DemoAdminResult",
    "RbacNotSeededError",
    "RbacSeedResult",
    "RoleExpiryResult",
    "demo_admin_ensure",
    "grantable_codenames",
    "holds_every_permission",
    "notifications_create",
    "notifications_deliver",
    "notifications_retry",
    "permissions_seed_catalog",
    "rbac_seed",
    "role_codenames",
    "role_create",
    "role_delete",
    "role_permissions_seed_defaults",
    "role_edit_refusal",
    "role_keeps_every_permission",
    "role_permissions_set",
    "role_update",
    "roles_seed_system",
    "user_access_change_check",
    "user_delete_check",
    "user_role_grant",
    "user_role_revoke",
    "user_roles_process_expiry",
    "user_status_change_record",
]
