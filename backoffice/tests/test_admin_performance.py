"""Changelists of large tables: counts that stay cheap, and a date hierarchy that never scans the rows."""

import html
import re
from datetime import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import NotificationFactory
from auditing.models import AuditAction, AuditLog
from auditing.tests.factories import AuditLogFactory
from backoffice.tests.admin_rows import create_rows, large_table_models
from consultants.models import Booking
from consultants.tests.factories import BookingFactory, ServiceFactory
from core import admin_performance
from core.admin_performance import EstimatedCountPaginator, Precision, count_rows
from core.testing import admin_url

pytestmark = pytest.mark.django_db

AUDIT_LOG_LIST = admin_url(AuditLog, "changelist")
# Changelist tests use notifications: a plain large table whose rows only their factory writes here (the
# audit trail and the system log are read on the staff pages, where the admin sends them).
NOTIFICATION_LIST = admin_url(Notification, "changelist")
BOOKING_LIST = admin_url(Booking, "changelist")


@pytest.fixture
def exact_up_to_10(settings):
    settings.ADMIN_EXACT_COUNT_LIMIT = 10


def analyze(model) -> None:
    """Refresh PostgreSQL's statistics for ``model``, as autovacuum eventually would.

    ANALYZE is not undone by the test's rollback, so a test that relies on statistics refreshes them.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def bookings_on(*days: datetime) -> list[Booking]:
    service = ServiceFactory()
    return [BookingFactory(service=service, scheduled_at=day) for day in days]


def aware(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


# The count


def test_small_results_are_counted_exactly(exact_up_to_10):
    # given as many rows as the exact-count limit, and fresh statistics
    AuditLogFactory.create_batch(10)
    analyze(AuditLog)
    # when they are counted, filtered or not
    everything = count_rows(AuditLog.objects.all(), exact_up_to=10)
    filtered = count_rows(AuditLog.objects.filter(action=AuditAction.UPDATE), exact_up_to=10)
    # then the counts are exact
    assert (everything.value, everything.precision) == (10, Precision.EXACT)
    assert (filtered.value, filtered.precision) == (10, Precision.EXACT)
    assert everything.label() is None


def test_without_postgres_a_large_result_is_a_lower_bound(exact_up_to_10, monkeypatch):
    # given more rows than the limit, and no planner to ask (as on SQLite)
    monkeypatch.setattr(admin_performance, "_postgres_estimate", lambda queryset: None)
    AuditLogFactory.create_batch(15)
    # when they are counted
    count = count_rows(AuditLog.objects.all(), exact_up_to=10)
    # then we only learn that there are more than the limit
    assert (count.value, count.precision) == (11, Precision.AT_LEAST)
    assert count.label() == "more than 10"


def test_a_planner_estimate_below_the_limit_is_checked_by_counting(exact_up_to_10, monkeypatch):
    # given a planner that thinks there are 3 rows where there are 15 (stale statistics)
    monkeypatch.setattr(admin_performance, "_postgres_estimate", lambda queryset: 3)
    AuditLogFactory.create_batch(15)
    # when they are counted
    count = count_rows(AuditLog.objects.all(), exact_up_to=10)
    # then the capped count overrides the estimate
    assert (count.value, count.precision) == (11, Precision.AT_LEAST)


def test_estimates_are_shown_rounded():
    count = admin_performance.RowCount(1_003_456, Precision.ESTIMATE)
    assert count.label() == "about 1,000,000"


def test_postgres_estimates_large_tables_without_counting(require_postgres, exact_up_to_10):
    # given 40 audit rows, 30 of them updates, and fresh statistics
    AuditLogFactory.create_batch(30, action=AuditAction.UPDATE)
    AuditLogFactory.create_batch(10, action=AuditAction.LOGIN)
    analyze(AuditLog)
    # when the whole table and the updates are counted
    with CaptureQueriesContext(connection) as queries:
        everything = count_rows(AuditLog.objects.all(), exact_up_to=10)
        updates = count_rows(AuditLog.objects.filter(action=AuditAction.UPDATE), exact_up_to=10)
    # then both are PostgreSQL's estimates (table statistics, then the planner's), no rows counted
    assert (everything.value, everything.precision) == (40, Precision.ESTIMATE)
    assert updates.precision is Precision.ESTIMATE
    assert 10 < updates.value <= 40
    assert not any("COUNT(" in query["sql"] for query in queries.captured_queries)


def test_pages_past_an_estimated_end_open_empty(exact_up_to_10, monkeypatch):
    # given a 15-row table estimated at 40 rows
    monkeypatch.setattr(admin_performance, "_postgres_estimate", lambda queryset: 40)
    AuditLogFactory.create_batch(15)
    paginator = EstimatedCountPaginator(AuditLog.objects.order_by("-id"), per_page=10)
    # when the pages are read
    # then the second holds the last 5 rows, and pages past the estimate are empty rather than errors
    assert paginator.num_pages == 4
    assert len(paginator.page(2).object_list) == 5
    assert list(paginator.page(4).object_list) == []
    assert list(paginator.page(7).object_list) == []


# The changelist


@pytest.fixture
def pages_of_10(monkeypatch):
    monkeypatch.setattr(admin.site._registry[Notification], "list_per_page", 10)


def test_changelist_says_about_when_the_count_is_estimated(admin_client, require_postgres, exact_up_to_10, pages_of_10):
    # given more notifications than the exact-count limit, and fresh statistics
    NotificationFactory.create_batch(40)
    analyze(Notification)
    # when they are listed
    response = admin_client.get(NOTIFICATION_LIST)
    # then its size is an estimate and says so
    assert re.search(r"about 40\s+notifications", response.content.decode())


def test_the_last_page_turns_an_estimate_into_the_exact_count(admin_client, exact_up_to_10, pages_of_10, monkeypatch):
    # given 15 notifications that the database estimates at 40
    monkeypatch.setattr(admin_performance, "_postgres_estimate", lambda queryset: 40)
    NotificationFactory.create_batch(15)
    # when the first (full) page and the second (last, half-full) page are listed
    first = admin_client.get(NOTIFICATION_LIST)
    last = admin_client.get(NOTIFICATION_LIST, {"p": "2"})
    # then the first can only estimate, and the last knows there are 15
    assert re.search(r"about 40\s+notifications", first.content.decode())
    assert re.search(r"\b15\s+notifications", last.content.decode())
    assert len(last.context["cl"].result_list) == 5


def test_changelist_says_more_than_when_only_a_bound_is_known(admin_client, exact_up_to_10, pages_of_10, monkeypatch):
    monkeypatch.setattr(admin_performance, "_postgres_estimate", lambda queryset: None)
    NotificationFactory.create_batch(15)
    response = admin_client.get(NOTIFICATION_LIST)
    assert re.search(r"more than 10\s+notifications", response.content.decode())


def test_changelist_shows_small_counts_exactly(admin_client):
    NotificationFactory.create_batch(3)
    response = admin_client.get(NOTIFICATION_LIST)
    assert re.search(r"\b3\s+notifications", response.content.decode())


@pytest.mark.parametrize("model", large_table_models(), ids=lambda model: model._meta.label)
@pytest.mark.parametrize("rows_beyond_limit", [False, True], ids=["few-rows", "many-rows"])
def test_large_table_changelists_never_count_or_scan_the_whole_table(
    admin_client, require_postgres, exact_up_to_10, model, rows_beyond_limit
):
    # given a table below or beyond the exact-count limit, with fresh statistics
    create_rows(model, 20 if rows_beyond_limit else 3)
    analyze(model)
    # when its list is opened
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(model, "changelist"))
    # then every COUNT is capped by a LIMIT, and nothing reads distinct values
    assert response.status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert [q for q in sql if "COUNT(" in q and "LIMIT" not in q] == []
    assert [q for q in sql if "DISTINCT" in q] == []


# The date hierarchy


def date_links(response) -> list[tuple[str, str]]:
    """The date hierarchy's (title, link) pairs."""
    nav = re.search(r'<nav class="toplinks">(.*?)</nav>', response.content.decode(), re.S)
    assert nav is not None, "the page has no date hierarchy"
    links = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav.group(1))
    return [(html.unescape(title).strip(), html.unescape(href)) for href, title in links]


def test_date_hierarchy_offers_every_year_between_the_first_and_last_row(admin_client):
    # given bookings in 2023 and 2025 only
    bookings_on(aware(2023, 5, 1), aware(2025, 2, 1))
    # when the list is opened
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(BOOKING_LIST)
    # then 2023 to 2025 are offered, found without reading distinct dates
    assert date_links(response) == [
        ("2023", "?scheduled_at__year=2023"),
        ("2024", "?scheduled_at__year=2024"),
        ("2025", "?scheduled_at__year=2025"),
    ]
    assert not any("DISTINCT" in query["sql"] for query in queries.captured_queries)


def test_date_hierarchy_offers_the_months_of_a_year_and_filters_by_year(admin_client):
    # given bookings in 2023 and 2025
    in_2023, _ = bookings_on(aware(2023, 5, 1), aware(2025, 2, 1))
    # when 2023 is chosen
    response = admin_client.get(BOOKING_LIST, {"scheduled_at__year": "2023"})
    # then its 12 months are offered and only its booking is listed
    links = date_links(response)
    assert links[0] == ("‹ All dates", "?")
    assert [title for title, _ in links[1:]] == [f"{month} 2023" for month in MONTHS]
    assert links[2][1] == "?scheduled_at__month=2&scheduled_at__year=2023"
    assert list(response.context["cl"].result_list) == [in_2023]


def test_date_hierarchy_offers_the_days_of_a_month_and_filters_by_month(admin_client):
    # given bookings on 29 February 2024 and 1 March 2024
    leap_day, _ = bookings_on(aware(2024, 2, 29, 10), aware(2024, 3, 1, 10))
    # when February 2024 is chosen
    response = admin_client.get(BOOKING_LIST, {"scheduled_at__year": "2024", "scheduled_at__month": "2"})
    # then its 29 days are offered and only its booking is listed
    links = date_links(response)
    assert links[0] == ("‹ 2024", "?scheduled_at__year=2024")
    assert len(links[1:]) == 29
    assert links[-1] == ("February 29", "?scheduled_at__day=29&scheduled_at__month=2&scheduled_at__year=2024")
    assert list(response.context["cl"].result_list) == [leap_day]


def test_date_hierarchy_on_a_day_links_back_to_its_month(admin_client):
    bookings_on(aware(2024, 2, 29, 10), aware(2024, 3, 1, 10))
    params = {"scheduled_at__year": "2024", "scheduled_at__month": "2", "scheduled_at__day": "29"}
    response = admin_client.get(BOOKING_LIST, params)
    assert date_links(response) == [("‹ February 2024", "?scheduled_at__month=2&scheduled_at__year=2024")]
    assert response.context["cl"].result_count == 1


def test_date_hierarchy_opens_the_only_month_when_all_rows_are_in_it(admin_client):
    bookings_on(aware(2024, 2, 3), aware(2024, 2, 20))
    response = admin_client.get(BOOKING_LIST)
    assert date_links(response)[0] == ("‹ 2024", "?scheduled_at__year=2024")


def test_date_hierarchy_keeps_other_filters(admin_client):
    bookings_on(aware(2023, 5, 1), aware(2025, 2, 1))
    response = admin_client.get(BOOKING_LIST, {"status__exact": "PENDING"})
    assert ("2024", "?scheduled_at__year=2024&status__exact=PENDING") in date_links(response)


def test_date_hierarchy_years_span_the_whole_list_whatever_the_filter(admin_client):
    # given bookings in 2023 and 2025, none of them a no-show
    bookings_on(aware(2023, 5, 1), aware(2025, 2, 1))
    # when the list is filtered to no-shows
    response = admin_client.get(BOOKING_LIST, {"status__exact": "NO_SHOW"})
    # then the years of the whole list are offered (from two index probes, not from the matching rows)
    assert [title for title, _ in date_links(response)] == ["2023", "2024", "2025"]
    assert response.context["cl"].result_count == 0


def test_date_hierarchy_is_hidden_without_rows(admin_client):
    response = admin_client.get(BOOKING_LIST)
    assert '<nav class="toplinks">' not in response.content.decode()


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
