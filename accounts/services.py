"""Writes about people and their access: seeding the RBAC catalog and the demo staff login."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permission_cache
from accounts.models import (
    Notification,
    NotificationChannel,
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
    resource_action_from_codename,
    role_default_codenames,
)
from auditing.models import AuditAction
from auditing.services import audit_record
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
    Cached permissions are invalidated after the commit when anything was added.
    """
    catalog = permission_catalog()
    result = RbacSeedResult(
        roles=roles_seed_system(),
        permissions=permissions_seed_catalog(catalog=catalog),
        grants=role_permissions_seed_defaults(catalog=catalog),
    )
    if result.roles.created or result.permissions.created or result.grants.created:
        # bulk_create sends no post_save, so the cache-invalidating signals do not fire on their own.
        transaction.on_commit(permission_cache.invalidate_all)
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
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_superuser(email=email, password=password, full_name="Demo Admin")
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


# --- Role management -------------------------------------------------------------------------------
# Every grant, revoke, matrix change, rename and deletion goes through these functions: each checks
# the actor's permission, refuses what would break an invariant with a `ValidationError` that says why,
# runs in one transaction and writes its audit event there.

MANAGE_ROLES = "accounts.manage_roles"


def _require_manage_roles(actor) -> None:
    if not actor.has_perm(MANAGE_ROLES):
        raise PermissionDenied("You may not manage roles.")


def _lock_roles(*role_ids: int) -> None:
    # Locks in primary-key order so concurrent changes to several roles cannot deadlock.
    list(Role.objects.select_for_update().filter(pk__in=role_ids).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def role_create(*, name: str, description: str = "", actor) -> Role:
    """Creates a (non-system) role. Raises ``ValidationError`` if the name is taken or invalid."""
    _require_manage_roles(actor)
    role = Role(name=name.strip().upper(), description=description.strip(), is_system=False)
    role.full_clean()
    role.save()
    audit_record(action=AuditAction.CREATE, entity=role, changes={"name": [None, role.name]}, actor=actor)
    return role


@transaction.atomic
def role_update(*, role: Role, name: str, description: str, actor) -> Role:
    """Renames or re-describes a role. System roles keep their name: renaming one raises ``ValidationError``."""
    _require_manage_roles(actor)
    role = Role.objects.select_for_update().get(pk=role.pk)
    name = name.strip().upper()
    if role.is_system and name != role.name:
        raise ValidationError(f"{role.name} is a system role; it cannot be renamed.", code="system_role")
    changes = {
        field: [getattr(role, field), value]
        for field, value in (("name", name), ("description", description.strip()))
        if getattr(role, field) != value
    }
    if not changes:
        return role
    for field, (_, value) in changes.items():
        setattr(role, field, value)
    role.full_clean()
    role.save(update_fields=[*changes, "updated_at"])
    audit_record(action=AuditAction.UPDATE, entity=role, changes=changes, actor=actor)
    return role


@transaction.atomic
def role_delete(*, role: Role, actor) -> None:
    """Deletes a non-system role and its assignments. Raises ``ValidationError`` for a system role."""
    _require_manage_roles(actor)
    role = Role.objects.select_for_update().get(pk=role.pk)
    if role.is_system:
        raise ValidationError(f"{role.name} is a system role; it cannot be deleted.", code="system_role")
    holders = list(role.user_roles.values_list("user_id", flat=True))
    audit_record(
        action=AuditAction.DELETE, entity=role, changes={"name": [role.name, None], "holders": holders}, actor=actor
    )
    role.delete()


@transaction.atomic
def role_permissions_set(*, role: Role, permission_ids: set[int], actor) -> tuple[set[int], set[int]]:
    """Makes ``role`` hold exactly ``permission_ids`` (the permission matrix). Returns (added, removed).

    Raises ``ValidationError`` for unknown permission ids, or when the change would leave no role able to
    manage roles among the active holders (locking everyone out of this page).
    """
    _require_manage_roles(actor)
    _lock_roles(role.pk)
    known = set(Permission.objects.filter(pk__in=permission_ids).values_list("pk", flat=True))
    if unknown := set(permission_ids) - known:
        raise ValidationError(f"Unknown permissions: {sorted(unknown)}.", code="unknown_permission")
    current = set(role.role_permissions.values_list("permission_id", flat=True))
    added, removed = known - current, current - known
    forbidden = sorted(p.codename for p in Permission.objects.filter(pk__in=added) if p.codename in NEVER_GRANTED)
    if forbidden:
        raise ValidationError(
            f"No role may hold {', '.join(forbidden)}: the audit trail is written only by the application.",
            code="never_granted",
        )
    if not added and not removed:
        return added, removed
    could_manage_before = bool(removed) and _someone_can_manage_roles()
    role.role_permissions.filter(permission_id__in=removed).delete()
    RolePermission.objects.bulk_create([RolePermission(role=role, permission_id=pk) for pk in sorted(added)])
    if could_manage_before and not _someone_can_manage_roles():
        raise ValidationError(
            "Nobody would be left able to manage roles. Keep “accounts.manage_roles” on at least one held role.",
            code="lockout",
        )
    codenames = dict((p.pk, p.codename) for p in Permission.objects.filter(pk__in=added | removed))
    audit_record(
        action=AuditAction.UPDATE,
        entity=role,
        changes={
            "permissions": {
                "added": sorted(codenames[pk] for pk in added),
                "removed": sorted(codenames[pk] for pk in removed),
            }
        },
        actor=actor,
    )
    transaction.on_commit(permission_cache.invalidate_all)  # bulk writes send no signals
    return added, removed


def _someone_can_manage_roles() -> bool:
    manage = resource_action_from_codename(MANAGE_ROLES)
    return (
        UserRole.objects.active()
        .filter(
            user__is_active=True,
            user__status=UserStatus.ACTIVE,
            role__role_permissions__permission__resource=manage[0],
            role__role_permissions__permission__action=manage[1],
        )
        .exists()
    )


@transaction.atomic
def user_role_grant(*, user: User, role: Role, expires_at=None, actor) -> UserRole:
    """Grants ``role`` to ``user``, optionally until ``expires_at``; re-granting updates the expiry.

    Refused with ``ValidationError``: an expiry not in the future; a role carrying permissions the actor
    does not hold (no one hands out more than they have, themselves included); granting oneself a role
    without holding everything it carries. Raises ``PermissionDenied`` without ``accounts.manage_roles``.
    """
    _require_manage_roles(actor)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError("The expiry must be in the future.", code="expiry_in_past")
    _lock_roles(role.pk)
    missing = sorted(codename for codename in role_codenames(role=role) if not actor.has_perm(codename))
    if missing:
        who = "yourself" if actor.pk == user.pk else "others"
        raise ValidationError(
            f"You cannot grant {role.name} to {who}: it carries permissions you do not hold ({', '.join(missing[:5])}"
            f"{'…' if len(missing) > 5 else ''}).",
            code="escalation",
        )
    assignment = UserRole.objects.select_for_update().filter(user=user, role=role).first()
    before = None
    if assignment is None:
        assignment = UserRole(user=user, role=role, assigned_by=actor, assigned_at=now, expires_at=expires_at)
    else:
        before = assignment.expires_at.isoformat() if assignment.expires_at else "never"
        assignment.assigned_by, assignment.assigned_at, assignment.expires_at = actor, now, expires_at
        assignment.expiry_warning_sent_at = assignment.lapsed_at = None
    assignment.full_clean(validate_unique=False)
    assignment.save()
    audit_record(
        action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
        entity=assignment,
        changes={
            "user": user.pk,
            "role": role.name,
            "expires_at": [before, expires_at.isoformat() if expires_at else "never"],
        },
        actor=actor,
    )
    return assignment


@transaction.atomic
def user_role_revoke(*, assignment: UserRole, actor) -> None:
    """Takes a role away. Refused with ``ValidationError`` if it would remove the last active SUPER_ADMIN."""
    _require_manage_roles(actor)
    _lock_roles(assignment.role_id)
    assignment = UserRole.objects.select_related("role", "user").get(pk=assignment.pk)
    if assignment.role.name == SUPER_ADMIN and not _other_active_super_admins(excluding=assignment).exists():
        raise ValidationError(
            "This is the last active SUPER_ADMIN; grant the role to someone else first.", code="last_super_admin"
        )
    audit_record(
        action=AuditAction.DELETE,
        entity=assignment,
        changes={"user": assignment.user_id, "role": assignment.role.name},
        actor=actor,
    )
    assignment.delete()


def _other_active_super_admins(*, excluding: UserRole):
    return (
        UserRole.objects.active()
        .filter(role__name=SUPER_ADMIN, user__is_active=True, user__status=UserStatus.ACTIVE)
        .exclude(pk=excluding.pk)
    )


def role_codenames(*, role: Role) -> set[str]:
    return {p.codename for p in Permission.objects.filter(role_permissions__role=role)}


# --- Role expiry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleExpiryResult:
    warned: int
    lapsed: int


def notifications_create(*, users, title: str, body: str, channels=(NotificationChannel.IN_APP,)) -> int:
    """Queues one notification per user and channel (delivery is the notification job's concern)."""
    rows = [
        Notification(user=user, title=title, body=body, channel=channel)
        for user in {user.pk: user for user in users if user is not None}.values()
        for channel in channels
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


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
    due_warning = list(
        UserRole.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(expires_at__gt=now, expires_at__lte=horizon, expiry_warning_sent_at__isnull=True)
        .select_related("user", "role", "assigned_by")[:batch_size]
    )
    for assignment in due_warning:
        notifications_create(
            users=[assignment.user, assignment.assigned_by],
            title=f"Role {assignment.role.name} expires soon",
            body=f"{assignment.user}'s role {assignment.role.name} expires on "
            f"{timezone.localtime(assignment.expires_at):%Y-%m-%d %H:%M}. Ask an administrator to extend it if needed.",
            channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
        )
    UserRole.objects.filter(pk__in=[a.pk for a in due_warning]).update(expiry_warning_sent_at=now)

    lapsed = list(
        UserRole.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(expires_at__lte=now, lapsed_at__isnull=True)
        .select_related("user", "role", "assigned_by")[:batch_size]
    )
    for assignment in lapsed:
        notifications_create(
            users=[assignment.user, assignment.assigned_by],
            title=f"Role {assignment.role.name} has expired",
            body=f"{assignment.user} no longer holds {assignment.role.name} (expired "
            f"{timezone.localtime(assignment.expires_at):%Y-%m-%d %H:%M}).",
        )
        audit_record(
            action=AuditAction.UPDATE,
            entity=assignment,
            changes={"lapsed": [False, True], "role": assignment.role.name, "user": assignment.user_id},
        )
        transaction.on_commit(partial(permission_cache.invalidate_user, assignment.user_id))
    UserRole.objects.filter(pk__in=[a.pk for a in lapsed]).update(lapsed_at=now)
    return RoleExpiryResult(warned=len(due_warning), lapsed=len(lapsed))
