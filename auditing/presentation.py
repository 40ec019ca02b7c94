"""Turning audit rows into what people read: entity names, field labels, before/after rows.

``changes`` holds ``{column: [before, after]}`` for row changes (captured by the database, so keyed by
column: ``assignee_id``), or event details (``{"attempted": "x@y"}``, ``{"permissions": {...}}``).
"""

import functools
import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import BooleanField, Model
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst

SUMMARY_FIELDS = 3
SUMMARY_VALUE_CHARS = 40

# Labels of event details that are not columns (failed sign-ins and lockouts: accounts.audit_events),
# in the order they read best; the database keeps JSON keys in an order of its own.
EVENT_DETAIL_LABELS = {
    "attempted": "Name typed",
    "attempted_hash": "Name typed (keyed hash)",
    "failures": "Failed attempts",
    "paused_until": "Paused until",
}


@dataclass(frozen=True)
class DiffRow:
    field: str
    before: str
    after: str
    is_change: bool  # False for an event's detail, which has one value, not a before and an after


def entity_type_choices() -> list[tuple[str, str]]:
    """Every entity type the trail records, for the viewer's filter: ("consultants.booking", "Booking")."""
    return list(_entity_type_choices())


@functools.cache
def _entity_type_choices() -> tuple[tuple[str, str], ...]:
    from auditing.capture import registry_models

    # Every table the capture registry decided about: captured ones, and those with events of their own
    # (a KPI recompute, an export of the trail).
    models: list[type[Model]] = registry_models()
    return tuple(sorted(((m._meta.label_lower, entity_name(m._meta.label_lower)) for m in models), key=lambda c: c[1]))


@functools.cache
def entity_name(entity_type: str) -> str:
    """ "Booking" for "consultants.booking"; the raw type when the model no longer exists."""
    model = _model(entity_type)
    return capfirst(model._meta.verbose_name) if model else entity_type


@functools.cache
def _column_fields(entity_type: str) -> dict[str, Any]:
    model = _model(entity_type)
    return {field.column: field for field in model._meta.concrete_fields} if model else {}


@functools.cache
def _pk_column(entity_type: str) -> str | None:
    model = _model(entity_type)
    return model._meta.pk.column if model else None


def field_label(entity_type: str, key: str) -> str:
    field = _column_fields(entity_type).get(key)
    if field:
        return capfirst(field.verbose_name)
    return EVENT_DETAIL_LABELS.get(key) or capfirst(key.replace("_", " "))


def diff_rows(entity_type: str, changes: dict[str, Any]) -> list[DiffRow]:
    rows = []
    fields = _column_fields(entity_type)
    for key, value in _ordered(changes).items():
        label = field_label(entity_type, key)
        is_flag = isinstance(fields.get(key), BooleanField)
        if isinstance(value, list) and len(value) == 2:
            rows.append(DiffRow(label, display(value[0], is_flag), display(value[1], is_flag), is_change=True))
        else:
            rows.append(DiffRow(label, "", display(value, is_flag), is_change=False))
    return rows


def change_summary(entity_type: str, changes: dict[str, Any]) -> str:
    """One line for the list: the first few fields, "Status: PENDING → CONFIRMED · Price: → 120.00 · +4 more".

    The primary key is left out: the entity column already names the row.
    """
    pk_column = _pk_column(entity_type)
    changes = {key: value for key, value in _ordered(changes).items() if key != pk_column}
    parts = []
    for row in diff_rows(entity_type, dict(list(changes.items())[:SUMMARY_FIELDS])):
        before, after = _short(row.before), _short(row.after)
        if row.is_change:
            parts.append(f"{row.field}: {before} → {after}" if before else f"{row.field}: {after}")
        else:
            parts.append(f"{row.field}: {after}")
    if len(changes) > SUMMARY_FIELDS:
        parts.append(f"+{len(changes) - SUMMARY_FIELDS} more")
    return " · ".join(parts)


def display(value: Any, is_flag: bool = False) -> str:
    """A recorded value as text. Captured values come as PostgreSQL prints them, so a boolean column's
    "t"/"f" reads "yes"/"no" like a JSON true/false does."""
    if value is None:
        return ""
    if isinstance(value, bool) or (is_flag and value in ("t", "f")):
        return "yes" if value in (True, "t") else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def entity_admin_url(entity_type: str, entity_id: str) -> str | None:
    """The entity's admin change page, when the model has one (the row itself may be gone)."""
    model = _model(entity_type)
    if model is None or model not in admin.site._registry or not entity_id:
        return None
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[entity_id])
    except NoReverseMatch:
        return None


def _ordered(changes: dict[str, Any]) -> dict[str, Any]:
    """Known event details first, in ``EVENT_DETAIL_LABELS`` order; everything else as stored."""
    rank = {key: index for index, key in enumerate(EVENT_DETAIL_LABELS)}
    return dict(sorted(changes.items(), key=lambda item: rank.get(item[0], len(rank))))


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_VALUE_CHARS else text[: SUMMARY_VALUE_CHARS - 1] + "…"


def _model(entity_type: str):
    try:
        return apps.get_model(entity_type)
    except (LookupError, ValueError):
        return None
