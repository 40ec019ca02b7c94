"""Reads behind the audit and system log viewers: newest-first pages without counting a million rows.

Pages are keyset pages ("older than this row", "newer than that one") on (created_at, id), which the
tables' indexes serve directly: page 1 and page 20,000 cost the same, and nothing counts the table.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet

from auditing.models import AuditLog
from core.ids import database_id

PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class BadPageToken(ValueError):
    """A page link that is not one of ours (edited by hand, or truncated)."""


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    newer: str | None  # token of the page before this one (None: this is the newest page)
    older: str | None  # token of the page after this one (None: nothing older)

    @property
    def is_first(self) -> bool:
        return self.newer is None


def keyset_page(queryset: QuerySet, *, before: str = "", after: str = "", size: int = PAGE_SIZE) -> KeysetPage:
    """The ``size`` newest rows of ``queryset`` older than ``before`` (or newer than ``after``).

    Raises ``BadPageToken`` for a token we did not make.
    """
    if after:
        moment, pk = _parse(after)
        newer_first = queryset.filter(Q(created_at__gt=moment) | Q(created_at=moment, pk__gt=pk))
        rows = list(newer_first.filter(created_at__gte=moment).order_by("created_at", "id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, newer=_token(rows[0]) if more_newer else None, older=_token(rows[-1]) if rows else None)
    if before:
        moment, pk = _parse(before)
        queryset = queryset.filter(created_at__lte=moment).filter(Q(created_at__lt=moment) | Q(pk__lt=pk))
    rows = list(queryset.order_by("-created_at", "-id")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        newer=_token(rows[0]) if before and rows else None,
        older=_token(rows[-1]) if more_older else None,
    )


def audit_events(queryset: QuerySet | None = None) -> QuerySet:
    """Audit rows with their actor, ready for a page."""
    queryset = AuditLog.objects.all() if queryset is None else queryset
    return queryset.select_related("actor")


def entity_history(*, entity_type: str, entity_id: str) -> QuerySet:
    return audit_events(AuditLog.objects.filter(entity_type=entity_type, entity_id=entity_id))


def _token(row) -> str:
    # Whole microseconds, in integers: a float timestamp could round to a neighbouring row's moment.
    return f"{(row.created_at - EPOCH) // MICROSECOND}-{row.pk}"


def _parse(token: str) -> tuple[datetime, int]:
    micros, _, pk = token.partition("-")
    if not (micros.isascii() and micros.isdigit()) or len(token) > 40:
        raise BadPageToken(token)
    try:
        return EPOCH + int(micros) * MICROSECOND, database_id(pk)
    except (OverflowError, ValueError) as error:
        raise BadPageToken(token) from error
