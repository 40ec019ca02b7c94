"""Creating notifications: one row per person and channel, queued for delivery.

Sending, retries and ``sent_at`` are ``accounts.services.delivery``'s concern; this records what is to be
sent, leaving out the channels each person turned off, and has it delivered once the transaction commits.
"""

from collections.abc import Iterable

from accounts.models import Notification, NotificationChannel, NotificationPreference, User
from accounts.services.delivery import delivery_kick


def notifications_create(
    *,
    users: Iterable[User | None],
    title: str,
    body: str,
    channels: Iterable[str] = (NotificationChannel.IN_APP,),
) -> int:
    """Queues one PENDING notification per distinct user and channel; returns how many were queued.

    ``None`` among ``users`` is skipped (e.g. a role granted by nobody), a user named twice is notified
    once, and a channel a user turned off (``NotificationPreference``) gets nothing for that user: the
    in-app inbox, which cannot be turned off, still has it if it was named. Once the caller's transaction
    commits, a task delivers the new rows (the periodic job would otherwise, within its interval).
    """
    channels = tuple(dict.fromkeys(channels))
    recipients = {user.pk: user for user in users if user is not None}
    # In-app notifications cannot be turned off: no question to ask when they are all that is sent.
    optional = [channel for channel in channels if channel != NotificationChannel.IN_APP]
    turned_off = set(
        NotificationPreference.objects.filter(user_id__in=recipients, channel__in=optional, enabled=False).values_list(
            "user_id", "channel"
        )
        if optional and recipients
        else ()
    )
    rows = Notification.objects.bulk_create(
        Notification(user=user, title=title, body=body, channel=channel)
        for user_id, user in recipients.items()
        for channel in channels
        if (user_id, channel) not in turned_off
    )
    delivery_kick([row.pk for row in rows if row.pk is not None])
    return len(rows)
