"""Constraints that only PostgreSQL can enforce, declared on the model like any other.

SQLite (the first-run database) has no exclusion constraints: there the constraint adds no SQL, and the
rule it states is left to the model's ``clean`` (which every write path runs) alone.
"""

from django.contrib.postgres import operations as postgres_operations
from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import DEFAULT_DB_ALIAS


class PostgreSQLExclusionConstraint(ExclusionConstraint):
    """An ``ExclusionConstraint`` that is left out on databases other than PostgreSQL.

    Model validation leaves it to the model's ``clean``, which names the conflicting row in a way a
    person can act on; the database still refuses what a race between two writers lets through.
    """

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        return None


class BtreeGistExtension(postgres_operations.BtreeGistExtension):
    """Installs ``btree_gist`` on PostgreSQL (equality on plain columns inside an exclusion constraint);
    nothing elsewhere. Going backwards leaves it installed: other constraints may use it, and Django's own
    operation would query ``pg_extension`` on SQLite."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return None
