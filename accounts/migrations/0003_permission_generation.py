"""The permission generation: a one-row table the database renews, by its own triggers, in the same
transaction as any change that can alter someone's permissions (decision 0007,
``accounts.permission_cache``). PostgreSQL and SQLite; other databases cache nothing.

No model: the row is derived data, so it is neither audited (``auditing.capture`` covers models only)
nor emptied by the test runner's flush. The functions' bodies live here, versioned (decision 0014);
the triggers that call them are (re)created by ``accounts.permission_cache`` after every migrate.
"""

from django.db import migrations

TABLE = (
    "CREATE TABLE accounts_permission_generation (id smallint NOT NULL PRIMARY KEY CHECK (id = 1), value text NOT NULL)"
)
FIRST_VALUE = {
    "postgresql": "INSERT INTO accounts_permission_generation (id, value) VALUES (1, gen_random_uuid()::text)",
    "sqlite": "INSERT INTO accounts_permission_generation (id, value) VALUES (1, lower(hex(randomblob(16))))",
}
POSTGRESQL_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION accounts_permission_generation_bump() RETURNS void LANGUAGE sql AS $$
        INSERT INTO accounts_permission_generation (id, value) VALUES (1, gen_random_uuid()::text)
        ON CONFLICT (id) DO UPDATE SET value = excluded.value
    $$
    """,
    # Statement-level, over the transition tables: one bump per statement, and none for a statement that
    # changed no row (the expiry job's empty updates) or, for an update with a column list, none of those
    # columns.
    """
    CREATE OR REPLACE FUNCTION accounts_permission_generation_on_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        changed boolean;
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            changed := true;
        ELSIF TG_OP = 'DELETE' THEN
            changed := EXISTS (SELECT FROM old_rows);
        ELSIF TG_OP = 'INSERT' OR TG_NARGS = 0 THEN
            changed := EXISTS (SELECT FROM new_rows);
        ELSE
            -- TG_ARGV[0]: a column list from accounts.permission_cache.TRACKED_TABLES.
            EXECUTE format(
                'SELECT EXISTS (SELECT %1$s FROM new_rows EXCEPT ALL SELECT %1$s FROM old_rows)', TG_ARGV[0]
            ) INTO changed;
        END IF;
        IF changed THEN
            PERFORM accounts_permission_generation_bump();
        END IF;
        RETURN NULL;
    END
    $$
    """,
]


def install(apps, schema_editor):
    from accounts.permission_cache import generation_triggers_install

    connection = schema_editor.connection
    if connection.vendor not in FIRST_VALUE:
        return
    with connection.cursor() as cursor:
        cursor.execute(TABLE)
        cursor.execute(FIRST_VALUE[connection.vendor])
        if connection.vendor == "postgresql":
            for statement in POSTGRESQL_FUNCTIONS:
                cursor.execute(statement)
    generation_triggers_install(connection)


def uninstall(apps, schema_editor):
    from accounts.permission_cache import generation_triggers_drop

    connection = schema_editor.connection
    if connection.vendor not in FIRST_VALUE:
        return
    generation_triggers_drop(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS accounts_permission_generation_on_change()")
            cursor.execute("DROP FUNCTION IF EXISTS accounts_permission_generation_bump()")
        cursor.execute("DROP TABLE IF EXISTS accounts_permission_generation")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_expiry_bookkeeping"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
