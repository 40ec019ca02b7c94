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


def as_owner(*statements, params=()):
    """What the tables' owner could do: switch the append-only guard off, run SQL, switch it back on."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE auditing_auditlog DISABLE TRIGGER auditing_auditlog_append_only")
        cursor.execute("ALTER TABLE auditing_auditseal DISABLE TRIGGER auditing_auditseal_append_only")
        for statement in statements:
            cursor.execute(statement, params)
        cursor.execute("ALTER TABLE auditing_auditlog ENABLE ALWAYS TRIGGER auditing_auditlog_append_only")
        cursor.execute("ALTER TABLE auditing_auditseal ENABLE ALWAYS TRIGGER auditing_auditseal_append_only")
