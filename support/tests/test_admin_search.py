"""The ticket list searches by part of the requester's name, and still by reference and subject."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import admin_url
from support.admin import SupportTicketAdmin
from support.models import SupportTicket
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db


def listed(admin_client, text: str) -> set[int]:
    response = admin_client.get(admin_url(SupportTicket, "changelist"), {"q": text})
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_tickets_are_found_by_part_of_the_requesters_name(admin_client, require_postgres):
    # given
    from_jurgen = SupportTicketFactory(requester=UserFactory(full_name="Jürgen Weißmüller"), subject="Invoice")
    SupportTicketFactory(requester=UserFactory(full_name="Noah Kim"), subject="Login")
    # when / then
    assert listed(admin_client, "jürg") == {from_jurgen.pk}


def test_tickets_are_still_found_by_reference_and_by_subject(admin_client):
    # given
    ticket = SupportTicketFactory(requester=UserFactory(full_name="Noah Kim"), subject="Refund not received")
    SupportTicketFactory(requester=UserFactory(full_name="Liam Smith"), subject="Password")
    # when / then
    assert listed(admin_client, ticket.reference) == {ticket.pk}
    assert listed(admin_client, "refund") == {ticket.pk}


@pytest.mark.parametrize("few_people", [200, 0], ids=["few people, by id", "many people, walking the list"])
def test_tickets_found_are_the_same_whether_few_or_many_people_match(admin_client, monkeypatch, few_people):
    # given
    monkeypatch.setattr(SupportTicketAdmin, "few_people", few_people)
    from_amira = SupportTicketFactory(requester=UserFactory(full_name="Amira Haddad"), subject="Invoice")
    SupportTicketFactory(requester=UserFactory(full_name="Noah Kim"), subject="Haddad's refund")
    # when / then the requester's name, or the subject
    assert listed(admin_client, "amira") == {from_amira.pk}
    assert len(listed(admin_client, "haddad")) == 2


def test_a_search_by_subject_or_reference_can_be_answered_by_indexes(require_postgres, rf, superuser):
    from django.contrib import admin
    from django.db import connection

    # given some tickets and a planner that avoids scans (on so few rows a scan may cost about the same;
    # what matters is that the admin's search expression is the index's)
    SupportTicketFactory.create_batch(5, subject="Refund not received")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE support_supportticket")
        cursor.execute("SET LOCAL enable_seqscan = off")
    # when the admin's search for words of a subject is planned
    request = rf.get("/", {"q": "refund"})
    request.user = superuser
    model_admin = admin.site.get_model_admin(SupportTicket)
    rows, _ = model_admin.get_search_results(request, SupportTicket.objects.all(), "refund")
    # then the subject's trigram index and the reference's index can answer it
    plan = rows.order_by().explain()
    assert "support_ticket_subject_trgm" in plan and "support_ticket_reference_upper" in plan
