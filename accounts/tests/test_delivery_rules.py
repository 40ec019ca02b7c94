"""Who gets what: suspended, closed and deleted accounts, people's channel preferences, channels switched off
by staff, the in-app inbox, a provider that breaks, and staff retrying a failed notification."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.delivery.base import OutgoingMessage, Provider
from accounts.models import (
    Notification,
    NotificationChannel,
    NotificationPreference,
    NotificationStatus,
    UserStatus,
)
from accounts.notification_selectors import inbox_unread_count
from accounts.services import notifications_create
from accounts.services.delivery import notifications_deliver
from accounts.tests.factories import NotificationFactory, UserFactory
from core.testing import admin_url
from operations.services import system_settings_update

pytestmark = pytest.mark.django_db


class BrokenProvider(Provider):
    """A provider with a bug: whatever it is asked to send, it raises something no provider should."""

    def send(self, message: OutgoingMessage) -> str:
        raise KeyError("recipient")


@pytest.mark.parametrize("channel", [NotificationChannel.SMS, NotificationChannel.IN_APP])
def test_nothing_is_sent_to_a_suspended_account(gateway, channel):
    # given a notification for a suspended user
    notification = NotificationFactory(channel=channel, user=UserFactory(status=UserStatus.SUSPENDED))

    # when delivery runs
    counts = notifications_deliver()

    # then it failed, saying why, and nothing went out
    notification.refresh_from_db()
    assert counts.failed == 1
    assert notification.status == NotificationStatus.FAILED
    assert notification.error == "Not sent: the recipient's account is suspended."
    assert gateway.requests() == []


def test_nothing_is_sent_to_a_closed_account(gateway):
    notification = NotificationFactory(channel=NotificationChannel.PUSH, user=UserFactory(is_active=False))

    notifications_deliver()

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.error == "Not sent: the recipient's account is closed."
    assert gateway.requests() == []


def test_a_deleted_account_takes_its_notifications_with_it_and_delivery_carries_on(gateway):
    # given notifications for someone since deleted, and for someone else
    gone = UserFactory()
    NotificationFactory.create_batch(2, channel=NotificationChannel.SMS, user=gone)
    kept = NotificationFactory(channel=NotificationChannel.SMS)
    gone.delete()

    # when delivery runs
    counts = notifications_deliver()

    # then only the other person's went out
    assert counts.sent == 1
    assert [request["key"] for request in gateway.requests()] == [str(kept.idempotency_key)]


def test_a_channel_a_person_turned_off_is_not_queued_for_them(gateway):
    # given Ann, who turned SMS off, and Bob, who did not
    ann, bob = UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=ann, channel=NotificationChannel.SMS, enabled=False)

    # when a notice is queued for both, in the app and by SMS
    queued = notifications_create(
        users=[ann, bob],
        title="Your invoice",
        body="",
        channels=(NotificationChannel.IN_APP, NotificationChannel.SMS),
    )

    # then Ann gets it in the app only, Bob both ways
    assert queued == 3
    assert sorted(Notification.objects.values_list("user_id", "channel")) == sorted(
        [(ann.pk, "IN_APP"), (bob.pk, "IN_APP"), (bob.pk, "SMS")]
    )


def test_a_channel_turned_off_after_queuing_is_not_sent_on(gateway):
    # given an SMS queued, then its recipient turning SMS off
    notification = NotificationFactory(channel=NotificationChannel.SMS)
    NotificationPreference.objects.create(user=notification.user, channel=NotificationChannel.SMS, enabled=False)

    # when delivery runs
    notifications_deliver()

    # then it failed, saying why, and the gateway was not asked
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.error == "Not sent: the recipient turned off SMS notifications."
    assert gateway.requests() == []


def _switch(channel: str, on: bool, by, on_commit) -> None:
    """Staff switching ``channel`` on or off on the system settings page (the change applies once committed)."""
    with on_commit(execute=True):
        system_settings_update(changes={f"notifications.{channel}.enabled": on}, by=by)


def test_a_channel_switched_off_by_staff_holds_its_notifications_until_it_is_on_again(
    gateway, superuser, django_capture_on_commit_callbacks
):
    # given SMS switched off on the system settings page, and an SMS and an in-app notification
    _switch("SMS", False, superuser, django_capture_on_commit_callbacks)
    sms = NotificationFactory(channel=NotificationChannel.SMS)
    in_app = NotificationFactory(channel=NotificationChannel.IN_APP)

    # when delivery runs
    held = notifications_deliver()

    # then the SMS waits, untried, and the rest goes on
    sms.refresh_from_db()
    in_app.refresh_from_db()
    assert (held.held, held.sent) == (1, 1)
    assert sms.status == NotificationStatus.PENDING and sms.attempts == 0
    assert in_app.status == NotificationStatus.SENT
    assert gateway.requests() == []

    # when SMS is switched on again and delivery runs
    _switch("SMS", True, superuser, django_capture_on_commit_callbacks)
    released = notifications_deliver()

    # then the SMS goes out, once
    sms.refresh_from_db()
    assert (released.sent, released.held) == (1, 0)
    assert sms.status == NotificationStatus.SENT
    assert len(gateway.requests()) == 1


def test_an_in_app_notification_is_delivered_to_the_inbox_and_counted_unread():
    # given a person whose unread count was taken (and cached) before a notification arrived
    user = UserFactory()
    assert inbox_unread_count(user=user) == 0
    notification = NotificationFactory(channel=NotificationChannel.IN_APP, user=user)
    assert inbox_unread_count(user=user) == 0  # pending: not in the inbox yet

    # when delivery runs
    counts = notifications_deliver()

    # then it is in the inbox, and the count says so at once
    notification.refresh_from_db()
    assert counts.sent == 1
    assert notification.status == NotificationStatus.SENT and notification.sent_at is not None
    assert notification.read_at is None
    assert inbox_unread_count(user=user) == 1


def test_queued_notifications_are_delivered_as_soon_as_the_transaction_commits(django_capture_on_commit_callbacks):
    # given a person
    user = UserFactory()

    # when a notice is queued for them and the transaction commits (tasks run in-process here)
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(users=[user], title="Welcome", body="")

    # then it is in their inbox without waiting for the periodic job
    assert Notification.objects.get(user=user).status == NotificationStatus.SENT
    assert inbox_unread_count(user=user) == 1


def test_a_provider_that_breaks_costs_its_rows_a_retry_not_the_run(settings, gateway):
    # given an SMS provider with a bug, and an SMS and a push notification
    settings.NOTIFICATION_PROVIDERS = {
        **settings.NOTIFICATION_PROVIDERS,
        "SMS": {"CLASS": f"{__name__}.BrokenProvider", "OPTIONS": {}},
    }
    sms = NotificationFactory(channel=NotificationChannel.SMS)
    push = NotificationFactory(channel=NotificationChannel.PUSH)

    # when delivery runs
    counts = notifications_deliver()

    # then the SMS waits for a retry with what went wrong, and the push went out
    sms.refresh_from_db()
    push.refresh_from_db()
    assert (counts.retried, counts.sent) == (1, 1)
    assert sms.status == NotificationStatus.PENDING
    assert sms.error == "Unexpected error: KeyError: 'recipient'"
    assert push.status == NotificationStatus.SENT


def test_a_provider_that_cannot_be_set_up_leaves_its_rows_to_retry(settings):
    # given an SMS provider that names a class that does not exist
    settings.NOTIFICATION_PROVIDERS = {
        **settings.NOTIFICATION_PROVIDERS,
        "SMS": {"CLASS": "accounts.delivery.gateway.NoSuchProvider", "OPTIONS": {}},
    }
    sms = NotificationFactory(channel=NotificationChannel.SMS)

    # when delivery runs
    notifications_deliver()

    # then the SMS waits, saying why
    sms.refresh_from_db()
    assert sms.status == NotificationStatus.PENDING
    assert sms.error.startswith("The SMS provider cannot be set up")


def test_staff_retry_a_failed_notification_from_the_admin(admin_client, gateway, django_capture_on_commit_callbacks):
    # given an SMS that failed (the gateway rejected it) and one that was sent
    gateway.script({"status": 400, "error": "Carrier rejected the message"})
    failed = NotificationFactory(channel=NotificationChannel.SMS)
    notifications_deliver()
    sent = NotificationFactory(channel=NotificationChannel.SMS)
    notifications_deliver()
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.FAILED

    # when staff retry both from the notification list
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(Notification, "changelist"),
            {"action": "retry_delivery", ACTION_CHECKBOX_NAME: [failed.pk, sent.pk]},
            follow=True,
        )

    # then the failed one was sent again, under the same key, and the sent one left alone
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT and failed.attempts == 1
    keys = [request["key"] for request in gateway.requests()]
    assert keys.count(str(failed.idempotency_key)) == 2 and keys.count(str(sent.idempotency_key)) == 1
    page = response.content.decode()
    assert "1 notification will be delivered again." in page
    assert "1 selected notification had not failed and was left as it is." in page


def test_the_admin_shows_delivery_but_does_not_let_staff_type_it_in(admin_client):
    # given a failed notification
    notification = NotificationFactory(
        channel=NotificationChannel.EMAIL, status=NotificationStatus.FAILED, error="Mailbox full"
    )

    # when staff open it and post a status of their own
    page = admin_client.get(admin_url(Notification, "change", notification.pk)).content.decode()
    admin_client.post(
        admin_url(Notification, "change", notification.pk),
        {
            "user": notification.user_id,
            "title": notification.title,
            "body": notification.body,
            "channel": notification.channel,
            "status": NotificationStatus.SENT,
        },
    )

    # then the reason is shown, and the status stayed what delivery made it
    assert "Mailbox full" in page
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
