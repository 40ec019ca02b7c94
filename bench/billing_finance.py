"""Benchmark: the finance pages at about 1M payments: the payments list with its totals, and its CSV export.

The list (``billing:payments``): for each variant of its filter this measures the whole page (median of
several runs after warm-up, in-process Django test client, a signed-in superuser) against its bare
queries, measured in the same run, the two taking turns run by run so that both see the same load. The
bare queries are the SQL the page runs on the payments table (its page of rows and its totals per
currency), captured from the page once (``CaptureQueriesContext``) and run again as they are through a
raw cursor, every row fetched: what the page cannot do without.

Variants: the default filter (the last 30 days); a 30-day range a year back; one status; one currency;
one consultant (the busiest of the last 30 days); one category (the commonest); and all time (the "From"
field emptied: totals over every payment).

The export (``billing:payments_export``): the CSV of about 100k payments (the latest days that hold
that many, by the list's date filter), the streamed response consumed chunk by chunk, against
``COPY (the same SELECT) TO STDOUT WITH CSV`` through psycopg's ``cursor.copy()``, every chunk read; the
SELECT is the export's own (``billing.selectors.payments_export_rows`` of the same filter). Then the
peak Python memory (``tracemalloc``) of the export of about 10k and of about 100k payments.

Targets: every page <= 10x its bare queries; the export <= 3x COPY; the export's peak memory at 100k
rows <= 2x that at 10k (flat: ten times the rows, not ten times the memory).

Data: the database ``<prefix>_1m`` on the server of ``DATABASE_URL``, the one ``bench/changelists.py``
uses: created and migrated when missing, filled with ``manage.py seed_demo --scale 1000`` (about 1M
payments) when it has no payment; reruns reuse it. The first fill takes a long while.

Usage: python bench/billing_finance.py [--runs 9] [--export-runs 3] [--rounds 3] [--db-prefix bo_bench]
[--explain] [--profile] [--strict]. ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of each bare query,
``--profile`` the functions the page and the export spend their time in (cProfile).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from changelists import logged_in_client, ms, vacuum_analyze
from databases import create_database_if_missing, with_database
from timing import WARM_UP_RUNS

ROOT = Path(__file__).resolve().parent.parent
SCALE = 1000  # seed_demo --scale: about 1M payments
MAX_PAGE_OVER_QUERIES = 10.0
MAX_EXPORT_OVER_COPY = 3.0
MAX_MEMORY_GROWTH = 2.0
EXPORT_ROWS = 100_000
SMALL_EXPORT_ROWS = 10_000
PAYMENTS_TABLE = '"billing_payment"'
# Stand-ins in VARIANTS for values the worker reads from the database.
CONSULTANT, CATEGORY, YEAR_BACK_FROM, YEAR_BACK_TO = "<busiest>", "<commonest>", "<from>", "<to>"
VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("default (30 days)", {}),
    ("30-day range", {"date_from": YEAR_BACK_FROM, "date_to": YEAR_BACK_TO}),
    ("status", {"status": "REFUNDED"}),
    ("currency", {"currency": "EUR"}),
    ("consultant", {"consultant": CONSULTANT}),
    ("category", {"category": CATEGORY}),
    ("all time", {"date_from": ""}),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per page measurement (median is reported)")
    parser.add_argument("--export-runs", type=int, default=3, help="timed runs per export measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measure everything this many times; best kept")
    parser.add_argument("--db-prefix", default="bo_bench", help="the database is <prefix>_1m")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each bare query")
    parser.add_argument("--profile", action="store_true", help="print where the page and the export spend time")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
        sys.stdout = sys.stderr  # whatever else is printed must not mix with the reply
        json.dump(measure(args), replies)
        replies.flush()
        return 0

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database_url = with_database(server_url, f"{args.db_prefix}_1m")
    create_database_if_missing(database_url)
    print(f"{database_url}: migrating, seeding with seed_demo --scale {SCALE} if it has no payment", file=sys.stderr)
    results = run_worker(database_url, args)
    if args.explain or args.profile:
        print_diagnostics(results)
    all_met = print_report(results)
    return 1 if args.strict and not all_met else 0


# The parent: the worker and the report


def run_worker(database_url: str, args: argparse.Namespace) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("DJANGO_DEBUG", None)  # DEBUG would record every query and slow every page
    command = [
        sys.executable, __file__, "--worker", "--runs", str(args.runs), "--export-runs", str(args.export_runs),
        "--rounds", str(args.rounds), *(["--explain"] if args.explain else []),
        *(["--profile"] if args.profile else []),
    ]  # fmt: skip
    completed = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=True)  # noqa: S603
    return json.loads(completed.stdout)


PAGE_COLUMNS = (
    ("variant", 17), ("payments", 9), ("rows", 4), ("queries", 7), ("page", 9), ("bare", 9), ("page-bare", 9),
    ("page/bare", 9), ("verdict", 7),
)  # fmt: skip
EXPORT_COLUMNS = (("export", 24), ("rows", 9), ("view", 9), ("COPY", 9), ("view/COPY", 9), ("verdict", 7))
MEMORY_COLUMNS = (("peak memory", 17), ("@10k rows", 11), ("@100k rows", 11), ("growth", 7), ("verdict", 7))


def print_report(results: dict) -> bool:
    """Prints the three tables and the verdict; True when every target is met."""
    misses = []
    print_row(PAGE_COLUMNS, (name for name, _ in PAGE_COLUMNS))
    for variant, page in results["pages"].items():
        over = page["page_ms"] / page["bare_ms"]
        ok = over <= MAX_PAGE_OVER_QUERIES
        if not ok:
            misses.append(f"page {variant} ({over:.1f}x)")
        print_row(
            PAGE_COLUMNS,
            (
                variant, page["payments"], page["rows"], f"{page['main_queries']}/{page['queries']}",
                ms(page["page_ms"]), ms(page["bare_ms"]), ms(page["page_ms"] - page["bare_ms"]), f"{over:.1f}x",
                "ok" if ok else "MISSED",
            ),
        )  # fmt: skip
    print()
    export = results["export"]
    over_copy = export["view_ms"] / export["copy_ms"]
    if over_copy > MAX_EXPORT_OVER_COPY:
        misses.append(f"export ({over_copy:.1f}x COPY)")
    print_row(EXPORT_COLUMNS, (name for name, _ in EXPORT_COLUMNS))
    print_row(
        EXPORT_COLUMNS,
        (
            "{} to {}".format(*export["days"]), export["rows"], ms(export["view_ms"]), ms(export["copy_ms"]),
            f"{over_copy:.1f}x", "ok" if over_copy <= MAX_EXPORT_OVER_COPY else "MISSED",
        ),
    )  # fmt: skip
    print()
    memory = results["memory"]
    growth = memory["large_peak"] / memory["small_peak"]
    if growth > MAX_MEMORY_GROWTH:
        misses.append(f"export memory ({growth:.1f}x for {memory['large_rows'] / memory['small_rows']:.0f}x the rows)")
    print_row(MEMORY_COLUMNS, (name for name, _ in MEMORY_COLUMNS))
    print_row(
        MEMORY_COLUMNS,
        (
            "export (Python)", mib(memory["small_peak"]), mib(memory["large_peak"]), f"{growth:.2f}x",
            "ok" if growth <= MAX_MEMORY_GROWTH else "MISSED",
        ),
    )  # fmt: skip
    print(
        f"\n{results['payments']} payments in all; payments: how many the filter selects (its totals count them);"
        " rows: rows on the page; queries: on the payments table/in all;"
        "\npage: the payments list, median; bare: its queries on the payments table (a page of rows and the"
        " totals per currency), captured from the page and run through a raw cursor, every row fetched;"
        "\npage-bare: what the page adds (request, session, permissions, filter form, formatting, rendering);"
        f"\nexport: the CSV export of the latest days ({export['rows']} rows, {mib(export['bytes'])} of CSV), its"
        " streamed response consumed; COPY: COPY (the export's SELECT) TO STDOUT WITH CSV through psycopg,"
        " every chunk read;"
        f"\npeak memory: tracemalloc's peak while exporting {memory['small_rows']} and {memory['large_rows']} rows"
        f"\ntargets: page <= {MAX_PAGE_OVER_QUERIES:g}x bare, export <= {MAX_EXPORT_OVER_COPY:g}x COPY, export"
        f" memory at ~{EXPORT_ROWS // 1000}k rows <= {MAX_MEMORY_GROWTH:g}x that at ~{SMALL_EXPORT_ROWS // 1000}k"
    )
    held = len(results["pages"]) + 2
    if misses:
        print(f"verdict: MISSED for {len(misses)} of {held}: {'; '.join(misses)}")
        return False
    print(f"verdict: all {held} targets met")
    return True


def print_row(columns: tuple[tuple[str, int], ...], cells) -> None:
    aligned = [
        f"{cell!s:<{width}}" if index == 0 else f"{cell!s:>{width}}"
        for index, (cell, (_, width)) in enumerate(zip(cells, columns, strict=True))
    ]
    print("  ".join(aligned))


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def print_diagnostics(results: dict) -> None:
    for variant, page in results["pages"].items():
        print(f"=== page {variant}: {page['url']}")
        for plan in page.get("plans") or []:
            print(plan, end="\n\n")
        if page.get("profile"):
            print(page["profile"])
    export = results["export"]
    print(f"=== export: {export['url']}")
    if export.get("plan"):
        print(export["plan"], end="\n\n")
    if export.get("profile"):
        print(export["profile"])


# The worker: the database, in its own process


def measure(args: argparse.Namespace) -> dict:
    """Migrates and fills the database if need be, then measures every variant, the export and its
    memory, ``args.rounds`` times in turn; the lowest median of the rounds is kept for each timing."""
    sys.path.insert(0, str(ROOT))
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files: none served
    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from billing.models import Payment, Refund
    from consultants.models import Booking, Consultant, Service, ServiceCategory

    call_command("migrate", verbosity=0, stdout=sys.stderr)
    if not Payment.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", scale=SCALE, no_progress=True, stdout=sys.stderr)
        print(f"seeded in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    # Every table the pages join: a plan made without statistics is not the plan of a live database.
    vacuum_analyze([Payment, Refund, Booking, Service, ServiceCategory, Consultant, User])
    _user, client = logged_in_client()
    pages = {variant: PageMeasurement(client, params) for variant, params in variant_params()}
    export = ExportMeasurement(client, rows=EXPORT_ROWS)
    rounds: list[dict] = []
    for round_number in range(args.rounds):
        print(f"round {round_number + 1} of {args.rounds}", file=sys.stderr)
        rounds.append(
            {
                "pages": {variant: page.measured(runs=args.runs) for variant, page in pages.items()},
                "export": export.measured(runs=args.export_runs),
            }
        )
    best: dict[str, Any] = {
        "payments": Payment.objects.count(),
        "pages": {
            variant: {
                **rounds[0]["pages"][variant],
                "page_ms": min(measured["pages"][variant]["page_ms"] for measured in rounds),
                "bare_ms": min(measured["pages"][variant]["bare_ms"] for measured in rounds),
            }
            for variant in pages
        },
        "export": {
            **rounds[0]["export"],
            "view_ms": min(measured["export"]["view_ms"] for measured in rounds),
            "copy_ms": min(measured["export"]["copy_ms"] for measured in rounds),
        },
        "memory": export_memory(client),
    }
    if args.explain:
        for variant, page in pages.items():
            best["pages"][variant]["plans"] = page.plans()
        best["export"]["plan"] = export.plan()
    if args.profile:
        for variant, page in pages.items():
            best["pages"][variant]["profile"] = profiled(page.open_page)
        best["export"]["profile"] = profiled(export.run_view)
    return best


def variant_params() -> list[tuple[str, dict[str, str]]]:
    """``VARIANTS`` with the database's own values: the busiest consultant and the commonest category
    of the default period, and the 30 days that ended a year ago."""
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from billing.filters import DEFAULT_PERIOD_DAYS
    from billing.models import Payment

    today = timezone.localdate()
    recent = Payment.objects.filter(created_at__date__gte=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1)).order_by()
    busiest = recent.values("booking__consultant").annotate(n=Count("id")).order_by("-n", "booking__consultant")
    commonest = recent.values("booking__service__category").annotate(n=Count("id")).order_by("-n")
    values = {
        CONSULTANT: str(busiest[0]["booking__consultant"]),
        CATEGORY: str(commonest[0]["booking__service__category"]),
        YEAR_BACK_FROM: (today - timedelta(days=365 + DEFAULT_PERIOD_DAYS - 1)).isoformat(),
        YEAR_BACK_TO: (today - timedelta(days=365)).isoformat(),
    }
    return [(variant, {key: values.get(value, value) for key, value in params.items()}) for variant, params in VARIANTS]


class PageMeasurement:
    """One variant of the payments list: its URL, its page, and its bare queries captured from it."""

    def __init__(self, client, params: dict[str, str]) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        self.client = client
        self.url = f"{reverse('billing:payments')}?{urlencode(params)}" if params else reverse("billing:payments")
        self.row_link = f'href="{reverse("billing:payment", args=[0]).removesuffix("0/")}'.encode()
        self.open_page()  # the permissions cached, as for a signed-in user's second page
        with CaptureQueriesContext(connection) as queries:
            self.rows = self.open_page()
        self.queries = len(queries)
        self.main_sql = [query["sql"] for query in queries.captured_queries if PAYMENTS_TABLE in query["sql"]]
        if not self.main_sql:
            raise RuntimeError(f"{self.url}: the page ran no query on the payments table")
        # The totals per currency (billing.selectors.payment_totals): the currency, then the count.
        totals = [index for index, sql in enumerate(self.main_sql) if "GROUP BY" in sql]
        results = self.run_bare_queries()
        self.payments = sum(row[1] for index in totals for row in results[index])

    def measured(self, *, runs: int) -> dict:
        return {
            "url": self.url,
            "rows": self.rows,
            "payments": self.payments,
            "queries": self.queries,
            "main_queries": len(self.main_sql),
            **medians_interleaved({"page_ms": self.open_page, "bare_ms": self.run_bare_queries}, runs=runs),
        }

    def open_page(self) -> int:
        """Gets the page; the number of payment rows on it."""
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise RuntimeError(f"{self.url} answered {response.status_code}")
        return response.content.count(self.row_link)

    def run_bare_queries(self) -> list[list[tuple]]:
        from django.db import connection

        results = []
        with connection.cursor() as cursor:
            for sql in self.main_sql:
                cursor.execute(sql)
                results.append(cursor.fetchall())
        return results

    def plans(self) -> list[str]:
        return [plan_of(sql) for sql in self.main_sql]


class ExportMeasurement:
    """The CSV export of the latest days that hold at least ``rows`` payments, and its SELECT as COPY."""

    def __init__(self, client, *, rows: int) -> None:
        self.client = client
        self.days = export_days(rows)
        self.url = export_url(self.days)
        self.select = export_select(self.days)
        self.rows, self.bytes = self.run_view()
        copied_rows, _ = self.run_copy()
        if copied_rows != self.rows:
            raise RuntimeError(f"{self.url}: the export has {self.rows} rows, COPY of its SELECT {copied_rows}")

    def measured(self, *, runs: int) -> dict:
        timings = medians_interleaved({"view_ms": self.run_view, "copy_ms": self.run_copy}, runs=runs, warm_up=1)
        return {"url": self.url, "days": self.days, "rows": self.rows, "bytes": self.bytes, **timings}

    def run_view(self) -> tuple[int, int]:
        """Downloads the export, chunk by chunk; (rows, bytes) without the header."""
        return consumed_export(self.client, self.url)

    def run_copy(self) -> tuple[int, int]:
        """COPY of the export's SELECT, chunk by chunk; (rows, bytes) without the header."""
        from django.db import connection

        size = lines = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
            with raw.copy(f"COPY ({self.select}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for data in copy:
                    size += len(data)
                    lines += bytes(data).count(b"\n")
        return lines - 1, size

    def plan(self) -> str:
        return plan_of(self.select)


def export_days(rows: int) -> tuple[str, str]:
    """(first, last day): the fewest latest days holding at least ``rows`` payments, up to the day before
    the newest (the demo piles the payments of sessions booked ahead into the last hour of its history)."""
    from datetime import timedelta

    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from billing.models import Payment

    newest = timezone.localdate(Payment.objects.order_by("-created_at").values_list("created_at", flat=True)[0])
    last, counted = newest - timedelta(days=1), 0
    per_day = (
        Payment.objects.filter(created_at__lt=timezone.make_aware(datetime.combine(newest, time_of_day.min)))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("-day")
    )
    for day in per_day.iterator():
        counted += day["count"]
        if counted >= rows:
            return day["day"].isoformat(), last.isoformat()
    raise RuntimeError(f"fewer than {rows} payments before {newest}")


def export_url(days: tuple[str, str]) -> str:
    from django.urls import reverse

    first, last = days
    return f"{reverse('billing:payments_export')}?{urlencode({'date_from': first, 'date_to': last})}"


def export_select(days: tuple[str, str]) -> str:
    """The SELECT the export runs for the payments of ``days``, with its values in the text."""
    import psycopg
    from django.db import connection
    from django.test import RequestFactory

    from billing import selectors
    from billing.filters import PaymentFilter, payment_filter_data
    from billing.models import Payment

    request = RequestFactory().get(export_url(days))
    filterset = PaymentFilter(payment_filter_data(request), queryset=Payment.objects.all())
    if not filterset.is_valid():
        raise RuntimeError(f"the export's filter is refused: {filterset.errors.as_json()}")
    sql, params = selectors.payments_export_rows(filterset.qs).query.sql_with_params()
    connection.ensure_connection()
    return psycopg.ClientCursor(connection.connection).mogrify(sql, params)


def consumed_export(client, url: str) -> tuple[int, int]:
    response = client.get(url)
    if response.status_code != 200 or not response.streaming:
        raise RuntimeError(f"{url} answered {response.status_code}, streaming: {response.streaming}")
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return lines - 1, size


def export_memory(client) -> dict:
    """tracemalloc's peak while the export of about ``SMALL_EXPORT_ROWS`` and about ``EXPORT_ROWS``
    payments streams (each after one untraced run, so that caches filled once are not counted)."""
    import gc
    import tracemalloc

    measured = {}
    for name, rows in (("small", SMALL_EXPORT_ROWS), ("large", EXPORT_ROWS)):
        url = export_url(export_days(rows))
        consumed_export(client, url)
        gc.collect()
        tracemalloc.start()
        measured[f"{name}_rows"], _ = consumed_export(client, url)
        measured[f"{name}_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return measured


def medians_interleaved(operations: dict, *, runs: int, warm_up: int = WARM_UP_RUNS) -> dict[str, float]:
    """Milliseconds each operation takes, the median of ``runs`` after ``warm_up`` runs, the operations
    taking turns run by run (as in bench/support_queue.py): a change of load on a shared machine then
    shifts the page and its baseline alike."""
    for _ in range(warm_up):
        for operation in operations.values():
            operation()
    timings: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(runs):
        for name, operation in operations.items():
            started = time.perf_counter()
            operation()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def plan_of(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def profiled(operation, *, top: int = 25) -> str:
    """Where ``operation`` spends its time: cProfile's ``top`` functions by cumulative time."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    profile.runcall(operation)
    report = io.StringIO()
    pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(top)
    return report.getvalue()


if __name__ == "__main__":
    sys.exit(main())
