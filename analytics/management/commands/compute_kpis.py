"""``manage.py compute_kpis [--from DATE --to DATE]``: recompute the KPI values of a span of days."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from analytics.services import kpis_compute
from core.management.base import DatabaseCommand


def iso_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD, between the years 2000 and 2100 (argparse reports the refusal)."""
    import argparse

    try:
        value = date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a date written YYYY-MM-DD") from error
    if not 2000 <= value.year <= 2100:
        raise argparse.ArgumentTypeError(f"{value:%Y-%m-%d} is outside the years 2000 to 2100")
    return value


class Command(DatabaseCommand):
    help = (
        "Recompute every KPI for each day from --from to --to (inclusive; default yesterday and today), and "
        "for the weeks and months they fall in. Safe to re-run: values are replaced, not added."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", type=iso_date, help="First day, YYYY-MM-DD (default yesterday).")
        parser.add_argument("--to", dest="end", type=iso_date, help="Last day, YYYY-MM-DD (default today).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        start = options["start"] or (today - timedelta(days=1) if options["end"] is None else options["end"])
        end = options["end"] or max(today, start)
        try:
            run = kpis_compute(start=start, end=end)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"KPI values recomputed for {run.days:,} days ({start:%Y-%m-%d} to {end:%Y-%m-%d}), "
            f"{run.weeks:,} weeks and {run.months:,} months: {run.values:,} values stored."
        )
