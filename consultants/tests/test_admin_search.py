"""The consultant and booking lists search by part of the people's names (the name-search index)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from consultants.admin import BookingAdmin
from consultants.models import Booking, Consultant
from consultants.tests.factories import BookingFactory, ConsultantFactory, ServiceFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def listed(admin_client, model, text: str) -> set[int]:
    response = admin_client.get(admin_url(model, "changelist"), {"q": text})
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_consultants_are_found_by_part_of_their_users_name(admin_client, require_postgres):
    # given
    jurgen = ConsultantFactory(user=UserFactory(full_name="Jürgen Weißmüller"))
    ConsultantFactory(user=UserFactory(full_name="Amira Haddad"))
    # when / then
    assert listed(admin_client, Consultant, "weissmul") == {jurgen.pk}


def test_bookings_are_found_by_part_of_the_clients_or_the_consultants_name(admin_client, require_postgres):
    # given one booking of Jürgen's as a client, one with Layla as the consultant, one of neither
    as_client = BookingFactory(client=UserFactory(full_name="Jürgen Weißmüller"))
    layla = ConsultantFactory(user=UserFactory(full_name="Layla Mansour"))
    with_consultant = BookingFactory(service=ServiceFactory(consultant=layla))
    BookingFactory(client=UserFactory(full_name="Noah Kim"))
    # when / then
    assert listed(admin_client, Booking, "jurgen") == {as_client.pk}
    assert listed(admin_client, Booking, "MANSOU") == {with_consultant.pk}
    assert listed(admin_client, Booking, as_client.client.email) == {as_client.pk}


def test_searching_bookings_keeps_the_large_table_page(admin_client):
    # given
    client = UserFactory(full_name="Amira Haddad")
    BookingFactory.create_batch(3, client=client)
    # when
    response = admin_client.get(admin_url(Booking, "changelist"), {"q": "haddad"})
    # then the list is the large-table one, counted exactly (few rows) and without duplicates
    assert response.templates[0].name == "admin/large_table_change_list.html"
    assert response.context["cl"].result_count == 3
    assert len(response.context["cl"].result_list) == 3


@pytest.fixture(params=["few", "many"])
def people_lookup(request, monkeypatch) -> str:
    """Runs a test with the people found by their ids (few) and by walking the list (many)."""
    if request.param == "many":
        monkeypatch.setattr(BookingAdmin, "few_people", 0)
    return request.param


def test_bookings_found_are_the_same_whether_few_or_many_people_match(admin_client, require_postgres, people_lookup):
    # given Jürgen as a client, Layla as a consultant, Jürgen with Layla, and a booking of neither
    jurgen = UserFactory(full_name="Jürgen Weißmüller")
    layla = ConsultantFactory(user=UserFactory(full_name="Layla Mansour"))
    as_client = BookingFactory(client=jurgen)
    with_consultant = BookingFactory(service=ServiceFactory(consultant=layla))
    together = BookingFactory(client=jurgen, service=ServiceFactory(consultant=layla))
    BookingFactory(client=UserFactory(full_name="Noah Kim"))
    # when / then
    assert listed(admin_client, Booking, "jurgen") == {as_client.pk, together.pk}
    assert listed(admin_client, Booking, "mansour") == {with_consultant.pk, together.pk}
    assert listed(admin_client, Booking, "a") == set()
    assert listed(admin_client, Booking, "50%_") == set()
    assert listed(admin_client, Booking, jurgen.email.upper()) == {as_client.pk, together.pk}


def test_a_search_for_many_people_estimates_its_count_instead_of_counting(admin_client, require_postgres, monkeypatch):
    # given more bookings of Haddads than fit on a page, searched as a name matching many people
    monkeypatch.setattr(BookingAdmin, "few_people", 0)
    monkeypatch.setattr(BookingAdmin, "list_per_page", 2)
    for _ in range(3):
        BookingFactory(client=UserFactory(full_name="Amira Haddad"))
    # when
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(Booking, "changelist"), {"q": "haddad"})
    # then the full page says "about", and no query counted the bookings
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    assert response.context["cl"].paginator.count_label.startswith("about")
    assert not [query for query in queries if "COUNT(" in query["sql"] and "consultants_booking" in query["sql"]]


def test_a_page_that_is_not_full_counts_a_search_for_many_people_exactly(admin_client, require_postgres, monkeypatch):
    monkeypatch.setattr(BookingAdmin, "few_people", 0)
    BookingFactory.create_batch(3, client=UserFactory(full_name="Amira Haddad"))
    response = admin_client.get(admin_url(Booking, "changelist"), {"q": "haddad"})
    assert response.context["cl"].result_count == 3
    assert response.context["cl"].paginator.count_label is None


def page_queries(admin_client, text: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(Booking, "changelist"), {"q": text})
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_people_found(admin_client, require_postgres, monkeypatch):
    # given one Haddad with a booking, and twenty Smithsons with one each
    BookingFactory(client=UserFactory(full_name="Amira Haddad"))
    for _ in range(20):
        BookingFactory(client=UserFactory(full_name="Liam Smithson"))
    page_queries(admin_client, "warm up")
    # when / then: found by their ids, one person or twenty cost the same queries
    by_id = page_queries(admin_client, "haddad")
    assert page_queries(admin_client, "smithson") == by_id
    # and walking the list too, with no more queries (the count is estimated, not counted)
    monkeypatch.setattr(BookingAdmin, "few_people", 0)
    walking = page_queries(admin_client, "haddad")
    assert page_queries(admin_client, "smithson") == walking <= by_id
