"""Delivering notifications: each PENDING row ends SENT or FAILED, sent once however many workers run
(decision 0024).

A delivery run takes due rows a batch at a time per channel, round-robin, so a flood on one channel does
not hold up the others:

1. **Claim** (one short transaction): ``SELECT ... FOR UPDATE SKIP LOCKED`` the channel's due rows, oldest
   due first, and give them this batch's lease: ``lease_token``, ``lease_expires_at``, one more
   ``attempts``. ``next_attempt_at`` moves to the lease's end, so a row whose worker dies is due again,
   and taken by the next run, once the lease runs out. Rows another worker is claiming are skipped,
   not waited for.
2. **Send** each row outside any transaction through the channel's provider
   (``accounts.delivery``), which receives the row's idempotency key: the same on every attempt. A send is
   started only if the lease outlasts the provider's budget for a whole send, which the provider keeps.
3. **Finish** each row at once with ``UPDATE ... WHERE id = %s AND lease_token = <this batch's>``: a
   worker whose lease ran out (and whose rows another worker may have taken) changes nothing.
   Sent: SENT with ``sent_at`` and the provider's reference. A passing failure: PENDING again, due after
   an exponential backoff with jitter, with the reason, until ``notifications.max_attempts``; then, or
   for a permanent failure, FAILED with the reason.

In-app notifications need no provider: delivering them is showing them in the inbox, a bulk update.
Rows of suspended or closed accounts, and of channels the person turned off, end FAILED with the reason
and are not sent. Channels switched off in the system settings are held: their rows wait, PENDING.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.delivery.base import (
    OutgoingMessage,
    PermanentDeliveryError,
    Provider,
    TransientDeliveryError,
    provider_for,
)
from accounts.models import (
    Notification,
    NotificationChannel,
    NotificationPreference,
    NotificationStatus,
    UserStatus,
)
from accounts.services.inbox import inbox_changed
from operations.system_settings import system_setting

logger = logging.getLogger(__name__)

# The channels a provider sends; in-app notifications are delivered by showing them.
PROVIDER_CHANNELS = (
    NotificationChannel.EMAIL,
    NotificationChannel.SMS,
    NotificationChannel.WHATSAPP,
    NotificationChannel.PUSH,
)
# Seconds of lease kept in hand beyond a provider's own timeout before a send is started.
LEASE_MARGIN_SECONDS = 5
# In-app batches are this many times larger: delivering one is a row in an UPDATE, not a call to a provider,
# and the rows stay locked only for that one short transaction (bench/notifications_delivery.py: 2x faster).
IN_APP_BATCH_FACTOR = 10
_random = secrets.SystemRandom()


@dataclass
class DeliveryCounts:
    """What a delivery run did: rows sent, put back for a retry, failed for good, and held (PENDING on a
    channel switched off)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def notifications_deliver(*, ids: Collection[int] | None = None, run_seconds: float | None = None) -> DeliveryCounts:
    """Delivers the due PENDING notifications (only those of ``ids`` when given) on every channel that is on;
    returns the counts.

    Claims batches until nothing is due or ``run_seconds`` (``settings.NOTIFICATION_RUN_SECONDS``) have
    passed. Safe to run in any number of workers at once: each row is sent by the worker holding its
    lease. A provider's failure, whatever it raises, ends in that row's retry or failure with the reason;
    only the database failing stops a run, and then its rows are taken again when their leases run out.
    """
    counts = DeliveryCounts()
    held = [channel for channel in PROVIDER_CHANNELS if not system_setting(f"notifications.{channel}.enabled")]
    channels = [channel for channel in NotificationChannel.values if channel not in held]
    ids = list(ids) if ids is not None else None
    deadline = time.monotonic() + (settings.NOTIFICATION_RUN_SECONDS if run_seconds is None else run_seconds)
    while channels and time.monotonic() < deadline:
        # A channel that filled its batch may have more due; one that did not is done for this run.
        channels = [channel for channel in channels if _batch_deliver(channel, ids, counts)]
    if held:
        counts.held = _pending(held, ids).count()
    return counts


@transaction.atomic
def notifications_retry(*, ids: Collection[int]) -> int:
    """Puts the FAILED notifications among ``ids`` back to PENDING, due now, with a fresh count of attempts, and
    has them delivered once this commits; returns how many were put back (rows in another state are left
    alone). The idempotency key stays: a provider that did take a message after all recognises it."""
    # Locked, so a second retry of the same rows waits for this one and then finds them no longer FAILED.
    failed = Notification.objects.select_for_update().filter(id__in=ids, status=NotificationStatus.FAILED)
    put_back = list(failed.values_list("id", flat=True))
    Notification.objects.filter(id__in=put_back).update(
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=None,
        error="",
        updated_at=timezone.now(),
    )
    delivery_kick(put_back)
    return len(put_back)


def delivery_kick(ids: Collection[int]) -> None:
    """Has the notifications ``ids`` delivered soon after the current transaction commits, by a task that is
    not the periodic job (so it does not wait for the job's lock; leases keep the two apart).

    A broker that cannot take the task is logged, not raised (``robust``): the write has committed, and
    the periodic job delivers the rows anyway.
    """
    from accounts.tasks import notifications_deliver_kick_task  # the tasks module imports the services

    ids = list(ids)
    size = settings.NOTIFICATION_BATCH_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        transaction.on_commit(partial(notifications_deliver_kick_task.delay, chunk), robust=True)


def retry_delay(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th attempt failed for a passing reason: base * 2^(attempts
    - 1) seconds at most ``NOTIFICATION_RETRY_MAX_SECONDS``, the upper half of it at random ("equal
    jitter"), so rows that failed together (a gateway outage) do not all come back at the same moment."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return timedelta(seconds=ceiling / 2 + _random.uniform(0, ceiling / 2))


def _pending(channels: Collection[str], ids: list[int] | None) -> QuerySet[Notification]:
    rows = Notification.objects.filter(status=NotificationStatus.PENDING, channel__in=channels)
    return rows if ids is None else rows.filter(id__in=ids)


def _due(channel: str, ids: list[int] | None, now: datetime) -> QuerySet[Notification]:
    """The channel's rows ready to be sent, longest due first (the partial index accounts_notif_due_idx).

    ``next_attempt_at`` covers the lease too (a claim moves it to the lease's end); the lease condition
    is stated anyway, for rows whose ``next_attempt_at`` was changed by hand.
    """
    return (
        _pending([channel], ids)
        .alias(due=Coalesce("next_attempt_at", "created_at"))
        .filter(due__lte=now)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .order_by("due")
    )


def _batch_deliver(channel: str, ids: list[int] | None, counts: DeliveryCounts) -> bool:
    """Delivers one batch of ``channel``; returns whether the batch was full (more may be due)."""
    if channel == NotificationChannel.IN_APP:
        return _in_app_batch_deliver(ids, counts)
    batch = _Batch.claim(channel, ids)
    batch.deliver(counts)
    return len(batch.rows) >= settings.NOTIFICATION_BATCH_SIZE


def _unreachable(row: Mapping[str, Any]) -> str:
    """Why nothing may be sent to this row's recipient, or ''."""
    if row["user__status"] == UserStatus.SUSPENDED:
        return _("Not sent: the recipient's account is suspended.")
    if not row["user__is_active"]:
        return _("Not sent: the recipient's account is closed.")
    if row.get("turned_off"):
        return _("Not sent: the recipient turned off %(channel)s notifications.") % {
            "channel": NotificationChannel(row["channel"]).label
        }
    return ""


def _in_app_batch_deliver(ids: list[int] | None, counts: DeliveryCounts) -> bool:
    """Shows a batch of due in-app notifications in their inboxes (PENDING -> SENT), in one transaction."""
    now = timezone.now()
    size = settings.NOTIFICATION_BATCH_SIZE * IN_APP_BATCH_FACTOR
    with transaction.atomic():
        rows = list(
            _due(NotificationChannel.IN_APP, ids, now)
            .select_for_update(skip_locked=True, of=("self",))
            .values("id", "channel", "user_id", "user__status", "user__is_active")[:size]
        )
        shown, refused = [], defaultdict(list)
        for row in rows:
            if reason := _unreachable(row):
                refused[reason].append(row["id"])
            else:
                shown.append(row)
        done = {"attempts": F("attempts") + 1, "next_attempt_at": None, "updated_at": now}
        counts.sent += Notification.objects.filter(id__in=[row["id"] for row in shown]).update(
            status=NotificationStatus.SENT, sent_at=now, error="", **done
        )
        for reason, refused_ids in refused.items():
            counts.failed += Notification.objects.filter(id__in=refused_ids).update(
                status=NotificationStatus.FAILED, error=reason, **done
            )
    # After the commit: an unread count taken from here on sees the new rows.
    inbox_changed(row["user_id"] for row in shown)
    return len(rows) >= size


@dataclass
class _Batch:
    """Rows of one channel claimed under one lease, and how each ends."""

    channel: str
    token: uuid.UUID
    lease_ends: datetime
    max_attempts: int
    rows: list[dict[str, Any]]

    @classmethod
    def claim(cls, channel: str, ids: list[int] | None) -> _Batch:
        """Leases a batch of the channel's due rows to this worker (one short transaction, committed)."""
        now = timezone.now()
        token = uuid.uuid4()
        lease_ends = now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
        turned_off = NotificationPreference.objects.filter(
            user=OuterRef("user"), channel=OuterRef("channel"), enabled=False
        )
        with transaction.atomic():
            rows: list[dict[str, Any]] = [
                dict(row)
                for row in _due(channel, ids, now)
                .select_for_update(skip_locked=True, of=("self",))
                .annotate(turned_off=Exists(turned_off))
                .values(
                    "id",
                    "idempotency_key",
                    "channel",
                    "title",
                    "body",
                    "attempts",
                    "user_id",
                    "user__email",
                    "user__phone",
                    "user__status",
                    "user__is_active",
                    "turned_off",
                )[: settings.NOTIFICATION_BATCH_SIZE]
            ]
            if rows:
                Notification.objects.filter(id__in=[row["id"] for row in rows]).update(
                    lease_token=token,
                    lease_expires_at=lease_ends,
                    next_attempt_at=lease_ends,
                    attempts=F("attempts") + 1,
                )
        for row in rows:
            row["attempts"] += 1
        return cls(channel, token, lease_ends, system_setting("notifications.max_attempts"), rows)

    def deliver(self, counts: DeliveryCounts) -> None:
        """Sends each row that may be sent, finishing each as soon as its provider answers."""
        sendable = []
        for row in self.rows:
            if reason := _unreachable(row):
                self._failed(row, reason, counts)
            else:
                sendable.append(row)
        if not sendable:
            return
        try:
            provider = provider_for(self.channel)
        except Exception as error:  # a misconfigured provider: staff can fix it, so the rows wait
            logger.exception("the %s notification provider cannot be set up", self.channel)
            reason = _("The %(channel)s provider cannot be set up: %(error)s") % {
                "channel": self.channel,
                "error": error,
            }
            for row in sendable:
                self._retried_or_failed(row, reason, counts)
            return
        with provider:
            for position, row in enumerate(sendable):
                if not self._time_left_for(provider):
                    self._release(sendable[position:])
                    return
                self._send(provider, row, counts)

    def _send(self, provider: Provider, row: dict[str, Any], counts: DeliveryCounts) -> None:
        try:
            reference = provider.send(_message(row))
        except PermanentDeliveryError as error:
            self._failed(row, error.reason, counts)
        except TransientDeliveryError as error:
            self._retried_or_failed(row, error.reason, counts)
        except Exception as error:  # a provider bug must cost one row a retry, not the worker its batch
            logger.exception("sending %s notification #%s failed unexpectedly", self.channel, row["id"])
            reason = _("Unexpected error: %(error)s") % {"error": f"{type(error).__name__}: {error}"[:500]}
            self._retried_or_failed(row, reason, counts)
        else:
            if self._finish(row, status=NotificationStatus.SENT, sent_at=timezone.now(), provider_reference=reference):
                counts.sent += 1

    def _time_left_for(self, provider: Provider) -> bool:
        # A send still running when the lease ends could be repeated by the worker taking the row over. The
        # provider abandons a send at its timeout (a budget for the whole send, not per socket operation), so
        # a send started with more than that, plus a margin to write the outcome, ends within the lease.
        left = (self.lease_ends - timezone.now()).total_seconds()
        return left > provider.timeout + LEASE_MARGIN_SECONDS

    def _retried_or_failed(self, row: dict[str, Any], reason: str, counts: DeliveryCounts) -> None:
        if row["attempts"] >= self.max_attempts:
            gave_up = _("Gave up after %(attempts)s attempts. %(reason)s")
            self._failed(row, gave_up % {"attempts": row["attempts"], "reason": reason}, counts)
            return
        due = timezone.now() + retry_delay(row["attempts"])
        if self._finish(row, status=NotificationStatus.PENDING, next_attempt_at=due, error=reason):
            counts.retried += 1

    def _failed(self, row: dict[str, Any], reason: str, counts: DeliveryCounts) -> None:
        if self._finish(row, status=NotificationStatus.FAILED, error=reason):
            counts.failed += 1

    def _finish(self, row: dict[str, Any], **changes: Any) -> bool:
        """Writes the row's outcome if this batch still holds its lease; returns whether it did."""
        changes.setdefault("next_attempt_at", None)
        finished = Notification.objects.filter(id=row["id"], lease_token=self.token).update(
            lease_token=None, lease_expires_at=None, updated_at=timezone.now(), **changes
        )
        if not finished:
            # The lease ran out and another worker took the row, or its recipient was deleted meanwhile.
            logger.warning("%s notification #%s: lease lost before its outcome was written", self.channel, row["id"])
        return bool(finished)

    def _release(self, rows: list[dict[str, Any]]) -> None:
        """Gives back rows this batch will not get to in time: due now, the attempt not counted."""
        logger.warning(
            "%s: %s notifications given back unsent, their lease running out (slow provider, or "
            "NOTIFICATION_LEASE_SECONDS too short for NOTIFICATION_BATCH_SIZE)",
            self.channel,
            len(rows),
        )
        Notification.objects.filter(id__in=[row["id"] for row in rows], lease_token=self.token).update(
            lease_token=None,
            lease_expires_at=None,
            next_attempt_at=None,
            attempts=F("attempts") - 1,
            updated_at=timezone.now(),
        )


def _message(row: dict[str, Any]) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=row["id"],
        idempotency_key=row["idempotency_key"],
        channel=row["channel"],
        user_id=row["user_id"],
        email=row["user__email"],
        phone=row["user__phone"],
        title=row["title"],
        body=row["body"],
    )
