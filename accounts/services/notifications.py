"""Creating notifications: one row per person and channel, queued for delivery.

Delivery (sending, retries, ``sent_at``) is the notification job's concern; this only records what is
to be sent.
"""

from collections.abc import Iterable

from accounts.models import Notification, NotificationChannel, User


def notifications_create(
    *,
    users: Iterable[User | None],
    title: str,
    body: str,
    channels: Iterable[str] = (NotificationChannel.IN_APP,),
) -> int:
    """Queues one PENDING notification per distinct user and channel; returns how many were queued.

    ``None`` among ``users`` is skipped (e.g. a role granted by nobody) and a user named twice is
    notified once.
    """
    channels = tuple(channels)
    rows = [
        Notification(user=user, title=title, body=body, channel=channel)
        for user in {user.pk: user for user in users if user is not None}.values()
        for channel in channels
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
