"""``manage.py verify_audit_chain [--full]``: seal what can be sealed, then verify; exit 1 at the first problem."""

from typing import Any

from django.core.management.base import CommandError

from auditing.chain import audit_chain_verify
from core.management.base import DatabaseCommand


class Command(DatabaseCommand):
    help = (
        "Seal every audit row committed so far, then check the seals (HMAC under AUDIT_SEAL_KEYS), the rows they "
        "cover, the rows not sealed yet, the capture and append-only triggers, and the sealed head kept outside the "
        "database. Checks what was sealed since the last passing run, or everything with --full. Prints OK with the "
        "sealed head and the sealing lag, or the first row edited, inserted, deleted or moved, and exits non-zero."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="check every seal and row, not only the new ones")

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = audit_chain_verify(full=options["full"])
        if not verdict.supported:
            raise CommandError("this database keeps no sealed audit trail (PostgreSQL only)")
        if not verdict.ok:
            raise CommandError(f"BROKEN: {verdict.problem}.")
        scope = "full" if verdict.full else "incremental"
        head = (
            f"sealed head #{verdict.head_id} (seal #{verdict.seal_id} at {verdict.sealed_at:%Y-%m-%d %H:%M:%S}, "
            f"{verdict.head_hash})"
            if verdict.head_id
            else "nothing sealed yet"
        )
        self.stdout.write(
            f"OK: {verdict.rows:,} audit rows in {verdict.seals:,} seals verified ({scope}); {head}; "
            f"{verdict.unsealed_rows:,} rows waiting for a seal (lag {verdict.lag_seconds:.0f}s)."
        )
        for warning in verdict.warnings:
            self.stderr.write(f"warning: {warning}")
