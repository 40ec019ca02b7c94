"""The base for our management commands: failures are reported as one line, never a traceback.

Operators and scripts (``make run``, cron, CI) read a command's stderr; a 40-line traceback for "the
database is down" or a 6-line usage block for "--scale abc" hides the one fact they need. ``--traceback``
still shows the full chain when a developer wants it.
"""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, ProgrammingError

from core.request_context import bind_system_actor


class OneLineErrorParser(CommandParser):
    """An argument parser whose errors are the single line ``manage.py CMD: error: ...`` (exit status 2).

    argparse prints the whole usage block before the error; ``--help`` still shows it.
    """

    def print_usage(self, file: Any = None) -> None:
        return None


class DatabaseCommand(BaseCommand):
    """A command that uses the database and turns its failures into one-line ``CommandError``\\ s.

    ``OperationalError`` covers a missing or unreachable database (and SQLite's "no such table");
    ``ProgrammingError`` covers PostgreSQL's missing tables when migrations have not run.
    """

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # BaseCommand builds the parser itself and offers no hook for its class; swapping the class of
        # the fresh instance keeps every Django default while changing only how errors print.
        parser.__class__ = OneLineErrorParser
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        # What the command writes is recorded as done by "system: <command name>".
        try:
            with bind_system_actor(self.__module__.rpartition(".")[2]):
                return super().execute(*args, **options)
        except (OperationalError, ProgrammingError) as exc:
            hint = " (has `manage.py migrate` run?)" if _is_missing_table(exc) else ""
            raise CommandError(f"cannot use the database: {one_line(exc)}{hint}") from exc


def refuse_unless_demo_data_allowed() -> None:
    """Stops a demo-data command where demo data must never appear (``DEMO_DATA_ALLOWED`` is off)."""
    from django.conf import settings

    if not settings.DEMO_DATA_ALLOWED:
        raise CommandError("demo data is not allowed here (DEMO_DATA_ALLOWED is off, as in production)")


def one_line(exc: BaseException) -> str:
    """The exception's message on one line: line breaks and runs of spaces collapsed (drivers add both),
    without the quoted SQL PostgreSQL appends from its ``LINE 1:`` marker on."""
    lines = str(exc).splitlines()
    kept = next((lines[:index] for index, line in enumerate(lines) if line.startswith("LINE ")), lines)
    return " ".join(" ".join(kept).split()) or type(exc).__name__


def _is_missing_table(exc: BaseException) -> bool:
    # PostgreSQL reports SQLSTATE 42P01 (undefined_table); SQLite only says so in words.
    return getattr(exc.__cause__, "sqlstate", None) == "42P01" or "no such table" in str(exc)


def positive_int(value: str) -> int:
    """An argparse ``type`` accepting whole numbers of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return number
