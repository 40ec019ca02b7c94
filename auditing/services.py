"""The one API through which the application records audit events.

Services call ``audit_record`` inside their own transaction, so the event exists exactly when the
change does. Who, from where and in which request come from ``core.request_context``.
"""

import re
from typing import Any

from django.db import models

from auditing.models import AuditAction, AuditLog
from core import request_context

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


def entity_label(instance_or_model) -> str:
    """``app_label.model_name`` of a model instance or class, as stored in ``entity_type``."""
    return instance_or_model._meta.label_lower


def audit_record(
    *,
    action: AuditAction,
    entity: models.Model | None = None,
    entity_type: str = "",
    entity_id: str | int = "",
    changes: dict[str, Any] | None = None,
    actor=None,
) -> AuditLog:
    """Writes one audit event and returns it.

    ``entity`` (an instance) or ``entity_type``/``entity_id`` names what was acted on. ``changes`` maps a
    field to ``[before, after]`` (or holds the event's details); secret values are redacted. ``actor``
    defaults to the bound request's user, else the bound system label.
    """
    context = request_context.current()
    actor = actor if actor is not None else context.actor
    if entity is not None:
        entity_type, entity_id = entity_label(entity), entity.pk
    return AuditLog.objects.create(
        action=action,
        actor=actor,
        actor_label="" if actor is not None else context.actor_label,
        entity_type=entity_type,
        entity_id=str(entity_id or ""),
        changes=redact(changes or {}),
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        request_id=context.request_id,
    )
