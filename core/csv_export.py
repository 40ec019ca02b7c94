"""CSV downloads of staff lists: streamed row by row, and safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula
by Excel or LibreOffice (CSV injection), so such text is written with a leading apostrophe. Numbers,
dates and empty values are written as they are.
"""

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """``text`` as a spreadsheet will show it, never run it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_cell(value: Any) -> str:
    """One value as a CSV cell: "" for None, ISO 8601 for dates and times, text made formula-safe."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        return str(value)
    return formula_safe(str(value))


class _Echo:
    """A file that hands back what is written, so ``csv.writer`` formats one line at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], cell: Callable[[Any], str] = csv_cell
) -> Iterator[str]:
    """The header, then each row, as CSV lines, formatted lazily."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def csv_download(lines: Iterable[str], *, name: str) -> StreamingHttpResponse:
    """A streamed CSV attachment named ``name-YYYYmmdd-HHMMSS.csv`` (local time)."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
