"""The global search page: each group the user may view, a few hits each, a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin import UserAdmin
from accounts.tests.factories import UserFactory, staff_holding
from billing.admin import PaymentAdmin
from billing.tests.factories import PaymentFactory
from consultants.admin import BookingAdmin
from consultants.tests.factories import BookingFactory, ConsultantFactory
from support.admin import SupportTicketAdmin
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db

URL = reverse("search:results")


def group_titles(response) -> list[str]:
    return [str(group.title) for group in response.context["groups"]]


def hits(response, title: str) -> list[str]:
    (group,) = [group for group in response.context["groups"] if str(group.title) == title]
    return [hit.label for hit in group.hits]


def test_everything_about_a_person_is_found_by_part_of_their_name(admin_client, require_postgres):
    # given Jürgen as a client with a paid booking and a ticket, and as a consultant
    jurgen = UserFactory(full_name="Jürgen Weißmüller", email="jw@example.com")
    ConsultantFactory(user=jurgen)
    payment = PaymentFactory(booking=BookingFactory(client=jurgen))
    ticket = SupportTicketFactory(requester=jurgen)
    UserFactory(full_name="Noah Kim")
    # when
    response = admin_client.get(URL, {"q": "jurgen weiss"})
    # then every group shows what belongs to him, each linked to its admin page
    assert response.status_code == 200
    assert group_titles(response) == ["People", "Consultants", "Sessions", "Payments", "Support tickets"]
    assert hits(response, "People") == ["Jürgen Weißmüller"]
    assert hits(response, "Consultants") == ["Jürgen Weißmüller"]
    assert hits(response, "Sessions") == [str(payment.booking)]
    assert hits(response, "Payments") == [str(payment)]
    assert hits(response, "Support tickets") == [str(ticket)]
    content = response.content.decode()
    assert reverse("admin:support_supportticket_change", args=[ticket.pk]) in content
    assert f"{reverse('admin:billing_payment_changelist')}?q=jurgen+weiss" in content


def test_a_ticket_is_found_by_its_reference(admin_client):
    ticket = SupportTicketFactory()
    response = admin_client.get(URL, {"q": ticket.reference})
    assert hits(response, "Support tickets") == [str(ticket)]


def test_only_the_groups_the_user_may_view_are_searched(client):
    # given a staff member who may view people and sessions, not payments
    UserFactory(full_name="Amira Haddad")
    staff = staff_holding("accounts.view_user", "consultants.view_booking")
    client.force_login(staff)
    # when
    response = client.get(URL, {"q": "haddad"})
    # then
    assert group_titles(response) == ["People", "Sessions"]
    assert "Payments" not in response.content.decode()


def test_staff_who_may_view_nothing_searchable_are_refused_and_others_sent_to_sign_in(client):
    client.force_login(staff_holding("support.view_ticketcomment"))
    assert client.get(URL, {"q": "haddad"}).status_code == 403
    client.force_login(UserFactory(is_staff=False))
    assert client.get(URL, {"q": "haddad"}).status_code == 302


def count_queries(admin_client, text: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL, {"q": text})
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_hits(admin_client):
    # given one person with one of everything, another with twenty
    one = UserFactory(full_name="Amira Haddad")
    PaymentFactory(booking=BookingFactory(client=one))
    SupportTicketFactory(requester=one)
    for _ in range(20):
        many = UserFactory(full_name="Liam Smithson")
        ConsultantFactory(user=many)
        PaymentFactory(booking=BookingFactory(client=many))
        SupportTicketFactory(requester=many)
    count_queries(admin_client, "warm up")  # sessions, permission caches
    # when / then
    assert count_queries(admin_client, "haddad") == count_queries(admin_client, "smithson")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 10_000, "at most 100 characters"),
        ("ab", "at least 3 characters"),
        ("   a   ", "at least 3 characters"),
        ("", "Type part of a name"),
    ],
)
def test_unusable_searches_say_why_and_search_nothing(admin_client, text, message):
    response = admin_client.get(URL, {"q": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["groups"] is None


def test_a_nul_byte_is_refused_before_anything_runs(admin_client):
    response = admin_client.get(f"{URL}?q=ha%00ddad")
    assert response.status_code == 400


def test_wildcards_match_only_themselves(admin_client):
    UserFactory(full_name="Amira Haddad")
    for text in ("%%%", "___", "a_a", "%ad"):
        response = admin_client.get(URL, {"q": text})
        assert response.status_code == 200
        assert hits(response, "People") == []


def test_the_empty_page_shows_the_search_box(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


@pytest.mark.parametrize("few_people", [200, 0], ids=["few people, by id", "many people, walking the lists"])
def test_the_hits_are_the_same_whether_few_or_many_people_match(
    admin_client, require_postgres, monkeypatch, few_people
):
    # given
    for model_admin in (UserAdmin, BookingAdmin, PaymentAdmin, SupportTicketAdmin):
        monkeypatch.setattr(model_admin, "few_people", few_people)
    jurgen = UserFactory(full_name="Jürgen Weißmüller", email="jw@example.com")
    payment = PaymentFactory(booking=BookingFactory(client=jurgen))
    ticket = SupportTicketFactory(requester=jurgen)
    PaymentFactory(booking=BookingFactory(client=UserFactory(full_name="Noah Kim")))
    # when
    response = admin_client.get(URL, {"q": "weissmull"})
    # then
    assert hits(response, "People") == ["Jürgen Weißmüller"]
    assert hits(response, "Sessions") == [str(payment.booking)]
    assert hits(response, "Payments") == [str(payment)]
    assert hits(response, "Support tickets") == [str(ticket)]
