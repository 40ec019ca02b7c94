"""The staff queue's filters (django-filter).

Each narrows by an indexed column so that any filter's first page stays an index walk at a million
tickets: status and priority (the queue index), the assignee (its own index), the requester (the
users' name-search index, then the tickets' requester index), the deadline (the partial index on
``sla_due_at``: overdue and at-risk are ranges on it), the reference and subject (the upper-case and
trigram indexes of migration 0006) and the opening day.
"""

import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import users_matching
from core.filters import DateRangeFilterSet, DateRangeForm
from support import sla
from support.models import SupportTicket, TicketPriority, TicketStatus
from support.selectors import ticket_handlers

ACTIVE = "active"
ME, UNASSIGNED = "me", "none"
OVERDUE, AT_RISK, ON_TRACK, PAUSED = "overdue", "at_risk", "on_track", "paused"
SLA_CHOICES = (
    (OVERDUE, _("Overdue")),
    (AT_RISK, _("At risk")),
    (ON_TRACK, _("On track")),
    (PAUSED, _("Waiting on client")),
)
# A reference as people type it: with or without dashes, any case ("tck-7m3q-k9px", "7M3QK9PX").
REFERENCE = re.compile(r"^(?:TCK-?)?([0-9A-Z]{4})-?([0-9A-Z]{4})$")
# Words of a subject shorter than this find too much to be worth a trigram search.
MIN_SUBJECT_SEARCH = 3


def assignee_choices(handlers) -> list[tuple[str, str]]:
    return [
        (ME, _("Me")),
        (UNASSIGNED, _("Unassigned")),
        *((str(user.pk), user.full_name or user.email) for user in handlers),
    ]


class TicketFilter(DateRangeFilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Reference, subject or requester")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(ACTIVE, _("Open or in progress")), *TicketStatus.choices],
        empty_label=_("Any status"),
        method="filter_status",
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=TicketPriority.choices, empty_label=_("Any priority")
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"), choices=(), empty_label=_("Anyone"), method="filter_assignee"
    )
    requester = django_filters.CharFilter(
        label=_("Requester"),
        method="filter_requester",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("name or e-mail")}),
    )
    sla = django_filters.ChoiceFilter(
        label=_("Service level"), choices=SLA_CHOICES, empty_label=_("Any"), method="filter_sla"
    )

    class Meta:
        model = SupportTicket
        fields = ["q", "status", "priority", "assignee", "requester", "sla", "date_from", "date_to"]
        form = DateRangeForm

    def __init__(self, *args, handlers=None, **kwargs):
        """``handlers``: whom tickets may be assigned to (``support.selectors.ticket_handlers``), read once
        by the page for every form that lists them."""
        super().__init__(*args, **kwargs)
        if handlers is None:
            handlers = ticket_handlers().only("pk", "full_name", "email")
        self.filters["assignee"].extra["choices"] = assignee_choices(handlers)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if match := REFERENCE.match(value.upper()):
            return queryset.filter(reference__iexact=f"TCK-{match[1]}-{match[2]}")
        matches = _requested_by(value)
        if len(value) >= MIN_SUBJECT_SEARCH:
            matches |= Q(subject__icontains=value)
        return queryset.filter(matches)

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.open()
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == ME:
            return queryset.filter(assignee=self.request.user)
        if value == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_requester(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(_requested_by(value)) if value else queryset

    def filter_sla(self, queryset, name, value):
        now = timezone.now()
        if value == OVERDUE:
            return queryset.filter(sla_due_at__lt=now)
        if value == AT_RISK:
            return queryset.filter(sla_due_at__gt=now, sla_due_at__lte=sla.at_risk_before(now))
        if value == ON_TRACK:
            return queryset.filter(sla_due_at__gt=sla.at_risk_before(now))
        # Waiting on the client: an active ticket whose resolution clock is stopped.
        return queryset.open().filter(first_response_at__isnull=False, waiting_on_client_since__isnull=False)


# Up to this many people a search's tickets are found by their requesters' ids (the requester index),
# past it through the people query as a subquery.
FEW_PEOPLE = 200


def _requested_by(text: str) -> Q:
    people = users_matching(text)
    ids = list(people.values_list("pk", flat=True)[: FEW_PEOPLE + 1])
    if len(ids) <= FEW_PEOPLE:
        return Q(requester_id__in=ids)
    return Q(requester__in=people.values("pk"))
