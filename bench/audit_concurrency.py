"""Concurrent audited writers: booking updates per second with 1, 4 and 16 writers, capture on and off.

The workload (the issue's): each writer is a process of its own with a connection of its own, in autocommit,
and runs ``UPDATE consultants_booking SET notes = ... WHERE id = ...``, one booking per transaction, over
bookings no other writer touches (no row contention), for a few seconds. Writers send plain SQL through
psycopg (prepared), not the ORM, so the two cores go to the database rather than to Python; each sets the
audit context once per session, as the application does on an autocommit connection.

"Bare" is the same run with the booking table's capture triggers disabled, "audited" with them enabled.
The two alternate (which one goes first too), round after round, and each keeps its best throughput, so a
slow spell of the machine cannot land on one side only. Every audited run must write exactly one audit row
per transaction. While writers run, their sessions are sampled: "lock waits" is the share of samples of a
busy writer waiting for a heavyweight lock (the hash chain's advisory lock showed there), bare / audited.

Targets (bare/audited throughput): 1 writer <= 1.2x, 16 writers <= 1.5x (4 writers: shown, no target).
Before decision 0016 (the hash chain's advisory lock on the write path, held to commit) the same workload
measured 1 writer 1.00x, 4 writers 3.66x, 16 writers 4.56x as reported with the issue: audited writers queued
behind one another (with pgbench as the client the chain measured 1.73x, 3.59x, 7.01x; decision 0016).
"""

import json
import multiprocessing
import time
from multiprocessing.synchronize import Barrier

import psycopg
from databases import audit_last_id, capture_triggers_set

WRITER_COUNTS = (1, 4, 16)
TARGETS = {1: 1.2, 16: 1.5}
BEFORE = {1: 1.00, 4: 3.66, 16: 4.56}  # bare/audited with the hash chain (decision 0009), as reported
BOOKINGS_PER_WRITER = 20
WARM_UP_TRANSACTIONS = 20
TABLE = "consultants_booking"
UPDATE = "UPDATE consultants_booking SET notes = %s WHERE id = %s"
WRITER_NAME = "bench audit writer"  # the writers' application_name, by which their sessions are sampled
SAMPLE_SECONDS = 0.02
WRITER_WAITS = (
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FROM pg_stat_activity "
    "WHERE application_name = %s AND state = 'active'"
)
CONTEXT = json.dumps(
    {"actor_id": None, "actor_label": "system: bench", "ip": None, "user_agent": "bench", "request_id": ""},
    separators=(",", ":"),
)


def measure_concurrency(*, database_url: str, booking_ids: list[int], seconds: float, rounds: int) -> dict:
    """Best bare and audited transactions/s per writer count, with the audit rows the audited runs wrote.

    ``booking_ids`` holds at least ``BOOKINGS_PER_WRITER`` bookings per writer of the largest count. Leaves
    the capture triggers enabled, whatever happens.
    """
    most = max(WRITER_COUNTS)
    assert len(booking_ids) >= most * BOOKINGS_PER_WRITER, "not enough bookings for every writer"
    own_bookings = [booking_ids[writer::most] for writer in range(most)]
    results = {str(writers): _empty_result() for writers in WRITER_COUNTS}
    with psycopg.connect(database_url, autocommit=True) as control, control.cursor() as cursor:
        try:
            for round_number in range(rounds):
                sides = ("bare", "audited") if round_number % 2 == 0 else ("audited", "bare")
                for writers in WRITER_COUNTS:
                    for side in sides:
                        label = f"{side} r{round_number} w{writers}"
                        measured = results[str(writers)]
                        _side_run(cursor, database_url, own_bookings[:writers], seconds, side, label, measured)
        finally:
            capture_triggers_set(cursor, table=TABLE, enabled=True)
    return results


def _side_run(
    cursor, database_url: str, own_bookings: list[list[int]], seconds: float, side: str, label: str, measured: dict
) -> None:
    """Runs the writers once, bare (capture off) or audited; adds what it measured to ``measured``."""
    capture_triggers_set(cursor, table=TABLE, enabled=side == "audited")
    first_id = audit_last_id(cursor)
    rate, transactions, (waiting, busy) = _writers_run(cursor, database_url, own_bookings, seconds, label)
    measured[side] = max(measured[side], rate)
    measured[f"{side}_lock_waits"][0] += waiting
    measured[f"{side}_lock_waits"][1] += busy
    if side == "audited":
        cursor.execute("SELECT count(*) FROM auditing_auditlog WHERE id > %s", [first_id])
        (captured,) = cursor.fetchone() or (0,)
        measured["captured"] += captured
        measured["expected"] += transactions


def _empty_result() -> dict:
    # Lock waits: [samples of a busy writer waiting for a lock, samples of a busy writer], over the rounds.
    return {
        "bare": 0.0,
        "audited": 0.0,
        "captured": 0,
        "expected": 0,
        "bare_lock_waits": [0, 0],
        "audited_lock_waits": [0, 0],
    }


def _writers_run(
    cursor, database_url: str, own_bookings: list[list[int]], seconds: float, label: str
) -> tuple[float, int, tuple[int, int]]:
    """(transactions/s over ``seconds`` of all writers together, transactions including warm-up, lock waits
    sampled through ``cursor`` meanwhile: (busy writers waiting for a lock, busy writers), summed)."""
    # Forked, so that a writer starts in milliseconds; it uses nothing of the parent's but its arguments.
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(len(own_bookings) + 1)  # the writers, and this process, which samples them
    counts = context.SimpleQueue()
    processes = [
        context.Process(
            target=_writer, args=(database_url, bookings, seconds, f"{label} #{number}", ready, counts), daemon=True
        )
        for number, bookings in enumerate(own_bookings)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=120)
    deadline = time.perf_counter() + seconds
    waiting = busy = 0
    while time.perf_counter() < deadline:
        cursor.execute(WRITER_WAITS, [WRITER_NAME])
        sampled_waiting, sampled_busy = cursor.fetchone() or (0, 0)
        waiting += sampled_waiting
        busy += sampled_busy
        time.sleep(SAMPLE_SECONDS)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a writer failed (exit code {process.exitcode}): see its traceback above")
    measured = total = 0
    for _ in processes:
        in_window, done = counts.get()
        measured += in_window
        total += done
    return measured / seconds, total, (waiting, busy)


def _writer(database_url: str, bookings: list[int], seconds: float, label: str, ready: Barrier, counts) -> None:
    """One writer: connects, warms up, waits for the others, then updates its bookings until time is up."""
    with psycopg.connect(database_url, autocommit=True, application_name=WRITER_NAME) as connection:
        connection.execute("SELECT set_config('auditing.context', %s, false)", [CONTEXT])
        done = 0

        def update() -> None:
            nonlocal done
            # A value no earlier run wrote, so every transaction changes its row (one audit row each).
            connection.execute(UPDATE, [f"{label} {done}", bookings[done % len(bookings)]], prepare=True)
            done += 1

        for _ in range(WARM_UP_TRANSACTIONS):
            update()
        ready.wait(timeout=120)  # a writer that failed to start breaks the barrier for the others
        deadline = time.perf_counter() + seconds
        in_window = 0
        while time.perf_counter() < deadline:
            update()
            in_window += 1
    counts.put((in_window, done))


def print_concurrency(results: dict) -> bool:
    """Prints the table of throughputs and ratios; returns whether every target was met."""
    print(
        f"{'writers':<9}{'bare tx/s':>11}{'audited tx/s':>14}{'bare/audited':>14}{'target':>8}{'before':>8}"
        f"{'lock waits':>13}  rows captured    verdict"
    )
    met = True
    for writers in WRITER_COUNTS:
        measured = results[str(writers)]
        ratio = measured["bare"] / measured["audited"]
        target = TARGETS.get(writers)
        ok = (target is None or ratio <= target) and measured["captured"] == measured["expected"]
        met &= ok
        shown_target = f"{target:.1f}x" if target is not None else "-"
        waits = f"{_share(measured['bare_lock_waits'])}/{_share(measured['audited_lock_waits'])}"
        verdict = ("ok" if ok else "MISSED") if target is not None or not ok else "(no target)"
        print(
            f"{writers:<9}{measured['bare']:>11,.0f}{measured['audited']:>14,.0f}{ratio:>13.2f}x{shown_target:>8}"
            f"{BEFORE[writers]:>7.2f}x{waits:>13}  {measured['captured']:>7}/{measured['expected']:<8}{verdict}"
        )
    print(
        "One UPDATE of a booking's notes per transaction (autocommit), each writer its own process, connection and\n"
        "bookings; best of the rounds. before: bare/audited with the hash chain's lock (decision 0009). lock waits:\n"
        "share of samples of a busy writer waiting for a lock, bare/audited.\n"
    )
    return met


def _share(samples: list[int]) -> str:
    waiting, busy = samples
    return f"{100 * waiting / busy:.0f}%" if busy else "-"
