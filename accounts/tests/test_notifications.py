"""Queuing notifications: one pending row per person and channel, whoever is named how often."""

import pytest

from accounts.models import Notification, NotificationChannel, NotificationStatus
from accounts.services import notifications_create
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_person_gets_one_pending_notice_per_channel():
    # given Ann named twice and a role granted by nobody
    ann, bob = UserFactory(), UserFactory()
    # when a notice is queued for them on two channels
    queued = notifications_create(
        users=[ann, None, bob, ann],
        title="Role ADMIN expires soon",
        body="Ask an administrator to extend it.",
        channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
    )
    # then each of them has it once on each channel, waiting for delivery
    rows = Notification.objects.values_list("user_id", "channel", "status")
    assert queued == 4
    assert sorted(rows) == sorted(
        (user.pk, channel, NotificationStatus.PENDING)
        for user in (ann, bob)
        for channel in (NotificationChannel.IN_APP, NotificationChannel.EMAIL)
    )


def test_without_channels_named_the_notice_is_in_app():
    # given Ann, when a notice is queued for her without naming a channel
    notifications_create(users=[UserFactory()], title="Hello", body="")
    # then it waits in her in-app inbox
    assert list(Notification.objects.values_list("channel", flat=True)) == [NotificationChannel.IN_APP]
