"""``manage.py verify_audit_chain``: walk the audit trail's hash chain; exit 1 at the first broken row."""

from typing import Any

from django.core.management.base import CommandError

from auditing.capture import capture_triggers_missing
from auditing.chain import audit_chain_verify
from auditing.models import AuditLog
from core.management.base import DatabaseCommand


class Command(DatabaseCommand):
    help = (
        "Recompute every audit row's hash from its content and its predecessor's hash. Prints OK with the "
        "chain head (note it: a later run showing an older head means rows were cut off the end), or the "
        "first row that was edited, had a row before it deleted, or was moved, and exits non-zero. Also fails "
        "when a domain table has lost its capture triggers."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = audit_chain_verify()
        if not verdict.supported:
            raise CommandError("this database keeps no hash chain (PostgreSQL only)")
        if verdict.broken_id is None:  # ``verdict.ok``: no row breaks the chain
            # A chain that verifies is worth little if changes stopped being captured (a restore
            # without triggers, a table added by hand): say so, and fail.
            if missing := capture_triggers_missing():
                raise CommandError(f"chain OK, but changes are not captured on: {', '.join(missing)}")
            head = f"head #{verdict.head_id} {verdict.head_hash}" if verdict.head_id else "empty trail"
            self.stdout.write(f"OK: {verdict.rows:,} audit rows verified; {head}.")
            return
        row = AuditLog.objects.filter(pk=verdict.broken_id).values("action", "entity_type", "entity_id", "created_at")
        described = "{action} {entity_type}#{entity_id} at {created_at:%Y-%m-%d %H:%M:%S}".format(**row.get())
        raise CommandError(
            f"BROKEN at audit row #{verdict.broken_id} ({described}): its hash does not follow from its content "
            f"and the row before it; it was edited, a row before it was deleted, or rows were reordered."
        )
