"""Role management: creating, renaming and deleting roles, the permission matrix, grants and revokes.

Every change goes through these functions. Each checks the actor's permission, refuses what would
break an invariant with a ``ValidationError`` that says why, runs in one transaction behind a single
RBAC lock, and writes its audit event there. The invariants:

* nobody hands out, takes away or edits what they do not hold themselves (no escalation, no
  stripping a stronger colleague), and nobody changes their own roles;
* system roles keep their names and cannot be deleted;
* the audit log's write permissions are never granted;
* at least one active, never-expiring SUPER_ADMIN remains, and someone can still manage roles.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permission_cache
from accounts.models import Permission, Role, RolePermission, User, UserRole, UserStatus
from accounts.rbac_catalog import NEVER_GRANTED, SUPER_ADMIN, resource_action_from_codename
from auditing.models import AuditAction
from auditing.services import audit_record

MANAGE_ROLES = "accounts.manage_roles"


def _require_manage_roles(actor) -> None:
    if not actor.has_perm(MANAGE_ROLES):
        raise PermissionDenied("You may not manage roles.")


def _lock_rbac() -> None:
    """Serialises every role change: guards that count holders must not race each other.

    The SUPER_ADMIN role row is the lock: it always exists once RBAC is seeded, and taking one row
    lock avoids any lock-ordering deadlock between concurrent changes.
    """
    list(Role.objects.select_for_update().filter(name=SUPER_ADMIN).values_list("pk", flat=True))


def _require_holds(actor, codenames: set[str], doing: str) -> None:
    missing = sorted(codename for codename in codenames if not actor.has_perm(codename))
    if missing:
        shown = ", ".join(missing[:5]) + ("…" if len(missing) > 5 else "")
        raise ValidationError(f"You cannot {doing}: it involves permissions you do not hold ({shown}).", "escalation")


def _active_holders():
    return UserRole.objects.active().filter(user__is_active=True, user__status=UserStatus.ACTIVE)


INVARIANT_MESSAGES = {
    "last_super_admin": "At least one active SUPER_ADMIN without an expiry must remain; "
    "grant the role to someone else first.",
    "lockout": f"Nobody would be left able to manage roles; keep “{MANAGE_ROLES}” on at least one held role.",
}


def _invariants_held() -> set[str]:
    """Which lasting invariants hold right now (a fresh install may hold neither yet)."""
    held = set()
    if _active_holders().filter(role__name=SUPER_ADMIN, expires_at__isnull=True).exists():
        held.add("last_super_admin")
    resource, action = resource_action_from_codename(MANAGE_ROLES)
    if (
        _active_holders()
        .filter(
            role__role_permissions__permission__resource=resource, role__role_permissions__permission__action=action
        )
        .exists()
    ):
        held.add("lockout")
    return held


def _require_kept(before: set[str]) -> None:
    """Raises ``ValidationError`` (rolling the change back) if the change broke an invariant that held."""
    for code in sorted(before - _invariants_held()):
        raise ValidationError(INVARIANT_MESSAGES[code], code)


def role_codenames(*, role: Role) -> set[str]:
    return {permission.codename for permission in Permission.objects.filter(role_permissions__role=role)}


@transaction.atomic
def role_create(*, name: str, description: str = "", actor) -> Role:
    """Creates a (non-system) role. Raises ``ValidationError`` if the name is taken or invalid."""
    _require_manage_roles(actor)
    role = Role(name=name.strip().upper(), description=description.strip(), is_system=False)
    role.full_clean()
    role.save()
    return role


@transaction.atomic
def role_update(*, role: Role, name: str, description: str, actor) -> Role:
    """Renames or re-describes a role. System roles keep their name: renaming one raises ``ValidationError``."""
    _require_manage_roles(actor)
    _lock_rbac()
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
    return role


@transaction.atomic
def role_delete(*, role: Role, actor) -> None:
    """Deletes a non-system role and its assignments.

    Raises ``ValidationError`` for a system role, a role carrying permissions the actor lacks, or when
    nobody would be left able to manage roles.
    """
    _require_manage_roles(actor)
    _lock_rbac()
    invariants = _invariants_held()
    role = Role.objects.select_for_update().get(pk=role.pk)
    if role.is_system:
        raise ValidationError(f"{role.name} is a system role; it cannot be deleted.", code="system_role")
    _require_holds(actor, role_codenames(role=role), f"delete {role.name}")
    role.delete()  # the capture triggers record the role and each assignment it takes along
    _require_kept(invariants)
    transaction.on_commit(permission_cache.invalidate_all)


@transaction.atomic
def role_permissions_set(*, role: Role, permission_ids: set[int], actor) -> tuple[set[int], set[int]]:
    """Makes ``role`` hold exactly ``permission_ids`` (the permission matrix). Returns (added, removed).

    Raises ``ValidationError`` for unknown ids, for audit-log write permissions, for any added or
    removed permission the actor does not hold (so editing one's own role never adds anything), and
    when the change would leave nobody able to manage roles.
    """
    _require_manage_roles(actor)
    _lock_rbac()
    invariants = _invariants_held()
    known = {p.pk: p for p in Permission.objects.filter(pk__in=permission_ids)}
    if unknown := set(permission_ids) - set(known):
        raise ValidationError(f"Unknown permissions: {sorted(unknown)}.", code="unknown_permission")
    current = {p.pk: p for p in Permission.objects.filter(role_permissions__role=role)}
    added, removed = set(known) - set(current), set(current) - set(known)
    if not added and not removed:
        return added, removed
    if forbidden := sorted(known[pk].codename for pk in added if known[pk].codename in NEVER_GRANTED):
        raise ValidationError(
            f"No role may hold {', '.join(forbidden)}: the audit trail is written only by the application.",
            code="never_granted",
        )
    changed = {known[pk].codename for pk in added} | {current[pk].codename for pk in removed}
    _require_holds(actor, changed, f"change these permissions of {role.name}")
    role.role_permissions.filter(permission_id__in=removed).delete()
    RolePermission.objects.bulk_create([RolePermission(role=role, permission_id=pk) for pk in sorted(added)])
    _require_kept(invariants)
    audit_record(
        action=AuditAction.UPDATE,
        entity=role,
        changes={
            "permissions": {
                "added": sorted(known[pk].codename for pk in added),
                "removed": sorted(current[pk].codename for pk in removed),
            }
        },
        actor=actor,
    )
    transaction.on_commit(permission_cache.invalidate_all)  # bulk writes send no signals
    return added, removed


@transaction.atomic
def user_role_grant(*, user: User, role: Role, expires_at=None, actor) -> UserRole:
    """Grants ``role`` to ``user``, optionally until ``expires_at``; re-granting replaces the expiry.

    Raises ``PermissionDenied`` without ``accounts.manage_roles``; ``ValidationError`` for an expiry
    not in the future, for granting oneself anything, for a role carrying permissions the actor does
    not hold, and when the change would leave no lasting SUPER_ADMIN.
    """
    _require_manage_roles(actor)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError("The expiry must be in the future.", code="expiry_in_past")
    if user.pk == actor.pk:
        raise ValidationError("You cannot grant or extend your own roles; ask another administrator.", "self_grant")
    _lock_rbac()
    invariants = _invariants_held()
    _require_holds(actor, role_codenames(role=role), f"grant {role.name}")
    assignment = UserRole.objects.select_for_update().filter(user=user, role=role).first()
    if assignment is None:
        assignment = UserRole(user=user, role=role, assigned_by=actor, assigned_at=now, expires_at=expires_at)
    else:
        assignment.assigned_by, assignment.assigned_at, assignment.expires_at = actor, now, expires_at
        assignment.expiry_warning_sent_at = assignment.lapsed_at = None
    assignment.full_clean(validate_unique=False)
    assignment.save()
    _require_kept(invariants)
    return assignment


@transaction.atomic
def user_role_revoke(*, assignment: UserRole, actor) -> None:
    """Takes a role away.

    Raises ``ValidationError`` for one's own roles, for a role carrying permissions the actor does not
    hold, and when it would remove the last lasting SUPER_ADMIN or the last person able to manage roles.
    """
    _require_manage_roles(actor)
    _lock_rbac()
    invariants = _invariants_held()
    assignment = UserRole.objects.select_related("role", "user").get(pk=assignment.pk)
    if assignment.user_id == actor.pk:
        raise ValidationError("You cannot revoke your own roles; ask another administrator.", "self_revoke")
    _require_holds(actor, role_codenames(role=assignment.role), f"revoke {assignment.role.name}")
    assignment.delete()
    _require_kept(invariants)


def user_access_change_check(*, user: User, actor, new_status: str, new_is_active: bool) -> None:
    """Refuses (``ValidationError``) suspending or deactivating a user when it would break the RBAC
    invariants or when the user holds permissions the actor does not. Call inside the saving transaction.
    """
    if new_status == UserStatus.ACTIVE and new_is_active:
        return
    if user.pk == actor.pk:
        raise ValidationError("You cannot suspend or deactivate yourself.", "self_suspend")
    _lock_rbac()
    held = set().union(*(role_codenames(role=a.role) for a in UserRole.objects.active().filter(user=user)))
    _require_holds(actor, held, f"suspend or deactivate {user}")
    lasting_super_admins = _active_holders().filter(role__name=SUPER_ADMIN, expires_at__isnull=True)
    is_one = lasting_super_admins.filter(user=user).exists()
    if is_one and not lasting_super_admins.exclude(user=user).exists():
        raise ValidationError(f"{user} is the last lasting SUPER_ADMIN and cannot be suspended.", "last_super_admin")
