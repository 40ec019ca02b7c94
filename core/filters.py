"""Pieces every staff list's filters share (django-filter): whole-day date ranges, and the filter bar
drawn from plain data.

Dates are whole local days: "to" includes the day it names.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DateRangeForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return self.cleaned_data


# Days a filter accepts: wide enough for any real record, narrow enough that "the day after" and local
# midnight always exist (9999-12-31 has no day after; Python's dates end there).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class DayFilter(django_filters.DateFilter):
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


class DateRangeFilterSet(django_filters.FilterSet):
    date_from = DayFilter(label=_("From"), method="filter_from")
    date_to = DayFilter(label=_("To"), method="filter_to")

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=local_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=local_midnight(value + timedelta(days=1)))


def local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_bar(filterset: django_filters.FilterSet) -> list[dict]:
    """The filter form's fields as plain data for ``includes/filter_bar.html``.

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


# A keyset page's own parameters (core.keyset): not part of the filter.
PAGE_PARAMETERS = ("before", "after")


def filter_data(request):
    """The filter's own parameters (the query string without the page token), or None (an unbound
    filter) when there are none."""
    data = request.GET.copy()
    for name in PAGE_PARAMETERS:
        data.pop(name, None)
    return data or None


def filter_query(request) -> str:
    """The filter's parameters as a query string, for page links and export links."""
    data = filter_data(request)
    return data.urlencode() if data else ""


def filter_usable(filterset) -> bool:
    """No filter, or a valid one: bad input lists nothing (the form shows why) rather than ignoring it."""
    return not filterset.is_bound or filterset.is_valid()
