"""Tickets are found by words of their subject and by their reference, on indexes, instead of a scan of
every ticket.

The admin's and the global search's fields are ``=reference`` (Django's ``iexact``:
``UPPER(reference) = UPPER('...')``) and ``subject`` (``icontains``: ``UPPER(subject) LIKE UPPER('%...%')``),
ORed. PostgreSQL answers an OR from indexes only when every arm has one: a trigram index on the subject's
expression and a b-tree on the reference's (the unique index on ``reference`` itself does not match
``UPPER(reference)``).

Built CONCURRENTLY (decision 0014), so not atomic; PostgreSQL only, like the name-search index they sit
beside (``accounts.0004_name_search`` creates ``pg_trgm``).
"""

from django.db import migrations

INDEXES = {
    "support_ticket_subject_trgm": "USING gin (upper(subject) gin_trgm_ops)",
    "support_ticket_reference_upper": "(upper(reference))",
}


def search_indexes_add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for name, definition in INDEXES.items():
                cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON support_supportticket {definition}")
            # Statistics of the indexed expressions: without them the planner guesses that a subject
            # matches 1% of tickets, and for a word that matches none walks every ticket by date looking
            # for the first page (90 ms at 40,000 tickets, against under 1 ms from the indexes).
            cursor.execute("ANALYZE support_supportticket")


def search_indexes_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for name in INDEXES:
                cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0004_name_search"),
        ("support", "0005_open_ticket_age_index"),
    ]

    operations = [
        migrations.RunPython(search_indexes_add, search_indexes_remove, elidable=False),
    ]
