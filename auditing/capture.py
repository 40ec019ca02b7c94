"""Automatic change capture: which tables are audited, and installing their triggers (decision 0009).

Each table that ``auditing.capture_registry`` says is captured gets three statement-level triggers
(INSERT, UPDATE, DELETE) running ``auditing_capture()`` over the statement's transition tables. They
catch what model signals miss: ``QuerySet.update()``, ``bulk_create``, ``bulk_update``, queryset
deletes, raw SQL and a psql session alike. The triggers follow the registry and the models: they are
(re)installed after every ``migrate``, and removed from tables the registry no longer captures.
"""

from typing import cast

from django.apps import apps
from django.conf import settings
from django.db import connections, models

from auditing.capture_registry import CAPTURE_REGISTRY, Captured, capture_decision
from auditing.services import SECRET_FIELD

# Each event's trigger and the transition tables it hands the capture function.
EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}
TRIGGER_NAMES = tuple(f"auditing_capture_{event}" for event in EVENTS)
# pg_trigger.tgenabled of a trigger that does not fire in an ordinary (origin) session: disabled ('D'),
# or enabled for replica sessions only ('R'). Ours are installed ENABLE ALWAYS ('A').
INACTIVE_STATES = ("D", "R")


def registry_models() -> list[type[models.Model]]:
    """The models the capture registry decides about: every concrete, managed model of ``DOMAIN_APPS``,
    auto-created many-to-many tables included, and the third-party ones it names (guardian's)."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if (model._meta.app_label in settings.DOMAIN_APPS or model._meta.label_lower in CAPTURE_REGISTRY)
        and model._meta.managed
        and not model._meta.proxy
    ]


def captured_models() -> list[type[models.Model]]:
    """The models whose row changes the trail captures, as ``auditing.capture_registry`` decides."""
    return [model for model in registry_models() if capture_decision(model._meta.label_lower).captured]


def ignored_columns(model: type[models.Model]) -> list[str]:
    """Columns whose changes are noise, not facts: ``auto_now`` stamps, the last sign-in time (a LOGIN
    event already records each sign-in) and the bookkeeping columns the model's registry entry names.

    Raises ``FieldDoesNotExist`` for a bookkeeping name the model does not have.
    """
    by_rule = [
        _column(field)
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or field.name == "last_login"
    ]
    decision = capture_decision(model._meta.label_lower)
    listed = decision.bookkeeping if isinstance(decision, Captured) else {}
    by_registry = [_column(cast(models.Field, model._meta.get_field(name))) for name in listed]
    return list(dict.fromkeys([*by_rule, *by_registry]))


# Columns that name a row, joined with " · " into its audit rows' ``entity_label`` (auditing 0009), for the
# tables where the first of ``NAME_COLUMNS`` is not the best name. A table with neither is named at display
# time by its type and id ("Booking #12") and, while it exists, by what it reads as then.
LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts.user": ("full_name", "email"),
    "accounts.permission": ("resource", "action"),
    "support.supportticket": ("reference", "subject"),
    "billing.payment": ("amount", "currency"),
    "billing.refund": ("amount",),
}
NAME_COLUMNS = ("name", "title", "subject", "original_name", "reference", "email", "key")


def label_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The fields whose values name a row of ``model`` in the audit trail (may be empty)."""
    names = LABEL_COLUMNS.get(model._meta.label_lower)
    if names is None:
        present = {field.name for field in model._meta.concrete_fields}
        names = next(((name,) for name in NAME_COLUMNS if name in present), ())
    return names


def label_columns(model: type[models.Model]) -> list[str]:
    return [_column(cast(models.Field, model._meta.get_field(name))) for name in label_fields(model)]


def secret_columns(model: type[models.Model]) -> list[str]:
    return [_column(field) for field in model._meta.concrete_fields if SECRET_FIELD.search(field.name)]


def _column(field: models.Field) -> str:
    # A concrete field always has a column; the stubs allow None, as for a field without one.
    return cast(str, field.column)


def capture_triggers_install(using: str = "default") -> int:
    """Creates or replaces the capture triggers of every captured table, enabled ALWAYS (so they fire in
    ``session_replication_role = replica`` sessions too), and drops them from every other table, so an
    entry flipped to not captured takes effect. Returns how many tables are captured.

    Idempotent. Does nothing outside PostgreSQL (no transition tables there).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    quote = connection.ops.quote_name
    models_ = captured_models()
    with connection.cursor() as cursor:
        # Migrated back below auditing 0005 (the function is gone): nothing to install.
        cursor.execute("SELECT to_regprocedure('auditing_capture()') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        for model in models_:
            arguments = ", ".join(
                _literal(value)
                for value in (
                    model._meta.label_lower,
                    _column(model._meta.pk),
                    _array(ignored_columns(model)),
                    _array(secret_columns(model)),
                    _array(label_columns(model)),
                )
            )
            table = quote(model._meta.db_table)
            # One round trip per table: client-side binding sends several statements in one message.
            cursor.execute(
                "; ".join(
                    f"CREATE OR REPLACE TRIGGER {quote(f'auditing_capture_{event}')} "
                    f"AFTER {event.upper()} ON {table} REFERENCING {transition} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION auditing_capture({arguments}); "
                    f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {quote(f'auditing_capture_{event}')}"
                    for event, transition in EVENTS.items()
                )
            )
        captured_tables = {model._meta.db_table for model in models_}
        stale = {
            (table, regclass) for table, regclass, _, _ in _capture_triggers(cursor) if table not in captured_tables
        }
        for _, regclass in sorted(stale):
            cursor.execute("; ".join(f"DROP TRIGGER IF EXISTS {quote(name)} ON {regclass}" for name in TRIGGER_NAMES))
    return len(models_)


def capture_triggers_inactive(using: str = "default") -> list[str]:
    """``table.trigger`` names of the capture triggers of captured tables that do not fire: missing, or
    disabled (``ALTER TABLE ... DISABLE TRIGGER``, or enabled for replica sessions only). Sorted; empty
    outside PostgreSQL. For ``verify_audit_chain`` and the tests.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    expected = {f"{model._meta.db_table}.{name}" for model in captured_models() for name in TRIGGER_NAMES}
    with connection.cursor() as cursor:
        firing = {
            f"{table}.{name}" for table, _, name, state in _capture_triggers(cursor) if state not in INACTIVE_STATES
        }
    return sorted(expected - firing)


def _capture_triggers(cursor) -> list[tuple[str, str, str, str]]:
    """(table, table as SQL names it, trigger, ``tgenabled``) of every capture trigger on a visible table."""
    cursor.execute(
        "SELECT c.relname, t.tgrelid::regclass::text, t.tgname, t.tgenabled "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = ANY(%s) AND NOT t.tgisinternal AND pg_table_is_visible(c.oid)",
        [list(TRIGGER_NAMES)],
    )
    return cursor.fetchall()


def _array(values: list[str]) -> str:
    return "{" + ",".join(f'"{value}"' for value in values) + "}"


def _literal(value: str) -> str:
    # Trigger arguments are string literals; our own identifiers never contain quotes, but be exact.
    return "'" + value.replace("'", "''") + "'"


def capture_pause_in_transaction(using: str = "default") -> None:
    """Stops capture until the current transaction ends (its setting is transaction-local).

    For demo seeding only: it writes millions of synthetic rows along with their own synthetic history.
    The append-only guard and the hash chain stay on.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("capture can only be paused inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('auditing.capture', 'paused', true)")
