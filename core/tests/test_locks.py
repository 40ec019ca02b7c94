"""Locks released and renewed only by their holder, in Redis and in the per-process fallback."""

import threading
import time

import pytest
from django.core.cache import caches

from core.locks import HeldLock, lock_acquire, single_run

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "locks"}}


@pytest.fixture(params=["redis", "local"])
def backend(request, settings):
    """Each test runs against the real Redis cache and against the per-process cache."""
    if request.param == "redis":
        request.getfixturevalue("redis_url")
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    else:
        settings.CACHES = LOCAL_CACHE
    caches["default"].clear()
    return request.param


def taken(key: str, *, timeout: float) -> HeldLock:
    held = lock_acquire(key, timeout=timeout)
    assert held is not None, f"{key} was not free"
    return held


def test_a_held_lock_is_refused_to_others_until_released(backend):
    # given a run holding the lock
    first = lock_acquire("job:demo", timeout=30)
    assert first is not None
    # when another run asks for it
    # then it is refused, until the holder releases it
    assert lock_acquire("job:demo", timeout=30) is None
    assert first.release() is True
    assert lock_acquire("job:demo", timeout=30) is not None


def test_a_run_that_outlived_its_lock_does_not_release_the_next_holders(backend):
    # given a run whose lock expired while it was still working, and a second run that took the lock then
    slow = lock_acquire("job:demo", timeout=0.3)
    assert slow is not None
    time.sleep(0.5)
    second = lock_acquire("job:demo", timeout=30)
    assert second is not None

    # when the slow run finishes and releases "its" lock
    released = slow.release()

    # then nothing is released: the second run still holds the lock, and a third is refused
    assert released is False
    assert lock_acquire("job:demo", timeout=30) is None
    assert second.release() is True


def test_a_run_that_outlived_its_lock_cannot_renew_it(backend):
    slow = taken("job:demo", timeout=0.3)
    time.sleep(0.5)
    second = taken("job:demo", timeout=30)

    assert slow.renew() is False
    assert second.renew() is True
    assert lock_acquire("job:demo", timeout=30) is None


def test_renewing_keeps_a_lock_past_its_first_timeout(backend):
    # given a lock of 0.4 s renewed every 0.2 s
    held = taken("beat:leader", timeout=0.4)
    for _ in range(4):
        time.sleep(0.2)
        assert held.renew() is True
    # then a second second later it is still held
    assert lock_acquire("beat:leader", timeout=30) is None


def test_single_run_releases_only_its_own_lock(backend):
    with single_run("job:demo", timeout=0.3) as holding:
        assert holding is True
        time.sleep(0.5)
        # the lock expired meanwhile and another run took it
        other = lock_acquire("job:demo", timeout=30)
        assert other is not None
    # leaving the block did not free the other run's lock
    with single_run("job:demo") as holding:
        assert holding is False
    assert other.release() is True


def test_exactly_one_of_many_concurrent_runs_holds_the_lock(backend):
    # given twenty threads asking for the same lock at the same instant
    start = threading.Barrier(20)
    holders: list[int] = []
    refused: list[int] = []

    def run(number: int) -> None:
        start.wait()
        with single_run("job:concurrent", timeout=30) as holding:
            (holders if holding else refused).append(number)
            if holding:
                time.sleep(0.3)  # still holding while every other thread asks

    threads = [threading.Thread(target=run, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    # then exactly one ran, and the lock is free again afterwards
    assert len(holders) == 1
    assert len(refused) == 19
    assert lock_acquire("job:concurrent", timeout=30) is not None


def test_a_long_run_keeps_a_renewed_lock_and_frees_it_at_the_end(backend):
    # given a run holding a 0.4 s lock renewed every 0.1 s
    with single_run("job:long", timeout=0.4, renew_every=0.1) as holding:
        assert holding is True
        # when it runs for well past the lock's timeout
        time.sleep(1.0)
        # then nobody else could take the lock meanwhile
        assert lock_acquire("job:long", timeout=30) is None
    # and it is free once the run ends
    assert lock_acquire("job:long", timeout=30) is not None


def test_a_renewed_lock_whose_holder_stopped_renewing_expires(backend):
    # given a run that took a renewed lock, and then died (its keeper stops with it)
    holder = lock_acquire("job:dead", timeout=0.3)
    assert holder is not None
    # when nobody renews it
    time.sleep(0.5)
    # then the next run may take it
    assert lock_acquire("job:dead", timeout=30) is not None


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_a_lock_that_would_never_expire_is_refused(timeout):
    with pytest.raises(ValueError, match="positive timeout"):
        lock_acquire("job:forever", timeout=timeout)
