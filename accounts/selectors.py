"""Reads about people and their access, shared by the permission backend, pages and jobs."""

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Permission, Role, UserRole, UserStatus, permission_codename
from accounts.rbac_catalog import NEVER_GRANTED


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
            codenames.add(permission_codename(resource, action))
    return ResolvedPermissions(frozenset(codenames), min(expiries, default=None))


def roles_with_counts() -> QuerySet[Role]:
    """Every role with ``permission_count`` and ``holder_count`` (active holders), in one query."""
    held = UserRole.objects.active().filter(user__is_active=True, user__status=UserStatus.ACTIVE)
    active_holders = Count("user_roles", filter=Q(user_roles__in=held), distinct=True)
    return Role.objects.annotate(
        permission_count=Count("role_permissions", distinct=True), holder_count=active_holders
    ).order_by("-is_system", "name")


def role_holders(*, role: Role) -> QuerySet[UserRole]:
    """The role's current (unexpired) assignments, newest first, with their users."""
    return UserRole.objects.active().filter(role=role).select_related("user").order_by("-assigned_at")


def user_role_assignments(*, user) -> QuerySet[UserRole]:
    """All of a user's assignments, expired ones included (shown as such), with role and assigner."""
    return UserRole.objects.filter(user=user).select_related("role", "assigned_by").order_by("role__name")


def permission_holders(*, permission: Permission) -> QuerySet[UserRole]:
    """Active assignments of roles that carry ``permission`` to active, unsuspended users: who holds it."""
    return (
        UserRole.objects.active()
        .filter(role__role_permissions__permission=permission, user__is_active=True, user__status=UserStatus.ACTIVE)
        .select_related("user", "role")
        .order_by("user__full_name", "role__name")
    )


MATRIX_ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class PermissionMatrix:
    actions: tuple[str, ...]
    groups: list[dict]
    granted_count: int
    permission_count: int


def permission_matrix(*, role: Role) -> PermissionMatrix:
    """Every permission grouped by app, then resource, marked granted or not for ``role``. Two queries."""
    granted = set(role.role_permissions.values_list("permission_id", flat=True))
    rows: dict[str, dict] = {}
    permissions = list(Permission.objects.order_by("resource", "action"))
    for permission in permissions:
        row = rows.setdefault(permission.resource, {"resource": permission.resource, "cells": {}, "extra": []})
        cell = {
            "id": permission.pk,
            "codename": permission.codename,
            "action": permission.action.replace("_", " "),
            "granted": permission.pk in granted,
            # The audit log's write permissions exist (Django names them) but no role may hold them.
            "grantable": permission.codename not in NEVER_GRANTED,
        }
        if permission.action in MATRIX_ACTIONS:
            row["cells"][permission.action] = cell
        else:
            row["extra"].append(cell)
    groups: dict[str, dict] = {}
    for resource, row in rows.items():
        app_label, _, model_name = resource.partition(".")
        row["label"] = _resource_label(app_label, model_name)
        row["all_granted"] = all(c["granted"] for c in [*row["cells"].values(), *row["extra"]] if c["grantable"])
        row["cells"] = [row["cells"].get(action) for action in MATRIX_ACTIONS]
        group = groups.setdefault(app_label, {"app_label": app_label, "app_name": _app_name(app_label), "rows": []})
        group["rows"].append(row)
    return PermissionMatrix(MATRIX_ACTIONS, list(groups.values()), len(granted), len(permissions))


def _app_name(app_label: str) -> str:
    try:
        return str(apps.get_app_config(app_label).verbose_name)
    except LookupError:
        return app_label


def _resource_label(app_label: str, model_name: str) -> str:
    try:
        return str(apps.get_model(app_label, model_name)._meta.verbose_name_plural).capitalize()
    except LookupError:
        return model_name.replace("_", " ").capitalize()  # a resource that is not a model (e.g. dashboard)


def user_may_be_managed_by(*, subject, actor) -> bool:
    """Whether ``actor`` holds everything ``subject`` holds, so acting on their account is no escalation.

    Changing someone's password, e-mail or status is taking over their access: only those at least as
    strong may. The bootstrap superuser is managed only by a superuser.
    """
    if actor.is_superuser:
        return True
    if subject.is_superuser:
        return False
    held = user_permissions_resolve(user_id=subject.pk).codenames
    return all(actor.has_perm(codename) for codename in held)


def objects_visible_to(*, user, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may view: all of them with a model-wide role grant, else
    those they hold a per-object (guardian) grant on. A constant number of queries, whatever the rows;
    none at all for a user who can hold no permission (guardian knows nothing of suspension)."""
    from guardian.shortcuts import get_objects_for_user

    from accounts.backends import may_hold_permissions

    if not may_hold_permissions(user):
        return queryset.none()
    opts = queryset.model._meta
    return get_objects_for_user(
        user, f"{opts.app_label}.view_{opts.model_name}", klass=queryset, use_groups=False, accept_global_perms=True
    )
