"""Keyset pages: "the rows after this one", "the rows before that one", on (a datetime column, id).

An index on the column serves each page directly: page 1 and page 20,000 cost the same, and nothing
counts the table. A page link carries the last (or first) row's key as a token; a token we did not make
is refused with ``BadPageToken``, and the caller shows the first page instead.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet

from core.ids import database_id

PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class BadPageToken(ValueError):
    """A page link that is not one of ours (edited by hand, or truncated)."""


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    previous: str | None  # token of the page before this one in the listed order (None: the first page)
    following: str | None  # token of the page after this one (None: nothing more)

    @property
    def is_first(self) -> bool:
        return self.previous is None


def keyset_page(
    queryset: QuerySet,
    *,
    column: str = "created_at",
    descending: bool = True,
    before: str = "",
    after: str = "",
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """The first ``size`` rows of ``queryset`` ordered by (``column``, id), descending or not: those
    listed after the row of token ``before``, or (``after``) the page listed before the row of that token.

    ``column`` is a datetime column that no row of ``queryset`` leaves empty. Raises ``BadPageToken`` for
    a token we did not make.
    """
    order = [f"-{column}", "-id"] if descending else [column, "id"]
    reverse = [field.removeprefix("-") if field.startswith("-") else f"-{field}" for field in order]
    if after:
        rows = list(_beyond(queryset, column, not descending, after).order_by(*reverse)[: size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows,
            previous=_token(rows[0], column) if more_before else None,
            following=_token(rows[-1], column) if rows else None,
        )
    if before:
        queryset = _beyond(queryset, column, descending, before)
    rows = list(queryset.order_by(*order)[: size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        previous=_token(rows[0], column) if before and rows else None,
        following=_token(rows[-1], column) if more_after else None,
    )


def _beyond(queryset: QuerySet, column: str, downwards: bool, token: str) -> QuerySet:
    """Rows whose (column, id) is below (``downwards``) or above the token's. The plain bound on the
    column alone comes first, so the index range is narrowed before the row-by-row test."""
    moment, pk = _parse(token)
    if downwards:
        bound, strictly, tie = f"{column}__lte", f"{column}__lt", "pk__lt"
    else:
        bound, strictly, tie = f"{column}__gte", f"{column}__gt", "pk__gt"
    return queryset.filter(**{bound: moment}).filter(Q(**{strictly: moment}) | Q(**{column: moment, tie: pk}))


def _token(row, column: str) -> str:
    # Whole microseconds, in integers: a float timestamp could round to a neighbouring row's moment.
    return f"{(getattr(row, column) - EPOCH) // MICROSECOND}-{row.pk}"


def _parse(token: str) -> tuple[datetime, int]:
    micros, _, pk = token.partition("-")
    if not (micros.isascii() and micros.isdigit()) or len(token) > 40:
        raise BadPageToken(token)
    try:
        return EPOCH + int(micros) * MICROSECOND, database_id(pk)
    except (OverflowError, ValueError) as error:
        raise BadPageToken(token) from error
