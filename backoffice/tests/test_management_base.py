"""Our commands fail with one clear line on stderr and a non-zero exit status, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import ProgrammingError

from core.management.base import one_line

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"
COMMANDS = ["seed_rbac", "seed_demo", "migrate_expertise_fields", "create_demo_login"]


def manage(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, str(MANAGE_PY), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def stderr_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("scale", ["0", "-1", "abc"])
def test_a_bad_scale_exits_non_zero_with_one_line(scale):
    result = manage("seed_demo", "--scale", scale)

    assert result.returncode != 0
    assert stderr_lines(result) == [
        f"manage.py seed_demo: error: argument --scale: expected a whole number of at least 1, got '{scale}'"
    ]


def test_an_unknown_option_exits_non_zero_with_one_line():
    result = manage("seed_rbac", "--frobnicate")

    assert result.returncode != 0
    assert stderr_lines(result) == ["manage.py seed_rbac: error: unrecognized arguments: --frobnicate"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "database_url",
    [
        "postgres://postgres@127.0.0.1:5432/does_not_exist",
        "sqlite:////nonexistent-directory/db.sqlite3",
    ],
    ids=["postgresql", "sqlite"],
)
def test_a_missing_database_exits_non_zero_with_one_line(command, database_url):
    # --skip-checks: system-check warnings are a separate concern and would add their own lines.
    result = manage(
        command, "--skip-checks", "--no-progress" if command == "seed_demo" else "-v1", database_url=database_url
    )

    assert result.returncode != 0
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError: cannot use the database: ")


def test_help_documents_the_idempotency_rules():
    seed_rbac, seed_demo = manage("seed_rbac", "--help").stdout, manage("seed_demo", "--help").stdout

    assert "never removes" in " ".join(seed_rbac.split())
    assert "@demo.example.com" in seed_demo


def test_an_unmigrated_database_says_so_in_one_line(tmp_path):
    # given: a database file with no tables in it
    result = manage("seed_rbac", "--skip-checks", database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    assert result.returncode != 0
    assert stderr_lines(result) == [
        "CommandError: cannot use the database: no such table: accounts_role (has `manage.py migrate` run?)"
    ]


def test_postgresql_errors_lose_their_quoted_sql():
    error = ProgrammingError(
        'relation "accounts_role" does not exist\nLINE 1: SELECT "accounts_role"."name" FROM ...\n    ^'
    )

    assert one_line(error) == 'relation "accounts_role" does not exist'


@pytest.mark.parametrize("command", ["seed_demo", "create_demo_login"])
def test_demo_commands_refuse_where_demo_data_is_not_allowed(db, settings, command):
    # given production-like settings
    settings.DEMO_DATA_ALLOWED = False
    # when / then: one clear reason, nothing written
    from django.core.management import CommandError, call_command

    from accounts.models import User

    with pytest.raises(CommandError, match="demo data is not allowed"):
        call_command(command, verbosity=0)
    assert not User.objects.exists()
