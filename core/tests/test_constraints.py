"""A constraint only PostgreSQL can enforce is left out elsewhere: no SQL on SQLite, no validation."""

from django.apps import apps
from django.contrib.postgres.fields import RangeOperators
from django.db import connection, models
from django.db.utils import ConnectionHandler

from core.constraints import PostgreSQLExclusionConstraint

# Any model serves: the system log's logger is kept once per request id (the constraint is never created).
EXCLUSION = PostgreSQLExclusionConstraint(
    name="probe_exclusion",
    expressions=[(models.F("logger"), RangeOperators.EQUAL), (models.F("request_id"), RangeOperators.EQUAL)],
    condition=~models.Q(request_id=""),
)


def system_log() -> type[models.Model]:
    return apps.get_model("auditing", "SystemLog")


def test_on_sqlite_it_adds_and_removes_no_sql(tmp_path):
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db")}})
    editor = handler["default"].schema_editor()  # not entered: nothing reaches the database

    try:
        assert EXCLUSION.constraint_sql(system_log(), editor) is None
        assert EXCLUSION.create_sql(system_log(), editor) is None
        assert EXCLUSION.remove_sql(system_log(), editor) is None
    finally:
        handler.close_all()


def test_on_postgresql_it_is_an_exclusion_constraint_using_gist(require_postgres):
    editor = connection.schema_editor()

    created = str(EXCLUSION.create_sql(system_log(), editor))
    removed = str(EXCLUSION.remove_sql(system_log(), editor))

    assert "EXCLUDE USING GIST" in created.upper() and '"probe_exclusion"' in created and "WHERE" in created
    assert "DROP CONSTRAINT" in removed and '"probe_exclusion"' in removed


def test_model_validation_leaves_it_to_the_models_clean():
    # given a row (validating it against the constraint would need a query PostgreSQL answers better)
    log = system_log()
    row = log(level="INFO", logger="probe", message="m", request_id="r1")

    # then model validation passes it on: the model's clean() names a conflict in words
    assert EXCLUSION.validate(log, row) is None


def test_it_deconstructs_as_itself_for_migrations():
    path, args, kwargs = EXCLUSION.deconstruct()

    assert path == "core.constraints.PostgreSQLExclusionConstraint"
    assert kwargs["name"] == "probe_exclusion"
