"""Benchmark: the admin changelists of the unbounded tables, at ~10k and ~1M rows.

For each table (AuditLog, SystemLog, Notification, KPIMetric, Booking, Payment) and each variant of its
list (the first page; with its first list filter; drilled down to a year and month of its date
hierarchy) this measures the page (median of several runs after warm-up, in-process Django test client,
logged-in superuser) and compares it with two baselines measured in the same run:

- the bare page query: the changelist's own ordered, filtered queryset with its select_related,
  ``[:list_per_page]``, materialized into model instances (what the page cannot do without);
- the same page at ~10k rows.

Targets at ~1M rows: the page takes at most 10x the bare page query and at most 1.2x the page at ~10k.

Data comes from ``manage.py seed_demo --scale N`` (about 1000*N rows per unbounded table) in two
PostgreSQL databases, ``<prefix>_10k`` (scale 10) and ``<prefix>_1m`` (scale 1000), on the server of
``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432``). They are created and migrated when
missing and seeded only when empty, so reruns are fast. Each is measured in a subprocess with its own
``DATABASE_URL``, which prints JSON back to this process.

Usage: python bench/changelists.py [--runs 15] [--rounds 2] [--db-prefix bo_bench] [--stock] [--strict]
With ``--strict`` the exit status is 1 when a target is missed (``make bench`` runs other benchmarks
after this one, so by default a miss is reported, not fatal).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from databases import create_database_if_missing, with_database
from timing import median_ms

ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "auditing.AuditLog",
    "auditing.SystemLog",
    "accounts.Notification",
    "analytics.KPIMetric",
    "consultants.Booking",
    "billing.Payment",
)
DATABASES = (("10k", 10), ("1m", 1000))
MAX_PAGE_OVER_QUERY = 10.0
MAX_1M_OVER_10K = 1.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measurement (median is reported)")
    parser.add_argument("--rounds", type=int, default=2, help="measure each database this many times, alternating")
    parser.add_argument("--db-prefix", default="bo_bench", help="databases are <prefix>_10k and <prefix>_1m")
    parser.add_argument(
        "--stock", action="store_true", help="also measure Django's stock changelist of each table (slow at 1M)"
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        json.dump(measure_database(scale=args.scale, runs=args.runs, stock=args.stock), sys.stdout)
        return 0

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    databases = {label: (with_database(server_url, f"{args.db_prefix}_{label}"), scale) for label, scale in DATABASES}
    results: dict[str, list[dict]] = {label: [] for label in databases}
    # The two sizes are measured in alternation, and each time's best median kept, so that a burst of
    # load on a shared machine does not land on one size only and skew the 1M/10k ratio.
    for round_number in range(1, args.rounds + 1):
        for label, (database_url, scale) in databases.items():
            create_database_if_missing(database_url)
            print(
                f"round {round_number}: {database_url} (seeded with seed_demo --scale {scale} if empty)",
                file=sys.stderr,
            )
            results[label].append(run_worker(database_url, scale=scale, runs=args.runs, stock=args.stock))
    small, large = best_of(results["10k"]), best_of(results["1m"])
    if args.stock:
        print_stock_report(small, large)
    all_met = print_report(small, large)
    return 1 if args.strict and not all_met else 0


def best_of(rounds: list[dict]) -> dict:
    """The first round's results, with every timing replaced by its lowest value over the rounds."""
    best = rounds[0]
    for other in rounds[1:]:
        for table, measured in best.items():
            measured["empty_page_ms"] = min(measured["empty_page_ms"], other[table]["empty_page_ms"])
            for variant, timings in measured["variants"].items():
                for key in ("page_ms", "query_ms", "stock_ms"):
                    if key in timings:
                        timings[key] = min(timings[key], other[table]["variants"][variant][key])
    return best


# The parent: databases, subprocesses, report


def run_worker(database_url: str, *, scale: int, runs: int, stock: bool) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("DJANGO_DEBUG", None)  # DEBUG would record every query and slow every page
    command = [sys.executable, __file__, "--worker", "--scale", str(scale), "--runs", str(runs)]
    if stock:
        command.append("--stock")
    completed = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=True)  # noqa: S603
    return json.loads(completed.stdout)


COLUMNS = (
    ("table", 13), ("variant", 11), ("count@1M", 16), ("rows", 8), ("page@10k", 9), ("page@1M", 9), ("query@1M", 9),
    ("empty@1M", 9), ("page/query", 11), ("1M/10k", 7), ("verdict", 8),
)  # fmt: skip


def print_report(small: dict, large: dict) -> bool:
    """Prints the table and the verdict; True when every target is met."""
    print_row(name for name, _ in COLUMNS)
    misses = []
    for table, at_1m in large.items():
        for variant, page in at_1m["variants"].items():
            page_10k = small[table]["variants"][variant]
            over_query = page["page_ms"] / page["query_ms"]
            over_10k = page["page_ms"] / page_10k["page_ms"]
            ok = over_query <= MAX_PAGE_OVER_QUERY and over_10k <= MAX_1M_OVER_10K
            if not ok:
                misses.append(f"{table} {variant}")
            print_row(
                (
                    table,
                    variant,
                    page["count"],
                    f"{page_10k['rows']}/{page['rows']}",
                    ms(page_10k["page_ms"]),
                    ms(page["page_ms"]),
                    ms(page["query_ms"]),
                    ms(at_1m["empty_page_ms"]),
                    f"{over_query:.1f}x",
                    f"{over_10k:.2f}x",
                    "ok" if ok else "MISSED",
                )
            )
    print(
        "\nrows: rows on the page at 10k/1M; page: the changelist page, median;"
        "\nquery: its bare page query (the same ORM query with its select_related, materialized);"
        "\nempty: the same changelist showing no rows, i.e. what the admin costs before any row."
        f"\ntargets at ~1M rows: page <= {MAX_PAGE_OVER_QUERY:g}x query and page <= {MAX_1M_OVER_10K:g}x page@10k"
    )
    total = sum(len(table["variants"]) for table in large.values())
    if misses:
        print(f"verdict: MISSED for {len(misses)} of {total}: {', '.join(misses)}")
        return False
    print(f"verdict: all {total} targets met")
    return True


def print_stock_report(small: dict, large: dict) -> None:
    """What the same pages cost with Django's stock changelist (full counts, DISTINCT dates)."""
    print(
        f"{'table':<13}  {'variant':<11}  {'stock@10k':>10}  {'stock@1M':>10}  {'stock/query':>11}  {'stock/page':>10}"
    )
    for table, at_1m in large.items():
        for variant, page in at_1m["variants"].items():
            stock_10k = small[table]["variants"][variant]["stock_ms"]
            print(
                f"{table:<13}  {variant:<11}  {ms(stock_10k):>10}  {ms(page['stock_ms']):>10}"
                f"  {page['stock_ms'] / page['query_ms']:>10.1f}x  {page['stock_ms'] / page['page_ms']:>9.1f}x"
            )
    print()


def print_row(cells) -> None:
    """Two left-aligned columns (table, variant), the rest right-aligned."""
    aligned = [
        f"{cell!s:<{width}}" if index < 2 else f"{cell!s:>{width}}"
        for index, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True))
    ]
    print("  ".join(aligned))


def ms(value: float) -> str:
    return f"{value:.1f}ms" if value >= 10 else f"{value:.2f}ms"


# The worker: one database, in its own process


def measure_database(*, scale: int, runs: int, stock: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    import warnings

    import django

    # WhiteNoise warns that STATIC_ROOT was never collected; pages here serve no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.apps import apps
    from django.core.management import call_command

    call_command("migrate", verbosity=0, stdout=sys.stderr)
    models = [apps.get_model(label) for label in TABLES]
    if not any(model.objects.exists() for model in models):
        call_command("seed_demo", scale=scale, stdout=sys.stderr)
    vacuum_analyze(models)
    if stock:
        install_stock_admin()
    user, client = logged_in_client()
    return {model.__name__: measure_table(user, client, model, runs=runs, stock=stock) for model in models}


def vacuum_analyze(models) -> None:
    """Fresh statistics and visibility maps, as autovacuum keeps them on a live database (cheap on reruns)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def install_stock_admin() -> None:
    """Serve Django's stock changelist of each table under /stock-admin/ (the ``--stock`` baseline).

    Each stock admin is ours with `LargeTableAdminMixin`'s changes undone: full ``COUNT(*)``s, the
    date hierarchy's ``SELECT DISTINCT``, Django's paginator, ChangeList and checkbox.
    """
    import types
    from importlib import import_module

    from django.apps import apps
    from django.conf import settings
    from django.contrib import admin
    from django.core.paginator import Paginator
    from django.urls import clear_url_caches, path

    undo_mixin = {
        "paginator": Paginator,
        "show_full_result_count": True,
        "show_facets": admin.ShowFacets.ALLOW,
        "change_list_template": None,
        "get_queryset": admin.ModelAdmin.get_queryset,
        "get_changelist": admin.ModelAdmin.get_changelist,
        "action_checkbox": admin.ModelAdmin.action_checkbox,
    }
    site = admin.AdminSite(name="stock_admin")
    for label in TABLES:
        model = apps.get_model(label)
        ours = type(admin.site._registry[model])
        site.register(model, type(f"Stock{ours.__name__}", (ours,), undo_mixin))
    urls: Any = types.ModuleType("bench_stock_urls")  # a module made here: its attributes are ours to set
    urls.urlpatterns = [path("stock-admin/", site.urls), *import_module(settings.ROOT_URLCONF).urlpatterns]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()


def logged_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        email="bench-admin@example.com",
        defaults={"full_name": "Benchmark admin", "is_staff": True, "is_superuser": True},
    )
    client = Client()
    client.force_login(user)
    return user, client


def measure_table(user, client, model, *, runs: int, stock: bool) -> dict:
    from django.contrib import admin

    model_admin = admin.site._registry[model]
    variants = list_variants(user, model_admin)
    # A year before any row: the page without rows, what the admin costs before rendering any.
    empty = measure_variant(user, client, model_admin, {f"{model_admin.date_hierarchy}__year": 1970}, runs=runs)
    return {
        "empty_page_ms": empty["page_ms"],
        "variants": {
            variant: measure_variant(user, client, model_admin, params, runs=runs, stock=stock)
            for variant, params in variants.items()
        },
    }


def list_variants(user, model_admin) -> dict[str, dict]:
    """The first page; filtered on the first list filter's most common value; the newest month.

    The most common value, not the first row's, so that both database sizes filter on the same value
    and the 1M/10k ratio compares like with like.
    """
    from django.db.models import Max
    from django.utils import timezone

    rows = changelist_for(user, model_admin, {}).queryset
    filter_field, date_field = model_admin.list_filter[0], model_admin.date_hierarchy
    newest = rows.aggregate(newest=Max(date_field))["newest"]
    if hasattr(newest, "tzinfo"):
        newest = timezone.localtime(newest)
    return {
        "plain": {},
        "filtered": {f"{filter_field}__exact": most_common(rows, filter_field)},
        "drill-down": {f"{date_field}__year": newest.year, f"{date_field}__month": newest.month},
    }


def most_common(rows, field: str):
    from django.db.models import Count

    counted = rows.order_by().values(field).annotate(rows=Count("pk")).order_by("-rows", field)
    return counted.first()[field]


def measure_variant(user, client, model_admin, params: dict, *, runs: int, stock: bool = False) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    opts = model_admin.model._meta
    url = f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{urlencode(params)}"
    changelist = changelist_for(user, model_admin, params)
    page_queryset = changelist.queryset

    def run_bare_query() -> None:
        list(page_queryset.all()[: changelist.list_per_page])

    with CaptureQueriesContext(connection) as queries:
        open_page(client, url)
    measured = {
        "url": url,
        "count": changelist.paginator.count_label or changelist.result_count,
        "rows": len(changelist.result_list),
        "queries": len(queries),
        "page_ms": median_ms(lambda: open_page(client, url), runs=runs),
        "query_ms": median_ms(run_bare_query, runs=runs),
    }
    if stock:
        stock_url = url.replace(reverse("admin:index"), "/stock-admin/", 1)
        measured["stock_ms"] = median_ms(lambda: open_page(client, stock_url), runs=max(3, runs // 3))
    return measured


def open_page(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")


def changelist_for(user, model_admin, params: dict):
    """The ChangeList the admin builds for these parameters; its queryset is the bare page query's."""
    from django.test import RequestFactory

    request = RequestFactory().get("/", params)
    request.user = user
    return model_admin.get_changelist_instance(request)


if __name__ == "__main__":
    sys.exit(main())
