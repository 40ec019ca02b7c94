"""The tables that grow without bound, and the migration operations that change them without stopping writers.

``LARGE_TABLES`` names them once, as ``app_label.model`` (``Model._meta.label_lower``): decision 0014
states the rules for migrating them and ``core/tests/test_migration_rules.py`` enforces the rules on every
migration file. A table belongs here when production can bring it to about a million rows: rows per
business event, per person or per grant, never a catalogue that staff curate by hand. When unsure, add
it; the list only makes migrations stricter.

The operations run the PostgreSQL form that keeps the table writable and fall back to Django's plain
form elsewhere (the first-run SQLite database, whose tables are small and which has no concurrent
builds). ``django.contrib.postgres``'s own concurrent operations fail on SQLite.
"""

from django.contrib.postgres import operations as postgres_operations
from django.db import IntegrityError, NotSupportedError
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation, OperationCategory
from django.db.models import BaseConstraint, CheckConstraint, UniqueConstraint

LARGE_TABLES: frozenset[str] = frozenset(
    {
        # Accounts: people, their role assignments and what is sent to them.
        "accounts.user",
        "accounts.userrole",
        "accounts.notification",
        "accounts.notificationpreference",
        "accounts.usersession",
        # The consulting business: sessions, deliverables, conversations, and the per-object grants that
        # follow each of them (two or more rows per booking, the largest table after the audit trail).
        "consultants.booking",
        "consultants.report",
        "consultants.feasibilitystudy",
        "consultants.message",
        "consultants.bookinguserobjectpermission",
        "consultants.reportuserobjectpermission",
        "consultants.feasibilitystudyuserobjectpermission",
        # Money.
        "billing.payment",
        "billing.refund",
        # The support desk.
        "support.supportticket",
        "support.ticketcomment",
        "support.supportticketuserobjectpermission",
        # Files of every owner type.
        "attachments.fileattachment",
        # Logs and derived values: a row per event or per computed value.
        "auditing.auditlog",
        "auditing.systemlog",
        "analytics.kpimetric",
    }
)


def _on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class _PlainOutsidePostgreSQL(Operation):
    """Runs the concurrent PostgreSQL operation it is mixed into there, and ``plain`` anywhere else."""

    plain: type[Operation]

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_PlainOutsidePostgreSQL, postgres_operations.AddIndexConcurrently):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL (in a migration with ``atomic = False``): writers carry
    on while the index is built. A plain ``CREATE INDEX`` on other databases."""

    plain = AddIndex


class RemoveIndexConcurrently(_PlainOutsidePostgreSQL, postgres_operations.RemoveIndexConcurrently):
    """``DROP INDEX CONCURRENTLY`` on PostgreSQL (in a migration with ``atomic = False``); a plain
    ``DROP INDEX`` on other databases."""

    plain = RemoveIndex


class _ConstraintOperation(Operation):
    """An operation on one named constraint of one model: what Django's own constraint operations share."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, constraint: BaseConstraint):
        self.model_name = model_name
        self.constraint = constraint

    @property
    def model_name_lower(self) -> str:
        return self.model_name.lower()

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "constraint": self.constraint}

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name_lower}_{self.constraint.name.lower()}"

    def _refuse_inside_transaction(self, schema_editor) -> None:
        # Inside a transaction the lock taken would be held to commit: the very wait these operations avoid.
        if schema_editor.connection.in_atomic_block:
            raise NotSupportedError(
                f"{self.__class__.__name__} cannot run inside a transaction (set atomic = False on the migration)."
            )


class _ConstraintAddition(_ConstraintOperation):
    """Adds the constraint: Django's plain ``AddConstraint`` outside PostgreSQL, ``_add_on_postgresql`` there
    (outside a transaction)."""

    category = OperationCategory.ADDITION

    def state_forwards(self, app_label, state):
        state.add_constraint(app_label, self.model_name_lower, self.constraint)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not _on_postgresql(schema_editor):
            schema_editor.add_constraint(model, self.constraint)
            return
        self._refuse_inside_transaction(schema_editor)
        self._add_on_postgresql(model, schema_editor)

    def _add_on_postgresql(self, model, schema_editor) -> None:
        raise NotImplementedError


class ReplaceCheckConstraint(_ConstraintOperation):
    """Replaces a model's CHECK constraint (same name, new condition) without a locked scan of the table.

    On PostgreSQL, in a migration with ``atomic = False``, two statements that commit one by one:
    ``ALTER TABLE ... DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (...) NOT VALID`` holds the table's
    ACCESS EXCLUSIVE lock only for the catalogue change (new rows are checked from then on), and
    ``VALIDATE CONSTRAINT c`` scans the existing rows under a SHARE UPDATE EXCLUSIVE lock, which lets
    readers and writers carry on. If a row breaks the new condition, the previous condition is put back
    the same way and the migration fails (``IntegrityError``). Backwards runs the same steps the other way
    (and so fails while rows need the newer condition).

    Other databases get Django's remove and add (SQLite rebuilds the table). Raises ``NotSupportedError``
    inside a transaction on PostgreSQL, where the scan would keep the exclusive lock to commit.
    """

    category = OperationCategory.ALTERATION

    def describe(self) -> str:
        return f"Replace check constraint {self.constraint.name} on model {self.model_name} (NOT VALID, then VALIDATE)"

    def state_forwards(self, app_label, state):
        state.remove_constraint(app_label, self.model_name_lower, self.constraint.name)
        state.add_constraint(app_label, self.model_name_lower, self.constraint)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(app_label, schema_editor, from_state, to_state)

    def _replace(self, app_label, schema_editor, from_state, to_state) -> None:
        old_model = from_state.apps.get_model(app_label, self.model_name)
        new_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, new_model):
            return
        old = from_state.models[app_label, self.model_name_lower].get_constraint_by_name(self.constraint.name)
        new = to_state.models[app_label, self.model_name_lower].get_constraint_by_name(self.constraint.name)
        if not _on_postgresql(schema_editor):
            schema_editor.remove_constraint(old_model, old)
            schema_editor.add_constraint(new_model, new)
            return
        self._refuse_inside_transaction(schema_editor)
        table = schema_editor.quote_name(new_model._meta.db_table)
        validate = f"ALTER TABLE {table} VALIDATE CONSTRAINT {schema_editor.quote_name(new.name)}"
        schema_editor.execute(self._swap_sql(schema_editor, new_model, new))
        try:
            schema_editor.execute(validate)
        except IntegrityError:
            # A row breaks the new condition. Put the previous one back, so the table keeps enforcing what
            # the migration record (still the previous migration) says, then fail.
            schema_editor.execute(self._swap_sql(schema_editor, old_model, old))
            schema_editor.execute(validate)
            raise

    @staticmethod
    def _swap_sql(schema_editor, model, constraint: CheckConstraint) -> str:
        # One statement, so no moment passes without a constraint; NOT VALID, so it reads no row.
        table = schema_editor.quote_name(model._meta.db_table)
        name = schema_editor.quote_name(constraint.name)
        definition = constraint.constraint_sql(model, schema_editor)  # CONSTRAINT "name" CHECK (...)
        return f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD {definition} NOT VALID"


class AddCheckConstraint(_ConstraintAddition):
    """Adds a CHECK constraint to a large table without a locked scan of it.

    On PostgreSQL, in a migration with ``atomic = False``: ``ADD CONSTRAINT ... NOT VALID`` (the exclusive
    lock only for the catalogue change; new rows are checked from then on), then ``VALIDATE CONSTRAINT``,
    which scans the rows already there while readers and writers carry on. If a row breaks the condition,
    the constraint is dropped again and the migration fails (``IntegrityError``). Backwards drops it.
    Other databases get Django's plain ``AddConstraint``.
    """

    def describe(self) -> str:
        return f"Add check constraint {self.constraint.name} to model {self.model_name} (NOT VALID, then VALIDATE)"

    def _add_on_postgresql(self, model, schema_editor) -> None:
        table = schema_editor.quote_name(model._meta.db_table)
        name = schema_editor.quote_name(self.constraint.name)
        definition = self.constraint.constraint_sql(model, schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} ADD {definition} NOT VALID")
        try:
            schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
        except IntegrityError:
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            raise

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # The model as it is without the constraint (as Django's AddConstraint does): SQLite drops it by
        # rebuilding the table from the model, which would otherwise keep it.
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_constraint(model, self.constraint)


class AddUniqueConstraintConcurrently(_ConstraintAddition):
    """Adds a ``UniqueConstraint`` that has a condition (PostgreSQL keeps it as a partial unique index) to a
    large table, building the index with ``CREATE UNIQUE INDEX CONCURRENTLY`` (``atomic = False``) so
    writers carry on. If rows already break it, the half-built index is dropped and the migration fails
    (``IntegrityError``). Other databases get Django's plain ``AddConstraint``.
    """

    def __init__(self, model_name: str, constraint: UniqueConstraint):
        if constraint.condition is None:
            raise ValueError("AddUniqueConstraintConcurrently needs a constraint with a condition (a unique index).")
        super().__init__(model_name, constraint)

    def describe(self) -> str:
        return f"Add unique constraint {self.constraint.name} to model {self.model_name} (index built concurrently)"

    def _add_on_postgresql(self, model, schema_editor) -> None:
        statement = str(self.constraint.create_sql(model, schema_editor))
        try:
            schema_editor.execute(statement.replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX CONCURRENTLY", 1))
        except IntegrityError:
            # A failed concurrent build leaves an invalid index behind: drop it, so a rerun starts clean.
            name = schema_editor.quote_name(self.constraint.name)
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            raise

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not _on_postgresql(schema_editor):
            schema_editor.remove_constraint(model, self.constraint)
            return
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.constraint.name)}")
