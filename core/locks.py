"""Locks in the shared cache, each released or renewed only by the one who holds it.

A lock is a cache key holding a random token. Taking it is an atomic "add if absent" with a timeout (so a
holder that dies frees it in time); releasing and renewing compare the token first, in one step, so a run
that outlived its timeout cannot delete or extend the lock the next holder took meanwhile.

With Redis (every deployment, and the tests with ``REDIS_URL``) this is redis-py's ``Lock``: ``SET NX PX``
to take, Lua scripts to compare-and-delete and compare-and-expire. Without Redis (a development machine,
where the cache lives in one process anyway) the token is compared and deleted under a process-wide mutex.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import LockError
from redis.lock import Lock as RedisLock

# Serialises the compare-then-act steps of the in-process fallback (its cache is per process, so a
# process-wide mutex makes them atomic).
_local_mutex = threading.Lock()
logger = logging.getLogger(__name__)


class HeldLock:
    """A lock this process holds: ``renew`` keeps it, ``release`` frees it. Both do nothing to a lock
    someone else holds now (ours expired and was taken), and say so by returning False."""

    def __init__(self, key: str, token: str, timeout: float) -> None:
        self.key = key
        self.token = token
        self.timeout = timeout
        self._redis_lock: RedisLock | None = None

    def renew(self, timeout: float | None = None) -> bool:
        """Resets the lock's time to live to ``timeout`` seconds (its own by default); False when it is no
        longer ours (expired, perhaps taken by another)."""
        timeout = self.timeout if timeout is None else timeout
        if self._redis_lock is not None:
            try:
                return self._redis_lock.extend(timeout, replace_ttl=True)
            except LockError:
                return False
        cache = caches["default"]
        with _local_mutex:
            if cache.get(self.key) != self.token:
                return False
            cache.set(self.key, self.token, timeout)
            return True

    def release(self) -> bool:
        """Frees the lock if it is still ours; False when it had expired (and may be someone else's now)."""
        if self._redis_lock is not None:
            try:
                self._redis_lock.release()
            except LockError:
                return False
            return True
        cache = caches["default"]
        with _local_mutex:
            if cache.get(self.key) != self.token:
                return False
            cache.delete(self.key)
            return True


def lock_acquire(key: str, *, timeout: float) -> HeldLock | None:
    """Takes the lock ``key`` for at most ``timeout`` seconds; None at once when someone holds it.

    Raises ``ValueError`` for a timeout that is not positive: a lock that never expires would outlive a
    holder that dies.
    """
    if not timeout > 0:
        raise ValueError(f"A lock needs a positive timeout, not {timeout!r}.")
    cache = caches["default"]
    token = uuid.uuid4().hex
    held = HeldLock(key, token, timeout)
    if isinstance(cache, RedisCache):
        # The cache's own key (with its prefix and version), so locks share the cache's namespace: a test
        # database's locks never meet another's, and clearing the cache frees them.
        name = cache.make_and_validate_key(key)
        client = cache._cache.get_client(name, write=True)
        # Not thread-local: a lock taken by one thread (beat's loop) may be renewed or released by another.
        redis_lock = RedisLock(client, name, timeout=timeout, blocking=False, thread_local=False)
        if not redis_lock.acquire(token=token):
            return None
        held._redis_lock = redis_lock
        return held
    with _local_mutex:
        if not cache.add(key, token, timeout):
            return None
    return held


@contextmanager
def single_run(key: str, *, timeout: float = 60 * 60, renew_every: float | None = None) -> Iterator[bool]:
    """Yields True while holding ``key`` (released on exit, if still ours), or False when another run holds it.

    ``timeout`` frees the lock of a run that died without releasing it. Either make it longer than any run
    takes, or pass ``renew_every`` (well under ``timeout``): a background thread then renews the lock that
    often while the run lasts, so a long run keeps it and a dead one frees it within ``timeout``.
    """
    held = lock_acquire(key, timeout=timeout)
    if held is None:
        yield False
        return
    keeper = _Keeper(held, renew_every) if renew_every else None
    try:
        yield True
    finally:
        if keeper is not None:
            keeper.stop()
        held.release()


class _Keeper(threading.Thread):
    """Renews ``held`` every ``every`` seconds until stopped (or until the lock turns out lost)."""

    def __init__(self, held: HeldLock, every: float) -> None:
        super().__init__(name=f"lock-keeper {held.key}", daemon=True)
        self._held = held
        self._every = every
        self._stopped = threading.Event()
        self.start()

    def run(self) -> None:
        while not self._stopped.wait(self._every):
            if not self._held.renew():
                logger.warning("The lock %s expired while its run was going on: another run may start.", self._held.key)
                return

    def stop(self) -> None:
        self._stopped.set()
        self.join()
