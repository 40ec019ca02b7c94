from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attachments.services import attachments_sweep


class Command(BaseCommand):
    help = (
        "Removes stored attachment files that no row names and rows whose stored file is gone, and lists both. "
        "The nightly job does the same (attachments.tasks.attachments_sweep_task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only list what would be removed")
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=settings.ATTACHMENT_SWEEP_GRACE_SECONDS,
            help="leave stored files younger than this alone (default: ATTACHMENT_SWEEP_GRACE_SECONDS)",
        )

    def handle(self, *args, dry_run: bool, grace_seconds: int, **options):
        if grace_seconds < 0:
            raise CommandError("--grace-seconds cannot be negative.")
        # The grace period is the setting's; shifting "now" forward shortens it to what was asked.
        now = timezone.now() + timedelta(seconds=settings.ATTACHMENT_SWEEP_GRACE_SECONDS - grace_seconds)
        report = attachments_sweep(now=now, dry_run=dry_run)
        if report.refusal:
            raise CommandError(f"Removed nothing: {report.refusal}.")
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(f"{len(report.orphan_objects)} stored object no row names ({verb}):")
        for name in report.orphan_objects:
            self.stdout.write(f"  {name}")
        self.stdout.write(f"{len(report.rows_without_object)} row whose stored file is gone ({verb}):")
        for pk in report.rows_without_object:
            self.stdout.write(f"  attachment #{pk}")
