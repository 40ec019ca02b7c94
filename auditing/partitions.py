"""Monthly partitions of the audit trail, created ahead of need (decision 0016).

``auditing_auditlog`` is range-partitioned by month of ``created_at`` (``auditing_auditlog_pYYYY_MM``), so
date-bounded reads (the viewer's pages, verification, a future archive) touch only their months. A row
for a month without a partition cannot be written, so the partitions of the next ``MONTHS_AHEAD`` months
always exist: the migration creates them and a daily job keeps them coming. Creating one attaches an
empty table, which lets writers carry on (``auditing_partitions_ensure`` in migration 0007).
"""

from datetime import datetime

from django.db import connection
from django.utils import timezone

MONTHS_AHEAD = 3


def audit_partitions_ensure(*, since: datetime | None = None, months_ahead: int = MONTHS_AHEAD) -> int:
    """Creates the missing monthly partitions from ``since`` (default: this month) to ``months_ahead``
    months from now; returns how many were created. Idempotent."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        # A partition waits for no writer, but never let it queue for long behind a stuck transaction.
        cursor.execute("SELECT set_config('lock_timeout', '5s', true)")
        cursor.execute("SELECT auditing_partitions_ensure(%s, %s)", [since or timezone.now(), months_ahead])
        return cursor.fetchone()[0]


def audit_partitions() -> list[str]:
    """The partitions' names, oldest month first."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'auditing_auditlog'::regclass ORDER BY c.relname"
        )
        return [name for (name,) in cursor.fetchall()]
