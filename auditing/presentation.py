"""Turning audit rows into what people read: entity names, field labels, before/after rows.

``changes`` holds ``{column: [before, after]}`` for row changes (captured by the database, so keyed by
column: ``assignee_id``), or event details (``{"attempted": "x@y"}``, ``{"permissions": {...}}``).

Values read as people know them: a choice by its label ("In progress", not ``IN_PROGRESS``), a foreign
key by what it points at ("Jonas Schneider", not ``1``), a permission set change as the lists of what was
added and removed. Foreign keys are resolved for a whole page at once (``Labels.for_events``): one query
per model pointed at, however many rows the page shows.
"""

import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ForeignKey, Model, OneToOneField
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.request_context import ANONYMOUS_ACTOR, SYSTEM_ACTOR, SYSTEM_JOB_PREFIX

SUMMARY_FIELDS = 3
SUMMARY_VALUE_CHARS = 40

# Labels of event details that are not columns (failed sign-ins and lockouts: accounts.audit_events),
# in the order they read best; the database keeps JSON keys in an order of its own.
EVENT_DETAIL_LABELS = {
    "attempted": gettext_lazy("Name typed"),
    "attempted_hash": gettext_lazy("Name typed (keyed hash)"),
    "failures": gettext_lazy("Failed attempts"),
    "paused_until": gettext_lazy("Paused until"),
    "permissions": gettext_lazy("Permissions"),
}
# How rows of a model are named when the trail shows a foreign key to them, or an entity recorded without
# a label: field paths read in one query per model. Models not listed use the columns the capture
# function names them by (``auditing.capture.label_fields``).
DISPLAY_LABEL_PATHS: dict[str, tuple[str, ...]] = {
    "consultants.consultant": ("user__full_name",),
    "consultants.booking": ("service__title", "client__full_name"),
    "consultants.consultantspecialty": ("consultant__user__full_name", "specialty__name"),
    "accounts.rolepermission": ("role__name", "permission__resource", "permission__action"),
    "accounts.userrole": ("user__full_name", "role__name"),
    "contenttypes.contenttype": ("app_label", "model"),
    "auth.permission": ("codename",),
}
LABEL_SEPARATOR = " · "


@dataclass(frozen=True)
class DiffRow:
    field: str
    before: str
    after: str
    is_change: bool  # False for an event's detail, which has one value, not a before and an after
    added: tuple[str, ...] = ()  # a set's change (a role's permissions): what joined it ...
    removed: tuple[str, ...] = ()  # ... and what left it

    @property
    def is_set_change(self) -> bool:
        return bool(self.added or self.removed)


@dataclass
class Labels:
    """Labels of the rows a page of events points at: ``{(model label, pk text): label}``."""

    known: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def for_events(cls, events: Iterable[Any]) -> "Labels":
        """Every foreign key value in these events' changes, and every entity recorded without a label,
        resolved in one query per model pointed at."""
        wanted: dict[type[Model], set[str]] = defaultdict(set)
        for event in events:
            for key, value in (event.changes or {}).items():
                target = _foreign_key_targets(event.entity_type).get(key)
                if target is None:
                    continue
                values = value if isinstance(value, list) and len(value) == 2 else [value]
                wanted[target].update(str(v) for v in values if v not in (None, ""))
            model = _model(event.entity_type)
            if not event.entity_label and event.entity_id and model is not None and _display_paths(model):
                wanted[model].add(event.entity_id)
        labels = cls()
        for model, ids in wanted.items():
            labels.known.update(_labels_of(model, ids))
        return labels

    def of(self, model: type[Model], pk: Any) -> str | None:
        return self.known.get((model._meta.label_lower, str(pk)))


NO_LABELS = Labels()


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
        return str(capfirst(field.verbose_name))
    return str(EVENT_DETAIL_LABELS.get(key) or capfirst(key.replace("_", " ")))


def diff_rows(entity_type: str, changes: dict[str, Any], labels: Labels = NO_LABELS) -> list[DiffRow]:
    rows = []
    for key, value in _ordered(changes).items():
        label = field_label(entity_type, key)
        if isinstance(value, dict) and set(value) <= {"added", "removed"}:
            added, removed = tuple(map(str, value.get("added") or ())), tuple(map(str, value.get("removed") or ()))
            rows.append(DiffRow(label, "", _set_summary(added, removed), False, added=added, removed=removed))
        elif isinstance(value, list) and len(value) == 2:
            before, after = (field_value(entity_type, key, v, labels) for v in value)
            rows.append(DiffRow(label, before, after, is_change=True))
        else:
            rows.append(DiffRow(label, "", field_value(entity_type, key, value, labels), is_change=False))
    return rows


def field_value(entity_type: str, key: str, value: Any, labels: Labels = NO_LABELS) -> str:
    """A recorded value of column ``key`` as people read it: a choice's label, a foreign key's target's
    label (with its id, which the label alone may not make unique), "yes"/"no" for a flag."""
    if value is None or value == "":
        return ""
    model_field = _column_fields(entity_type).get(key)
    target = _foreign_key_targets(entity_type).get(key)
    if target is not None:
        name = labels.of(target, value)
        return f"{name} (#{value})" if name else f"{capfirst(target._meta.verbose_name)} #{value}"
    choices = _choice_labels(entity_type, key)
    if choices and str(value) in choices:
        return str(choices[str(value)])
    return display(value, isinstance(model_field, BooleanField))


def entity_display(event: Any, labels: Labels = NO_LABELS) -> str:
    """ "User · Jonas Schneider · jonas@example.com": the type and the label recorded with the event; for
    rows recorded without one, the entity's label now, else what the event's foreign keys point at, else
    its id."""
    name = entity_name(event.entity_type)
    label = event.entity_label
    model = _model(event.entity_type)
    if not label and model is not None and event.entity_id:
        label = labels.of(model, event.entity_id) or ""
    if not label:
        label = LABEL_SEPARATOR.join(
            found
            for key, target in _foreign_key_targets(event.entity_type).items()
            if (found := labels.of(target, _recorded_value(event.changes.get(key)) or ""))
        )
    if label:
        return f"{name}{LABEL_SEPARATOR}{label}"
    return f"{name} #{event.entity_id}" if event.entity_id else name


def actor_display(event: Any) -> str:
    """Who acted, as the reader reads it: the label recorded with the event (a user's e-mail address as
    it read then), and the jobs and anonymous visitors that act without a user in the reader's
    language. Rows from before labels named every actor fall back to the user, or to a deleted user's id."""
    label = event.actor_label
    if event.actor_id:
        if label:
            return label
        return event.actor.email if event.actor else _("user #%(id)s") % {"id": event.actor_id}
    if label == ANONYMOUS_ACTOR:
        return _("anonymous")
    if label.startswith(SYSTEM_JOB_PREFIX):
        return _("system: %(job)s") % {"job": label.removeprefix(SYSTEM_JOB_PREFIX)}
    return _("system") if label in ("", SYSTEM_ACTOR) else label


def change_summary(entity_type: str, changes: dict[str, Any], labels: Labels = NO_LABELS) -> str:
    """One line for the list: the first few fields, "Status: PENDING → CONFIRMED · Price: → 120.00 · +4 more".

    The primary key is left out: the entity column already names the row.
    """
    pk_column = _pk_column(entity_type)
    changes = {key: value for key, value in _ordered(changes).items() if key != pk_column}
    parts = []
    for row in diff_rows(entity_type, dict(list(changes.items())[:SUMMARY_FIELDS]), labels):
        before, after = _short(row.before), _short(row.after)
        if row.is_change:
            parts.append(f"{row.field}: {before} → {after}" if before else f"{row.field}: {after}")
        else:
            parts.append(f"{row.field}: {after}")
    if len(changes) > SUMMARY_FIELDS:
        parts.append(_("+%(count)d more") % {"count": len(changes) - SUMMARY_FIELDS})
    return " · ".join(parts)


def display(value: Any, is_flag: bool = False) -> str:
    """A recorded value as text. Captured values come as PostgreSQL prints them, so a boolean column's
    "t"/"f" reads "yes"/"no" like a JSON true/false does."""
    if value is None:
        return ""
    if isinstance(value, bool) or (is_flag and value in ("t", "f")):
        return _("yes") if value in (True, "t") else _("no")
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


@functools.cache
def _foreign_key_targets(entity_type: str) -> dict[str, type[Model]]:
    """{column: model pointed at} of the entity's foreign keys ("assignee_id": User)."""
    return {
        column: field.related_model
        for column, field in _column_fields(entity_type).items()
        if isinstance(field, ForeignKey | OneToOneField) and isinstance(field.related_model, type)
    }


@functools.cache
def _choice_labels(entity_type: str, column: str) -> dict[str, str]:
    model_field = _column_fields(entity_type).get(column)
    if model_field is None or not model_field.choices:
        return {}
    return {str(value): label for value, label in model_field.flatchoices}


def _display_paths(model: type[Model]) -> tuple[str, ...]:
    from auditing.capture import label_fields

    return DISPLAY_LABEL_PATHS.get(model._meta.label_lower) or label_fields(model)


def _labels_of(model: type[Model], ids: set[str]) -> dict[tuple[str, str], str]:
    paths = _display_paths(model)
    if not paths:
        return {}
    valid = []
    for value in ids:
        try:
            valid.append(model._meta.pk.to_python(value))
        except ValidationError:
            continue  # an id the column could never hold: shown as recorded
    if not valid:
        return {}
    label = model._meta.label_lower
    rows = model._base_manager.filter(pk__in=valid).values_list("pk", *paths)
    return {
        (label, str(pk)): LABEL_SEPARATOR.join(str(part) for part in parts if part not in (None, ""))
        for pk, *parts in rows
    }


def _recorded_value(value: Any) -> Any:
    """The value a foreign key held in a row change: the new one, else (a delete) the old one."""
    if isinstance(value, list) and len(value) == 2:
        return value[1] if value[1] is not None else value[0]
    return value


def _set_summary(added: tuple[str, ...], removed: tuple[str, ...]) -> str:
    parts = []
    if added:
        parts.append(_("added %(items)s") % {"items": ", ".join(added)})
    if removed:
        parts.append(_("removed %(items)s") % {"items": ", ".join(removed)})
    return "; ".join(parts)


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
