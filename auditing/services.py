"""The one API through which the application records audit events.

Services call ``audit_record`` inside their own transaction, so the event exists exactly when the
change does. Who, from where and in which request come from ``core.request_context``.
"""

import re
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from auditing.models import AuditAction, AuditLog, LogLevel, SystemLog
from core import request_context
from operations.system_settings import system_setting

REDACTED = "[redacted]"
# Field names whose values never reach the audit trail.
SECRET_FIELD = re.compile(r"password|secret|token|api_?key|private_?key|credential|otp", re.IGNORECASE)


def redact(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with the values of secret-looking fields replaced, recursively."""
    cleaned: dict[str, Any] = {}
    for key, value in changes.items():
        if SECRET_FIELD.search(str(key)):
            cleaned[key] = REDACTED
        elif isinstance(value, dict):
            cleaned[key] = redact(value)
        else:
            cleaned[key] = value
    return cleaned


ENTITY_LABEL_LENGTH = AuditLog._meta.get_field("entity_label").max_length or 200


def entity_type_of(instance_or_model) -> str:
    """``app_label.model_name`` of a model instance or class, as stored in ``entity_type``."""
    return instance_or_model._meta.label_lower


def actor_identity(context: request_context.RequestContext, actor=None) -> tuple[Any, str]:
    """(user or None, label) for an event: ``actor`` if given, else the context's user, else its system
    label. The label is the user's e-mail address as it reads now, so history names them after they go."""
    actor = actor if actor is not None else context.actor
    if actor is not None:
        return actor, actor.get_username()
    return None, context.actor_label


def audit_record(
    *,
    action: AuditAction,
    entity: models.Model | None = None,
    entity_type: str = "",
    entity_id: str | int = "",
    entity_label: str = "",
    changes: dict[str, Any] | None = None,
    actor=None,
) -> AuditLog:
    """Writes one audit event and returns it.

    ``entity`` (an instance) or ``entity_type``/``entity_id`` (and ``entity_label``, what it is called)
    names what was acted on. ``changes`` maps a
    field to ``[before, after]`` (or holds the event's details); secret values are redacted. ``actor``
    defaults to the bound request's user, else the bound system label.

    Plain creates, updates and deletes of domain rows need no call: the capture triggers record them
    (``auditing.capture``). This is for events that are more than a row change (sign-ins, suspensions,
    a role's permission set, payments, exports).
    """
    context = request_context.current()
    actor, actor_label = actor_identity(context, actor)
    if entity is not None:
        entity_type, entity_id, entity_label = entity_type_of(entity), entity.pk, str(entity)
    return AuditLog.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label,
        entity_type=entity_type,
        entity_id=str(entity_id or ""),
        entity_label=entity_label[:ENTITY_LABEL_LENGTH],
        changes=redact(changes or {}),
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        request_id=context.request_id,
    )


def audit_export_record(*, filters: dict[str, Any]) -> AuditLog:
    """Records that the bound user exported the audit trail, and with which filter."""
    return audit_record(
        action=AuditAction.EXPORT,
        entity_type=entity_type_of(AuditLog),
        changes={"filters": {name: str(value) for name, value in filters.items()}},
    )


def system_logs_cleanup(*, now=None, batch_size: int = 5_000) -> dict[str, int]:
    """Deletes system log rows older than their level's retention: the system setting
    ``logs.retention_days.<LEVEL>``, read now (its default is ``SYSTEM_LOG_RETENTION_DAYS``).

    Works in batches of ``batch_size`` rows, each its own short transaction picking the oldest rows by
    the (level, created_at) index, so no long lock is held and writers are never blocked for long.
    Returns the number deleted per level. Audit log rows are never touched.
    """
    now = now or timezone.now()
    deleted: dict[str, int] = {}
    for level in LogLevel.values:
        cutoff = now - timedelta(days=system_setting(f"logs.retention_days.{level}"))
        deleted[level] = 0
        while True:
            with transaction.atomic():
                ids = list(
                    SystemLog.objects.filter(level=level, created_at__lt=cutoff)
                    .order_by("created_at")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not ids:
                    break
                deleted[level] += SystemLog.objects.filter(pk__in=ids).delete()[0]
    return deleted
