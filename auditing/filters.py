"""The audit viewer's and system log viewer's filters (django-filter).

Each filter narrows by an indexed column (see the models' indexes), so the first page of any filter
stays an index walk at a million rows. Dates are whole local days: "to" includes the day it names.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.selectors import users_matching
from auditing.models import AuditAction, AuditLog, LogLevel, SystemLog
from auditing.presentation import entity_type_choices
from core.filters import DateRangeFilterSet, DateRangeForm


class _IPAddressFilter(django_filters.Filter):
    field_class = forms.GenericIPAddressField


class AuditLogFilter(DateRangeFilterSet):
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
        form = DateRangeForm

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


class SystemLogFilter(DateRangeFilterSet):
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
        form = DateRangeForm
