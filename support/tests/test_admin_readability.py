"""Saving a ticket's admin form untouched writes nothing; the desk's timestamps are shown, not edited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.admin_forms import unchanged_form_data
from auditing.models import AuditLog
from core.testing import admin_url
from support.models import SupportTicket, TicketStatus
from support.tests.factories import SupportTicketFactory, TicketCommentFactory

pytestmark = pytest.mark.django_db


def test_saving_an_unchanged_ticket_writes_no_audit_row(admin_client, require_postgres):
    # given a ticket whose timestamps carry microseconds, with a comment
    moment = timezone.now() - timedelta(hours=3, microseconds=123_457)
    ticket = SupportTicketFactory(status=TicketStatus.RESOLVED, first_response_at=moment, resolved_at=moment)
    TicketCommentFactory(ticket=ticket)
    url = admin_url(SupportTicket, "change", ticket.pk)
    data = unchanged_form_data(admin_client.get(url).content.decode())
    before = AuditLog.objects.count()
    # when it is submitted as shown
    response = admin_client.post(url, data)
    # then nothing was written: no audit row, the same timestamps to the microsecond
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert AuditLog.objects.count() == before
    stored = SupportTicket.objects.get(pk=ticket.pk)
    assert (stored.first_response_at, stored.resolved_at, stored.updated_at) == (
        ticket.first_response_at,
        ticket.resolved_at,
        ticket.updated_at,
    )


def test_a_real_change_is_saved_and_audited_alone(admin_client, require_postgres):
    # given
    ticket = SupportTicketFactory(first_response_at=timezone.now() - timedelta(microseconds=654_321))
    url = admin_url(SupportTicket, "change", ticket.pk)
    data = unchanged_form_data(admin_client.get(url).content.decode())
    # when only the priority changes
    admin_client.post(url, {**data, "priority": ["URGENT"]})
    # then the audit row records the priority, not a rewritten timestamp
    (change,) = AuditLog.objects.filter(entity_type="support.supportticket", entity_id=str(ticket.pk), action="UPDATE")
    assert "priority" in change.changes
    assert "first_response_at" not in change.changes


def test_the_desks_timestamps_are_read_only(admin_client):
    ticket = SupportTicketFactory()
    form = admin_client.get(admin_url(SupportTicket, "change", ticket.pk)).context["adminform"].form
    assert not {"first_response_at", "resolved_at", "closed_at", "created_at", "updated_at"} & set(form.fields)
