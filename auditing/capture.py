"""Automatic change capture: which tables are audited, and installing their triggers (decision 0009).

Every concrete model of our own apps, except the audit trail itself, gets three statement-level
triggers (INSERT, UPDATE, DELETE) running ``auditing_capture()`` over the statement's transition
tables. They catch what model signals miss: ``QuerySet.update()``, ``bulk_create``, ``bulk_update``,
queryset deletes, raw SQL and a psql session alike. The triggers follow the models: they are
(re)installed after every ``migrate``, so a new model is audited without anyone remembering to.
"""

from typing import cast

from django.apps import apps
from django.conf import settings
from django.db import connections, models

from auditing.services import SECRET_FIELD

# Apps whose tables are not captured: the audit trail and system log would audit themselves.
NOT_CAPTURED_APPS = frozenset({"auditing"})
# Each event's trigger and the transition tables it hands the capture function.
EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def captured_models() -> list[type[models.Model]]:
    """The domain models: every concrete, managed model of the project's own apps but the audit trail."""
    own_apps = [app for app in apps.get_app_configs() if app.label in settings.DOMAIN_APPS]
    return [
        model
        for app in own_apps
        if app.label not in NOT_CAPTURED_APPS
        for model in app.get_models()
        if model._meta.managed and not model._meta.proxy
    ]


def ignored_columns(model: type[models.Model]) -> list[str]:
    """Columns whose changes are noise, not facts: ``auto_now`` stamps and the last sign-in time
    (a LOGIN event already records each sign-in)."""
    return [
        _column(field)
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or field.name == "last_login"
    ]


def secret_columns(model: type[models.Model]) -> list[str]:
    return [_column(field) for field in model._meta.concrete_fields if SECRET_FIELD.search(field.name)]


def _column(field: models.Field) -> str:
    # A concrete field always has a column; the stubs allow None, as for a field without one.
    return cast(str, field.column)


def capture_triggers_install(using: str = "default") -> int:
    """Creates or replaces the capture triggers of every captured table; returns how many tables.

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
                )
            )
            table = model._meta.db_table
            for event, transition in EVENTS.items():
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {quote(f'auditing_capture_{event}')} "
                    f"AFTER {event.upper()} ON {quote(table)} REFERENCING {transition} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION auditing_capture({arguments})"
                )
    return len(models_)


def capture_triggers_missing(using: str = "default") -> list[str]:
    """``table.trigger`` names of capture triggers that should exist and do not (for checks and tests)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    expected = {f"{model._meta.db_table}.auditing_capture_{event}" for model in captured_models() for event in EVENTS}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'auditing_capture_%%' AND NOT t.tgisinternal"
        )
        present = {name for (name,) in cursor.fetchall()}
    return sorted(expected - present)


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
