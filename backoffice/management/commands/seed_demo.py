"""``manage.py seed_demo --scale N``: realistic demo data in every table."""

import sys
import time
from argparse import ArgumentTypeError
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from backoffice.demo_data import DEMO_EMAIL_DOMAIN
from backoffice.demo_data.plan import DemoPlan
from backoffice.services import DEMO_USER_PASSWORD, DemoSeedResult, demo_data_seed
from core.management.base import DatabaseCommand, positive_int, refuse_unless_demo_data_allowed

DEFAULT_SEED = 2026


class Command(DatabaseCommand):
    help = (
        "Fill every table with realistic, linked demo data: about 1,000 x SCALE bookings, payments, "
        "notifications, audit and system log rows and KPI values, 50 x SCALE users and 5 x SCALE consultants "
        "(scale 1 is small and quick, 1000 is about a million rows per big table). Runs the seed_rbac seeding "
        f"first. Demo data counts as present when any user has an e-mail address at @{DEMO_EMAIL_DOMAIN}; then "
        "nothing is added (to start over, empty the database with `manage.py flush`). All or nothing: a "
        "failure leaves no rows and no files behind. Demo users sign in with the password "
        f"{DEMO_USER_PASSWORD!r}. Every run also ensures the demo staff login (see create_demo_login)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=positive_int, default=1, help="Size multiplier, at least 1 (default 1).")
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data, dated from today (default {DEFAULT_SEED}).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_unless_demo_data_allowed()
        try:
            # call_command(scale=...) skips argparse, so the option is checked again here.
            plan = DemoPlan.for_scale(positive_int(str(options["scale"])))
        except ArgumentTypeError as exc:
            raise CommandError(f"--scale: {exc}") from exc
        started = time.monotonic()
        hide_progress = options["no_progress"] or options["verbosity"] < 1
        with tqdm(
            total=plan.estimated_rows, unit=" rows", unit_scale=True, file=sys.stderr, disable=hide_progress, delay=1
        ) as bar:
            result = demo_data_seed(
                plan=plan, seed=options["seed"], progress=bar.update, on_stage=bar.set_description_str
            )
        if options["verbosity"] >= 1:
            self._report(result, seconds=time.monotonic() - started, scale=plan.scale)
        call_command("create_demo_login", verbosity=options["verbosity"], stdout=self.stdout, stderr=self.stderr)

    def _report(self, result: DemoSeedResult, *, seconds: float, scale: int) -> None:
        if not result.created:
            self.stdout.write(f"Demo data is already present (users at @{DEMO_EMAIL_DOMAIN} exist); nothing added.")
            return
        for label, count in sorted(result.counts.items()):
            self.stdout.write(f"  {label}: {count:,}")
        total = sum(result.counts.values())
        self.stdout.write(self.style.SUCCESS(f"Demo data created at scale {scale}: {total:,} rows in {seconds:.1f} s."))
