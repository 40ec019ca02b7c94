"""``manage.py flush`` that keeps the audit trail: empties every other table, never the trail or its seals.

The trail is append-only (decision 0016) and its tables refuse TRUNCATE; Django's own flush would stop
there with a database error. This one leaves them out and says so. Tests that reset the database between
them (``TransactionTestCase``) go through it too: the trail simply keeps what they wrote.
"""

from contextlib import contextmanager

from django.core.management.commands import flush
from django.db import connections

KEPT_TABLES = frozenset({"auditing_auditlog", "auditing_auditseal"})


@contextmanager
def _trail_left_out(connection):
    introspection = connection.introspection
    table_names = introspection.django_table_names

    def without_trail(*args, **kwargs):
        return [name for name in table_names(*args, **kwargs) if name not in KEPT_TABLES]

    introspection.django_table_names = without_trail
    try:
        yield
    finally:
        del introspection.django_table_names  # back to the class's method


class Command(flush.Command):
    help = flush.Command.help + " The audit trail and its seals are kept: they are append-only."

    def handle(self, **options):
        with _trail_left_out(connections[options["database"]]):
            super().handle(**options)
        if options["verbosity"] >= 1 and options["interactive"]:
            self.stdout.write("The audit trail (auditing_auditlog, auditing_auditseal) was kept: it is append-only.")
