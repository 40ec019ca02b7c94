"""Verifying the audit trail's hash chain (decision 0009).

Each row's ``row_hash`` is ``sha256(previous row's row_hash || auditing_auditlog_content(row))``, set
by the database when the row is written. Walking the rows in id order and recomputing each hash from
the stored predecessor finds the first row that an edit, a deletion before it or a reordering broke.
The latest verdict is kept in the cache for the viewer's badge.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

GENESIS = "0" * 64  # the predecessor of the first row (also in migration 0005)
VERDICT_CACHE_KEY = "auditing:chain-verdict"
VERDICT_TTL = 7 * 24 * 3600

# One statement, so one snapshot: rows committed meanwhile cannot make the count and the walk disagree.
_WALK = """
SELECT min(id) FILTER (WHERE row_hash IS DISTINCT FROM expected), count(*), max(id), min(row_hash) FILTER (WHERE last)
FROM (
    SELECT id, row_hash,
           encode(sha256(convert_to(coalesce(lag(row_hash) OVER w, %s) || auditing_auditlog_content(a), 'UTF8')), 'hex')
               AS expected,
           lead(id) OVER w IS NULL AS last
    FROM auditing_auditlog a
    WINDOW w AS (ORDER BY id)
) walk
"""


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    rows: int  # rows in the trail when checked
    head_id: int | None  # the last row's id and hash: note them to notice later truncation
    head_hash: str
    broken_id: int | None  # the first row whose hash does not follow
    checked_at: datetime
    supported: bool = True  # False where the database keeps no chain (the SQLite default)


# Where the database keeps no chain (the SQLite default) there is nothing to verify.
_NO_CHAIN = ChainVerdict(True, 0, None, "", None, datetime.min.replace(tzinfo=UTC), supported=False)


def audit_chain_verify() -> ChainVerdict:
    """Walks the whole chain in one query and returns (and caches) the verdict."""
    if connection.vendor != "postgresql":
        return _NO_CHAIN
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_WALK, [GENESIS])
        broken_id, rows, head_id, head_hash = cursor.fetchone()
    verdict = ChainVerdict(
        ok=broken_id is None,
        rows=rows,
        head_id=head_id,
        head_hash=head_hash or "",
        broken_id=broken_id,
        checked_at=now,
    )
    cache.set(VERDICT_CACHE_KEY, asdict(verdict), VERDICT_TTL)
    return verdict


def audit_chain_last_verdict() -> ChainVerdict | None:
    """The verdict of the last verification (command or periodic job), if one is remembered; where the
    database keeps no chain, a verdict saying so."""
    if connection.vendor != "postgresql":
        return _NO_CHAIN
    stored = cache.get(VERDICT_CACHE_KEY)
    return ChainVerdict(**stored) if stored else None
