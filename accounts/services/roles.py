"""Role management: creating, renaming and deleting roles, the permission matrix, grants and revokes.

Every change goes through these functions. Each checks the actor's permission, refuses what would
break an invariant with a ``ValidationError`` that says why, runs in one transaction behind a single
RBAC lock, and writes its audit event there. The invariants:

* nobody hands out, takes away or edits what they do not hold themselves (no escalation, no
  stripping a stronger colleague): changing a role needs every permission it holds before and after
  the change, and nobody changes their own roles;
* system roles are changed only by someone holding every permission there is (as SUPER_ADMIN does,
  decided by ``has_perm``, never by role name); they keep their names and cannot be deleted;
* SUPER_ADMIN holds every permission: nothing is ever removed from it, whoever asks;
* the audit log's write permissions are never granted;
* at least one active user holds SUPER_ADMIN without an expiry, and that role carries
  ``accounts.manage_roles`` (any other role manager could be the one stripping the roles), and someone
  can still manage roles.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Permission, Role, RolePermission, User, UserRole, UserStatus
from accounts.rbac_catalog import MANAGE_ROLES, NEVER_GRANTED, SUPER_ADMIN, resource_action_from_codename
from auditing.models import AuditAction
from auditing.services import audit_record


def _require_manage_roles(actor) -> None:
    if not actor.has_perm(MANAGE_ROLES):
        raise PermissionDenied(gettext("You may not manage roles."))


def _lock_rbac() -> None:
    """Serialises every role change: guards that count holders must not race each other.

    The SUPER_ADMIN role row is the lock: it always exists once RBAC is seeded, and taking one row
    lock avoids any lock-ordering deadlock between concurrent changes.
    """
    list(Role.objects.select_for_update().filter(name=SUPER_ADMIN).values_list("pk", flat=True))


def _missing(actor, codenames: set[str]) -> list[str]:
    return sorted(codename for codename in codenames if not actor.has_perm(codename))


def _shown(codenames: list[str]) -> str:
    return ", ".join(codenames[:5]) + ("…" if len(codenames) > 5 else "")


def _require_holds(actor, codenames: set[str], refusal: str, **params) -> None:
    """Raises ``ValidationError`` with ``refusal`` (formatted with ``params`` and ``%(missing)s``, the
    permissions lacking) unless ``actor`` holds every one of ``codenames``."""
    if missing := _missing(actor, codenames):
        raise ValidationError(refusal % {**params, "missing": _shown(missing)}, "escalation")


def _current_role(role: Role) -> Role:
    """``role`` as committed, read under the RBAC lock; ``ValidationError`` if it was deleted meanwhile."""
    current = Role.objects.select_for_update().filter(pk=role.pk).first()
    if current is None:
        raise ValidationError(gettext("This role no longer exists."), code="role_gone")
    return current


def _active_holders():
    return UserRole.objects.active().filter(user__is_active=True, user__status=UserStatus.ACTIVE)


# Formatted with %(permission)s, the permission that manages roles, when raised.
INVARIANT_MESSAGES = {
    "last_super_admin": gettext_lazy(
        "At least one active SUPER_ADMIN without an expiry must remain; grant the role to someone else first."
    ),
    "lasting_role_manager": gettext_lazy(
        "At least one active SUPER_ADMIN without an expiry must remain able to manage roles (“%(permission)s”)."
    ),
    "lockout": gettext_lazy(
        "Nobody would be left able to manage roles; keep “%(permission)s” on at least one held role."
    ),
}


def _invariants_held(*, without_user_id: int | None = None) -> set[str]:
    """Which lasting invariants hold right now, or as if ``without_user_id`` held no role at all.

    ``last_super_admin``: an active user holds SUPER_ADMIN without an expiry. ``lasting_role_manager``:
    moreover that role carries ``accounts.manage_roles``, so someone lasting can always repair the roles
    (anyone else able to manage roles might be the very person stripping them). ``lockout``: some active
    user holds a role carrying ``accounts.manage_roles``. A fresh install may hold none of them yet, so
    callers refuse only a change that breaks one that held before it. Three queries.
    """
    holders = _active_holders()
    if without_user_id is not None:
        holders = holders.exclude(user_id=without_user_id)
    lasting_super_admins = holders.filter(role__name=SUPER_ADMIN, expires_at__isnull=True)
    resource, action = resource_action_from_codename(MANAGE_ROLES)
    manage_roles = {
        "role__role_permissions__permission__resource": resource,
        "role__role_permissions__permission__action": action,
    }
    checks = {
        "last_super_admin": lasting_super_admins,
        "lasting_role_manager": lasting_super_admins.filter(**manage_roles),
        "lockout": holders.filter(**manage_roles),
    }
    return {code for code, queryset in checks.items() if queryset.exists()}


def _require_kept(before: set[str]) -> None:
    """Raises ``ValidationError`` (rolling the change back) if the change broke an invariant that held."""
    for code in sorted(before - _invariants_held()):
        raise ValidationError(INVARIANT_MESSAGES[code] % {"permission": MANAGE_ROLES}, code)


def role_codenames(*, role: Role) -> set[str]:
    return {permission.codename for permission in Permission.objects.filter(role_permissions__role=role)}


def grantable_codenames() -> set[str]:
    """Every permission a role may hold: each row of the catalogue less the audit log's write permissions."""
    return {permission.codename for permission in Permission.objects.only("resource", "action")} - NEVER_GRANTED


def holds_every_permission(*, actor) -> bool:
    """Whether ``actor`` holds every grantable permission, as SUPER_ADMIN does: what changing a system role takes."""
    return not _missing(actor, grantable_codenames())


def role_keeps_every_permission(*, role: Role) -> bool:
    """Whether nothing may ever be removed from ``role``: SUPER_ADMIN holds every permission, by rule."""
    return role.is_system and role.name == SUPER_ADMIN


def role_edit_refusal(*, role: Role, actor) -> str | None:
    """Why ``actor`` may not change ``role`` (name, description, permissions, deletion), or ``None``.

    A system role may be changed only by someone holding every grantable permission (which the
    SUPER_ADMIN role guarantees); any other role only by someone holding every permission it holds.
    Holding ``accounts.manage_roles`` is a separate check. The services raise this reason as a
    ``ValidationError``; the role page shows the role read-only with it. One query, plus the actor's
    (memoised) ``has_perm``.
    """
    if role.is_system:
        if missing := _missing(actor, grantable_codenames()):
            return gettext(
                "%(role)s is a system role: only someone holding every permission, as %(super_admin)s does, "
                "may change it (you do not hold %(missing)s)."
            ) % {"role": role.name, "super_admin": SUPER_ADMIN, "missing": _shown(missing)}
        return None
    if missing := _missing(actor, role_codenames(role=role)):
        return gettext("%(role)s holds permissions you do not hold (%(missing)s), so you cannot change it.") % {
            "role": role.name,
            "missing": _shown(missing),
        }
    return None


def _require_may_edit(actor, role: Role) -> None:
    if reason := role_edit_refusal(role=role, actor=actor):
        raise ValidationError(reason, code="system_role" if role.is_system else "escalation")


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
    """Renames or re-describes a role.

    Raises ``PermissionDenied`` without ``accounts.manage_roles``; ``ValidationError`` for renaming a
    system role, and when the actor may not change the role at all (``role_edit_refusal``).
    """
    _require_manage_roles(actor)
    _lock_rbac()
    role = _current_role(role)
    name = name.strip().upper()
    if role.is_system and name != role.name:
        raise ValidationError(
            gettext("%(role)s is a system role; it cannot be renamed.") % {"role": role.name}, code="system_role"
        )
    _require_may_edit(actor, role)
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
    role = _current_role(role)
    if role.is_system:
        raise ValidationError(
            gettext("%(role)s is a system role; it cannot be deleted.") % {"role": role.name}, code="system_role"
        )
    _require_holds(
        actor,
        role_codenames(role=role),
        gettext("You cannot delete %(role)s: it involves permissions you do not hold (%(missing)s)."),
        role=role.name,
    )
    role.delete()  # the capture triggers record the role and each assignment it takes along
    _require_kept(invariants)


@transaction.atomic
def role_permissions_set(*, role: Role, permission_ids: set[int], actor) -> tuple[set[int], set[int]]:
    """Makes ``role`` hold exactly ``permission_ids`` (the permission matrix). Returns (added, removed).

    Raises ``PermissionDenied`` without ``accounts.manage_roles``; ``ValidationError`` for unknown ids,
    for removing anything from SUPER_ADMIN (whoever asks), when the actor may not change the role as it
    is (a system role without holding every permission, any role holding a permission the actor lacks:
    ``role_edit_refusal``), for adding a permission the actor lacks (so editing one's own role never
    adds anything) or an audit-log write permission, and when the change would break the lasting
    SUPER_ADMIN or role-management invariants. The role is read under the RBAC lock, so a concurrent
    change cannot slip a permission the actor lacks into what they remove.
    """
    _require_manage_roles(actor)
    _lock_rbac()
    role = _current_role(role)
    invariants = _invariants_held()
    known = {p.pk: p for p in Permission.objects.filter(pk__in=permission_ids)}
    if unknown := set(permission_ids) - set(known):
        raise ValidationError(
            gettext("Unknown permissions: %(ids)s.") % {"ids": sorted(unknown)}, code="unknown_permission"
        )
    current = {p.pk: p for p in Permission.objects.filter(role_permissions__role=role)}
    added, removed = set(known) - set(current), set(current) - set(known)
    if removed and role_keeps_every_permission(role=role):
        raise ValidationError(
            gettext("%(role)s always holds every permission; nothing can be removed from it (%(removed)s).")
            % {"role": role.name, "removed": _shown(sorted(current[pk].codename for pk in removed))},
            code="super_admin_complete",
        )
    _require_may_edit(actor, role)  # every permission it holds before the change
    if not added and not removed:
        return added, removed
    if forbidden := sorted(known[pk].codename for pk in added if known[pk].codename in NEVER_GRANTED):
        raise ValidationError(
            gettext("No role may hold %(permissions)s: the audit trail is written only by the application.")
            % {"permissions": ", ".join(forbidden)},
            code="never_granted",
        )
    # What it holds after the change is what it held (checked above) less the removed, plus these.
    _require_holds(
        actor,
        {known[pk].codename for pk in added},
        gettext("You cannot add these permissions to %(role)s: it involves permissions you do not hold (%(missing)s)."),
        role=role.name,
    )
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
        raise ValidationError(gettext("The expiry must be in the future."), code="expiry_in_past")
    if user.pk == actor.pk:
        raise ValidationError(
            gettext("You cannot grant or extend your own roles; ask another administrator."), "self_grant"
        )
    _lock_rbac()
    invariants = _invariants_held()
    _require_holds(
        actor,
        role_codenames(role=role),
        gettext("You cannot grant %(role)s: it involves permissions you do not hold (%(missing)s)."),
        role=role.name,
    )
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
        raise ValidationError(gettext("You cannot revoke your own roles; ask another administrator."), "self_revoke")
    _require_holds(
        actor,
        role_codenames(role=assignment.role),
        gettext("You cannot revoke %(role)s: it involves permissions you do not hold (%(missing)s)."),
        role=assignment.role.name,
    )
    assignment.delete()
    _require_kept(invariants)


def user_access_change_check(*, user: User, actor, new_status: str, new_is_active: bool) -> None:
    """Refuses (``ValidationError``) suspending or deactivating ``user``: oneself, someone holding
    permissions the actor does not, the last lasting SUPER_ADMIN or the last person able to manage roles.
    Takes the RBAC lock: call inside the saving transaction, before saving.
    """
    if new_status == UserStatus.ACTIVE and new_is_active:
        return
    _require_removable(user=user, actor=actor, refusals=_SUSPENSION_REFUSALS)


def user_delete_check(*, user: User, actor) -> None:
    """Refuses (``ValidationError``) deleting ``user`` for the same reasons as ``user_access_change_check``.

    Takes the RBAC lock: call inside the deleting transaction, before deleting.
    """
    _require_removable(user=user, actor=actor, refusals=_DELETION_REFUSALS)


# What ``_require_removable`` says, by reason, formatted with %(user)s (and %(missing)s for "escalation").
_SUSPENSION_REFUSALS = {
    "self_suspend": gettext_lazy("You cannot suspend or deactivate yourself."),
    "escalation": gettext_lazy(
        "You cannot suspend or deactivate %(user)s: it involves permissions you do not hold (%(missing)s)."
    ),
    "last_super_admin": gettext_lazy(
        "%(user)s is the last lasting SUPER_ADMIN and cannot be suspended or deactivated."
    ),
    "lockout": gettext_lazy("%(user)s is the last person able to manage roles and cannot be suspended or deactivated."),
}
_DELETION_REFUSALS = {
    "self_suspend": gettext_lazy("You cannot delete yourself."),
    "escalation": gettext_lazy("You cannot delete %(user)s: it involves permissions you do not hold (%(missing)s)."),
    "last_super_admin": gettext_lazy("%(user)s is the last lasting SUPER_ADMIN and cannot be deleted."),
    "lockout": gettext_lazy("%(user)s is the last person able to manage roles and cannot be deleted."),
}


def _require_removable(*, user: User, actor, refusals: dict) -> None:
    if user.pk == actor.pk:
        raise ValidationError(str(refusals["self_suspend"]), "self_suspend")
    _lock_rbac()
    held = set().union(*(role_codenames(role=a.role) for a in UserRole.objects.active().filter(user=user)))
    _require_holds(actor, held, str(refusals["escalation"]), user=user)
    lost = _invariants_held() - _invariants_held(without_user_id=user.pk)
    if lost & {"last_super_admin", "lasting_role_manager"}:
        raise ValidationError(refusals["last_super_admin"] % {"user": user}, "last_super_admin")
    if lost:
        raise ValidationError(refusals["lockout"] % {"user": user}, "lockout")
