"""The audit viewer's and system log viewer's filters (django-filter).

Each filter narrows by an indexed column (see the models' indexes), so the first page of any filter
stays an index walk at a million rows. Dates are whole local days: "to" includes the day it names.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import users_matching
from auditing.models import AuditAction, AuditLog, LogLevel, SystemLog
from auditing.presentation import entity_type_choices


class _DateRangeForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return self.cleaned_data


class _IPAddressFilter(django_filters.Filter):
    field_class = forms.GenericIPAddressField


# Days a filter accepts: wide enough for any real record, narrow enough that "the day after" and local
# midnight always exist (9999-12-31 has no day after; Python's dates end there).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class _DayFilter(django_filters.DateFilter):
    """A whole day, refused with a message when outside ``EARLIEST_DAY``..``LATEST_DAY``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)
        self.extra["validators"] = [_day_in_range]


def _day_in_range(day) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(
            _("Enter a day between %(first)s and %(last)s.")
            % {"first": f"{EARLIEST_DAY:%Y-%m-%d}", "last": f"{LATEST_DAY:%Y-%m-%d}"}
        )


class _DateRangeMixin(django_filters.FilterSet):
    date_from = _DayFilter(label=_("From"), method="filter_from")
    date_to = _DayFilter(label=_("To"), method="filter_to")

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_local_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_local_midnight(value + timedelta(days=1)))


class AuditLogFilter(_DateRangeMixin):
    actor = django_filters.CharFilter(
        label=_("Actor"),
        method="filter_actor",
        widget=forms.TextInput(attrs={"placeholder": _("name, e-mail or system: job")}),
    )
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, empty_label=_("Any action"))
    entity_type = django_filters.ChoiceFilter(
        label=_("Entity"), choices=entity_type_choices, empty_label=_("Any entity")
    )
    entity_id = django_filters.CharFilter(label=_("Entity id"), max_length=64)
    ip_address = _IPAddressFilter(label=_("IP address"))

    class Meta:
        model = AuditLog
        fields = ["actor", "action", "entity_type", "entity_id", "date_from", "date_to", "ip_address"]
        form = _DateRangeForm

    def filter_actor(self, queryset, name, value):
        """A person by e-mail address (what they did under any later address too), else by any part of
        their name or address (case- and accent-insensitive: the users' trigram index finds them, the
        trail's actor index their events), else a label such as ``system: cleanup_logs`` or the address
        of a since-deleted user, as recorded."""
        value = value.strip()
        users = get_user_model().objects
        user_id = users.filter(users.email_matches(value)).values_list("pk", flat=True).first()
        if user_id is not None:
            return queryset.filter(actor_id=user_id)
        matching = users_matching(value)
        if matching.exists():
            return queryset.filter(actor_id__in=matching.values("pk"))
        return queryset.filter(actor_label__iexact=value)


class SystemLogFilter(_DateRangeMixin):
    level = django_filters.MultipleChoiceFilter(
        choices=LogLevel.choices, widget=forms.CheckboxSelectMultiple, label=_("Levels")
    )
    logger = django_filters.CharFilter(
        label=_("Logger"), widget=forms.TextInput(attrs={"placeholder": _("e.g. billing.services")})
    )
    request_id = django_filters.CharFilter(label=_("Request id"), max_length=64)

    class Meta:
        model = SystemLog
        fields = ["level", "logger", "request_id", "date_from", "date_to"]
        form = _DateRangeForm


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_bar(filterset: django_filters.FilterSet) -> list[dict]:
    """The filter form's fields as plain data for ``_filter_form.html``.

    Django renders each widget (and each option of a select) through its own template; for a filter
    bar shown on every page of a list that cost more than the list's query, so the few widget kinds
    used here are drawn from this data instead.
    """
    form = filterset.form
    fields = []
    for bound in form:
        widget = bound.field.widget
        value = bound.value()
        field = {
            "name": bound.name,
            "label": bound.label,
            "id": bound.id_for_label,
            "errors": " ".join(bound.errors),
            "placeholder": widget.attrs.get("placeholder", ""),
        }
        if isinstance(widget, forms.CheckboxSelectMultiple):
            chosen = {str(item) for item in (value or [])}
            field["kind"] = "checkboxes"
            field["choices"] = [(str(key), label, str(key) in chosen) for key, label in bound.field.choices]
        elif isinstance(widget, forms.Select):
            field["kind"] = "select"
            field["choices"] = [(str(key), label, str(key) == str(value or "")) for key, label in bound.field.choices]
        else:
            field["kind"] = "input"
            field["input_type"] = getattr(widget, "input_type", "text")
            field["value"] = "" if value is None else str(value)
        fields.append(field)
    return fields
