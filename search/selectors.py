"""One search over the back office: people, consultants, sessions, payments and tickets at once.

Each group is its admin's own search (``get_search_results``: by name through the name-search index,
by reference where the model has one), so a group's "see all" link opens the admin list with the same
rows. A group is searched only for a user who may view its model, and costs one query however many rows
match: the first ``GROUP_SIZE`` rows, plus one to know whether there are more.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from billing.models import Payment
from consultants.models import Booking, Consultant
from support.models import SupportTicket

GROUP_SIZE = 10


@dataclass(frozen=True)
class SearchGroup:
    title: str | Promise
    model: type[Model]
    # A short second line for each hit, from what the admin's list already loads (no query per row).
    describe: Callable[[Any], str]


@dataclass(frozen=True)
class Hit:
    label: str
    description: str
    url: str


@dataclass(frozen=True)
class GroupResult:
    title: str | Promise
    hits: list[Hit]
    has_more: bool
    see_all_url: str


def _booking_description(booking) -> str:
    when = f"{timezone.localtime(booking.scheduled_at):%Y-%m-%d %H:%M}"
    return f"{booking.client} · {booking.consultant} · {when} · {booking.get_status_display()}"


def _payment_description(payment) -> str:
    # The amount is in the payment's own label already.
    when = f" · {timezone.localtime(payment.paid_at):%Y-%m-%d}" if payment.paid_at else ""
    return f"{payment.payer}{when} · {payment.get_status_display()}"


def _ticket_description(ticket) -> str:
    return f"{ticket.reference} · {ticket.get_status_display()}"


SEARCH_GROUPS = (
    SearchGroup(_("People"), User, lambda user: user.email),
    SearchGroup(_("Consultants"), Consultant, lambda consultant: consultant.user.email),
    SearchGroup(_("Sessions"), Booking, _booking_description),
    SearchGroup(_("Payments"), Payment, _payment_description),
    SearchGroup(_("Support tickets"), SupportTicket, _ticket_description),
)


def searchable_groups(*, user) -> list[SearchGroup]:
    """The groups whose model ``user`` may view (``app.view_model``)."""
    return [group for group in SEARCH_GROUPS if user.has_perm(_view_permission(group.model))]


def search_results(*, request: HttpRequest, text: str) -> list[GroupResult]:
    """The first hits of ``text`` in every group the requesting user may view, in `SEARCH_GROUPS` order.

    ``text`` is the cleaned search (``SearchForm``). One query per group; groups without hits included
    (with no hits), so the page can say where nothing was found.
    """
    return [_group_result(request, group, text) for group in searchable_groups(user=request.user)]


def _group_result(request: HttpRequest, group: SearchGroup, text: str) -> GroupResult:
    model_admin = admin.site.get_model_admin(group.model)
    rows, may_have_duplicates = model_admin.get_search_results(request, model_admin.get_queryset(request), text)
    if may_have_duplicates:
        rows = rows.distinct()
    ordering = model_admin.get_ordering(request) or group.model._meta.ordering or ("-pk",)
    found = list(rows.order_by(*ordering, "-pk")[: GROUP_SIZE + 1])
    opts = group.model._meta
    change_url = f"admin:{opts.app_label}_{opts.model_name}_change"
    hits = [Hit(str(row), group.describe(row), reverse(change_url, args=[row.pk])) for row in found[:GROUP_SIZE]]
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return GroupResult(group.title, hits, len(found) > GROUP_SIZE, f"{changelist}?{urlencode({'q': text})}")


def _view_permission(model: type[Model]) -> str:
    return f"{model._meta.app_label}.view_{model._meta.model_name}"
