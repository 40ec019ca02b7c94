"""Caching of each user's resolved permissions, invalidated by generation tokens.

Two kinds of generation token live in Django's cache (Redis in production, shared by every process):
a global one, renewed whenever any role, permission or role grant changes, and one per user, renewed
whenever that user's role assignments change. A cached entry records the tokens it was computed
under; it is used only while both still match and no contributing role has expired. Reading the two
tokens and the entry is one ``get_many`` round trip.

Tokens are random rather than counters so that an evicted token, re-created with a fresh value, can
never match an old entry.
"""

import uuid

from django.core.cache import cache
from django.utils import timezone

from accounts.selectors import ResolvedPermissions, user_permissions_resolve

GLOBAL_GENERATION_KEY = "rbac:generation"
ENTRY_TTL_SECONDS = 60 * 60 * 24


def _user_generation_key(user_id: int) -> str:
    return f"rbac:user:{user_id}:generation"


def _entry_key(user_id: int) -> str:
    return f"rbac:user:{user_id}:permissions"


def _new_token() -> str:
    return uuid.uuid4().hex


def invalidate_all() -> None:
    """Forget every user's cached permissions (a role, permission or grant changed)."""
    cache.set(GLOBAL_GENERATION_KEY, _new_token(), timeout=None)


def invalidate_user(user_id: int) -> None:
    """Forget one user's cached permissions (their role assignments changed)."""
    cache.set(_user_generation_key(user_id), _new_token(), timeout=None)


def cached_permissions(user_id: int) -> ResolvedPermissions:
    """The user's permissions, from the cache when still valid, else resolved and cached."""
    keys = (GLOBAL_GENERATION_KEY, _user_generation_key(user_id), _entry_key(user_id))
    found = cache.get_many(keys)
    global_token = found.get(keys[0]) or _ensure_token(keys[0])
    user_token = found.get(keys[1]) or _ensure_token(keys[1])
    entry = found.get(keys[2])
    now = timezone.now()
    if entry is not None:
        entry_global, entry_user, resolved = entry
        if entry_global == global_token and entry_user == user_token and resolved.holds_at(now):
            return resolved
    resolved = user_permissions_resolve(user_id=user_id, at=now)
    cache.set(keys[2], (global_token, user_token, resolved), timeout=ENTRY_TTL_SECONDS)
    return resolved


def _ensure_token(key: str) -> str:
    # `add` keeps a token another process created meanwhile, so both agree on the current one.
    cache.add(key, _new_token(), timeout=None)
    return cache.get(key)
