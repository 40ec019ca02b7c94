"""Test helpers that act on the trail as its owner would."""

from django.db import connection

# Every TRUNCATE guard of the trail (parent and each partition) and of the seals.
_GUARDS = """
SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE t.tgname IN ('auditing_auditlog_no_truncate', 'auditing_auditseal_no_truncate')
"""


def audit_trail_empty() -> None:
    """Empties the trail and its seals: guards off, TRUNCATE, guards on. Tests only: no product code may."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_GUARDS)
        guards = cursor.fetchall()
        for table, trigger in guards:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
        cursor.execute("TRUNCATE auditing_auditlog, auditing_auditseal")
        for table, trigger in guards:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE ALWAYS TRIGGER "{trigger}"')
