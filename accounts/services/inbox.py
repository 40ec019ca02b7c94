"""The in-app inbox: a person marking their own notifications read, and telling the unread count it changed.

Reads are in ``accounts.notification_selectors``. Each write here is one ``UPDATE`` of the person's own
rows (the database's audit capture records it like any other write) and replaces their unread count's
cache generation once the transaction commits.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User
from accounts.notification_selectors import inbox_for, unread_generation_key
from core.generation_cache import generations_renew


def inbox_changed(user_ids: Iterable[int]) -> None:
    """Invalidates the cached unread count of each of ``user_ids``: at once, and again once the current
    transaction commits.

    Call it after anything that changes who has what in their inbox: delivering IN_APP notifications
    (PENDING -> SENT), marking some read, deleting some. At once, so that the writing transaction's own
    later reads see the change; after the commit, so that a count another request took in between (from
    the rows as they were before the commit) is not kept. A count cached before the change is never used
    again, even one a concurrent request stores after this runs (``accounts.notification_selectors``).
    """
    ids = {int(user_id) for user_id in user_ids}
    if not ids:
        return
    _generations_renew(ids)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _generations_renew(ids))


def _generations_renew(user_ids: set[int]) -> None:
    generations_renew(unread_generation_key(user_id) for user_id in user_ids)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Marks notification ``notification_id`` of ``user``'s inbox read, now; returns it.

    Idempotent: a notification already read keeps the moment it was first read. Raises
    ``Notification.DoesNotExist`` for an id that is not in ``user``'s inbox (someone else's, another
    channel, not delivered yet, or no such row), so nobody learns whether another person's id exists.
    """
    now = timezone.now()
    marked = inbox_for(user=user).filter(pk=notification_id, read_at__isnull=True).update(read_at=now, updated_at=now)
    if marked:
        inbox_changed([user.pk])
    return inbox_for(user=user).get(pk=notification_id)


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Marks every unread notification of ``user``'s inbox read, now; returns how many were unread."""
    now = timezone.now()
    marked = inbox_for(user=user).filter(read_at__isnull=True).update(read_at=now, updated_at=now)
    if marked:
        inbox_changed([user.pk])
    return marked
