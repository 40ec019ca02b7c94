"""Migrations keep the large tables writable (decision 0014), checked over every migration file we ship.

On the tables of ``core.large_tables.LARGE_TABLES``, after the migration that created each one, the
operations that reach the database (a ``SeparateDatabaseAndState``'s database operations: its state
operations run no SQL) are checked for what the files show:

- an index built under the table's write lock: ``AddIndex``/``RemoveIndex`` rather than their
  ``Concurrently`` variants, ``AddField``/``AlterField`` that add ``db_index``/``unique`` (a foreign key
  is indexed), ``AddConstraint`` of a ``UniqueConstraint``, in ``RunSQL`` a ``CREATE INDEX`` without
  ``CONCURRENTLY`` or ``ADD CONSTRAINT ... UNIQUE/PRIMARY KEY`` without ``USING INDEX``;
- a constraint validated under the exclusive lock: ``AddConstraint`` of a ``CheckConstraint``, in
  ``RunSQL`` ``ADD CONSTRAINT ... CHECK/FOREIGN KEY`` without ``NOT VALID``; and a ``NOT VALID``
  constraint that no migration validates, or validates inside the transaction that added it;
- an operation that must run outside a transaction in an atomic migration (any table);
- a PostgreSQL function body written anywhere but in a migration file (the rule is "functions change
  only by a new migration"; the same function in two migrations is that rule at work).

What the files cannot show is left to review: an applied migration edited in place (nothing records
what ran where), SQL that ``RunPython`` code runs (opaque until it runs: prefer ``RunSQL`` or an
operation of ``core.large_tables``), backwards SQL, and table rewrites or scans other than the above
(a column type change, ``SET NOT NULL``).
"""

import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlparse
from django.apps import apps
from django.conf import settings
from django.contrib.postgres import operations as postgres_operations
from django.db import IntegrityError, NotSupportedError, connection, migrations, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.utils import ConnectionHandler
from django.test.utils import CaptureQueriesContext

from core.large_tables import (
    LARGE_TABLES,
    AddCheckConstraint,
    AddIndexConcurrently,
    AddUniqueConstraintConcurrently,
    RemoveIndexConcurrently,
    ReplaceCheckConstraint,
)

# Migrations released before the rules were written. They stay as they ran (never edit an applied
# migration); what they did is no longer allowed in a new one.
RELEASED_BEFORE_THE_RULES = frozenset(
    {
        "auditing.0002_list_indexes",  # AddIndex/RemoveIndex on the audit log
        "auditing.0003_login_failed_action",  # AddConstraint of the action CHECK
        "auditing.0004_chain_and_actor_history",  # both
        "billing.0002_list_indexes",  # AddIndex on payments
    }
)
# Application code that writes PostgreSQL function bodies outside migrations, and what should become of it.
FUNCTIONS_OUTSIDE_MIGRATIONS: dict[str, str] = {}

INDEX_UNDER_LOCK = "index built or dropped under the table's lock: do it concurrently (core.large_tables)"
CHECK_UNDER_LOCK = (
    "constraint validated under the table's lock: add it NOT VALID, then VALIDATE (ReplaceCheckConstraint)"
)
NEVER_VALIDATED = "NOT VALID constraint that no migration validates"
VALIDATED_UNDER_LOCK = "NOT VALID constraint validated in the transaction that added it: set atomic = False"
NEEDS_NON_ATOMIC = "cannot run inside a transaction: set atomic = False on the migration"

NON_TRANSACTIONAL = (
    postgres_operations.AddIndexConcurrently,
    postgres_operations.RemoveIndexConcurrently,
    ReplaceCheckConstraint,
    AddCheckConstraint,
    AddUniqueConstraintConcurrently,
)
_TABLE = r"(?:\"?\w+\"?\.)?\"?(?P<table>\w+)\"?"
CREATE_INDEX = re.compile(
    rf"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?P<concurrently>CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?:\"?\w+\"?\s+)?ON\s+(?:ONLY\s+)?{_TABLE}",
    re.IGNORECASE,
)
ALTER_TABLE = re.compile(rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_TABLE}", re.IGNORECASE)
ADD_CONSTRAINT = re.compile(
    r"\bADD\s+CONSTRAINT\s+\"?(?P<name>\w+)\"?\s+(?P<kind>CHECK|FOREIGN\s+KEY|UNIQUE|PRIMARY\s+KEY|EXCLUDE)",
    re.IGNORECASE,
)
VALIDATE_CONSTRAINT = re.compile(r"\bVALIDATE\s+CONSTRAINT\s+\"?(?P<name>\w+)\"?", re.IGNORECASE)
CONCURRENTLY = re.compile(r"\bCONCURRENTLY\b", re.IGNORECASE)
NOT_VALID = re.compile(r"\bNOT\s+VALID\b", re.IGNORECASE)
USING_INDEX = re.compile(r"\bUSING\s+INDEX\b", re.IGNORECASE)
FUNCTION_BODY = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", re.IGNORECASE)


# The checks.


def large_db_tables() -> dict[str, str]:
    """``{db_table: "app_label.model"}`` of the large tables, as the models name them now."""
    return {apps.get_model(label)._meta.db_table: label for label in LARGE_TABLES}


def database_operations(operations: Iterable[Operation]) -> Iterator[Operation]:
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from database_operations(operation.database_operations)
        else:
            yield operation


def sql_statements(operation: migrations.RunSQL) -> list[str]:
    """The forward statements of a ``RunSQL``, comments stripped."""
    items = [operation.sql] if isinstance(operation.sql, str) else list(operation.sql)
    texts = [item[0] if isinstance(item, list | tuple) else item for item in items]
    return [
        sqlparse.format(statement, strip_comments=True).strip()
        for text in texts
        for statement in sqlparse.split(text)
        if statement.strip()
    ]


def _builds_index(field: models.Field) -> bool:
    return bool(_db_index(field) or field.unique)


def _db_index(field: models.Field) -> bool:
    return bool(getattr(field, "db_index", False))  # a Field attribute the type stubs leave out


def rule_violations(checked: Iterable[Migration], *, state_before: Callable[[Migration], ProjectState]) -> list[str]:
    """Every break of the large-table rules in ``checked``, as ``"app.migration: operation: rule"``.

    ``state_before(migration)`` gives the project state a migration starts from (to tell whether an
    ``AlterField`` adds an index).
    """
    tables = large_db_tables()
    found: list[str] = []
    added_not_valid: dict[str, Migration] = {}
    validated_in: dict[str, list[Migration]] = {}
    for migration in checked:
        where = f"{migration.app_label}.{migration.name}"
        operations = list(database_operations(migration.operations))
        # A table created in this very migration is still empty: nothing to lock for long.
        created_here = {op.name_lower for op in operations if isinstance(op, migrations.CreateModel)}
        for operation in operations:
            what = f"{where}: {operation.describe()}"
            if isinstance(operation, NON_TRANSACTIONAL) and migration.atomic:
                found.append(f"{what}: {NEEDS_NON_ATOMIC}")
            if isinstance(operation, migrations.RunSQL):
                found += _sql_violations(where, migration, operation, tables, added_not_valid, validated_in)
            model = getattr(operation, "model_name_lower", None)
            if f"{migration.app_label}.{model}" not in LARGE_TABLES or model in created_here:
                continue
            if isinstance(operation, migrations.AddIndex | migrations.RemoveIndex) and not isinstance(
                operation, NON_TRANSACTIONAL
            ):
                found.append(f"{what}: {INDEX_UNDER_LOCK}")
            elif isinstance(operation, migrations.AddField) and _builds_index(operation.field):
                found.append(f"{what}: {INDEX_UNDER_LOCK}")
            elif isinstance(operation, migrations.AlterField):
                model_state = state_before(migration).models[migration.app_label, operation.model_name_lower]
                before = model_state.fields[operation.name]
                after = operation.field
                if (_db_index(after) and not _db_index(before)) or (after.unique and not before.unique):
                    found.append(f"{what}: {INDEX_UNDER_LOCK}")
            elif isinstance(operation, migrations.AddConstraint):
                if isinstance(operation.constraint, models.CheckConstraint):
                    found.append(f"{what}: {CHECK_UNDER_LOCK}")
                elif isinstance(operation.constraint, models.UniqueConstraint):
                    found.append(f"{what}: {INDEX_UNDER_LOCK}")
    for name, migration in added_not_valid.items():
        validators = validated_in.get(name, [])
        where = f"{migration.app_label}.{migration.name}: constraint {name}"
        if not validators:
            found.append(f"{where}: {NEVER_VALIDATED}")
        elif migration in validators and migration.atomic:
            found.append(f"{where}: {VALIDATED_UNDER_LOCK}")
    return found


def _sql_violations(
    where: str,
    migration: Migration,
    operation: migrations.RunSQL,
    tables: dict[str, str],
    added_not_valid: dict[str, Migration],
    validated_in: dict[str, list[Migration]],
) -> list[str]:
    found = []
    for statement in sql_statements(operation):
        what = f"{where}: {statement.splitlines()[0][:80]}"
        for match in VALIDATE_CONSTRAINT.finditer(statement):
            validated_in.setdefault(match["name"], []).append(migration)
        if CONCURRENTLY.search(statement) and migration.atomic:
            found.append(f"{what}: {NEEDS_NON_ATOMIC}")
        index = CREATE_INDEX.search(statement)
        if index and index["table"] in tables and not index["concurrently"]:
            found.append(f"{what}: {INDEX_UNDER_LOCK}")
        altered = ALTER_TABLE.search(statement)
        if not altered or altered["table"] not in tables:
            continue
        for constraint in ADD_CONSTRAINT.finditer(statement):
            kind = constraint["kind"].upper().split()[0]
            if kind in {"CHECK", "FOREIGN"}:
                if NOT_VALID.search(statement):
                    added_not_valid[constraint["name"]] = migration
                else:
                    found.append(f"{what}: {CHECK_UNDER_LOCK}")
            elif not USING_INDEX.search(statement):
                found.append(f"{what}: {INDEX_UNDER_LOCK}")
    return found


def function_bodies_outside_migrations(root: Path) -> set[str]:
    """Project files (outside migrations, tests and benchmarks) whose text creates a database function."""
    skipped = {"migrations", "tests", "bench", "node_modules", "staticfiles", "media", "artifacts"}
    found = set()
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name not in skipped and not name.startswith(".")]
        for name in files:
            path = Path(directory, name)
            if path.suffix in {".py", ".sql"} and FUNCTION_BODY.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(root).as_posix())
    return found


# The project's own migrations.


@cache
def loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)  # the files only: no database needed


def own_migrations() -> list[Migration]:
    base = Path(settings.BASE_DIR)

    def ours(app_label: str) -> bool:
        path = Path(apps.get_app_config(app_label).path)
        return path.is_relative_to(base) and ".venv" not in path.relative_to(base).parts

    graph = loader().graph
    plan = [key for leaf in graph.leaf_nodes() for key in graph.forwards_plan(leaf)]
    ordered = list(dict.fromkeys(key for key in plan if ours(key[0])))
    return [loader().disk_migrations[key] for key in ordered]


def state_before(migration: Migration) -> ProjectState:
    return loader().project_state((migration.app_label, migration.name), at_end=False)


def label(migration: Migration) -> str:
    return f"{migration.app_label}.{migration.name}"


def synthetic(app_label: str, *operations: Operation, atomic: bool = True) -> Migration:
    """A migration built in memory, as if a new file had been added after every existing one."""
    # Built as a migration file builds it: a Migration subclass with class attributes.
    file = type("Migration", (Migration,), {"operations": list(operations), "atomic": atomic})
    return file("9999_synthetic", app_label)


PAYMENT_CHECK = models.CheckConstraint(condition=models.Q(amount__lt=10**9), name="probe_check")


def _probe_check() -> models.CheckConstraint:
    """A system log's logger is never "forbidden" (probe rows break it on purpose)."""
    return models.CheckConstraint(condition=~models.Q(logger="forbidden"), name="probe_check")


def _probe_unique(field: str = "request_id") -> models.UniqueConstraint:
    """``field`` unique where it is not blank: a partial unique index."""
    return models.UniqueConstraint(fields=[field], condition=~models.Q(**{field: ""}), name="probe_unique")


def test_large_tables_name_real_models():
    # given the shared list / then every entry is a model of ours (a typo would switch the rules off)
    assert sorted(large_db_tables().values()) == sorted(LARGE_TABLES)


def test_new_migrations_keep_large_tables_writable():
    # given every migration file of the project, in the order migrate runs them
    checked = [migration for migration in own_migrations() if label(migration) not in RELEASED_BEFORE_THE_RULES]

    # when the rules are checked / then nothing breaks them
    assert rule_violations(checked, state_before=state_before) == []


def test_the_released_exceptions_are_exactly_the_released_offenders():
    # given the migrations released before the rules
    released = [migration for migration in own_migrations() if label(migration) in RELEASED_BEFORE_THE_RULES]

    # when each is checked on its own
    offenders = {label(m) for m in released if rule_violations([m], state_before=state_before)}

    # then each still breaks them (Django's default operations are caught), so the list stays exact
    assert offenders == RELEASED_BEFORE_THE_RULES


@pytest.mark.parametrize(
    ("migration", "rule"),
    [
        pytest.param(
            synthetic(
                "auditing", migrations.AddIndex("auditlog", models.Index(fields=["request_id"], name="probe_idx"))
            ),
            INDEX_UNDER_LOCK,
            id="AddIndex",
        ),
        pytest.param(
            synthetic("auditing", migrations.RemoveIndex("auditlog", "auditing_audit_ip_idx")),
            INDEX_UNDER_LOCK,
            id="RemoveIndex",
        ),
        pytest.param(
            synthetic(
                "billing", migrations.AddField("payment", "reference", models.CharField(max_length=20, db_index=True))
            ),
            INDEX_UNDER_LOCK,
            id="AddField-db_index",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.AlterField("systemlog", "logger", models.CharField(max_length=200, db_index=True)),
            ),
            INDEX_UNDER_LOCK,
            id="AlterField-db_index",
        ),
        pytest.param(
            synthetic(
                "billing",
                migrations.AddConstraint(
                    "payment", models.UniqueConstraint(fields=["booking", "paid_at"], name="probe_unique")
                ),
            ),
            INDEX_UNDER_LOCK,
            id="AddConstraint-unique",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.AddConstraint(
                    "auditlog", models.CheckConstraint(condition=~models.Q(entity_type=""), name="probe_check")
                ),
            ),
            CHECK_UNDER_LOCK,
            id="AddConstraint-check",
        ),
        pytest.param(
            synthetic("auditing", migrations.RunSQL("CREATE INDEX probe_idx ON auditing_auditlog (request_id)")),
            INDEX_UNDER_LOCK,
            id="RunSQL-create-index",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.RunSQL(
                    "-- NOT VALID in a comment is not the clause\n"
                    "ALTER TABLE \"auditing_auditlog\" ADD CONSTRAINT probe_check CHECK (entity_type <> '')"
                ),
            ),
            CHECK_UNDER_LOCK,
            id="RunSQL-check",
        ),
        pytest.param(
            synthetic(
                "auditing", migrations.RunSQL("ALTER TABLE auditing_auditlog ADD CONSTRAINT probe_unique UNIQUE (id)")
            ),
            INDEX_UNDER_LOCK,
            id="RunSQL-unique",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.RunSQL(
                    "ALTER TABLE auditing_auditlog ADD CONSTRAINT probe_check CHECK (entity_type <> '') NOT VALID"
                ),
                atomic=False,
            ),
            NEVER_VALIDATED,
            id="RunSQL-not-valid-never-validated",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.RunSQL(
                    [
                        "ALTER TABLE auditing_auditlog ADD CONSTRAINT probe_check CHECK (entity_type <> '') NOT VALID",
                        "ALTER TABLE auditing_auditlog VALIDATE CONSTRAINT probe_check",
                    ]
                ),
            ),
            VALIDATED_UNDER_LOCK,
            id="RunSQL-validated-in-one-transaction",
        ),
        pytest.param(
            synthetic(
                "auditing",
                AddIndexConcurrently("auditlog", models.Index(fields=["request_id"], name="probe_idx")),
            ),
            NEEDS_NON_ATOMIC,
            id="concurrent-index-in-atomic-migration",
        ),
        pytest.param(
            synthetic(
                "support",
                migrations.RunSQL("CREATE INDEX CONCURRENTLY probe_idx ON support_supportticket (subject)"),
            ),
            NEEDS_NON_ATOMIC,
            id="RunSQL-concurrently-in-atomic-migration",
        ),
        pytest.param(
            synthetic(
                "auditing",
                ReplaceCheckConstraint(
                    "auditlog", models.CheckConstraint(condition=~models.Q(entity_type=""), name="probe_check")
                ),
            ),
            NEEDS_NON_ATOMIC,
            id="replace-check-in-atomic-migration",
        ),
        pytest.param(
            synthetic("billing", AddCheckConstraint("payment", PAYMENT_CHECK)),
            NEEDS_NON_ATOMIC,
            id="add-check-in-atomic-migration",
        ),
        pytest.param(
            synthetic("billing", AddUniqueConstraintConcurrently("payment", _probe_unique("provider_reference"))),
            NEEDS_NON_ATOMIC,
            id="unique-concurrently-in-atomic-migration",
        ),
    ],
)
def test_a_migration_that_locks_a_large_table_is_caught(migration, rule):
    # given a new migration that would hold a large table's lock through a build or a scan
    # when the rules are checked
    found = rule_violations([migration], state_before=lambda m: loader().project_state())

    # then it is reported, with the way out
    assert len(found) == 1
    assert found[0].startswith(f"{migration.app_label}.9999_synthetic: ")
    assert found[0].endswith(rule)


@pytest.mark.parametrize(
    "migration",
    [
        pytest.param(
            synthetic(
                "auditing",
                AddIndexConcurrently("auditlog", models.Index(fields=["request_id"], name="probe_idx")),
                RemoveIndexConcurrently("auditlog", "auditing_audit_ip_idx"),
                postgres_operations.AddIndexConcurrently("systemlog", models.Index(fields=["logger"], name="p_idx")),
                atomic=False,
            ),
            id="concurrent-indexes",
        ),
        pytest.param(
            synthetic(
                "auditing",
                ReplaceCheckConstraint(
                    "auditlog", models.CheckConstraint(condition=~models.Q(entity_type=""), name="probe_check")
                ),
                migrations.RunSQL(
                    [
                        "ALTER TABLE auditing_auditlog ADD CONSTRAINT other_check CHECK (entity_type <> '') NOT VALID",
                        "ALTER TABLE auditing_auditlog VALIDATE CONSTRAINT other_check",
                        "CREATE INDEX CONCURRENTLY probe_idx ON auditing_auditlog (request_id)",
                    ]
                ),
                atomic=False,
            ),
            id="checks-not-valid-then-validated",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.CreateModel("AuditLog", [("id", models.BigAutoField(primary_key=True))]),
                migrations.AddIndex("auditlog", models.Index(fields=["id"], name="probe_idx")),
            ),
            id="a-new-table-is-empty",
        ),
        pytest.param(
            synthetic(
                "backups",
                migrations.AddConstraint(
                    "backup", models.CheckConstraint(condition=~models.Q(location="x"), name="probe_check")
                ),
                migrations.AddIndex("backup", models.Index(fields=["location"], name="probe_idx")),
            ),
            id="a-small-table",
        ),
        pytest.param(
            synthetic(
                "auditing",
                migrations.SeparateDatabaseAndState(
                    state_operations=[
                        migrations.AddIndex("auditlog", models.Index(fields=["request_id"], name="probe_idx"))
                    ],
                    database_operations=[
                        migrations.RunSQL("CREATE INDEX CONCURRENTLY probe_idx ON auditing_auditlog (request_id)")
                    ],
                ),
                migrations.RunSQL("CREATE OR REPLACE FUNCTION probe() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$"),
                atomic=False,
            ),
            id="state-only-operations-and-a-function-in-a-migration",
        ),
        pytest.param(
            synthetic(
                "billing",
                AddCheckConstraint("payment", PAYMENT_CHECK),
                AddUniqueConstraintConcurrently("payment", _probe_unique("provider_reference")),
                atomic=False,
            ),
            id="check-not-valid-then-validated-and-unique-concurrently",
        ),
    ],
)
def test_a_migration_that_keeps_large_tables_writable_passes(migration):
    assert rule_violations([migration], state_before=lambda m: loader().project_state()) == []


def test_function_bodies_live_only_in_migrations():
    # given every file of the project outside migrations, tests and benchmarks
    # when we look for code that creates a PostgreSQL function
    found = function_bodies_outside_migrations(Path(settings.BASE_DIR))

    # then there is none beyond the known offenders, each still present until it is moved (then drop it)
    assert found == set(FUNCTIONS_OUTSIDE_MIGRATIONS)


# The operations of core.large_tables, run for real on both databases we support.


def _insert_system_log(cursor, level: str = "INFO", *, logger: str = "probe", request_id: str = "") -> None:
    cursor.execute(
        "INSERT INTO auditing_systemlog (level, logger, message, traceback, user_agent, request_id, created_at) "
        "VALUES (%s, %s, 'probe', '', '', %s, CURRENT_TIMESTAMP)",
        [level, logger, request_id],
    )


def _levels(*levels: str) -> ReplaceCheckConstraint:
    return ReplaceCheckConstraint(
        "systemlog", models.CheckConstraint(condition=models.Q(level__in=levels), name="auditing_syslog_level_valid")
    )


def _forwards(operation: Operation, editor, state: ProjectState) -> ProjectState:
    after = state.clone()
    operation.state_forwards("auditing", after)
    operation.database_forwards("auditing", editor, state, after)
    return after


def test_a_first_run_sqlite_database_migrates_and_runs_the_large_table_operations(tmp_path, django_db_blocker):
    # given a fresh SQLite database, the embedded default of a first run
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db")}})
    sqlite = handler["default"]
    actions = [value for value, _ in apps.get_model("auditing", "AuditLog")._meta.get_field("action").flatchoices]
    try:
        with django_db_blocker.unblock():
            # when every migration runs on it
            executor = MigrationExecutor(sqlite)
            executor.migrate(executor.loader.graph.leaf_nodes())

            # then it takes every audit action the models know, and still refuses others
            with sqlite.cursor() as cursor:
                for action in actions:
                    cursor.execute(
                        "INSERT INTO auditing_auditlog (action, actor_label, entity_type, entity_id, changes, "
                        "user_agent, request_id, created_at) VALUES (%s, '', 'probe', '', '{}', '', '', "
                        "CURRENT_TIMESTAMP)",
                        [action],
                    )
                with pytest.raises(IntegrityError):
                    cursor.execute(
                        "INSERT INTO auditing_auditlog (action, actor_label, entity_type, entity_id, changes, "
                        "user_agent, request_id, created_at) VALUES ('TELEPORT', '', 'probe', '', '{}', '', '', "
                        "CURRENT_TIMESTAMP)"
                    )

            # and the concurrent index operations and the CHECK replacement work there too, both ways
            state = executor.loader.project_state()
            index = AddIndexConcurrently("systemlog", models.Index(fields=["request_id"], name="probe_idx"))
            widen = _levels("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
            with sqlite.schema_editor(atomic=False) as editor:
                indexed = _forwards(index, editor, state)
                widened = _forwards(widen, editor, indexed)
            with sqlite.cursor() as cursor:
                assert "probe_idx" in sqlite.introspection.get_constraints(cursor, "auditing_systemlog")
                _insert_system_log(cursor, "DEBUG")
                cursor.execute("DELETE FROM auditing_systemlog")
            with sqlite.schema_editor(atomic=False) as editor:
                widen.database_backwards("auditing", editor, widened, indexed)
                index.database_backwards("auditing", editor, indexed, state)
            with sqlite.cursor() as cursor:
                assert "probe_idx" not in sqlite.introspection.get_constraints(cursor, "auditing_systemlog")
                with pytest.raises(IntegrityError):
                    _insert_system_log(cursor, "DEBUG")

            # and so do the added CHECK and the partial unique index (Django's plain AddConstraint there)
            check = AddCheckConstraint("systemlog", _probe_check())
            unique = AddUniqueConstraintConcurrently("systemlog", _probe_unique())
            with sqlite.schema_editor(atomic=False) as editor:
                checked = _forwards(check, editor, state)
                uniqued = _forwards(unique, editor, checked)
            with sqlite.cursor() as cursor:
                _insert_system_log(cursor, request_id="once")
                with pytest.raises(IntegrityError):
                    _insert_system_log(cursor, request_id="once")
                with pytest.raises(IntegrityError):
                    _insert_system_log(cursor, logger="forbidden")
                cursor.execute("DELETE FROM auditing_systemlog")
            with sqlite.schema_editor(atomic=False) as editor:
                unique.database_backwards("auditing", editor, uniqued, checked)
                check.database_backwards("auditing", editor, checked, state)
            with sqlite.cursor() as cursor:
                _insert_system_log(cursor, logger="forbidden", request_id="twice")
                _insert_system_log(cursor, request_id="twice")
    finally:
        handler.close_all()


@pytest.mark.django_db(transaction=True)
def test_postgresql_builds_concurrently_and_validates_without_the_lock(require_postgres):
    # given the migrated test database
    state = loader().project_state()
    index = AddIndexConcurrently("systemlog", models.Index(fields=["request_id"], name="probe_idx"))
    widen = _levels("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    try:
        # when an index is added and the system log's level CHECK widened, outside any transaction
        with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
            indexed = _forwards(index, editor, state)
            widened = _forwards(widen, editor, indexed)

        # then the index was built concurrently, the CHECK added NOT VALID and validated apart
        statements = [query["sql"] for query in queries]
        assert any("CREATE INDEX CONCURRENTLY" in sql and "probe_idx" in sql for sql in statements)
        swap = next(i for i, sql in enumerate(statements) if "ADD CONSTRAINT" in sql)
        assert statements[swap].endswith("NOT VALID")
        assert "VALIDATE CONSTRAINT" in statements[swap + 1]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT convalidated FROM pg_constraint WHERE conname = 'auditing_syslog_level_valid' "
                "AND conrelid = 'auditing_systemlog'::regclass"
            )
            assert cursor.fetchone() == (True,)
            _insert_system_log(cursor, "DEBUG")

        # and a condition that some row breaks fails, leaving the previous condition in force
        with pytest.raises(IntegrityError), connection.schema_editor(atomic=False) as editor:
            _forwards(_levels("INFO"), editor, widened)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT convalidated, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'auditing_syslog_level_valid' AND conrelid = 'auditing_systemlog'::regclass"
            )
            validated, definition = cursor.fetchone()
            assert validated and "DEBUG" in definition
            _insert_system_log(cursor, "DEBUG")

        # and both go back the same way
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM auditing_systemlog")
        with connection.schema_editor(atomic=False) as editor:
            widen.database_backwards("auditing", editor, widened, indexed)
            index.database_backwards("auditing", editor, indexed, state)
        with connection.cursor() as cursor:
            assert "probe_idx" not in connection.introspection.get_constraints(cursor, "auditing_systemlog")
            with pytest.raises(IntegrityError), transaction.atomic():
                _insert_system_log(cursor, "DEBUG")
    finally:
        # Put the schema back whatever happened: a transactional test's flush empties tables, not schemas.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM auditing_systemlog")
        with connection.schema_editor(atomic=False) as editor:
            editor.execute("DROP INDEX IF EXISTS probe_idx")
            editor.execute(
                "ALTER TABLE auditing_systemlog DROP CONSTRAINT auditing_syslog_level_valid, "
                "ADD CONSTRAINT auditing_syslog_level_valid CHECK (level IN ('INFO', 'WARNING', 'ERROR', 'CRITICAL'))"
            )


def _constraint_state(name: str) -> tuple[bool, bool] | None:
    """(validated, ...) of the system log's constraint ``name`` on PostgreSQL: ``(convalidated,)``, or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT convalidated FROM pg_constraint WHERE conname = %s AND conrelid = 'auditing_systemlog'::regclass",
            [name],
        )
        return cursor.fetchone()


def _index_state(name: str) -> tuple[bool, bool] | None:
    """``(indisvalid, indisunique)`` of the index ``name`` on PostgreSQL, or None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [name],
        )
        return cursor.fetchone()


def _put_back_the_system_log() -> None:
    # A transactional test's flush empties tables, not schemas: drop what a test may have left.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auditing_systemlog")
    with connection.schema_editor(atomic=False) as editor:
        editor.execute("ALTER TABLE auditing_systemlog DROP CONSTRAINT IF EXISTS probe_check")
        editor.execute("DROP INDEX IF EXISTS probe_unique")


@pytest.mark.django_db(transaction=True)
def test_postgresql_adds_a_check_not_valid_then_validates_it_and_takes_it_back(require_postgres):
    # given the migrated test database and a system log row the new CHECK allows
    state = loader().project_state()
    check = AddCheckConstraint("systemlog", _probe_check())
    with connection.cursor() as cursor:
        _insert_system_log(cursor)
    try:
        # when the CHECK is added, outside any transaction
        with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
            checked = _forwards(check, editor, state)

        # then it was added NOT VALID and validated in a statement of its own, and is in force
        statements = [query["sql"] for query in queries]
        add = next(i for i, sql in enumerate(statements) if "ADD CONSTRAINT" in sql and "probe_check" in sql)
        assert statements[add].endswith("NOT VALID")
        assert "VALIDATE CONSTRAINT" in statements[add + 1]
        assert _constraint_state("probe_check") == (True,)
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            _insert_system_log(cursor, logger="forbidden")

        # and going back drops it
        with connection.schema_editor(atomic=False) as editor:
            check.database_backwards("auditing", editor, checked, state)
        assert _constraint_state("probe_check") is None
        with connection.cursor() as cursor:
            _insert_system_log(cursor, logger="forbidden")
    finally:
        _put_back_the_system_log()


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_a_check_that_a_row_breaks_and_leaves_no_constraint_behind(require_postgres):
    # given a row the new CHECK would refuse
    with connection.cursor() as cursor:
        _insert_system_log(cursor, logger="forbidden")
    try:
        # when the CHECK is added / then the migration fails, and the half-added constraint is gone
        with pytest.raises(IntegrityError), connection.schema_editor(atomic=False) as editor:
            _forwards(AddCheckConstraint("systemlog", _probe_check()), editor, loader().project_state())
        assert _constraint_state("probe_check") is None
        with connection.cursor() as cursor:
            _insert_system_log(cursor, logger="forbidden")  # nothing was left to refuse it
    finally:
        _put_back_the_system_log()


@pytest.mark.django_db(transaction=True)
def test_postgresql_builds_a_unique_index_concurrently_and_takes_it_back(require_postgres):
    # given the migrated test database
    state = loader().project_state()
    unique = AddUniqueConstraintConcurrently("systemlog", _probe_unique())
    try:
        # when the partial unique constraint is added
        with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
            uniqued = _forwards(unique, editor, state)

        # then its index was built concurrently, is valid, and refuses a second non-blank value only
        assert any("CREATE UNIQUE INDEX CONCURRENTLY" in query["sql"] for query in queries)
        assert _index_state("probe_unique") == (True, True)
        with connection.cursor() as cursor:
            _insert_system_log(cursor, request_id="once")
            _insert_system_log(cursor)
            _insert_system_log(cursor)
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            _insert_system_log(cursor, request_id="once")

        # and going back drops the index
        with connection.schema_editor(atomic=False) as editor:
            unique.database_backwards("auditing", editor, uniqued, state)
        assert _index_state("probe_unique") is None
    finally:
        _put_back_the_system_log()


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_a_unique_index_that_rows_break_and_drops_the_invalid_index(require_postgres):
    # given two rows with the same request id
    with connection.cursor() as cursor:
        _insert_system_log(cursor, request_id="twice")
        _insert_system_log(cursor, request_id="twice")
    try:
        # when the unique constraint is added / then it fails, leaving no invalid index behind to block a rerun
        with pytest.raises(IntegrityError), connection.schema_editor(atomic=False) as editor:
            _forwards(AddUniqueConstraintConcurrently("systemlog", _probe_unique()), editor, loader().project_state())
        assert _index_state("probe_unique") is None
    finally:
        _put_back_the_system_log()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(AddCheckConstraint("systemlog", _probe_check()), id="check"),
        pytest.param(AddUniqueConstraintConcurrently("systemlog", _probe_unique()), id="unique"),
    ],
)
def test_postgresql_refuses_to_run_them_inside_a_transaction(require_postgres, operation):
    try:
        with pytest.raises(NotSupportedError, match="atomic = False"), connection.schema_editor() as editor:
            _forwards(operation, editor, loader().project_state())
        assert _constraint_state("probe_check") is None and _index_state("probe_unique") is None
    finally:
        _put_back_the_system_log()


def test_a_unique_constraint_without_a_condition_is_not_for_the_concurrent_operation():
    with pytest.raises(ValueError, match="condition"):
        AddUniqueConstraintConcurrently("systemlog", models.UniqueConstraint(fields=["request_id"], name="probe"))
