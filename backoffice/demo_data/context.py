"""What the demo generation steps share: the random source, the timeline, the writer and the rows made
so far that later steps link to."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, TypeVar

from backoffice.demo_data.kpi_tally import KpiTally
from backoffice.demo_data.plan import HISTORY_DAYS, DemoPlan
from backoffice.demo_data.writer import TableWriter
from billing.selectors import commission_rule_in_force

T = TypeVar("T")
# How many bookings and payments later steps keep to link to (audit events, messages): enough variety,
# bounded memory at a million rows.
SAMPLE_SIZE = 20_000


class ConsultantRef(NamedTuple):
    id: int
    user_id: int
    joined: datetime


class ServiceRef(NamedTuple):
    id: int
    consultant_id: int
    consultant_user_id: int
    category_id: int
    price: Decimal


class BookingRef(NamedTuple):
    id: int
    client_id: int
    consultant_id: int
    consultant_user_id: int
    scheduled_at: datetime
    status: str
    price: Decimal


class PaymentRef(NamedTuple):
    """A payment (or a declined attempt at one), with what its PAYMENT audit event names."""

    id: int
    booking_id: int
    payer_id: int
    amount: Decimal
    currency: str
    platform_fee: Decimal
    consultant_amount: Decimal
    commission_rule_id: int | None
    commission_rate_percent: Decimal
    provider_reference: str
    at: datetime


class RefundRef(NamedTuple):
    """A refund and the steps it went through (requested; decided; processed), for its REFUND audit events."""

    id: int
    payment_id: int
    amount: Decimal
    reason: str
    status: str
    requested_by: int
    requested_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    processed_by: int | None = None
    processed_at: datetime | None = None
    platform_fee_reversed: Decimal | None = None
    consultant_amount_reversed: Decimal | None = None


class CommissionRule(NamedTuple):
    id: int
    effective_from: date
    effective_to: date | None
    rate_percent: Decimal


@dataclass
class CommissionRates:
    """The active commission rules, held in memory and resolved by billing's own precedence.

    Each list is ordered as ``billing.selectors.commission_rule_for`` orders the rules it reads (latest
    start first, then highest id), so a tie resolves the same way in memory and in the database.
    """

    default: list[CommissionRule]
    by_category: dict[int, list[CommissionRule]] = field(default_factory=dict)
    by_service: dict[int, list[CommissionRule]] = field(default_factory=dict)

    def rule_for(self, service: ServiceRef, day: date) -> CommissionRule | None:
        """The rule that applies to a booking of ``service`` on ``day``; ``None`` when none is in force
        (a payment then takes ``PLATFORM_DEFAULT_COMMISSION_PERCENT``, as ``billing.services`` does)."""
        return commission_rule_in_force(
            service_rules=self.by_service.get(service.id, ()),
            category_rules=self.by_category.get(service.category_id, ()),
            default_rules=self.default,
            on=day,
        )


class TicketRef(NamedTuple):
    id: int
    requester_id: int
    assignee_id: int | None
    created_at: datetime
    # When the desk first answered (None: not yet); the conversation has no agent reply before it.
    first_response_at: datetime | None = None


@dataclass
class DemoContext:
    """``now`` is today's midnight (UTC), the end of the demo history; ``start`` is two years earlier."""

    rng: random.Random
    now: datetime
    start: datetime
    plan: DemoPlan
    writer: TableWriter
    password_hash: str
    staff_ids: list[int] = field(default_factory=list)
    # Each user's e-mail address: the audit trail names its actors by it.
    user_emails: dict[int, str] = field(default_factory=dict)
    client_ids: list[int] = field(default_factory=list)
    consultants: list[ConsultantRef] = field(default_factory=list)
    services: list[ServiceRef] = field(default_factory=list)
    category_slugs: dict[int, str] = field(default_factory=dict)
    # Set by the offerings step (``_seed_commissions``), which runs before any booking is paid.
    commission: CommissionRates = field(init=False, repr=False)
    bookings: list[BookingRef] = field(default_factory=list)
    report_bookings: list[BookingRef] = field(default_factory=list)
    study_bookings: list[BookingRef] = field(default_factory=list)
    payments: list[PaymentRef] = field(default_factory=list)
    refunds: list[RefundRef] = field(default_factory=list)
    tickets: list[TicketRef] = field(default_factory=list)
    # Primary keys written per model label, for steps that only need "some row of that kind".
    ids: dict[str, Sequence[int]] = field(default_factory=dict)
    kpis: KpiTally = field(default_factory=KpiTally)
    stored_files: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, *, seed: int, plan: DemoPlan, writer: TableWriter, password_hash: str) -> "DemoContext":
        # Dates are relative to today (UTC midnight), so one seed gives the same rows all day long.
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        # Demo data needs reproducibility, not unpredictability.
        rng = random.Random(seed)  # noqa: S311
        start = today - timedelta(days=HISTORY_DAYS)
        return cls(rng=rng, now=today, start=start, plan=plan, writer=writer, password_hash=password_hash)

    def moment(self, low: datetime, high: datetime) -> datetime:
        """A moment uniformly between ``low`` and ``high``."""
        return low + (high - low) * self.rng.random()

    def growing_moment(self, low: datetime, high: datetime) -> datetime:
        """A moment between ``low`` and ``high``, later ones likelier: the business grows over time."""
        return low + (high - low) * self.rng.random() ** 0.6

    def after(self, moment: datetime, *, max_hours: float, min_hours: float = 0.0) -> datetime:
        """A moment a little after ``moment``, never later than now."""
        return self.not_after_now(moment + timedelta(hours=self.rng.uniform(min_hours, max_hours)))

    def not_after_now(self, moment: datetime) -> datetime:
        """``moment``, or for one in the future a moment within the last hour.

        Clamping to ``now`` itself would pile thousands of rows on one timestamp, which no real table
        has and which makes every "newest first" page sort that whole pile.
        """
        if moment < self.now:
            return moment
        return self.now - timedelta(seconds=self.rng.uniform(1, 3600))

    def sample_every(self, total: int) -> int:
        """Keep one row in this many so that about ``SAMPLE_SIZE`` of ``total`` are kept."""
        return max(1, total // SAMPLE_SIZE)

    def pick(self, items: Sequence[T]) -> T:
        """One of ``items``, uniformly (``random.choice`` without its overhead, which shows at a million rows)."""
        return items[int(self.rng.random() * len(items))]

    def user_ids(self) -> list[int]:
        return [*self.staff_ids, *(c.user_id for c in self.consultants), *self.client_ids]
