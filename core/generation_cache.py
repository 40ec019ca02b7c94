"""Cached values a change invalidates for good, even against a reader racing it (decision 0025).

A value is cached together with the *generation* it was computed under: a random token kept in the cache
under a key of its own. A change replaces the token (``generations_renew``, once its transaction commits),
and an entry carrying another token is never used. A reader reads the token before it computes, so a value
computed from data older than a change, and stored after the change committed, is stored under the token
the change replaced: nobody uses it. Deleting the entry instead would let such a late write stand until it
expires.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar
from uuid import uuid4

from django.core.cache import cache

# Longer than any value's own lifetime: a token that expires only costs the next reader one computation.
GENERATION_TTL_SECONDS = 24 * 60 * 60

T = TypeVar("T")


def generation_cached(*, generation_key: str, value_key: str, compute: Callable[[], T], ttl: int) -> T:
    """The value cached under ``value_key`` if it was computed under the current generation (kept under
    ``generation_key``); otherwise ``compute()``, cached for ``ttl`` seconds under that generation."""
    found = cache.get_many([generation_key, value_key])
    generation, entry = found.get(generation_key), found.get(value_key)
    if generation is not None and isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
        return entry[1]
    if generation is None:
        generation = uuid4().hex
        if not cache.add(generation_key, generation, GENERATION_TTL_SECONDS):
            generation = cache.get(generation_key)  # another reader made one first
    value = compute()
    if generation is not None:
        cache.set(value_key, (generation, value), ttl)
    return value


def generations_renew(generation_keys: Iterable[str]) -> None:
    """Replaces each generation: every value cached under the old ones is stale from now on."""
    cache.set_many({key: uuid4().hex for key in generation_keys}, GENERATION_TTL_SECONDS)
