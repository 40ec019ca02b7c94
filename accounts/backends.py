"""Authentication and authorisation: e-mail login, and permissions answered from the user's roles."""

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from accounts.models import UserStatus
from accounts.permission_cache import cached_permissions


def may_hold_permissions(user) -> bool:
    """Whether ``user`` can hold any permission at all: signed in, active and not suspended."""
    return bool(
        user is not None
        and not user.is_anonymous
        and user.is_active
        and getattr(user, "status", None) == UserStatus.ACTIVE
    )


class EmailBackend(ModelBackend):
    """Logs users in by case-insensitive e-mail and answers ``has_perm`` from their active roles.

    * Authentication: a suspended or inactive user can neither log in nor keep an existing session;
      Django asks ``user_can_authenticate`` both at login and when loading each request's user.
    * Authorisation: ``UserRole`` -> ``RolePermission`` -> ``Permission`` (``resource``, ``action``),
      mapped to Django's ``app.action_model`` strings, so the admin, our pages and our services obey
      the same rules. A role grant covers every object of the model; per-object grants are answered by
      guardian's backend, listed after this one. Django's per-user and group permissions are not used.
    * The resolved set is memoised on the user object for the request and cached across requests
      (``accounts.permission_cache``), checked against the database's permission generation once per
      request; the memo is dropped the moment a contributing role expires.
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and getattr(user, "status", None) == UserStatus.ACTIVE

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        if not may_hold_permissions(user_obj):
            return set()
        resolved = getattr(user_obj, "_rbac_permissions", None)
        if resolved is None or not resolved.holds_at(timezone.now()):
            resolved = cached_permissions(user_obj.pk)
            user_obj._rbac_permissions = resolved
        return resolved.codenames

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj)

    def has_module_perms(self, user_obj, app_label):
        prefix = f"{app_label}."
        return any(codename.startswith(prefix) for codename in self.get_all_permissions(user_obj))

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        raise NotImplementedError("Use accounts.selectors.permission_holders, which honours role expiry.")
