"""Writing demo rows fast: COPY on PostgreSQL, batched ``executemany`` elsewhere.

Rows are plain tuples in the order of the field names given, with their primary keys chosen up front
(``reserve``), so rows can reference each other before they are written and the big tables never make a
round trip per row. The ORM's ``bulk_create`` would also overwrite ``auto_now``/``auto_now_add`` fields,
and demo rows need their timestamps spread over two years.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, cast

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max

Row = Sequence[Any]
_BATCH_SIZE = 5_000


class TableWriter:
    """Inserts tuples into a model's table and keeps the primary-key sequences consistent afterwards."""

    def __init__(self, *, connection: BaseDatabaseWrapper, progress: Callable[[int], object]) -> None:
        self._connection = connection
        self._progress = progress
        self._next_ids: dict[type[models.Model], int] = {}
        self.counts: Counter[str] = Counter()

    def reserve(self, model: type[models.Model], count: int) -> range:
        """The next ``count`` primary keys of ``model``, above every existing row's."""
        if model not in self._next_ids:
            self._next_ids[model] = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        first = self._next_ids[model]
        self._next_ids[model] = first + count
        return range(first, first + count)

    def write(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[Row]) -> int:
        """Insert ``rows`` (values in the order of ``fields``, model field names or attnames). Returns the count."""
        # Rows fill concrete columns, so every name is a concrete field (with a column).
        model_fields = [cast(models.Field, model._meta.get_field(name)) for name in fields]
        if self._connection.vendor == "postgresql":
            written = self._copy(model, model_fields, rows)
        else:
            written = self._insert(model, model_fields, rows)
        self.counts[model._meta.label] += written
        return written

    def record(self, model: type[models.Model], count: int) -> None:
        """Count rows another code path inserted into ``model``'s table, for the report and the progress."""
        self.counts[model._meta.label] += count
        self._progress(count)

    def finish(self) -> None:
        """Move each sequence past the keys we chose, so the next ordinary insert does not collide."""
        statements = self._connection.ops.sequence_reset_sql(no_style(), list(self._next_ids))
        with self._connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _copy(self, model: type[models.Model], model_fields: list[models.Field], rows: Iterable[Row]) -> int:
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join([sql.Identifier(_column(f)) for f in model_fields])
        )
        json_positions = [i for i, f in enumerate(model_fields) if isinstance(f, models.JSONField)]
        written = 0
        with self._connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for batch in _batches(rows):
                for row in batch:
                    copy.write_row(_json_dumped(row, json_positions) if json_positions else row)
                written += len(batch)
                self._progress(len(batch))
        return written

    def _insert(self, model: type[models.Model], model_fields: list[models.Field], rows: Iterable[Row]) -> int:
        quote = self._connection.ops.quote_name
        columns = ", ".join(quote(_column(f)) for f in model_fields)
        placeholders = ", ".join(["%s"] * len(model_fields))
        # Identifiers come from model metadata, values travel as parameters.
        statement = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        written = 0
        with self._connection.cursor() as cursor:
            for batch in _batches(rows):
                cursor.executemany(statement, [self._prepared(model_fields, row) for row in batch])
                written += len(batch)
                self._progress(len(batch))
        return written

    def _prepared(self, model_fields: list[models.Field], row: Row) -> list[Any]:
        return [field.get_db_prep_save(value, self._connection) for field, value in zip(model_fields, row, strict=True)]


def _batches(rows: Iterable[Row]) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH_SIZE)):
        yield batch


def _json_dumped(row: Row, positions: list[int]) -> list[Any]:
    values = list(row)
    for position in positions:
        values[position] = json.dumps(values[position])
    return values


def _column(field: models.Field) -> str:
    # A concrete field always has a column; the stubs allow None, as for a field without one.
    return cast(str, field.column)
