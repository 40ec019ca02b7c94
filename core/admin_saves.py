"""What saving an admin form writes: what staff changed, and nothing else.

Two things made an unchanged form write a row (and the audit trail record changes nobody made):

- timestamps that services own (``created_at``, ``resolved_at``, ``processed_at``...) were form fields;
  the admin's date and time inputs drop microseconds, so saving rewrote each of them a little earlier;
- the admin saves the row whether or not anything changed, and ``auto_now`` moves ``updated_at``.

A third remedy keeps inline rows from reaching the database with a duplicate (``ParentCheckedInlineFormSet``).

The admin site applies the remedies below to every admin it registers (``core.admin_site``), so no admin
has to remember.
"""

from functools import wraps

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Model
from django.forms.models import BaseInlineFormSet

# Timestamps a service or a job stamps when something happens; staff never type them. Shown, not edited.
SERVICE_OWNED_TIMESTAMPS = frozenset(
    {
        "created_at",
        "updated_at",
        "computed_at",
        "last_login",
        "assigned_at",
        "sent_at",
        "read_at",
        "paid_at",
        "processed_at",
        "delivered_at",
        "published_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "started_at",
        "finished_at",
    }
)


def service_timestamps_made_readonly(model_admin: admin.options.BaseModelAdmin) -> None:
    """Makes ``model_admin`` (a ModelAdmin or an inline) show its model's `SERVICE_OWNED_TIMESTAMPS`
    read-only, in addition to its own ``readonly_fields``."""
    owned = [
        field.name
        for field in model_admin.model._meta.concrete_fields
        if field.name in SERVICE_OWNED_TIMESTAMPS and isinstance(field, DateTimeField)
    ]
    if not owned:
        return
    get_readonly_fields = model_admin.get_readonly_fields

    @wraps(get_readonly_fields)
    def readonly_fields(request, obj=None):
        declared = tuple(get_readonly_fields(request, obj))
        return (*declared, *(name for name in owned if name not in declared))

    model_admin.get_readonly_fields = readonly_fields  # type: ignore[method-assign]


def unchanged_saves_skipped(model_admin: admin.ModelAdmin) -> None:
    """Makes ``model_admin`` save a changed row only when its form changed, and keep the stored value of
    each date and time the form did not change (the inputs drop microseconds).

    Inline rows need nothing: Django's formsets already save only the rows whose form changed.
    """
    save_model = model_admin.save_model

    @wraps(save_model)
    def save_only_changes(request, obj: Model, form: forms.ModelForm, change: bool) -> None:
        if change and not form.has_changed():
            return
        if change:
            _untouched_datetimes_kept(obj, form)
        save_model(request, obj, form, change)

    model_admin.save_model = save_only_changes  # type: ignore[method-assign]


def _untouched_datetimes_kept(obj: Model, form: forms.ModelForm) -> None:
    for name, field in form.fields.items():
        if isinstance(field, forms.DateTimeField | forms.SplitDateTimeField) and name not in form.changed_data:
            if name in form.initial:
                setattr(obj, name, form.initial[name])


class ParentCheckedInlineFormSet(BaseInlineFormSet):
    """An inline formset that checks each new or changed row's constraints against the database with the
    parent's key in place. Django leaves the parent's key out of an inline form's own validation, so a
    row repeating one already stored (a consultant's specialty added twice, from a stale page or a forged
    post) passed the form and failed in the database."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.errors or not form.has_changed() or self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            try:
                form.instance.validate_constraints()
            except ValidationError as error:
                form.add_error(None, error)


def inline_rows_checked_with_parent(inline: admin.options.InlineModelAdmin) -> None:
    """Gives ``inline`` a formset that checks constraints with the parent's key (`ParentCheckedInlineFormSet`),
    unless it declares a formset of its own."""
    if inline.formset is BaseInlineFormSet:
        inline.formset = ParentCheckedInlineFormSet
