"""One run at a time: a lock in the shared cache for jobs that must not overlap."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


@contextmanager
def single_run(key: str, *, timeout: int = 60 * 60) -> Iterator[bool]:
    """Yields True while holding ``key`` (released on exit), or False when another run holds it.

    ``timeout`` frees the lock of a run that died without releasing it.
    """
    if not cache.add(key, "running", timeout=timeout):
        yield False
        return
    try:
        yield True
    finally:
        cache.delete(key)
