"""Sealing: tamper evidence added to committed audit rows, after commit, in id order (decision 0016).

Writers only stamp each row with the hash of its own content; nothing on the write path reads another
row or takes a lock another writer could hold. The sealer comes after them:

1. It reads the last id the sequence has handed out, then waits for every transaction running at that
   moment to end. A row's transaction has its id before the row draws its own (``auditing_auditlog_stamp``),
   so from then on no row at or below that id can still appear: the rows up to it are final.
2. It covers them, in id order and batches, with seals (``AuditSeal``): each holds a digest of its rows'
   ids and hashes and an HMAC, under a key the database never sees (``AUDIT_SEAL_KEYS``), of its fields
   and the previous seal's HMAC. Whoever can write to the database can then neither edit, insert or
   delete a sealed row, nor forge, edit or drop a seal, without verification noticing.
3. It writes the sealed head to a storage location of its own (``auditing.anchor``), so that cutting
   both rows and seals off the end is noticed too.

One sealer runs at a time (a session advisory lock); seals never wait for writers nor writers for seals.
"""

import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from auditing.models import AuditSeal

GENESIS_MAC = "0" * 64  # the "previous seal" of the first seal
SEAL_BATCH_ROWS = 10_000
HORIZON_WAIT_SECONDS = 2.0
# Big enough to be nobody else's advisory lock key: one sealer at a time (seals form one chain).
SEALER_LOCK_KEY = 7_310_553_002
ID_SEQUENCE = "auditing_auditlog_id_seq"


@dataclass(frozen=True)
class SealRun:
    """What one sealing run did."""

    seals: int = 0
    rows: int = 0
    horizon: int | None = None  # every row at or below this id was final and is now sealed
    busy: bool = False  # another sealer was running: this one did nothing
    waiting_for: tuple[str, ...] = ()  # transactions still running when the wait ran out: nothing sealed


class SealKeyMissing(LookupError):
    """A seal names a key id that ``AUDIT_SEAL_KEYS`` does not hold."""


def seal_key(key_id: str | None = None) -> tuple[str, bytes]:
    """(key id, secret) of ``key_id``, or of the key that signs new seals (the first configured)."""
    keys = settings.AUDIT_SEAL_KEYS
    key_id = key_id if key_id is not None else next(iter(keys))
    try:
        return key_id, keys[key_id].encode()
    except KeyError:
        raise SealKeyMissing(f"no audit seal key with id {key_id!r} is configured (AUDIT_SEAL_KEYS)") from None


def row_digest(rows: Iterable[tuple[int, str]]) -> tuple[str, bytes, int]:
    """(digest, row index, count) of ``(id, row_hash)`` pairs in id order.

    The digest is sha256 over each row's id (8 bytes, big-endian) and its ``row_hash`` text, exactly as
    ``int8send(id) || convert_to(row_hash, 'UTF8')`` in SQL, which verification computes in the database.
    The index keeps each id and 8 bytes of the sha256 of its hash: enough to name the row that differs.
    """
    digest = hashlib.sha256()
    index = bytearray()
    count = 0
    for row_id, row_hash in rows:
        key = row_id.to_bytes(8, "big", signed=True)
        encoded = row_hash.encode()
        digest.update(key + encoded)
        index += key + hashlib.sha256(encoded).digest()[:8]
        count += 1
    return digest.hexdigest(), bytes(index), count


def row_index_entries(index: bytes) -> list[tuple[int, bytes]]:
    """The ``(id, fingerprint)`` pairs of a seal's row index."""
    return [
        (int.from_bytes(index[at : at + 8], "big", signed=True), index[at + 8 : at + 16])
        for at in range(0, len(index), 16)
    ]


def row_fingerprint(row_hash: str) -> bytes:
    return hashlib.sha256(row_hash.encode()).digest()[:8]


def seal_mac(seal: AuditSeal, key: bytes) -> str:
    """The HMAC-SHA256, under ``key``, of ``seal``'s fields and its predecessor's HMAC."""
    message = "|".join(
        (
            seal.key_id,
            str(seal.first_id),
            str(seal.last_id),
            str(seal.row_count),
            seal.digest,
            hashlib.sha256(bytes(seal.row_index)).hexdigest(),
            seal.previous_mac,
            seal.sealed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        )
    )
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def seal_mac_valid(seal: AuditSeal) -> bool:
    """Whether ``seal.mac`` is what its key makes of its fields (raises ``SealKeyMissing``)."""
    _key_id, key = seal_key(seal.key_id)
    return hmac.compare_digest(seal_mac(seal, key), seal.mac)


def audit_rows_seal(*, batch_rows: int = SEAL_BATCH_ROWS, wait_seconds: float = HORIZON_WAIT_SECONDS) -> SealRun:
    """Seals every audit row that is final, in batches of ``batch_rows``; returns what it did.

    Safe to run at any time and from anywhere (a periodic job, verification, a test): a second sealer
    running meanwhile makes this one return ``busy``.
    """
    if connection.vendor != "postgresql":
        return SealRun()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SEALER_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return SealRun(busy=True)
        try:
            horizon, waiting_for = _final_horizon(cursor, wait_seconds)
            if waiting_for:
                return SealRun(waiting_for=waiting_for)
            # The last seal is read once; each new one follows the one sealed before it.
            last = AuditSeal.objects.order_by("-id").first()
            seals = rows = 0
            while sealed := _seal_next_batch(cursor, last, horizon, batch_rows):
                last, seals, rows = sealed, seals + 1, rows + sealed.row_count
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SEALER_LOCK_KEY])
    if seals and last is not None:
        from auditing.anchor import anchor_write  # the anchor reads the seals this module writes

        anchor_write(last)
    return SealRun(seals=seals, rows=rows, horizon=horizon)


# Transactions that have an id hold a lock on it until they end (and release it only once their changes are
# visible to new snapshots): those of this database's sessions, ours left out (a verification inside a
# test's transaction). Other databases draw from sequences of their own.
_RUNNING_WRITERS = """
SELECT coalesce(array_agg(l.transactionid::text), '{}') FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid AND a.datname = current_database()
WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()
"""


def _final_horizon(cursor, wait_seconds: float) -> tuple[int, tuple[str, ...]]:
    """(the highest id whose rows are all final, transactions still running when the wait ran out).

    The id is read first, the transactions holding an id after it: a transaction that drew an audit id up
    to it had its own id by then (``auditing_auditlog_stamp``), so it has either ended or is in that list,
    which we wait out. (A snapshot's list of running transactions would not do: it leaves out those with
    ids above its ``xmax``, the last one to have *ended*.)
    """
    cursor.execute(f"SELECT last_value, is_called FROM {ID_SEQUENCE}")  # noqa: S608 (a constant)
    last_value, is_called = cursor.fetchone()
    horizon = last_value if is_called else 0
    cursor.execute(_RUNNING_WRITERS)
    running = cursor.fetchone()[0]
    deadline = time.monotonic() + wait_seconds
    while running:
        if time.monotonic() >= deadline:
            return horizon, tuple(running)
        time.sleep(0.005)
        cursor.execute(_RUNNING_WRITERS + " AND l.transactionid::text = ANY(%s)", [running])
        running = cursor.fetchone()[0]
    return horizon, ()


def _seal_next_batch(cursor, last: AuditSeal | None, horizon: int, batch_rows: int) -> AuditSeal | None:
    """Seals the next batch of final rows after ``last``; returns the new seal (None: nothing to seal)."""
    after, previous_mac = (last.last_id, last.mac) if last else (0, GENESIS_MAC)
    if after >= horizon:
        return None
    cursor.execute(
        "SELECT id, row_hash FROM auditing_auditlog WHERE id > %s AND id <= %s ORDER BY id LIMIT %s",
        [after, horizon, batch_rows],
    )
    rows = cursor.fetchall()
    if not rows:
        return None
    # A full batch ends at its last row; the final one reaches the horizon, so that a row slipped in later
    # anywhere up to it falls inside a seal and is noticed.
    last_id = rows[-1][0] if len(rows) == batch_rows else horizon
    digest, index, count = row_digest(rows)
    key_id, key = seal_key()
    seal = AuditSeal(
        first_id=after,
        last_id=last_id,
        row_count=count,
        digest=digest,
        row_index=index,
        previous_mac=previous_mac,
        key_id=key_id,
        sealed_at=timezone.now(),
    )
    seal.mac = seal_mac(seal, key)
    with transaction.atomic():
        seal.save()
    return seal


@dataclass(frozen=True)
class SealStatus:
    """How far sealing has come: the sealed head and what waits behind it."""

    head_id: int  # rows up to this id are sealed (0: none yet)
    seal_id: int | None
    sealed_at: datetime | None
    unsealed_rows: int
    oldest_unsealed_at: datetime | None
    lag_seconds: float  # how long the oldest row not sealed yet has waited (0 when none waits)


UNSEALED_COUNT_LIMIT = 1_000_000  # counting a tail longer than this says nothing more and costs more


def audit_seal_status() -> SealStatus | None:
    """The sealed head and the lag behind it; None where the database keeps no seals (SQLite)."""
    return seal_status_read() if connection.vendor == "postgresql" else None


def seal_status_read() -> SealStatus:
    """The sealed head and the lag behind it, read from the database (PostgreSQL)."""
    last = AuditSeal.objects.order_by("-id").values("id", "last_id", "sealed_at").first()
    head_id = last["last_id"] if last else 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), min(created_at) FROM ("
            "SELECT created_at FROM auditing_auditlog WHERE id > %s LIMIT %s) tail",
            [head_id, UNSEALED_COUNT_LIMIT],
        )
        unsealed, oldest = cursor.fetchone()
    lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return SealStatus(
        head_id=head_id,
        seal_id=last["id"] if last else None,
        sealed_at=last["sealed_at"] if last else None,
        unsealed_rows=unsealed,
        oldest_unsealed_at=oldest,
        lag_seconds=max(lag, 0.0),
    )


SEAL_STATUS_CACHE_KEY = "auditing:seal-status"
SEAL_STATUS_TTL = 10  # seconds: about two sealing runs; the badge reads it on every page of the trail


def audit_seal_status_cached() -> SealStatus | None:
    """The sealed head and lag as of a few seconds ago (what the viewer's badge shows), read from the
    database at most once per ``SEAL_STATUS_TTL``; None where the database keeps no seals."""
    if connection.vendor != "postgresql":
        return None
    stored = cache.get(SEAL_STATUS_CACHE_KEY)
    return SealStatus(**stored) if stored else seal_status_remember(seal_status_read())


def seal_status_remember(status: SealStatus) -> SealStatus:
    """Keeps ``status`` for the badge (the sealing job and verification call it with what they saw)."""
    cache.set(SEAL_STATUS_CACHE_KEY, asdict(status), SEAL_STATUS_TTL)
    return status
