"""Benchmark: our role-based ``has_perm`` against Django's ``ModelBackend`` for the same check.

What a request pays: a fresh user object (as each request loads one) asks one permission. Django's
``ModelBackend`` answers from the user's and their groups' permissions (two queries, then memoised on
the object). Ours answers from the user's active roles: with a warm cache one primary-key read of the
database's permission generation plus one cache read, with a cold cache that plus one query and a
cache write.

The generation check is also timed on its own, against the cached ``has_perm`` without it (the cache
read and the membership test on a freshly loaded user, as the backend did before the generation), so
its cost reads as a ratio to what it guards.

Both sides run in the same process against the same PostgreSQL database (``<prefix>``, created and
migrated when missing) and, when ``REDIS_URL`` is set, the same Redis cache production would use.
Prints each median and the ratios; target: warm <= 1.5x ModelBackend.

Usage: python bench/permissions.py [--runs 2000] [--db bo_bench_perms]
Exit status 1 when the warm target is missed.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from databases import create_database_if_missing, with_database

ROOT = Path(__file__).resolve().parent.parent
PERMISSION = "support.view_supportticket"
TARGET_WARM = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--db", default="bo_bench_perms")
    args = parser.parse_args()
    database_url = with_database(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"), args.db)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"  # no query log slowing either side
    create_database_if_missing(database_url)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_rbac", verbosity=0)
    return run(args.runs)


def median_seconds(operations: dict, runs: int) -> dict[str, float]:
    """Each operation's median duration, the operations taking turns run by run.

    Interleaved rather than one after the other, so that a load change on a shared machine shifts every
    operation alike instead of the one measured at that moment.
    """
    for _ in range(min(50, runs)):
        for operation in operations.values():
            operation()
    samples: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(runs):
        for name, operation in operations.items():
            started = time.perf_counter()
            operation()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def run(runs: int) -> int:
    from django.conf import settings
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Permission as DjangoPermission
    from django.core.cache import cache
    from django.utils import timezone

    from accounts import permission_cache
    from accounts.backends import EmailBackend
    from accounts.models import Role, User, UserRole

    user, _ = User.objects.get_or_create(email="bench.perms@example.com", defaults={"full_name": "Bench Perms"})
    UserRole.objects.get_or_create(user=user, role=Role.objects.get(name="ADMIN"))
    django_permission = DjangoPermission.objects.get(content_type__app_label="support", codename="view_supportticket")
    user.user_permissions.add(django_permission)

    ours, django_backend = EmailBackend(), ModelBackend()
    fresh = User.objects.get  # each "request" loads its user afresh, with no memo on the object

    def django_check():
        assert django_backend.has_perm(fresh(pk=user.pk), PERMISSION)

    def ours_warm():
        assert ours.has_perm(fresh(pk=user.pk), PERMISSION)

    def ours_cold():
        cache.delete(permission_cache._entry_key(user.pk))
        assert ours.has_perm(fresh(pk=user.pk), PERMISSION)

    def load_user_only():
        fresh(pk=user.pk)

    def cached_without_generation():
        fresh(pk=user.pk)
        _, resolved = cache.get(permission_cache._entry_key(user.pk))
        assert resolved.holds_at(timezone.now()) and PERMISSION in resolved.codenames

    def generation_check():
        fresh(pk=user.pk)
        assert permission_cache.permission_generation() is not None

    timings = median_seconds(
        {
            "loading the user": load_user_only,
            "ModelBackend": django_check,
            "ours, warm cache": ours_warm,
            "ours, cold cache": ours_cold,
            "cache read only": cached_without_generation,
            "generation read": generation_check,
        },
        runs,
    )
    baseline = timings.pop("loading the user")
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"has_perm({PERMISSION!r}) on a freshly loaded user, median of {runs} runs; cache: {cache_backend}")
    print(f"{'check':<20}{'total µs':>10}{'check µs':>10}{'vs Django':>11}")
    reference = timings["ModelBackend"] - baseline
    for name, seconds in timings.items():
        check = seconds - baseline
        print(f"{name:<20}{seconds * 1e6:>10.0f}{check * 1e6:>10.0f}{check / reference:>10.2f}x")
    print(f"(loading the user alone: {baseline * 1e6:.0f} µs, subtracted from 'check µs')")
    cached_alone = timings["cache read only"] - baseline
    generation = timings["generation read"] - baseline
    warm = timings["ours, warm cache"] - baseline
    print(
        f"generation check: {generation * 1e6:.0f} µs per request, {generation / cached_alone:.2f}x the cached "
        f"has_perm alone ({cached_alone * 1e6:.0f} µs); warm has_perm with it: {warm / cached_alone:.2f}x"
    )
    warm_ratio = (timings["ours, warm cache"] - baseline) / reference
    verdict = "OK" if warm_ratio <= TARGET_WARM else "MISSED"
    print(f"warm cache target <= {TARGET_WARM}x ModelBackend: {warm_ratio:.2f}x {verdict}")
    return 0 if warm_ratio <= TARGET_WARM else 1


if __name__ == "__main__":
    sys.exit(main())
