"""Reads for billing: which commission rule applies to a booking, and what the finance pages list and
add up (payments, refunds, earnings, the rules behind a service's commission)."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from django.db import connections, transaction
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, TextField, Value
from django.db.models.functions import Cast, Coalesce, TruncMonth

from accounts.selectors import users_matching
from billing.models import Payment, PaymentStatus, Refund, ServiceCommission
from consultants.models import Consultant, Service, ServiceCategory


class CommissionPeriod(Protocol):
    """What precedence needs of a commission rule: when it is in force (``ServiceCommission`` has it)."""

    @property
    def effective_from(self) -> date: ...

    @property
    def effective_to(self) -> date | None: ...


Rule = TypeVar("Rule", bound=CommissionPeriod)


def commission_rule_in_force(
    *, service_rules: Iterable[Rule], category_rules: Iterable[Rule], default_rules: Iterable[Rule], on: date
) -> Rule | None:
    """The rule that applies on ``on``: the service's rule in force, else its category's, else the
    platform default's; ``None`` when none of them is in force that day.

    A rule is in force from ``effective_from`` to ``effective_to`` inclusive (open-ended without one).
    Within one scope, the rule in force that started last wins (the first of those given, on a tie).
    The callers pass active rules only. Pure: ``commission_rule_for`` feeds it from the database; the demo
    data, which cannot query per booking at a million rows, feeds it from memory.
    """
    for rules in (service_rules, category_rules, default_rules):
        chosen = None
        for rule in rules:
            if rule.effective_from <= on and (rule.effective_to is None or on <= rule.effective_to):
                if chosen is None or rule.effective_from > chosen.effective_from:
                    chosen = rule
        if chosen is not None:
            return chosen
    return None


def commission_rule_for(*, service: Service, day: date) -> ServiceCommission | None:
    """The active commission rule that applies to a booking of ``service`` on ``day`` (one query), by
    ``commission_rule_in_force``'s precedence; ``None`` when no active rule is in force that day."""
    rules = list(
        ServiceCommission.objects.filter(
            Q(service=service) | Q(service=None, category_id=service.category_id) | Q(service=None, category=None),
            Q(effective_to__isnull=True) | Q(effective_to__gte=day),
            is_active=True,
            effective_from__lte=day,
        ).order_by("-effective_from", "-pk")
    )
    return commission_rule_in_force(
        service_rules=[rule for rule in rules if rule.service_id == service.pk],
        category_rules=[
            rule for rule in rules if rule.category_id is not None and rule.category_id == service.category_id
        ],
        default_rules=[rule for rule in rules if rule.service_id is None and rule.category_id is None],
        on=day,
    )


# The finance pages: payments, refunds, earnings and the commission rules behind them.

# Payments that brought money in: what earnings and refunds are counted from.
EARNING_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
# What a row of the payments list shows; the rest of each row (and of its booking) stays in the database.
PAYMENT_ROW_COLUMNS = (
    "id", "created_at", "paid_at", "status", "currency", "amount", "platform_fee", "consultant_amount",
    "refunded_amount", "payer", "payer__full_name", "payer__email", "booking", "booking__consultant",
    "booking__consultant__user", "booking__consultant__user__full_name", "booking__consultant__user__email",
    "booking__service", "booking__service__title",
)  # fmt: skip
# The payments export, as (CSV header, column): the same rows as the list, newest first.
PAYMENT_EXPORT_COLUMNS = (
    ("id", "id"),
    ("created_at", "created_at"),
    ("paid_at", "paid_at"),
    ("status", "status"),
    ("currency", "currency"),
    ("amount", "amount"),
    ("platform_fee", "platform_fee"),
    ("consultant_amount", "consultant_amount"),
    ("refunded_amount", "refunded_amount"),
    ("platform_fee_refunded", "platform_fee_refunded"),
    ("commission_rate_percent", "commission_rate_percent"),
    ("commission_rule_id", "commission_rule_id"),
    ("provider_reference", "provider_reference"),
    ("payer_id", "payer_id"),
    ("payer_name", "payer__full_name"),
    ("payer_email", "payer__email"),
    ("booking_id", "booking_id"),
    ("consultant_id", "booking__consultant_id"),
    ("consultant_name", "booking__consultant__user__full_name"),
    ("consultant_email", "booking__consultant__user__email"),
    ("service_id", "booking__service_id"),
    ("service_title", "booking__service__title"),
    ("category", "booking__service__category__name"),
)
# The columns holding text that people typed or could have (names, e-mails, titles, reasons, references,
# the currency code): the only ones whose text could start like a spreadsheet formula (the others are
# numbers, times and the status codes the database's checks allow), so the ones the export makes
# formula-safe.
PAYMENT_EXPORT_TYPED = frozenset(
    {
        "currency", "provider_reference", "payer_name", "payer_email", "consultant_name", "consultant_email",
        "service_title", "category",
    }
)  # fmt: skip
REFUND_EXPORT_COLUMNS = (
    ("id", "id"),
    ("created_at", "created_at"),
    ("status", "status"),
    ("payment_id", "payment_id"),
    ("currency", "payment__currency"),
    ("amount", "amount"),
    ("reason", "reason"),
    ("payer_email", "payment__payer__email"),
    ("requested_by", "requested_by__email"),
    ("decided_by", "decided_by__email"),
    ("decided_at", "decided_at"),
    ("decision_note", "decision_note"),
    ("processed_by", "processed_by__email"),
    ("processed_at", "processed_at"),
    ("platform_fee_reversed", "platform_fee_reversed"),
    ("consultant_amount_reversed", "consultant_amount_reversed"),
)
REFUND_EXPORT_TYPED = frozenset(
    {"currency", "reason", "payer_email", "requested_by", "decided_by", "decision_note", "processed_by"}
)
# Rows a server-side cursor fetches at a time while an export streams.
EXPORT_CHUNK_SIZE = 2_000


@dataclass(frozen=True)
class CurrencyTotals:
    """What a set of payments adds up to in one currency (amounts in different currencies never add up):
    how many there are, and the money of those that brought money in (``EARNING_STATUSES``: a failed or
    pending payment is counted, its amount is not)."""

    currency: str
    count: int
    received: int
    amount: Decimal
    platform_fee: Decimal
    consultant_amount: Decimal
    refunded_amount: Decimal


def payment_rows(queryset: QuerySet[Payment]) -> QuerySet[Payment]:
    """``queryset`` ready for a page of the payments list: each row with its payer, consultant and
    service in the same query."""
    return queryset.select_related("payer", "booking__consultant__user", "booking__service").only(*PAYMENT_ROW_COLUMNS)


def payment_totals(queryset: QuerySet[Payment]) -> list[CurrencyTotals]:
    """The count and sums of ``queryset`` per currency, in currency order (one query)."""
    received = Q(status__in=EARNING_STATUSES)
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=2))
    sums = (
        queryset.order_by()
        .values("currency")
        .annotate(
            count=Count("id"),
            received_count=Count("id", filter=received),
            amount_sum=Coalesce(Sum("amount", filter=received), zero),
            fee_sum=Coalesce(Sum("platform_fee", filter=received), zero),
            share_sum=Coalesce(Sum("consultant_amount", filter=received), zero),
            refunded_sum=Coalesce(Sum("refunded_amount", filter=received), zero),
        )
        .order_by("currency")
    )
    return [
        CurrencyTotals(
            currency=row["currency"],
            count=row["count"],
            received=row["received_count"],
            amount=row["amount_sum"],
            platform_fee=row["fee_sum"],
            consultant_amount=row["share_sum"],
            refunded_amount=row["refunded_sum"],
        )
        for row in sums
    ]


def payments_export_rows(queryset: QuerySet[Payment]) -> QuerySet:
    """The rows of the payments export for ``queryset``, newest first, as tuples in the order of
    ``PAYMENT_EXPORT_COLUMNS``: one query joining payer, booking, consultant, service and category.

    Every value comes as the database writes it in text (amounts as stored, times in UTC as ISO 8601
    with a space, "" for no value): decoding a million rows' amounts and times into Python objects only
    to write them back as text was most of an export's time. The typed columns (``PAYMENT_EXPORT_TYPED``)
    are still to be made formula-safe. Lazy: the export streams it through ``export_rows_streamed``;
    ``.query`` is its SQL.
    """
    return _as_text_rows(queryset.order_by("-created_at", "-id"), PAYMENT_EXPORT_COLUMNS)


def _as_text_rows(queryset: QuerySet, columns: tuple[tuple[str, str], ...]) -> QuerySet:
    text = TextField()
    return queryset.values_list(
        *(Coalesce(Cast(column, output_field=text), Value(""), output_field=text) for _, column in columns)
    )


def export_rows_streamed(rows: QuerySet, *, chunk_size: int | None = None) -> Iterator[tuple]:
    """The rows of ``rows`` (``payments_export_rows``, ``refunds_export_rows``) fetched ``chunk_size`` at a
    time (``EXPORT_CHUNK_SIZE``) from a server-side cursor, so memory stays flat at any number of rows.

    One read-only transaction holds the cursor for as long as the download lasts: the export is one
    snapshot, and nothing is materialised on the server (a cursor opened outside a transaction is WITH
    HOLD, which computes the whole result before the first row). PostgreSQL plans a cursor for its first
    rows (nested loops in list order, a million index probes); the export reads them all, so it is
    planned as the same query run in full (``cursor_tuple_fraction``, for this transaction only).
    """
    with transaction.atomic(using=rows.db):
        if connections[rows.db].vendor == "postgresql":
            with connections[rows.db].cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from rows.iterator(chunk_size=chunk_size or EXPORT_CHUNK_SIZE)


def payment_for_page(pk: int) -> Payment | None:
    """The payment ``pk`` with everything its page shows about it (one query), or ``None``."""
    return (
        Payment.objects.select_related(
            "payer",
            "booking__client",
            "booking__consultant__user",
            "booking__service__category",
            "commission_rule__service",
            "commission_rule__category",
        )
        .filter(pk=pk)
        .first()
    )


def payment_refunds(payment: Payment) -> list[Refund]:
    """The refunds of ``payment``, oldest first, with who asked, decided and processed (one query)."""
    return list(
        payment.refunds.select_related("requested_by", "decided_by", "processed_by").order_by("created_at", "id")
    )


# Refunds


def refund_rows(queryset: QuerySet[Refund]) -> QuerySet[Refund]:
    """``queryset`` ready for a page of the refunds queue: each refund with its payment, payer and the
    people who asked, decided and processed, in the same query."""
    return queryset.select_related("payment__payer", "requested_by", "decided_by", "processed_by")


def refund_counts_by_status() -> dict[str, int]:
    """How many refunds are in each status (one query on the status index)."""
    counts = Refund.objects.order_by().values("status").annotate(count=Count("id"))
    return {row["status"]: row["count"] for row in counts}


def refunds_export_rows(queryset: QuerySet[Refund]) -> QuerySet:
    """The rows of the refunds export for ``queryset``, newest first, as tuples of text in the order of
    ``REFUND_EXPORT_COLUMNS`` (as ``payments_export_rows``)."""
    return _as_text_rows(queryset.order_by("-created_at", "-id"), REFUND_EXPORT_COLUMNS)


# Earnings


@dataclass(frozen=True)
class EarningsRow:
    """A consultant's earnings in one currency, over a month (``month``) or the period asked for."""

    currency: str
    payments: int
    gross: Decimal
    platform_fee: Decimal
    consultant_amount: Decimal
    refunded_share: Decimal
    month: date | None = None
    consultant_id: int | None = None
    consultant_name: str = ""
    consultant_email: str = ""

    @property
    def net(self) -> Decimal:
        """What the consultant keeps: their share less the part of it refunds took back."""
        return self.consultant_amount - self.refunded_share


EARNINGS_SUMS = {
    "payments": Count("id"),
    "gross": Sum("amount"),
    "fee": Sum("platform_fee"),
    "share": Sum("consultant_amount"),
    "refunded_share": Sum(F("refunded_amount") - F("platform_fee_refunded")),
    "net": Sum(F("consultant_amount") - F("refunded_amount") + F("platform_fee_refunded")),
}


def earning_payments() -> QuerySet[Payment]:
    """Payments that brought money in, to filter (``billing.filters.EarningsFilter``) and add up. A
    refund counts against the payment it returns, in the month that payment was made."""
    return Payment.objects.filter(status__in=EARNING_STATUSES, paid_at__isnull=False)


def earnings_by_month(queryset: QuerySet[Payment]) -> list[EarningsRow]:
    """``queryset`` (one consultant's payments, say) added up per month of payment (local time) and
    currency, newest month first (one query)."""
    rows = (
        queryset.order_by()
        .annotate(month=TruncMonth("paid_at"))
        .values("month", "currency")
        .annotate(**EARNINGS_SUMS)
        .order_by("-month", "currency")
    )
    return [_earnings_row(row, month=row["month"].date()) for row in rows]


def earnings_totals(queryset: QuerySet[Payment]) -> list[EarningsRow]:
    """``queryset`` added up per currency (one query)."""
    rows = queryset.order_by().values("currency").annotate(**EARNINGS_SUMS).order_by("currency")
    return [_earnings_row(row) for row in rows]


def earnings_ranking(queryset: QuerySet[Payment]) -> QuerySet:
    """``queryset`` added up per consultant and currency, highest net first within each currency: a
    grouped query to slice into pages (``earnings_rows`` turns a page into ``EarningsRow``)."""
    return (
        queryset.order_by()
        .values(
            "currency",
            "booking__consultant_id",
            "booking__consultant__user__full_name",
            "booking__consultant__user__email",
        )
        .annotate(**EARNINGS_SUMS)
        .order_by("currency", F("net").desc(), "booking__consultant_id")
    )


def earnings_rows(rows) -> list[EarningsRow]:
    """Rows of ``earnings_ranking`` as ``EarningsRow``."""
    return [
        _earnings_row(
            row,
            consultant_id=row["booking__consultant_id"],
            consultant_name=row["booking__consultant__user__full_name"],
            consultant_email=row["booking__consultant__user__email"],
        )
        for row in rows
    ]


def _earnings_row(row: Mapping[str, Any], **extra) -> EarningsRow:
    return EarningsRow(
        currency=row["currency"],
        payments=row["payments"],
        gross=row["gross"],
        platform_fee=row["fee"],
        consultant_amount=row["share"],
        refunded_share=row["refunded_share"],
        **extra,
    )


def consultants_matching(text: str, *, limit: int) -> list[Consultant]:
    """Up to ``limit`` consultants whose name or e-mail contains ``text`` (``users_matching``), by name."""
    return list(
        Consultant.objects.filter(user__in=users_matching(text))
        .select_related("user")
        .order_by("user__full_name", "pk")[:limit]
    )


def consultant_ids_matching(text: str, *, limit: int) -> list[int]:
    """The ids of up to ``limit`` consultants whose name or e-mail contains ``text`` (``users_matching``)."""
    consultants = Consultant.objects.filter(user__in=users_matching(text).values("pk"))
    return list(consultants.values_list("pk", flat=True)[:limit])


def service_ids_matching(text: str, *, limit: int) -> list[int]:
    """The ids of up to ``limit`` services whose title contains ``text``."""
    return list(services_matching(text).order_by().values_list("pk", flat=True)[:limit])


def consultant_for_page(pk: int) -> Consultant | None:
    return Consultant.objects.select_related("user").filter(pk=pk).first()


# Commission rules, explained


class CommissionLevel(StrEnum):
    """Where the rate that applies comes from, in order of precedence."""

    SERVICE = "service"
    CATEGORY = "category"
    DEFAULT = "default"
    FALLBACK = "fallback"  # no rule in force: PLATFORM_DEFAULT_COMMISSION_PERCENT


class RuleState(StrEnum):
    """A rule as seen on a given day."""

    IN_FORCE = "in_force"
    SCHEDULED = "scheduled"
    ENDED = "ended"
    INACTIVE = "inactive"


def rule_state(rule: ServiceCommission, day: date) -> RuleState:
    if not rule.is_active:
        return RuleState.INACTIVE
    if rule.effective_from > day:
        return RuleState.SCHEDULED
    if rule.effective_to is not None and rule.effective_to < day:
        return RuleState.ENDED
    return RuleState.IN_FORCE


@dataclass(frozen=True)
class ServiceCommissionView:
    """The commission of one service on ``day``: the rule in force at each level, the one that applies
    (``applied``, from ``level``), and every rule of each level, newest first, inactive and ended ones
    included."""

    day: date
    level: CommissionLevel
    applied: ServiceCommission | None
    service_rule: ServiceCommission | None
    category_rule: ServiceCommission | None
    default_rule: ServiceCommission | None
    service_history: list[ServiceCommission]
    category_history: list[ServiceCommission]
    default_history: list[ServiceCommission]


def service_commission_view(*, service: Service, day: date) -> ServiceCommissionView:
    """How the commission of ``service`` is decided on ``day`` (one query for the rules of all three
    levels), by ``commission_rule_in_force``'s precedence, so it always agrees with ``commission_rule_for``."""
    rules = list(
        ServiceCommission.objects.filter(
            Q(service=service) | Q(service=None, category_id=service.category_id) | Q(service=None, category=None)
        ).order_by("-effective_from", "-pk")
    )
    service_history = [rule for rule in rules if rule.service_id == service.pk]
    category_history = [rule for rule in rules if rule.service_id is None and rule.category_id is not None]
    default_history = [rule for rule in rules if rule.service_id is None and rule.category_id is None]
    for rule in category_history:
        rule.category = service.category  # the scope label names it without a query
    in_force = {
        level: commission_rule_in_force(
            service_rules=[], category_rules=[], default_rules=[rule for rule in history if rule.is_active], on=day
        )
        for level, history in (
            (CommissionLevel.SERVICE, service_history),
            (CommissionLevel.CATEGORY, category_history),
            (CommissionLevel.DEFAULT, default_history),
        )
    }
    level = next((level for level, rule in in_force.items() if rule is not None), CommissionLevel.FALLBACK)
    return ServiceCommissionView(
        day=day,
        level=level,
        applied=in_force.get(level),
        service_rule=in_force[CommissionLevel.SERVICE],
        category_rule=in_force[CommissionLevel.CATEGORY],
        default_rule=in_force[CommissionLevel.DEFAULT],
        service_history=service_history,
        category_history=category_history,
        default_history=default_history,
    )


def services_matching(text: str) -> QuerySet[Service]:
    """Services whose title contains ``text`` (all of them for no text), by title, with their consultant
    and category."""
    services = Service.objects.select_related("category", "consultant__user").order_by("title", "pk")
    text = text.strip()
    return services.filter(title__icontains=text) if text else services


def commission_rules_today(
    *, services: list[Service], day: date
) -> dict[int, tuple[CommissionLevel, ServiceCommission | None]]:
    """For each of ``services`` (a page of them), the level and rule that applies on ``day``: one query for
    the rules of all of them, their categories and the default, resolved by ``commission_rule_in_force``."""
    if not services:
        return {}
    category_ids = {service.category_id for service in services}
    rules = list(
        ServiceCommission.objects.filter(
            Q(service__in=services) | Q(service=None, category_id__in=category_ids) | Q(service=None, category=None),
            Q(effective_to__isnull=True) | Q(effective_to__gte=day),
            is_active=True,
            effective_from__lte=day,
        ).order_by("-effective_from", "-pk")
    )
    defaults = [rule for rule in rules if rule.service_id is None and rule.category_id is None]
    resolved: dict[int, tuple[CommissionLevel, ServiceCommission | None]] = {}
    for service in services:
        levels = (
            (CommissionLevel.SERVICE, [rule for rule in rules if rule.service_id == service.pk]),
            (
                CommissionLevel.CATEGORY,
                [rule for rule in rules if rule.service_id is None and rule.category_id == service.category_id],
            ),
            (CommissionLevel.DEFAULT, defaults),
        )
        resolved[service.pk] = (CommissionLevel.FALLBACK, None)
        for level, candidates in levels:
            rule = commission_rule_in_force(service_rules=candidates, category_rules=[], default_rules=[], on=day)
            if rule is not None:
                resolved[service.pk] = (level, rule)
                break
    return resolved


def category_rules_today(*, day: date) -> list[tuple[ServiceCategory, ServiceCommission | None]]:
    """Every category with its rule in force on ``day`` (or ``None``), by name (two queries)."""
    categories = list(ServiceCategory.objects.order_by("name"))
    rules = ServiceCommission.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day),
        service=None,
        category__isnull=False,
        is_active=True,
        effective_from__lte=day,
    ).order_by("-effective_from", "-pk")
    by_category: dict[int, ServiceCommission] = {}
    for rule in rules:
        if rule.category_id is not None:
            by_category.setdefault(rule.category_id, rule)
    return [(category, by_category.get(category.pk)) for category in categories]


def default_rule_today(*, day: date) -> ServiceCommission | None:
    """The platform default rule in force on ``day``, if any."""
    return (
        ServiceCommission.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day),
            service=None,
            category=None,
            is_active=True,
            effective_from__lte=day,
        )
        .order_by("-effective_from", "-pk")
        .first()
    )
