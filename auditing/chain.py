"""Verifying the audit trail: its seals, the rows they cover, its guards and its anchor (decision 0016).

A run first seals what can be sealed (so it covers every row committed before it started), then checks,
from the last seal a passing run checked (incremental) or from the first (``full``):

- the seals: each one's HMAC under its key, and that each starts where the one before it ended;
- the rows: the digest of each seal's rows as they are now, and each row's hash against its content.
  A difference is pinned to the first row that was edited, inserted, deleted or moved, with the help of
  the seal's row index;
- the rows not sealed yet: each row's hash against its content;
- the guards: every capture trigger, and the append-only, stamping and TRUNCATE triggers of the trail,
  its partitions and the seals, present and enabled;
- the anchor outside the database: the database still holds the seal it names, unchanged (catches
  rows cut off the end together with their seals, and emptied tables).

Each run is recorded (``AuditVerification``) and its verdict cached for the viewer's badge.
"""

import hmac
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from auditing.anchor import AnchorInvalid, anchor_read
from auditing.capture import capture_triggers_inactive
from auditing.models import AuditLog, AuditSeal, AuditVerification
from auditing.sealing import (
    GENESIS_MAC,
    SealKeyMissing,
    audit_rows_seal,
    row_fingerprint,
    row_index_entries,
    seal_mac_valid,
    seal_status_read,
    seal_status_remember,
)

VERDICT_CACHE_KEY = "auditing:chain-verdict"
VERDICT_TTL = 7 * 24 * 3600
SEALS_PER_QUERY = 200

# Each seal's rows as they are now: does their digest still match, and which row's hash no longer
# follows from its content?
_SEAL_ROWS = """
SELECT s.id,
       s.digest = encode(sha256(coalesce(
           string_agg(int8send(a.id) || convert_to(a.row_hash, 'UTF8'), ''::bytea ORDER BY a.id), ''::bytea)), 'hex'),
       min(a.id) FILTER (WHERE a.row_hash IS DISTINCT FROM auditing_row_hash(auditing_auditlog_content(a))),
       count(a.id)
FROM auditing_auditseal s
LEFT JOIN auditing_auditlog a ON a.id > s.first_id AND a.id <= s.last_id
WHERE s.id = ANY(%s)
GROUP BY s.id, s.digest
ORDER BY s.id
"""

# The trail's own guards, by table: on the parent and every partition (row triggers are cloned to
# partitions, TRUNCATE triggers are created on each), and on the seals.
TRAIL_TRIGGERS = ("auditing_auditlog_stamp", "auditing_auditlog_append_only", "auditing_auditlog_no_truncate")
SEAL_TRIGGERS = ("auditing_auditseal_append_only", "auditing_auditseal_no_truncate")


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    rows: int  # rows checked by this run
    head_id: int | None  # the sealed head: rows up to this id are sealed
    head_hash: str  # the last seal's HMAC: note it, a later run showing an older head means truncation
    broken_id: int | None  # the first row found edited, inserted, deleted or moved
    checked_at: datetime
    supported: bool = True  # False where the database keeps no seals (the SQLite default)
    problem: str = ""  # what is wrong, in a sentence, when not ok
    full: bool = False
    seals: int = 0  # seals checked by this run
    seal_id: int | None = None  # the last seal
    sealed_at: datetime | None = None
    unsealed_rows: int = 0
    lag_seconds: float = 0.0
    warnings: tuple[str, ...] = field(default=())


# Where the database keeps no seals (the SQLite default) there is nothing to verify.
_NOT_SUPPORTED = ChainVerdict(True, 0, None, "", None, datetime.min.replace(tzinfo=UTC), supported=False)


class _Broken(Exception):
    def __init__(self, problem: str, row_id: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.row_id = row_id


def audit_chain_verify(*, full: bool = False) -> ChainVerdict:
    """Seals what can be sealed, verifies (incrementally unless ``full``), records and caches the verdict."""
    if connection.vendor != "postgresql":
        return _NOT_SUPPORTED
    started = timezone.now()
    audit_rows_seal()
    warnings: list[str] = []
    checked = {"rows": 0, "seals": 0}
    start: AuditSeal | None = None
    last_seal: AuditSeal | None = None
    problem, broken_id = "", None
    try:
        _guards_check()
        start = None if full else _checkpoint()
        last_seal = _seals_check(start, checked)
        checked["rows"] += _unsealed_rows_check(last_seal.last_id if last_seal else 0)
        _anchor_check(warnings)
    except _Broken as broken:
        problem, broken_id = broken.problem, broken.row_id
    status = seal_status_remember(seal_status_read())
    verdict = ChainVerdict(
        ok=not problem,
        rows=checked["rows"],
        head_id=status.head_id or None,
        head_hash=last_seal.mac if last_seal else "",
        broken_id=broken_id,
        checked_at=timezone.now(),
        problem=problem,
        full=full or start is None,
        seals=checked["seals"],
        seal_id=status.seal_id,
        sealed_at=status.sealed_at,
        unsealed_rows=status.unsealed_rows,
        lag_seconds=status.lag_seconds,
        warnings=tuple(warnings),
    )
    AuditVerification.objects.create(
        full=verdict.full,
        started_at=started,
        finished_at=verdict.checked_at,
        ok=verdict.ok,
        first_seal_id=None if start is None else start.pk,
        last_seal_id=last_seal.pk if last_seal and verdict.ok else None,
        last_seal_mac=last_seal.mac if last_seal and verdict.ok else "",
        rows_checked=verdict.rows,
        problem=problem,
        broken_row_id=broken_id,
    )
    cache.set(VERDICT_CACHE_KEY, asdict(verdict), VERDICT_TTL)
    return verdict


def audit_chain_last_verdict() -> ChainVerdict | None:
    """The verdict of the last verification (command or periodic job), if one is remembered; where the
    database keeps no seals, a verdict saying so."""
    if connection.vendor != "postgresql":
        return _NOT_SUPPORTED
    stored = cache.get(VERDICT_CACHE_KEY)
    if not stored:
        return None
    stored["warnings"] = tuple(stored.get("warnings", ()))
    return ChainVerdict(**stored)


def _checkpoint() -> AuditSeal | None:
    """The last seal a passing run checked: where an incremental run starts (None: from the beginning)."""
    last = AuditVerification.objects.filter(ok=True, last_seal_id__isnull=False).order_by("-id").first()
    if last is None or last.last_seal_id is None:
        return None
    seal = AuditSeal.objects.filter(pk=last.last_seal_id).first()
    if seal is None or not hmac.compare_digest(seal.mac, last.last_seal_mac):
        raise _Broken(
            f"seal #{last.last_seal_id}, verified on {last.finished_at:%Y-%m-%d %H:%M}, is gone or has changed: "
            "seals were removed or rewritten"
        )
    return seal


def _guards_check() -> None:
    if inactive := capture_triggers_inactive():
        raise _Broken(f"changes are not captured on: {', '.join(inactive)}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relname = 'auditing_auditlog' OR c.oid IN "
            "(SELECT inhrelid FROM pg_inherits WHERE inhparent = 'auditing_auditlog'::regclass)"
        )
        trail_tables = [name for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'auditing_audit%%' AND t.tgenabled <> 'D' AND NOT t.tgisinternal"
        )
        firing = {name for (name,) in cursor.fetchall()}
    expected = {f"{table}.{trigger}" for table in trail_tables for trigger in TRAIL_TRIGGERS}
    expected |= {f"auditing_auditseal.{trigger}" for trigger in SEAL_TRIGGERS}
    if off := sorted(expected - firing):
        raise _Broken(f"the audit trail's own guards are missing or disabled: {', '.join(off)}")


def _seals_check(start: AuditSeal | None, checked: dict[str, int]) -> AuditSeal | None:
    """Checks every seal after ``start`` and the rows they cover; returns the last seal checked."""
    previous = start
    while True:
        after = previous.pk if previous is not None else 0
        seals = list(AuditSeal.objects.filter(pk__gt=after).order_by("pk")[:SEALS_PER_QUERY])
        if not seals:
            return previous
        for seal in seals:
            _seal_check(seal, previous)
            previous = seal
        with connection.cursor() as cursor:
            cursor.execute(_SEAL_ROWS, [[seal.pk for seal in seals]])
            results = cursor.fetchall()
        by_id = {seal.pk: seal for seal in seals}
        for seal_id, digest_matches, edited_id, count in results:
            checked["rows"] += count
            if edited_id is not None or not digest_matches:
                raise _Broken(*_row_problem(by_id[seal_id], edited_id))
        checked["seals"] += len(seals)


def _seal_check(seal: AuditSeal, previous: AuditSeal | None) -> None:
    expected_mac = previous.mac if previous is not None else GENESIS_MAC
    expected_first = previous.last_id if previous is not None else 0
    try:
        valid = seal_mac_valid(seal)
    except SealKeyMissing as missing:
        raise _Broken(f"seal #{seal.pk} cannot be checked: {missing}", seal.first_id + 1) from None
    if not valid:
        raise _Broken(f"seal #{seal.pk} was forged or altered: its HMAC does not match", seal.first_id + 1)
    if seal.previous_mac != expected_mac or seal.first_id != expected_first:
        raise _Broken(
            f"seal #{seal.pk} does not follow the seal before it: a seal was removed or inserted", seal.first_id + 1
        )


def _row_problem(seal: AuditSeal, edited_id: int | None) -> tuple[str, int]:
    """Names the first row of ``seal`` that differs from what was sealed, and how."""
    sealed = row_index_entries(bytes(seal.row_index))
    now = list(
        AuditLog.objects.filter(pk__gt=seal.first_id, pk__lte=seal.last_id).order_by("pk").values_list("pk", "row_hash")
    )
    found: tuple[str, int] | None = None
    for position in range(max(len(sealed), len(now))):
        sealed_id, fingerprint = sealed[position] if position < len(sealed) else (None, b"")
        row_id, row_hash = now[position] if position < len(now) else (None, "")
        if sealed_id == row_id and fingerprint == row_fingerprint(row_hash):
            continue
        if row_id is not None and (sealed_id is None or row_id < sealed_id):
            found = (f"audit row #{row_id} was inserted after its rows were sealed (seal #{seal.pk})", row_id)
        elif sealed_id is not None and (row_id is None or sealed_id < row_id):
            found = (f"audit row #{sealed_id} was deleted after it was sealed (seal #{seal.pk})", sealed_id)
        else:
            assert row_id is not None  # noqa: S101 (both ids are present and equal here)
            found = (f"audit row #{row_id} was edited or moved after it was sealed (seal #{seal.pk})", row_id)
        break
    if edited_id is not None and (found is None or edited_id <= found[1]):
        return f"audit row #{edited_id} was edited: its hash does not follow from its content", edited_id
    return found or (f"the rows of seal #{seal.pk} do not match it", seal.first_id + 1)


def _unsealed_rows_check(head_id: int) -> int:
    """Rows after the sealed head (still being written when sealing ran): each hash against its content."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), min(id) FILTER (WHERE row_hash IS DISTINCT FROM "
            "auditing_row_hash(auditing_auditlog_content(a))) FROM auditing_auditlog a WHERE id > %s",
            [head_id],
        )
        count, edited_id = cursor.fetchone()
    if edited_id is not None:
        raise _Broken(f"audit row #{edited_id} was edited: its hash does not follow from its content", edited_id)
    return count


def _anchor_check(warnings: list[str]) -> None:
    try:
        anchor = anchor_read()
    except AnchorInvalid as invalid:
        raise _Broken(str(invalid)) from None
    if anchor is None:
        if AuditSeal.objects.exists():
            warnings.append("no anchor outside the database yet: the next sealing run writes it")
        return
    seal = AuditSeal.objects.filter(pk=anchor.seal_id).values("mac", "last_id").first()
    if seal is None:
        raise _Broken(
            f"the anchor outside the database names seal #{anchor.seal_id} (rows up to #{anchor.last_id}), which "
            "the database no longer holds: the newest rows and seals were cut off or the tables emptied",
            anchor.last_id,
        )
    if seal["mac"] != anchor.mac or seal["last_id"] != anchor.last_id:
        raise _Broken(f"seal #{anchor.seal_id} differs from the anchor kept outside the database", anchor.last_id)
