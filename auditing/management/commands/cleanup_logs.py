"""``manage.py cleanup_logs``: delete system log rows past their level's retention."""

from typing import Any

from django.core.management.base import CommandParser

from auditing.services import system_logs_cleanup
from core.management.base import DatabaseCommand, positive_int


class Command(DatabaseCommand):
    help = (
        "Delete system log rows older than their level's retention (the system settings logs.retention_days.<LEVEL>, "
        "by default SYSTEM_LOG_RETENTION_DAYS), in batches. "
        "The audit trail is never touched. Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=positive_int, default=5_000, help="Rows per delete (default 5000).")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = system_logs_cleanup(batch_size=options["batch_size"])
        summary = ", ".join(f"{level} {count:,}" for level, count in deleted.items())
        self.stdout.write(f"System log rows deleted: {summary} (total {sum(deleted.values()):,}).")
