"""Demo notifications on every channel and system log records, spread over two years."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings

from accounts.models import Notification, NotificationChannel, NotificationPreference, NotificationStatus
from auditing.models import LogLevel, SystemLog
from backoffice.demo_data.context import DemoContext
from backoffice.demo_data.network import ip_address, request_id, user_agent
from backoffice.demo_data.vocabulary import NOTIFICATION_TITLES, SENTENCES, SYSTEM_EVENTS, TRACEBACK

NOTIFICATION_FIELDS = (
    "id", "user_id", "title", "body", "channel", "status", "sent_at", "read_at", "created_at", "updated_at",
    "attempts", "error", "idempotency_key",
)  # fmt: skip
PREFERENCE_FIELDS = ("id", "user_id", "channel", "enabled", "updated_at")
# The channels people most often turn off (in-app cannot be), and the share of clients who turn any off.
_UNWANTED = (NotificationChannel.WHATSAPP, NotificationChannel.SMS, NotificationChannel.PUSH)
_PICKY_SHARE = 0.2
SYSTEM_LOG_FIELDS = (
    "id", "level", "logger", "message", "traceback", "ip_address", "user_agent", "request_id", "created_at",
)  # fmt: skip
_CHANNELS = tuple(NotificationChannel.values)
# Channels where "read" means something to us (we cannot tell whether an SMS was read).
_READABLE = frozenset({NotificationChannel.IN_APP, NotificationChannel.PUSH, NotificationChannel.EMAIL})
# The attempts of a notification the delivery job gave up on.
_ATTEMPTS = settings.NOTIFICATION_MAX_ATTEMPTS
# Why a demo notification failed, per channel (a FAILED row always says why).
_FAILURES: dict[str, str] = {
    NotificationChannel.EMAIL: "The mail server refused the address: 550 5.1.1 No such mailbox here",
    NotificationChannel.SMS: f"Gave up after {_ATTEMPTS} attempts. The gateway answered 503: Carrier unavailable",
    NotificationChannel.WHATSAPP: "The gateway answered 400: The number is not on WhatsApp",
    NotificationChannel.PUSH: "The gateway answered 404: No device registered for this user",
    NotificationChannel.IN_APP: "Not sent: the recipient's account is suspended.",
}
_LEVELS = (LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR, LogLevel.CRITICAL)
_LEVEL_WEIGHTS = (10, 60, 27, 3)


def seed_notifications(ctx: DemoContext) -> None:
    """About ``plan.notifications`` notifications, mostly to clients, on every channel."""
    ids = ctx.writer.reserve(Notification, ctx.plan.notifications)
    recipients = (ctx.client_ids, [c.user_id for c in ctx.consultants], ctx.staff_ids)
    ctx.writer.write(Notification, NOTIFICATION_FIELDS, (_notification_row(ctx, pk, recipients) for pk in ids))


def _notification_row(ctx: DemoContext, pk: int, recipients: tuple[list[int], ...]) -> tuple:
    roll = ctx.rng.random()
    user_id = ctx.pick(recipients[0] if roll < 0.7 else recipients[1] if roll < 0.92 else recipients[2])
    channel = _CHANNELS[pk % len(_CHANNELS)]
    created = ctx.growing_moment(ctx.start, ctx.now - timedelta(minutes=1))
    status, sent_at, read_at = _delivery(ctx, channel, created)
    title, body = ctx.pick(NOTIFICATION_TITLES), ctx.pick(SENTENCES)
    error = _FAILURES[channel] if status == NotificationStatus.FAILED else ""
    attempts = 0 if status == NotificationStatus.PENDING else _ATTEMPTS if error.startswith("Gave up") else 1
    key = uuid.UUID(int=ctx.rng.getrandbits(128), version=4)
    updated = read_at or sent_at or created
    return (pk, user_id, title, body, channel, status, sent_at, read_at, created, updated, attempts, error, key)


def _delivery(ctx: DemoContext, channel: str, created: datetime) -> tuple[str, datetime | None, datetime | None]:
    roll = ctx.rng.random()
    # Only the last day's notifications can still be waiting for the delivery job.
    if created > ctx.now - timedelta(days=1) and roll < 0.5:
        return NotificationStatus.PENDING, None, None
    if roll > 0.96:
        return NotificationStatus.FAILED, None, None
    sent_at = ctx.after(created, max_hours=0.05)
    read_at = ctx.after(sent_at, max_hours=72) if channel in _READABLE and ctx.rng.random() < 0.6 else None
    return NotificationStatus.SENT, sent_at, read_at


def seed_notification_preferences(ctx: DemoContext) -> None:
    """About one client in five has turned one or two channels off, some weeks ago."""
    choices = []
    for user_id in ctx.client_ids:
        if ctx.rng.random() < _PICKY_SHARE:
            for channel in _UNWANTED[: 1 + (ctx.rng.random() < 0.4)]:
                choices.append((user_id, channel, ctx.now - timedelta(days=ctx.rng.uniform(1, 60))))
    ids = ctx.writer.reserve(NotificationPreference, len(choices))
    rows = ((pk, user_id, channel, False, when) for pk, (user_id, channel, when) in zip(ids, choices, strict=True))
    ctx.writer.write(NotificationPreference, PREFERENCE_FIELDS, rows)


def seed_system_logs(ctx: DemoContext) -> None:
    """About ``plan.system_logs`` records, mostly warnings, errors with tracebacks, a few criticals."""
    ids = ctx.writer.reserve(SystemLog, ctx.plan.system_logs)
    ctx.writer.write(SystemLog, SYSTEM_LOG_FIELDS, (_system_log_row(ctx, pk) for pk in ids))


def _system_log_row(ctx: DemoContext, pk: int) -> tuple:
    level = ctx.rng.choices(_LEVELS, _LEVEL_WEIGHTS)[0]
    logger, message = ctx.pick(SYSTEM_EVENTS[level])
    # Only a failure that raised carries a traceback: a 500, a task that raised.
    raised = message.startswith("Internal Server Error") or "raised unexpected" in message
    traceback = TRACEBACK if raised else ""
    # Records raised while serving a request carry where it came from; background jobs have none.
    from_request = logger.startswith("django.request") or logger.startswith("django.security")
    ip, agent, request = (ip_address(ctx), user_agent(ctx), request_id(ctx)) if from_request else (None, "", "")
    created = ctx.growing_moment(ctx.start, ctx.now - timedelta(minutes=1))
    return (pk, level, logger, message, traceback, ip, agent, request, created)
