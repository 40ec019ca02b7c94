"""People are found by any part of their name or e-mail, case- and accent-insensitively (trigram index).

``search_fold(text)`` is the one folding every name search uses: lower case, accents removed
(``unaccent``), declared IMMUTABLE so it can be indexed (``unaccent`` itself is only STABLE, because its
dictionary could change; ours is fixed by name). ``accounts_user_search_trgm`` indexes the folded
"full name + e-mail" with trigrams, so ``search_fold(full_name || ' ' || email) LIKE '%...%'`` is an index
scan however many users there are. Bookings, payments, tickets and the audit trail find people through it.

Built CONCURRENTLY (decision 0014: the users table is large and every sign-in reads it), so the migration is
not atomic. PostgreSQL only: elsewhere name search falls back to a plain scan.
"""

from django.db import migrations

FOLD_FUNCTION = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION search_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT lower(public.unaccent('public.unaccent'::regdictionary, value))
$$;
"""
INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_user_search_trgm ON accounts_user "
    "USING gin (search_fold(full_name || ' ' || email) gin_trgm_ops)"
)


def name_search_add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FOLD_FUNCTION)
        cursor.execute(INDEX)


def name_search_remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX CONCURRENTLY IF EXISTS accounts_user_search_trgm")
        cursor.execute("DROP FUNCTION IF EXISTS search_fold(text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0003_permission_generation"),
    ]

    operations = [
        migrations.RunPython(name_search_add, name_search_remove, elidable=False),
    ]
