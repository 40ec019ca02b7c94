"""E-mail notifications through a real SMTP server process: sent once, refused for good, or retried."""

import socket
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import NotificationChannel, NotificationStatus
from accounts.services.delivery import notifications_deliver
from accounts.tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _email(**fields):
    return NotificationFactory(channel=NotificationChannel.EMAIL, **fields)


def test_an_email_reaches_the_server_once_under_a_message_id_made_from_its_key(smtp_server):
    # given a pending e-mail notification
    notification = _email(title="Your session is confirmed")

    # when delivery runs, twice
    first = notifications_deliver()
    second = notifications_deliver()

    # then the server received it once, under the Message-ID its idempotency key gives
    notification.refresh_from_db()
    [received] = smtp_server.received()
    assert received["to"] == [notification.user.email]
    assert received["subject"] == "Your session is confirmed"
    assert received["message_id"] == f"<notification-{notification.idempotency_key}@localhost>"
    # and the row says so
    assert (first.sent, second.sent) == (1, 0)
    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at is not None and notification.attempts == 1
    assert notification.provider_reference == received["message_id"]
    assert notification.lease_token is None and notification.error == ""


def test_an_address_the_server_refuses_ends_failed_with_the_servers_answer(smtp_server):
    # given a notification to a mailbox the server does not have, between two it has
    ok_before, refused, ok_after = (
        _email(),
        _email(user=UserFactory(email="refused-ann@example.com")),
        _email(),
    )

    # when delivery runs
    counts = notifications_deliver()

    # then the refused one failed for good, saying why, and the batch went on
    refused.refresh_from_db()
    assert refused.status == NotificationStatus.FAILED
    assert "refused-ann@example.com" in refused.error and "550" in refused.error
    assert "No such mailbox" in refused.error
    assert sorted(message["to"][0] for message in smtp_server.received()) == sorted(
        [ok_before.user.email, ok_after.user.email]
    )
    assert (counts.sent, counts.failed, counts.retried) == (2, 1, 0)


def test_a_mailbox_busy_for_now_is_retried_after_a_pause(smtp_server):
    # given a notification to a mailbox that is busy for the moment
    notification = _email(user=UserFactory(email="busy-bob@example.com"))

    # when delivery runs
    before = timezone.now()
    counts = notifications_deliver()

    # then it waits for another attempt, with the server's answer
    notification.refresh_from_db()
    assert counts.retried == 1
    assert notification.status == NotificationStatus.PENDING
    assert "451" in notification.error and "try again later" in notification.error
    assert notification.attempts == 1 and notification.next_attempt_at > before
    assert notification.lease_token is None
    # and the next run, before the pause is over, leaves it alone
    assert notifications_deliver().retried == 0
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_mail_server_that_is_down_leaves_the_email_to_retry(smtp_server, settings):
    # given the mail server's port with nobody listening on it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    notification = _email()

    # when delivery runs
    counts = notifications_deliver()

    # then the notification waits for a retry, with the reason
    notification.refresh_from_db()
    assert counts.retried == 1
    assert notification.status == NotificationStatus.PENDING
    assert notification.error.startswith("Sending the e-mail failed")
    assert smtp_server.received() == []


def test_a_mail_server_slow_to_answer_cannot_hold_a_send_past_its_budget_and_lease(smtp_server, settings):
    # given a 2 s budget per e-mail on an 8 s lease, and a mail server taking 4 s over its answer to the
    # recipient the first time, a line every quarter second (so no single read waits long)
    settings.EMAIL_TIMEOUT = 2
    settings.NOTIFICATION_LEASE_SECONDS = 8
    notification = _email(user=UserFactory(email=f"slow-{uuid.uuid4().hex[:8]}@example.com"))

    # when delivery runs
    started = time.monotonic()
    counts = notifications_deliver()
    took = time.monotonic() - started

    # then the send was abandoned at its budget, long before the lease ran out, and waits for a retry
    notification.refresh_from_db()
    assert counts.retried == 1
    assert took < 3
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 1
    assert notification.error == "The mail server did not take the message within 2 seconds."
    assert notification.lease_token is None
    assert smtp_server.received() == []

    # when the retry comes (the server answers at once now)
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=True):
        retry = notifications_deliver()

    # then it is sent, and the server received it once in all
    notification.refresh_from_db()
    assert retry.sent == 1 and notification.status == NotificationStatus.SENT
    assert [message["to"] for message in smtp_server.received()] == [[notification.user.email]]
