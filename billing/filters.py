"""The finance lists' filters (django-filter): payments and refunds.

Each narrows by an indexed column or through a small table, so a page stays an index walk at a million
payments: the creation day and the status (the list indexes), the currency, and the consultant, service
or category through the booking (the bookings' own indexes). Consultants and services are typed, not
picked from a select of thousands: an id, or part of a name, e-mail or title.
"""

import re
from datetime import date, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import NAME_SEARCH_MIN_LENGTH
from billing.models import Payment, PaymentStatus, Refund, RefundStatus
from billing.selectors import consultant_ids_matching, service_ids_matching
from consultants.models import ServiceCategory
from core.filters import EARLIEST_DAY, LATEST_DAY, DateRangeFilterSet, DateRangeForm, local_midnight
from core.ids import database_id

# With no period asked for, the payments list covers this many days up to today: its totals then add up
# a month of payments, not the whole table.
DEFAULT_PERIOD_DAYS = 30
# A typed name or title may name up to this many consultants or services: their ids then narrow the
# payments through the bookings' indexes. Text naming more is refused, asking for more of it (a subquery
# naming thousands would walk every payment of the period).
MAX_MATCHES = 200
ALL = "all"


def currency_choices() -> list[tuple[str, str]]:
    """The currencies the platform takes (``BILLING_CURRENCIES``), read when asked."""
    return [(code, code) for code in sorted(settings.BILLING_CURRENCIES)]


def payment_filter_data(request) -> QueryDict:
    """The payments list's filter from ``request``, with the default period (the last
    ``DEFAULT_PERIOD_DAYS`` days) when it names no day at all: an emptied "From" field asks for all time."""
    data = request.GET.copy()
    for name in ("before", "after"):
        data.pop(name, None)
    if "date_from" not in data and "date_to" not in data:
        data["date_from"] = (timezone.localdate() - timedelta(days=DEFAULT_PERIOD_DAYS - 1)).isoformat()
    return data


def id_or_text(value: str, *, what: str) -> int | str:
    """A typed consultant or service: its id (digits), or text to look for; ``ValidationError`` for an
    id no row can have or text too short to search."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        try:
            return database_id(value)
        except ValueError:
            raise forms.ValidationError(
                _("No %(what)s has the id %(id)s.") % {"what": what, "id": value[:20]}
            ) from None
    if len(value) < NAME_SEARCH_MIN_LENGTH:
        raise forms.ValidationError(
            _("Type an id, or at least %(count)s letters of a %(what)s's name.")
            % {"count": NAME_SEARCH_MIN_LENGTH, "what": what}
        )
    return value


def ids_or_id(value: str, *, what: str, matching) -> int | tuple[int, ...] | str:
    """A typed consultant or service as the filter uses it: its id, or the ids of those ``matching`` the
    text (at most ``MAX_MATCHES``); "" when nothing was typed. ``ValidationError`` as ``id_or_text``, and
    for text naming too many."""
    if not value.strip():
        return ""
    typed = id_or_text(value, what=what)
    if isinstance(typed, int):
        return typed
    ids = tuple(matching(typed, limit=MAX_MATCHES + 1))
    if not ids:
        raise forms.ValidationError(_("No %(what)s matches “%(text)s”.") % {"what": what, "text": typed[:40]})
    if len(ids) > MAX_MATCHES:
        raise forms.ValidationError(
            _("“%(text)s” names more than %(count)s of them: type more of it, or an id.")
            % {"text": typed[:40], "count": MAX_MATCHES}
        )
    return ids


class PaymentFilterForm(DateRangeForm):
    def clean_consultant(self):
        value = self.cleaned_data.get("consultant") or ""
        return ids_or_id(value, what=str(_("consultant")), matching=consultant_ids_matching)

    def clean_service(self):
        value = self.cleaned_data.get("service") or ""
        return ids_or_id(value, what=str(_("service")), matching=service_ids_matching)


class PaymentFilter(DateRangeFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PaymentStatus.choices, empty_label=_("Any status"))
    consultant = django_filters.CharFilter(
        label=_("Consultant"),
        method="filter_consultant",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("id, name or e-mail")}),
    )
    service = django_filters.CharFilter(
        label=_("Service"),
        method="filter_service",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("id or title")}),
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=(), empty_label=_("Any category"), method="filter_category"
    )
    currency = django_filters.ChoiceFilter(label=_("Currency"), choices=(), empty_label=_("Any currency"))

    class Meta:
        model = Payment
        fields = ["date_from", "date_to", "status", "currency", "consultant", "service", "category"]
        form = PaymentFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["currency"].extra["choices"] = currency_choices()
        categories = ServiceCategory.objects.order_by("name").values_list("pk", "name")
        self.filters["category"].extra["choices"] = [(str(pk), name) for pk, name in categories]

    def filter_consultant(self, queryset: QuerySet[Payment], name, value: int | tuple[int, ...]) -> QuerySet[Payment]:
        if isinstance(value, int):
            return queryset.filter(booking__consultant_id=value)
        return queryset.filter(booking__consultant_id__in=value)

    def filter_service(self, queryset: QuerySet[Payment], name, value: int | tuple[int, ...]) -> QuerySet[Payment]:
        if isinstance(value, int):
            return queryset.filter(booking__service_id=value)
        return queryset.filter(booking__service_id__in=value)

    def filter_category(self, queryset: QuerySet[Payment], name, value: str) -> QuerySet[Payment]:
        return queryset.filter(booking__service__category_id=int(value))


class RefundFilter(DateRangeFilterSet):
    """The refunds queue: one status at a time (its tabs; ``all`` for every status), and the day asked."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[*RefundStatus.choices, (ALL, _("All"))],
        empty_label=None,
        method="filter_status",
    )
    currency = django_filters.ChoiceFilter(
        label=_("Currency"), choices=(), empty_label=_("Any currency"), field_name="payment__currency"
    )

    class Meta:
        model = Refund
        fields = ["status", "date_from", "date_to", "currency"]
        form = DateRangeForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["currency"].extra["choices"] = currency_choices()

    def filter_status(self, queryset: QuerySet[Refund], name, value: str) -> QuerySet[Refund]:
        return queryset if value == ALL else queryset.filter(status=value)


def refund_filter_data(request) -> QueryDict:
    """The refunds queue's filter from ``request``; the requested refunds (the first tab) by default."""
    data = request.GET.copy()
    for name in ("before", "after"):
        data.pop(name, None)
    if not data.get("status"):
        data["status"] = RefundStatus.REQUESTED
    return data


# Earnings

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Ranking every consultant adds up every payment of the period: at most this many months at a time.
RANKING_MAX_MONTHS = 3
# One consultant's months: at most this many in one table.
CONSULTANT_MAX_MONTHS = 36
CONSULTANT_DEFAULT_MONTHS = 12


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.CharField):
    """A month typed as ``YYYY-MM`` (what ``<input type="month">`` sends), cleaned to its first day."""

    widget = MonthInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        match = MONTH.match(value)
        if match is None or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid_month")
        month = date(int(match[1]), int(match[2]), 1)
        if not EARLIEST_DAY <= month <= LATEST_DAY:
            raise forms.ValidationError(
                _("Enter a month between %(first)s and %(last)s.")
                % {"first": f"{EARLIEST_DAY:%Y-%m}", "last": f"{LATEST_DAY:%Y-%m}"},
                code="month_range",
            )
        return month


class MonthFilter(django_filters.Filter):
    field_class = MonthField


def month_after(month: date) -> date:
    """The first day of the month after ``month``."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from ``first`` to ``last``, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def months_back(month: date, count: int) -> date:
    """The first day of the month ``count`` months before ``month``."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


class EarningsFilterForm(forms.Form):
    def clean_consultant(self):
        value = self.cleaned_data.get("consultant") or ""
        return id_or_text(value, what=str(_("consultant"))) if value.strip() else ""

    def clean(self):
        super().clean()
        first, last = self.cleaned_data.get("month_from"), self.cleaned_data.get("month_to")
        for name, month in (("month_from", first), ("month_to", last)):
            if month is None and name not in self.errors:
                self.add_error(name, _("Choose a month."))
        if not (first and last):
            return self.cleaned_data
        if first > last:
            self.add_error("month_to", _("The last month is before the first."))
        elif self.cleaned_data.get("consultant"):
            if months_between(first, last) > CONSULTANT_MAX_MONTHS:
                message = _("Show at most %(count)s months of one consultant at a time.")
                self.add_error("month_from", message % {"count": CONSULTANT_MAX_MONTHS})
        elif months_between(first, last) > RANKING_MAX_MONTHS:
            message = _(
                "Rank consultants over at most %(count)s months at a time, or choose a consultant to see a "
                "longer period."
            )
            self.add_error("month_from", message % {"count": RANKING_MAX_MONTHS})
        return self.cleaned_data


class EarningsFilter(django_filters.FilterSet):
    """Earnings: every consultant over a short period (ranked), or one consultant's months."""

    consultant = django_filters.CharFilter(
        label=_("Consultant"),
        method="filter_consultant",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("id, name or e-mail")}),
    )
    month_from = MonthFilter(label=_("From month"), method="filter_from")
    month_to = MonthFilter(label=_("To month"), method="filter_to")
    currency = django_filters.ChoiceFilter(label=_("Currency"), choices=(), empty_label=_("Any currency"))

    class Meta:
        model = Payment
        fields = ["consultant", "month_from", "month_to", "currency"]
        form = EarningsFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["currency"].extra["choices"] = currency_choices()

    def filter_consultant(self, queryset: QuerySet[Payment], name, value: int | str) -> QuerySet[Payment]:
        # The page resolves typed text to one consultant first (``consultants_matching``); an id is what
        # reaches here when it shows their months.
        if isinstance(value, int):
            return queryset.filter(booking__consultant_id=value)
        return queryset.none()

    def filter_from(self, queryset: QuerySet[Payment], name, value: date) -> QuerySet[Payment]:
        return queryset.filter(paid_at__gte=local_midnight(value))

    def filter_to(self, queryset: QuerySet[Payment], name, value: date) -> QuerySet[Payment]:
        return queryset.filter(paid_at__lt=local_midnight(month_after(value)))


def earnings_filter_data(request) -> QueryDict:
    """The earnings page's filter from ``request``, with the default period when it names no month: the
    current month when ranking everyone, the last ``CONSULTANT_DEFAULT_MONTHS`` for one consultant."""
    data = request.GET.copy()
    data.pop("page", None)
    if "month_from" not in data and "month_to" not in data:
        this_month = timezone.localdate().replace(day=1)
        months = CONSULTANT_DEFAULT_MONTHS if data.get("consultant", "").strip() else 1
        data["month_from"] = f"{months_back(this_month, months - 1):%Y-%m}"
        data["month_to"] = f"{this_month:%Y-%m}"
    return data
