"""Seeding the RBAC catalog (system roles, permissions, default grants) and the demo staff login."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Permission,
    Role,
    RolePermission,
    User,
    UserRole,
    UserStatus,
)
from accounts.rbac_catalog import (
    NEVER_GRANTED,
    SUPER_ADMIN,
    SYSTEM_ROLES,
    PermissionSpec,
    permission_catalog,
    role_default_codenames,
)
from accounts.services.notifications import notifications_create
from core.seeding import SeedTally


class RbacNotSeededError(LookupError):
    """A system role the caller needs does not exist yet: run ``manage.py seed_rbac`` first."""


@dataclass(frozen=True)
class RbacSeedResult:
    roles: SeedTally
    permissions: SeedTally
    grants: SeedTally


@dataclass(frozen=True)
class DemoAdminResult:
    user: User
    created: bool
    # Whether the password the caller passed logs this user in (False when someone changed it since).
    password_works: bool


@transaction.atomic
def rbac_seed() -> RbacSeedResult:
    """Create whatever is missing of the system roles, the permission catalog and the roles' default grants.

    Adds only: it never removes a grant, never deletes a permission and never rewrites a role's
    description, so an admin's additions survive. The flip side: a default grant an admin revoked from a
    system role comes back on the next run. Existing roles named like a system role become system roles.
    Cached permissions follow by themselves: the database renews their generation (accounts.permission_cache).
    """
    catalog = permission_catalog()
    result = RbacSeedResult(
        roles=roles_seed_system(),
        permissions=permissions_seed_catalog(catalog=catalog),
        grants=role_permissions_seed_defaults(catalog=catalog),
    )
    return result


def roles_seed_system() -> SeedTally:
    """Create the missing system roles (with their catalog descriptions); mark same-named roles as system."""
    existing = set(Role.objects.filter(name__in=SYSTEM_ROLES).values_list("name", flat=True))
    missing = [
        Role(name=name, description=spec.description, is_system=True)
        for name, spec in SYSTEM_ROLES.items()
        if name not in existing
    ]
    Role.objects.bulk_create(missing, ignore_conflicts=True)
    Role.objects.filter(name__in=existing, is_system=False).update(is_system=True, updated_at=timezone.now())
    return SeedTally(created=len(missing), existing=len(existing))


def permissions_seed_catalog(*, catalog: list[PermissionSpec]) -> SeedTally:
    """Create the catalog's permissions that have no row yet (matched on resource and action)."""
    existing = set(Permission.objects.values_list("resource", "action"))
    missing = [
        Permission(resource=spec.resource, action=spec.action, description=spec.description)
        for spec in catalog
        if (spec.resource, spec.action) not in existing
    ]
    Permission.objects.bulk_create(missing, ignore_conflicts=True)
    return SeedTally(created=len(missing), existing=len(catalog) - len(missing))


def role_permissions_seed_defaults(*, catalog: list[PermissionSpec]) -> SeedTally:
    """Grant each system role its default permissions that it does not hold yet.

    SUPER_ADMIN gets every permission row there is, the catalog's and any other, less the audit log's
    write permissions: only someone holding all of them may change a system role
    (``accounts.services.roles``), so a row it lacked would lock its holders out of that.

    Expects the roles and the catalog's permissions to exist (``roles_seed_system``,
    ``permissions_seed_catalog``). Raises ``ValueError`` if the catalog grants an unknown permission.
    """
    permission_ids = {permission.codename: permission.pk for permission in Permission.objects.all()}
    role_ids = dict(Role.objects.filter(name__in=SYSTEM_ROLES).values_list("name", "pk"))
    wanted = {
        (role_ids[name], permission_ids[codename])
        for name, spec in SYSTEM_ROLES.items()
        for codename in role_default_codenames(spec, catalog)
    }
    wanted |= {
        (role_ids[SUPER_ADMIN], permission_id)
        for codename, permission_id in permission_ids.items()
        if codename not in NEVER_GRANTED
    }
    existing = set(RolePermission.objects.filter(role_id__in=role_ids.values()).values_list("role_id", "permission_id"))
    missing = sorted(wanted - existing)
    RolePermission.objects.bulk_create(
        [RolePermission(role_id=role_id, permission_id=permission_id) for role_id, permission_id in missing],
        ignore_conflicts=True,
    )
    return SeedTally(created=len(missing), existing=len(wanted) - len(missing))


@transaction.atomic
def demo_admin_ensure(*, email: str, password: str, reset_password: bool = False) -> DemoAdminResult:
    """Make sure the demo staff login exists: an active superuser holding the SUPER_ADMIN role for good.

    Creates the user with ``password`` if missing. An existing user keeps their password unless
    ``reset_password``; staff and superuser flags, active status and the role are restored every time.
    Raises ``RbacNotSeededError`` if the SUPER_ADMIN role does not exist.
    """
    role = Role.objects.filter(name=SUPER_ADMIN).first()
    if role is None:
        raise RbacNotSeededError(f"the {SUPER_ADMIN} role does not exist; run `manage.py seed_rbac` first")
    user = User.objects.filter(User.objects.email_matches(email)).first()
    created = user is None
    if user is None:
        user = User.objects.create_superuser(email=email, password=password, full_name="Demo Admin")
        # Something in the inbox on the first visit, delivered like any other notification.
        notifications_create(
            users=[user],
            title="Welcome to the back office",
            body="This inbox lists what needs your attention: refunds to decide, tickets assigned to you, "
            "roles about to expire. The bell in the header counts what you have not read.\n"
            "Periodic jobs and system settings are under Jobs & settings.",
        )
    else:
        _demo_admin_restore(user=user, password=password if reset_password else None)
    UserRole.objects.update_or_create(user=user, role=role, defaults={"expires_at": None})
    password_works = created or reset_password or user.check_password(password)
    return DemoAdminResult(user=user, created=created, password_works=password_works)


def _demo_admin_restore(*, user: User, password: str | None) -> None:
    user.is_staff = user.is_superuser = user.is_active = True
    user.status = UserStatus.ACTIVE
    fields = ["is_staff", "is_superuser", "is_active", "status", "updated_at"]
    if password is not None:
        user.set_password(password)
        fields.append("password")
    user.save(update_fields=fields)
