"""Reads about people and their access, shared by the permission backend, pages and jobs."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db import connection
from django.db.models import Count, Func, Q, QuerySet, TextField, Value
from django.utils import timezone

from accounts.models import Permission, Role, User, UserRole, UserStatus, permission_codename
from accounts.rbac_catalog import NEVER_GRANTED, NON_MODEL_RESOURCE_LABELS, action_label, resource_action_from_codename


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


def users_holding(codename: str) -> QuerySet[User]:
    """Active, unsuspended users holding the permission ``codename`` through a role in force, by name."""
    resource, action = resource_action_from_codename(codename)
    assignments = UserRole.objects.active().filter(
        role__role_permissions__permission__resource=resource, role__role_permissions__permission__action=action
    )
    return User.objects.filter(is_active=True, status=UserStatus.ACTIVE, pk__in=assignments.values("user_id")).order_by(
        "full_name", "pk"
    )


MATRIX_ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class PermissionMatrix:
    actions: tuple[str, ...]  # the columns' headings
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
        if permission.codename in NEVER_GRANTED:
            # Writing the audit trail by hand: the permissions exist (Django names them), no role may hold them,
            # so the matrix offers no box for them.
            continue
        cell = {
            "id": permission.pk,
            "codename": permission.codename,
            "action": action_label(permission.action),
            "granted": permission.pk in granted,
            "grantable": True,
        }
        if permission.action in MATRIX_ACTIONS:
            row["cells"][permission.action] = cell
        else:
            row["extra"].append(cell)
    groups: dict[str, dict] = {}
    model_labels = {_resource_label(*resource.partition(".")[::2]) for resource in rows if _is_model(resource)}
    for resource, row in rows.items():
        app_label, _, model_name = resource.partition(".")
        row["label"] = _resource_label(app_label, model_name)
        if not _is_model(resource) and row["label"] in model_labels:
            # "accounts.roles" (managing roles) beside the Role model's own row: both would read "Roles".
            row["label"] = f"{row['label']} · {', '.join(cell['action'] for cell in row['extra'])}"
        row["all_granted"] = all(c["granted"] for c in [*row["cells"].values(), *row["extra"]] if c["grantable"])
        row["cells"] = [row["cells"].get(action) for action in MATRIX_ACTIONS]
        group = groups.setdefault(app_label, {"app_label": app_label, "app_name": _app_name(app_label), "rows": []})
        group["rows"].append(row)
    return PermissionMatrix(
        tuple(action_label(action) for action in MATRIX_ACTIONS), list(groups.values()), len(granted), len(permissions)
    )


def _app_name(app_label: str) -> str:
    try:
        return str(apps.get_app_config(app_label).verbose_name)
    except LookupError:
        return app_label


def _is_model(resource: str) -> bool:
    app_label, _, model_name = resource.partition(".")
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True


def _resource_label(app_label: str, model_name: str) -> str:
    try:
        return str(apps.get_model(app_label, model_name)._meta.verbose_name_plural).capitalize()
    except LookupError:
        # A resource that is not a model (the dashboard, the roles as a whole).
        return str(
            NON_MODEL_RESOURCE_LABELS.get(f"{app_label}.{model_name}", model_name.replace("_", " ").capitalize())
        )


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


class SearchFold(Func):
    """``search_fold(text)``: lower case, accents removed; the folding the name-search index is built on
    (``accounts/migrations/0004_name_search.py``)."""

    function = "search_fold"
    output_field = TextField()


class _PlainConcat(Func):
    """``a || b || c``, exactly as the index expression is written. Django's ``Concat`` wraps each part
    in ``COALESCE`` (for NULLs, which these NOT NULL columns never hold), and an expression that differs
    from the index's in any way does not use the index."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = TextField()


NAME_SEARCH_MIN_LENGTH = 3  # trigrams: a shorter text cannot use the index, and would match too much
NAME_SEARCH_MAX_LENGTH = 100
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def name_search_text(text: str) -> str:
    """``text`` as name search reads it: control characters (NUL included) removed, whitespace runs made
    one space, at most ``NAME_SEARCH_MAX_LENGTH`` characters. Empty when what is left is too short to
    search (``NAME_SEARCH_MIN_LENGTH``)."""
    cleaned = " ".join(_CONTROL_CHARACTERS.sub(" ", str(text)).split())[:NAME_SEARCH_MAX_LENGTH].strip()
    return cleaned if len(cleaned) >= NAME_SEARCH_MIN_LENGTH else ""


def users_matching(text: str) -> QuerySet[User]:
    """Users whose full name or e-mail contains ``text``, ignoring case and accents ("jurgen" finds
    "Jürgen"), as a queryset to filter, slice or use as a subquery (``client_id__in=users_matching(q)
    .values("pk")``).

    On PostgreSQL this is ``search_fold(full_name || ' ' || email) LIKE '%' || search_fold(text) || '%'``,
    which the trigram index ``accounts_user_search_trgm`` answers at any number of users; ``%``, ``_``
    and ``\\`` in ``text`` match themselves (Django's ``contains`` escapes them). Text that is too short
    once cleaned (`name_search_text`) matches nobody. Unordered; never raises on odd input.
    """
    term = name_search_text(text)
    if not term:
        return User.objects.none()
    if connection.vendor != "postgresql":
        return User.objects.filter(Q(full_name__icontains=term) | Q(email__icontains=term))
    folded_name_and_email = SearchFold(_PlainConcat("full_name", Value(" "), "email"))
    return User.objects.alias(search_text=folded_name_and_email).filter(
        search_text__contains=SearchFold(Value(term, output_field=TextField()))
    )
