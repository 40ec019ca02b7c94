"""Migration 0007 keeps the rows written under the old hash chain, and refuses a chain already broken."""

import psycopg
import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.usefixtures("require_postgres")

BEFORE = ("auditing", "0006_lockout_action")
AFTER = ("auditing", "0007_partitioned_trail_and_seals")
OLD_ROWS = 300
SCRATCH = "partitioning_scratch"


@pytest.fixture
def scratch(django_db_blocker):
    """A database of its own, migrated to just before 0007, with rows chained the old way."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_partitioning"
    server = psycopg.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"], dbname="postgres"
    )
    server.autocommit = True
    server.execute(f'DROP DATABASE IF EXISTS "{name}"')
    server.execute(f'CREATE DATABASE "{name}"')
    # An alias of its own: the migration recorder reaches its table through the alias, not the connection.
    connections.settings[SCRATCH] = {**settings_dict, "NAME": name}
    database = connections[SCRATCH]
    try:
        with django_db_blocker.unblock():
            MigrationExecutor(database).migrate([BEFORE])
            with database.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO auditing_auditlog (action, actor_label, entity_type, entity_id, changes, user_agent, "
                    "request_id, created_at) SELECT 'UPDATE', 'agent@example.com', 'consultants.booking', g::text, "
                    """'{"status": ["PENDING", "CONFIRMED"]}', 'Firefox/140', 'req-' || g, """
                    "now() - make_interval(days => %s - g) FROM generate_series(1, %s) g",
                    [OLD_ROWS, OLD_ROWS],
                )
            yield database
    finally:
        database.close()
        del connections[SCRATCH]
        del connections.settings[SCRATCH]
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def rows(database) -> list[tuple]:
    with database.cursor() as cursor:
        cursor.execute("SELECT id, action, entity_id, changes::text, created_at FROM auditing_auditlog ORDER BY id")
        return cursor.fetchall()


def test_the_rows_move_into_monthly_partitions_with_their_content_hashes(scratch, django_db_blocker):
    with django_db_blocker.unblock():
        before = rows(scratch)
        MigrationExecutor(scratch).migrate([AFTER])

        assert rows(scratch) == before
        with scratch.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE row_hash = auditing_row_hash(auditing_auditlog_content(a))), "
                "count(DISTINCT tableoid) FROM auditing_auditlog a"
            )
            hashed, partitions = cursor.fetchone()
            cursor.execute("SELECT nextval('auditing_auditlog_id_seq') > max(id) FROM auditing_auditlog")
            (ids_continue,) = cursor.fetchone()
    assert hashed == OLD_ROWS and partitions >= 10  # a year of history, month by month
    assert ids_continue


def test_a_broken_old_chain_stops_the_migration(scratch, django_db_blocker):
    with django_db_blocker.unblock():
        with scratch.cursor() as cursor:
            cursor.execute("ALTER TABLE auditing_auditlog DISABLE TRIGGER auditing_auditlog_append_only")
            cursor.execute("UPDATE auditing_auditlog SET actor_label = 'someone else' WHERE entity_id = '7'")

        with pytest.raises(RuntimeError, match="hash chain is broken at row"):
            MigrationExecutor(scratch).migrate([AFTER])
