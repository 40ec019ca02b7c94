"""SMS, WhatsApp and push through a real HTTP gateway process, and to the log in development: what each
answer of the gateway does to the notification."""

import logging
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import NotificationChannel, NotificationStatus
from accounts.services.delivery import notifications_deliver, retry_delay
from accounts.tests.conftest import GATEWAY_TOKEN, Gateway, gateway_providers, start_server, stop_server
from accounts.tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sms(**fields):
    return NotificationFactory(channel=NotificationChannel.SMS, **fields)


def _deliver_later(seconds: float = 5):
    """A delivery run ``seconds`` from now: past the retry pause the gateway fixture sets (one second)."""
    with time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True):
        return notifications_deliver()


def test_an_sms_goes_to_the_gateway_with_its_key_token_and_number(gateway):
    # given an SMS to a number typed with spaces, brackets and dashes
    notification = _sms(user=UserFactory(phone="+1 (415) 555-0123"), title="Session tomorrow", body="At 10:00.")

    # when delivery runs
    counts = notifications_deliver()

    # then the gateway got one request carrying the idempotency key and the number in E.164
    [request] = gateway.requests()
    assert request["key"] == str(notification.idempotency_key)
    assert request["body"] == {
        "channel": "SMS",
        "to": "+14155550123",
        "title": "Session tomorrow",
        "body": "At 10:00.",
        "reference": str(notification.pk),
    }
    # and the row is sent, with the gateway's id for the message
    notification.refresh_from_db()
    assert counts.sent == 1
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_reference == gateway.effects()[str(notification.idempotency_key)]


def test_push_is_addressed_to_the_user_and_whatsapp_to_the_number(gateway):
    # given a push notification and a WhatsApp message
    push = NotificationFactory(channel=NotificationChannel.PUSH)
    whatsapp = NotificationFactory(channel=NotificationChannel.WHATSAPP, user=UserFactory(phone="0044 20 7946 0958"))

    # when delivery runs
    notifications_deliver()

    # then the gateway was told the user for push, the number for WhatsApp
    bodies = {request["body"]["channel"]: request["body"] for request in gateway.requests()}
    assert bodies["PUSH"]["user_id"] == str(push.user_id) and "to" not in bodies["PUSH"]
    assert bodies["WHATSAPP"]["to"] == "+442079460958"
    assert {push.pk, whatsapp.pk} == set(
        type(push).objects.filter(status=NotificationStatus.SENT).values_list("pk", flat=True)
    )


def test_a_gateway_failing_with_500_is_retried_with_backoff_then_marked_failed(gateway, settings):
    # given a gateway that answers 500 to everything, and three attempts allowed
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    gateway.script(*[{"status": 500, "error": "Upstream carrier down"}] * 3)
    notification = _sms()

    # when delivery runs
    before = timezone.now()
    first = notifications_deliver()

    # then the notification waits for its retry, with the gateway's answer
    notification.refresh_from_db()
    assert first.retried == 1
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 1
    assert notification.error == "The gateway answered 500: Upstream carrier down"
    assert before + timedelta(seconds=0.5) <= notification.next_attempt_at <= timezone.now() + timedelta(seconds=1)
    # and a run during the pause does not try again
    assert notifications_deliver().retried == 0

    # when the pauses pass and it fails twice more
    second = _deliver_later(5)
    third = _deliver_later(10)

    # then it is failed for good, saying why, after three requests with one key
    notification.refresh_from_db()
    assert (second.retried, third.failed) == (1, 1)
    assert notification.status == NotificationStatus.FAILED and notification.attempts == 3
    assert notification.error == "Gave up after 3 attempts. The gateway answered 500: Upstream carrier down"
    assert [request["key"] for request in gateway.requests()] == [str(notification.idempotency_key)] * 3
    assert gateway.effects() == {}


def test_the_pause_doubles_with_each_attempt_up_to_the_ceiling_half_of_it_random(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (6, 960), (8, 3600), (20, 3600)]:
        pauses = {retry_delay(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= pause <= ceiling for pause in pauses)
        assert len(pauses) > 1  # jittered: rows that failed together do not come back together


def test_at_the_defaults_retries_outlast_an_outage_of_two_hours(settings):
    # given the shipped retry settings (base 30 s, ceiling 1 h, 12 attempts): 11 pauses before giving up
    waits = range(1, settings.NOTIFICATION_MAX_ATTEMPTS)

    # when the pauses are drawn, many times over
    windows = [sum((retry_delay(attempts) for attempts in waits), timedelta()) for _ in range(200)]

    # then even the shortest retry window lasts more than two hours, and the longest under six
    assert min(windows) > timedelta(hours=2)
    assert max(windows) < timedelta(hours=6)


def test_a_gateway_that_does_not_answer_in_time_is_retried_and_the_retry_sends_nothing_twice(gateway):
    # given a gateway that takes the message but answers after three seconds (we wait one)
    gateway.script({"delay": 3})
    notification = _sms()

    # when delivery runs
    counts = notifications_deliver()

    # then the notification waits for a retry
    notification.refresh_from_db()
    assert counts.retried == 1
    assert notification.error == "The gateway did not answer within 1 seconds."

    # when the retry comes
    _deliver_later(5)

    # then the gateway recognised the key: the message was sent once, and the row has its id
    notification.refresh_from_db()
    effects = gateway.effects()
    assert len(gateway.requests()) == 2 and len(effects) == 1
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_reference == effects[str(notification.idempotency_key)]


def test_a_gateway_trickling_its_answer_is_abandoned_at_the_budget_for_the_whole_exchange(gateway):
    # given a gateway that takes the message and answers a header line every quarter second for 3 s (we
    # allow 1 s for the whole exchange)
    gateway.script({"trickle": 3})
    notification = _sms()

    # when delivery runs
    started = time.monotonic()
    counts = notifications_deliver()

    # then the exchange was abandoned at its budget, to be retried
    notification.refresh_from_db()
    assert time.monotonic() - started < 2
    assert counts.retried == 1
    assert notification.error == "The gateway did not answer within 1 seconds."

    # and the retry is answered with the message's id, the message sent once
    _deliver_later(5)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert list(gateway.effects()) == [str(notification.idempotency_key)]


@pytest.fixture
def elsewhere():
    """A second gateway process: where a redirect points."""
    process, port = start_server("gateway_server.py", GATEWAY_TOKEN)
    yield Gateway(port)
    stop_server(process)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_fails_the_message_naming_the_setting(gateway, elsewhere, status):
    # given a gateway answering with a redirect to another server
    gateway.script({"status": status, "location": elsewhere.url})
    notification = _sms()

    # when delivery runs
    counts = notifications_deliver()

    # then the other server received nothing (no token, no key, no message), and the row failed, saying why
    notification.refresh_from_db()
    assert elsewhere.requests() == []
    assert counts.failed == 1 and counts.sent == 0
    assert notification.status == NotificationStatus.FAILED and notification.provider_reference == ""
    assert notification.error == (
        f"The gateway answered {status} (a redirect to {elsewhere.url}); check SMS_GATEWAY_URL."
    )


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param({"garbage": True}, "The gateway answered 200 without a message id: <html>", id="garbage"),
        pytest.param({"status": 429, "error": "Slow down"}, "The gateway answered 429: Slow down", id="rate-limited"),
        pytest.param({"status": 503, "error": "Maintenance"}, "The gateway answered 503: Maintenance", id="down"),
    ],
)
def test_an_answer_worth_another_try_leaves_the_notification_to_retry(gateway, answer, error):
    # given a gateway giving this answer once
    gateway.script(answer)
    notification = _sms()

    # when delivery runs
    notifications_deliver()

    # then the notification waits for a retry, with the answer
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.error.startswith(error)
    # and the retry sends it
    _deliver_later(5)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT


def test_a_message_the_gateway_rejects_ends_failed_with_the_gateways_message(gateway):
    # given a gateway that rejects the message as such
    gateway.script({"status": 400, "error": "Destination not reachable by SMS"})
    notification = _sms()

    # when delivery runs
    counts = notifications_deliver()

    # then it failed at once, saying why
    notification.refresh_from_db()
    assert counts.failed == 1
    assert notification.status == NotificationStatus.FAILED and notification.attempts == 1
    assert notification.error == "The gateway answered 400: Destination not reachable by SMS"


def test_a_token_the_gateway_refuses_is_retried_so_fixing_it_sends_the_message(gateway, settings):
    # given the wrong token in the settings
    settings.NOTIFICATION_PROVIDERS = gateway_providers(gateway, token="rotated-away")
    notification = _sms()

    # when delivery runs
    notifications_deliver()

    # then the notification waits, saying why
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.error == "The gateway answered 401: Unknown token"

    # when staff put the right token in, and the retry comes
    settings.NOTIFICATION_PROVIDERS = gateway_providers(gateway)
    _deliver_later(5)

    # then it is sent
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        pytest.param("0301234567", "is not an international number", id="national"),
        pytest.param("call me maybe", "is not an international number", id="words"),
        pytest.param("+1 555", "is not an international number", id="too-short"),
        pytest.param("", "The recipient has no phone number.", id="none"),
    ],
)
def test_a_phone_number_that_is_not_one_fails_without_asking_the_gateway(gateway, phone, error):
    # given an SMS to a number the gateway cannot take
    notification = _sms(user=UserFactory(phone=phone))

    # when delivery runs
    counts = notifications_deliver()

    # then it failed for good, saying why, and the gateway was not bothered
    notification.refresh_from_db()
    assert counts.failed == 1
    assert notification.status == NotificationStatus.FAILED
    assert error in notification.error
    assert gateway.requests() == []


def test_a_gateway_nobody_answers_at_leaves_the_message_to_retry(gateway, settings):
    # given a gateway address where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gateway_port = probe.getsockname()[1]
    providers = gateway_providers(gateway)
    providers["SMS"] = {**providers["SMS"], "OPTIONS": {**providers["SMS"]["OPTIONS"]}}
    providers["SMS"]["OPTIONS"]["url"] = f"http://127.0.0.1:{gateway_port}/messages"
    settings.NOTIFICATION_PROVIDERS = providers
    notification = _sms()

    # when delivery runs
    notifications_deliver()

    # then it waits for a retry, saying why
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.error.startswith("Could not reach the gateway")


def test_in_development_the_console_provider_writes_the_message_to_the_log(caplog):
    # given the development default for SMS, and an SMS
    notification = _sms(user=UserFactory(phone="+33 1 23 45 67 89"), title="Welcome")

    # when delivery runs
    with caplog.at_level(logging.INFO, logger="accounts.delivery.gateway"):
        notifications_deliver()

    # then the message is in the log, and counts as sent
    notification.refresh_from_db()
    assert f"SMS notification #{notification.pk} to +33123456789: Welcome" in caplog.text
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_reference == f"console:{notification.idempotency_key}"


def test_rows_the_lease_leaves_no_time_to_send_are_given_back_for_the_next_run(gateway, settings):
    # given two SMS claimed together on an 8 s lease, 2 s allowed per send (so a send is started only with
    # more than 7 s of lease left), and a gateway taking 1.5 s over the first
    settings.NOTIFICATION_LEASE_SECONDS = 8
    settings.NOTIFICATION_PROVIDERS = gateway_providers(gateway, timeout=2)
    first, second = _sms(), _sms()
    gateway.script({"delay": 1.5})

    # when delivery runs
    counts = notifications_deliver()

    # then the first was sent, and the second given back unsent, due at once, its attempt not counted
    first.refresh_from_db()
    second.refresh_from_db()
    assert counts.sent == 1
    assert first.status == NotificationStatus.SENT
    assert second.status == NotificationStatus.PENDING and second.attempts == 0
    assert second.lease_token is None and second.next_attempt_at is None
    assert [request["key"] for request in gateway.requests()] == [str(first.idempotency_key)]
    # and the next run sends it
    assert notifications_deliver().sent == 1
