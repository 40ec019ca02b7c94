"""Delivery by real workers: two at once, the same task twice, a Celery worker on Redis, and a worker killed
with SIGKILL in the middle of a send. Each message reaches the gateway's recipient once."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Notification, NotificationChannel, NotificationStatus
from accounts.notification_selectors import inbox_unread_count
from accounts.services import notifications_create
from accounts.services.delivery import DeliveryCounts, notifications_deliver
from accounts.tasks import notifications_deliver_kick_task, notifications_deliver_task
from accounts.tests.factories import NotificationFactory, UserFactory
from operations.models import JobRun

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def eventually(check: Callable[[], Any], *, seconds: float = 30, what: str = "the condition") -> Any:
    """The first true value ``check`` returns within ``seconds``; fails the test otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {seconds} s for {what}")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Runs ``calls`` in threads of their own, released together; returns what each returned."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_workers_delivering_at_once_send_each_message_once(gateway, settings):
    # given 30 SMS, batches of 5, and a gateway taking a moment over each
    settings.NOTIFICATION_BATCH_SIZE = 5
    NotificationFactory.create_batch(30, channel=NotificationChannel.SMS)
    gateway.script(*[{"delay": 0.02}] * 30)

    # when two workers deliver at the same time
    counts = at_once(notifications_deliver, notifications_deliver)

    # then each message went to the gateway once, and both workers took part
    assert len(gateway.requests()) == 30 and len(gateway.effects()) == 30
    assert all(isinstance(result, DeliveryCounts) and result.sent > 0 for result in counts)
    assert sum(result.sent for result in counts) == 30
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


def test_the_same_delivery_task_run_twice_sends_once(gateway):
    # given an SMS, and a gateway slow to answer it
    notification = NotificationFactory(channel=NotificationChannel.SMS)
    gateway.script({"delay": 0.5})

    # when its delivery task is handled twice at once (a redelivery while the first still runs), then again
    task = notifications_deliver_kick_task
    at_once(lambda: task.apply(args=[[notification.pk]]), lambda: task.apply(args=[[notification.pk]]))
    task.apply(args=[[notification.pk]])

    # then the gateway was asked once, and the row is sent after one attempt
    notification.refresh_from_db()
    assert [request["key"] for request in gateway.requests()] == [str(notification.idempotency_key)]
    assert notification.status == NotificationStatus.SENT and notification.attempts == 1


def test_a_celery_worker_delivers_queued_notifications_and_runs_the_periodic_job(celery_worker, gateway):
    # given a person, and a real worker consuming from Redis
    user = UserFactory()

    # when a notice is queued for them in the app and by SMS (the commit sends the delivery task)
    notifications_create(
        users=[user],
        title="Your report is ready",
        body="",
        channels=(NotificationChannel.IN_APP, NotificationChannel.SMS),
    )

    # then the worker delivers both: the inbox counts it, the gateway sent the SMS
    eventually(
        lambda: not Notification.objects.exclude(status=NotificationStatus.SENT).exists(),
        what="the worker to deliver both",
    )
    assert inbox_unread_count(user=user) == 1
    sms = Notification.objects.get(channel=NotificationChannel.SMS)
    assert list(gateway.effects()) == [str(sms.idempotency_key)]

    # when a notification waits for the periodic job, and the job is sent to the worker
    later = NotificationFactory(channel=NotificationChannel.PUSH, user=user)
    notifications_deliver_task.delay()

    # then the job delivers it and its run records what it did
    eventually(lambda: Notification.objects.get(pk=later.pk).status == NotificationStatus.SENT, what="the job")
    run = eventually(lambda: JobRun.objects.filter(job="notifications-deliver", result__sent=1).first(), what="the run")
    assert run.result == {"sent": 1, "retried": 0, "failed": 0, "held": 0}


def _worker_environment(gateway, *, lease_seconds: int) -> dict[str, str]:
    """The environment of a worker process on this test's database and broker, sending SMS to ``gateway``."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SMS_PROVIDER": "http",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TOKEN": gateway.token,
        "NOTIFICATION_GATEWAY_TIMEOUT_SECONDS": "2",
        "NOTIFICATION_LEASE_SECONDS": str(lease_seconds),
    }


def _start_worker(environment: dict[str, str], queue: str) -> subprocess.Popen:
    """A ``celery worker`` process (one process: the solo pool) consuming ``queue``."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=environment,
    )


def _send_kick(queue: str, notification_id: int) -> None:
    """The delivery task for ``notification_id``, through the broker to the workers of ``queue``."""
    from celery.exceptions import AlwaysEagerIgnored

    from config.celery import app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlwaysEagerIgnored)  # the test settings' eager mode is for .delay()
        app.send_task("accounts.tasks.notifications_deliver_kick_task", args=[[notification_id]], queue=queue)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_a_worker_killed_mid_delivery_leaves_the_row_to_retry_and_it_is_sent_exactly_once(
    gateway, celery_worker_broker, tmp_path
):
    # given an SMS, a gateway that takes it at once but answers only after 20 s, and a worker process
    # holding its rows on an 8 s lease
    notification = NotificationFactory(channel=NotificationChannel.SMS)
    key = str(notification.idempotency_key)
    gateway.script({"delay": 20})
    environment = _worker_environment(gateway, lease_seconds=8)
    queue = f"notifications-kill-{uuid.uuid4().hex[:8]}"
    first = _start_worker(environment, queue)
    second = None
    try:
        # when the worker is sending it and is killed with SIGKILL
        _send_kick(queue, notification.pk)
        eventually(lambda: gateway.requests(), what="the gateway to receive the message")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        # then the row is neither sent nor lost: pending, held by the dead worker's lease
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.PENDING and notification.attempts == 1
        assert notification.lease_token is not None and notification.lease_expires_at is not None

        # when the lease has run out and another worker delivers
        time.sleep(max(0.0, (notification.lease_expires_at - timezone.now()).total_seconds()) + 1)
        second = _start_worker(environment, queue)
        _send_kick(queue, notification.pk)

        # then the row is sent, and the gateway sent the message once: the retry carried the same key
        eventually(
            lambda: Notification.objects.get(pk=notification.pk).status == NotificationStatus.SENT,
            what="the second worker to send it",
        )
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
    notification.refresh_from_db()
    assert [request["key"] for request in gateway.requests()] == [key, key]
    assert gateway.effects() == {key: notification.provider_reference}
    assert notification.attempts == 2 and notification.lease_token is None


@pytest.fixture
def celery_worker_broker(redis_url):
    """The broker the worker processes consume from (the test settings' own)."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Celery broker: set CELERY_BROKER_URL=redis://...")
    return settings.CELERY_BROKER_URL
