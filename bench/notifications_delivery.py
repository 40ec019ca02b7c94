"""Benchmark: notification delivery throughput, ours against the bare provider calls, with 1, 4 and 16 workers.

``accounts.services.delivery.notifications_deliver`` claims due rows a batch at a time (``SELECT ... FOR
UPDATE SKIP LOCKED``, a lease, one more attempt), sends each outside any transaction and writes each
row's outcome under its lease (decision 0024). This measures what that costs against doing only the
sending:

- **EMAIL**: 10,000 e-mail notifications delivered to a local SMTP server (aiosmtpd, in a process of its
  own, ``accounts/tests/smtp_server.py``); bare: the same 10,000 messages (same recipients, subjects,
  bodies and Message-IDs) sent with Django's SMTP backend over one connection in a plain loop, no
  database touched;
- **IN_APP**: 10,000 in-app notifications shown in their inboxes; bare: the one ``UPDATE`` that marks
  them all SENT.

Ours runs with 1, 4 and 16 delivering workers (processes, each with its own connection, released
together), to show that workers share the rows without waiting for each other (SKIP LOCKED): on a
machine with few cores the workers share them with the SMTP server and PostgreSQL, so growth stops
when the cores are busy. Each run starts from the same 10,000 PENDING rows; the audit capture triggers
stay on for both sides (an outcome is a fact the trail records). Rounds alternate the sides; each
keeps its best.

Data: the database ``<prefix>_notif`` on the server of ``DATABASE_URL``, created and migrated; 1,000
recipients and the notifications are written on each run (set-up, not measured).

Usage: python bench/notifications_delivery.py [--count 10000] [--rounds 2] [--db-prefix bo_bench]
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from databases import create_database_if_missing, with_database

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = 1_000
WORKER_COUNTS = (1, 4, 16)
CHANNELS = ("EMAIL", "IN_APP")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="notifications per channel")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every measurement; best kept")
    parser.add_argument("--db-prefix", default="bo_bench", help="the database is <prefix>_notif")
    parser.add_argument("--channels", nargs="+", choices=CHANNELS, default=list(CHANNELS), help="what to measure")
    args = parser.parse_args()

    record = Path(tempfile.mkdtemp(prefix="bench-smtp-")) / "received.jsonl"
    smtp = subprocess.Popen(  # noqa: S603 (our own SMTP server script)
        [sys.executable, str(ROOT / "accounts" / "tests" / "smtp_server.py"), str(record)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert smtp.stdout is not None
        port = int(smtp.stdout.readline())
        server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        database_url = with_database(server_url, f"{args.db_prefix}_notif")
        create_database_if_missing(database_url)
        os.environ.update(
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="config.settings.base",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
            EMAIL_USE_TLS="false",
            SYSTEM_LOG_TO_DATABASE="false",
        )
        sys.path.insert(0, str(ROOT))
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)  # noqa: S603

        import django

        django.setup()
        return _measure(args.count, args.rounds, record, args.channels)
    finally:
        smtp.terminate()
        smtp.wait()


def _measure(count: int, rounds: int, record: Path, channels: list[str]) -> int:
    from django.db import connections

    user_ids = _recipients()
    best: dict[tuple[str, str], float] = {}
    for round_number in range(rounds):
        print(f"round {round_number + 1} of {rounds}", file=sys.stderr)
        for channel in channels:
            ids = _queued(channel, user_ids, count)
            sides = ["bare", *(f"ours x{workers}" for workers in WORKER_COUNTS)]
            if round_number % 2:
                sides.reverse()
            for side in sides:
                _reset(ids)
                record.write_text("", encoding="utf-8")
                connections.close_all()
                seconds = _bare(channel, ids) if side == "bare" else _ours(int(side.rpartition("x")[2]))
                delivered = _delivered(channel, side, ids, record)
                if delivered != count:
                    raise SystemExit(f"{channel} {side}: {delivered} of {count} delivered")
                rate = count / seconds
                best[channel, side] = max(best.get((channel, side), 0.0), rate)
                print(f"  {channel} {side}: {rate:,.0f} msgs/s", file=sys.stderr)
    _report(best, count, channels)
    return 0


def _recipients() -> list[int]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    User.objects.filter(email__startswith="bench.recipient.").delete()
    unusable = make_password(None)  # recipients who never sign in
    users = User.objects.bulk_create(
        User(email=f"bench.recipient.{number}@example.com", full_name=f"Recipient {number}", password=unusable)
        for number in range(RECIPIENTS)
    )
    return [user.pk for user in users]


def _queued(channel: str, user_ids: list[int], count: int) -> list[int]:
    """``count`` notifications on ``channel`` round the recipients; no other notification is left, so the
    delivering workers find only these (a bare e-mail run leaves its rows PENDING)."""
    from accounts.models import Notification

    Notification.objects.all().delete()
    rows = Notification.objects.bulk_create(
        (
            Notification(
                user_id=user_ids[number % len(user_ids)],
                channel=channel,
                title=f"Your session #{number} is confirmed",
                body="See you on Tuesday at 10:00. Reply to this message to change the time.",
            )
            for number in range(count)
        ),
        batch_size=2_000,
    )
    return [row.pk for row in rows]


def _reset(ids: list[int]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_notification SET status = 'PENDING', sent_at = NULL, attempts = 0, "
            "next_attempt_at = NULL, provider_reference = '', error = '' WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute("ANALYZE accounts_notification")


def _bare(channel: str, ids: list[int]) -> float:
    """Seconds the bare provider calls take: the messages over one SMTP connection, or the one UPDATE."""
    from django.core.mail import EmailMessage, get_connection
    from django.db import connection

    from accounts.delivery.base import OutgoingMessage
    from accounts.delivery.email import message_id
    from accounts.models import Notification

    if channel == "IN_APP":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_notification SET status = 'SENT', sent_at = now() WHERE id = ANY(%s)", [ids]
            )
        return time.perf_counter() - started
    rows = list(
        Notification.objects.filter(id__in=ids).values_list("id", "idempotency_key", "user__email", "title", "body")
    )
    started = time.perf_counter()
    mail = get_connection()
    mail.open()
    for pk, key, email, title, body in rows:
        message = OutgoingMessage(pk, key, "EMAIL", 0, email, "", title, body)
        headers = {"Message-ID": message_id(message)}
        mail.send_messages([EmailMessage(subject=title, body=body, to=[email], headers=headers)])
    mail.close()
    return time.perf_counter() - started


def _ours(workers: int) -> float:
    """Seconds ``workers`` delivering processes take to deliver every due notification."""
    context = multiprocessing.get_context("fork")
    barrier, done = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_worker, args=(barrier, done)) for _ in range(workers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for _ in processes:
        done.get()
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    return seconds


def _worker(barrier, done) -> None:
    from django.db import connections

    connections.close_all()  # a connection of its own, not the parent's
    from accounts.services.delivery import notifications_deliver
    from operations.system_settings import system_setting

    system_setting("notifications.EMAIL.enabled")  # warm this process's settings cache, as a worker's is
    barrier.wait()
    notifications_deliver(run_seconds=3600)
    connections.close_all()
    done.put(True)


def _delivered(channel: str, side: str, ids: list[int], record: Path) -> int:
    """How many messages arrived: e-mails the server received (and, for ours, rows marked SENT too)."""
    from accounts.models import Notification, NotificationStatus

    received = len(record.read_text(encoding="utf-8").splitlines())
    if side == "bare" and channel == "EMAIL":
        return received
    sent = Notification.objects.filter(id__in=ids, status=NotificationStatus.SENT).count()
    return min(sent, received) if channel == "EMAIL" else sent


def _report(best: dict[tuple[str, str], float], count: int, channels: list[str]) -> None:
    print(f"\n{count:,} notifications per channel, delivered to the local SMTP server (EMAIL) or the inbox (IN_APP)")
    columns = "".join(f"{f'ours x{workers}/s':>13}" for workers in WORKER_COUNTS)
    growth = "".join(f"{f'x{workers}/x1':>8}" for workers in WORKER_COUNTS[1:])
    print(f"{'channel':<9}{'bare/s':>10}{columns}{'bare/ours x1':>14}{growth}")
    for channel in channels:
        bare = best[channel, "bare"]
        ours = [best[channel, f"ours x{workers}"] for workers in WORKER_COUNTS]
        rates = "".join(f"{rate:>13,.0f}" for rate in ours)
        ratios = "".join(f"{rate / ours[0]:>7.2f}x" for rate in ours[1:])
        print(f"{channel:<9}{bare:>10,.0f}{rates}{bare / ours[0]:>13.2f}x{ratios}")
    print(
        "bare: EMAIL, the same messages over one SMTP connection in a plain loop (no database); IN_APP, one UPDATE "
        "marking all of them SENT. ours: claim with a lease (SKIP LOCKED), send, write each outcome under the "
        "lease; xN: N delivering processes sharing the rows."
    )


if __name__ == "__main__":
    sys.exit(main())
