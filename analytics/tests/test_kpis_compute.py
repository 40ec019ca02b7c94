"""Recomputing the KPIs from the facts: per local day, rolled up into weeks and months, safe to repeat."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from analytics.metrics import METRICS
from analytics.models import KPIMetric, KPIPeriod
from analytics.services import KPI_COMPUTE_MAX_DAYS, kpis_compute, kpis_compute_recent
from analytics.tasks import kpis_compute_task
from billing.models import Payment
from billing.tests.factories import PaymentFactory
from consultants.models import Booking, BookingStatus
from consultants.tests.factories import BookingFactory
from operations.models import JobOutcome, JobRun
from support.models import SupportTicket
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.usefixtures("require_postgres")

# Tuesday 3 March 2026, in Paris (UTC+1 in March).
TUESDAY = date(2026, 3, 3)


@pytest.fixture(autouse=True)
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026, in UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def booked_at(moment: datetime, **fields) -> Booking:
    booking = BookingFactory(**fields)
    Booking.objects.filter(pk=booking.pk).update(created_at=moment)
    return booking


def value(name: str, period: str, start: date, **dimensions) -> Decimal | None:
    row = KPIMetric.objects.filter(name=name, period=period, period_start=start, dimensions=dimensions).first()
    return row.value if row else None


def test_a_fact_counts_on_its_local_day():
    # given: 23:30 UTC on the 2nd is 00:30 on the 3rd in Paris; 22:30 UTC on the 3rd is 23:30 there
    booked_at(at(2, 23, 30))
    booked_at(at(3, 22, 30))
    booked_at(at(3, 23, 30))  # 00:30 on the 4th in Paris
    # when
    kpis_compute(start=TUESDAY, end=TUESDAY)
    # then
    assert value("sessions_booked", KPIPeriod.DAILY, TUESDAY) == 2


def test_money_is_summed_per_currency_and_rolled_up_into_the_week_and_month():
    # given: Monday 2nd and Tuesday 3rd, two currencies
    for moment, amount, fee, currency in (
        (at(2, 10), "100.00", "15.00", "USD"),
        (at(3, 10), "40.00", "6.00", "USD"),
        (at(3, 11), "5000", "750", "JPY"),
    ):
        payment = PaymentFactory(
            amount=Decimal(amount),
            platform_fee=Decimal(fee),
            consultant_amount=Decimal(amount) - Decimal(fee),
            currency=currency,
        )
        Payment.objects.filter(pk=payment.pk).update(paid_at=moment)
    # when
    kpis_compute(start=date(2026, 3, 2), end=TUESDAY)
    # then
    assert value("revenue_gross", KPIPeriod.DAILY, TUESDAY, currency="USD") == Decimal("40")
    assert value("revenue_gross", KPIPeriod.DAILY, TUESDAY, currency="JPY") == Decimal("5000")
    assert value("platform_fees", KPIPeriod.DAILY, TUESDAY, currency="USD") == Decimal("6")
    assert value("revenue_gross", KPIPeriod.WEEKLY, date(2026, 3, 2), currency="USD") == Decimal("140")
    assert value("revenue_gross", KPIPeriod.MONTHLY, date(2026, 3, 1), currency="USD") == Decimal("140")
    # a currency with no payment that day has no value, rather than a 0 for every currency
    assert value("revenue_gross", KPIPeriod.DAILY, date(2026, 3, 2), currency="JPY") is None


def test_the_week_and_month_count_their_days_outside_the_span_too():
    # given: a session booked on Sunday 1 March, outside the span asked for (Tuesday only)
    booked_at(at(1, 12))
    booked_at(at(3, 12))
    # when
    kpis_compute(start=TUESDAY, end=TUESDAY)
    # then: the month holds both; the week (from Monday 2nd) only Tuesday's
    assert value("sessions_booked", KPIPeriod.MONTHLY, date(2026, 3, 1)) == 2
    assert value("sessions_booked", KPIPeriod.WEEKLY, date(2026, 3, 2)) == 1
    # and the days outside the span were not stored
    assert value("sessions_booked", KPIPeriod.DAILY, date(2026, 3, 1)) is None


def test_a_day_without_facts_stores_zero_for_every_platform_wide_metric():
    # when
    kpis_compute(start=TUESDAY, end=TUESDAY)
    # then
    platform_wide = {metric.name for metric in METRICS if not metric.breakdown}
    stored = dict(KPIMetric.objects.filter(period=KPIPeriod.DAILY, period_start=TUESDAY).values_list("name", "value"))
    assert stored == {name: Decimal(0) for name in platform_wide}


def test_statuses_and_their_dates_decide_what_counts():
    # given
    BookingFactory(status=BookingStatus.COMPLETED, scheduled_at=at(3, 9))
    BookingFactory(status=BookingStatus.CANCELLED, scheduled_at=at(3, 9))
    BookingFactory(status=BookingStatus.CONFIRMED, scheduled_at=at(3, 9))
    ticket = SupportTicketFactory()
    SupportTicket.objects.filter(pk=ticket.pk).update(created_at=at(2, 9), resolved_at=at(3, 15))
    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(created_at=at(3, 8))
    # when
    kpis_compute(start=TUESDAY, end=TUESDAY)
    # then
    assert value("sessions_completed", KPIPeriod.DAILY, TUESDAY) == 1
    assert value("sessions_cancelled", KPIPeriod.DAILY, TUESDAY) == 1
    assert value("tickets_resolved", KPIPeriod.DAILY, TUESDAY) == 1
    assert value("tickets_opened", KPIPeriod.DAILY, TUESDAY) == 0
    assert (value("new_users", KPIPeriod.DAILY, TUESDAY) or 0) >= 1


def test_a_rerun_replaces_the_values_instead_of_adding_to_them():
    # given
    booked_at(at(3, 12))
    kpis_compute(start=TUESDAY, end=TUESDAY)
    booked_at(at(3, 13))
    # when
    kpis_compute(start=TUESDAY, end=TUESDAY)
    kpis_compute(start=TUESDAY, end=TUESDAY)
    # then
    assert value("sessions_booked", KPIPeriod.DAILY, TUESDAY) == 2
    assert KPIMetric.objects.filter(name="sessions_booked", period=KPIPeriod.DAILY).count() == 1


def test_the_queries_do_not_grow_with_the_facts():
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            kpis_compute(start=TUESDAY, end=TUESDAY)
        return len(captured)

    # given
    booked_at(at(3, 12))
    few = queries()
    for hour in range(10):
        booked_at(at(3, hour))
        payment = PaymentFactory()
        Payment.objects.filter(pk=payment.pk).update(paid_at=at(3, hour))
    # then
    assert queries() == few


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (date(2026, 3, 4), TUESDAY, "ends"),
        (date(2000, 1, 1), date(2026, 1, 1), "at most"),
    ],
)
def test_a_backwards_or_too_long_span_is_refused_and_stores_nothing(start, end, reason):
    with pytest.raises(ValueError, match=reason):
        kpis_compute(start=start, end=end)
    assert not KPIMetric.objects.exists()


def test_the_longest_span_allowed_is_about_ten_years():
    assert 3650 <= KPI_COMPUTE_MAX_DAYS < 4000


def test_the_job_recomputes_yesterday_and_today_and_records_its_run():
    # given
    booked_at(at(3, 12))
    # when: the task, as beat runs it (eagerly here)
    kpis_compute_task.delay()
    # then
    run = JobRun.objects.get(job="kpis-compute")
    assert run.outcome == JobOutcome.SUCCEEDED
    assert run.result is not None
    assert run.result["days"] == 2
    assert run.result["values"] > 0


def test_the_recent_run_covers_yesterday_and_today_in_the_local_time_zone():
    # given: 23:30 UTC on the 3rd is already the 4th in Paris
    booked_at(at(3, 23, 30))
    # when
    run = kpis_compute_recent(now=at(3, 23, 45))
    # then
    assert run.days == 2
    assert value("sessions_booked", KPIPeriod.DAILY, date(2026, 3, 4)) == 1
    assert value("sessions_booked", KPIPeriod.DAILY, TUESDAY) == 0


def test_the_command_recomputes_a_span_and_says_what_it_stored(capsys):
    # given
    booked_at(at(3, 12))
    # when
    call_command("compute_kpis", "--from", "2026-03-02", "--to", "2026-03-03")
    # then
    out = capsys.readouterr().out
    assert "2 days (2026-03-02 to 2026-03-03)" in out
    assert value("sessions_booked", KPIPeriod.DAILY, TUESDAY) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2026-03-04", "--to", "2026-03-03"], "before it starts"),
        (["--from", "2015-01-01", "--to", "2026-03-03"], "at most"),
    ],
)
def test_the_command_refuses_a_bad_span_in_one_line(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("compute_kpis", *arguments)
    assert not KPIMetric.objects.exists()


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "9999-01-01", "2026-03-03\x00", "1-1-1"])
def test_the_command_refuses_what_is_not_a_reasonable_date(text):
    with pytest.raises(CommandError, match="date|years"):
        call_command("compute_kpis", "--from", text)
