"""The services keep each ticket's service-level clocks: deadlines set on opening and on a priority change,
the resolution clock stopped while the ticket waits on the client, and restarted when they answer."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.rbac_catalog import ADD_TICKET, CHANGE_TICKET, VIEW_TICKET
from accounts.tests.factories import staff_holding
from support import services
from support.models import SupportHoliday, SupportTicket, TicketPriority, TicketStatus
from support.tests.factories import support_agent

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in the desk's zone (UTC in these tests): the desk is open 09:00-17:00 on weekdays.
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def desk_hours(settings):
    settings.SUPPORT_TIME_ZONE = "UTC"
    settings.SUPPORT_BUSINESS_HOURS = "mon-fri 09:00-17:00"
    settings.SUPPORT_SLA_FIRST_RESPONSE_HOURS = {"URGENT": 1.0, "HIGH": 4.0, "MEDIUM": 8.0, "LOW": 24.0}
    settings.SUPPORT_SLA_RESOLUTION_HOURS = {"URGENT": 8.0, "HIGH": 24.0, "MEDIUM": 40.0, "LOW": 80.0}


@pytest.fixture
def requester():
    return staff_holding(ADD_TICKET, is_staff=False)


@pytest.fixture
def agent():
    return support_agent(VIEW_TICKET, CHANGE_TICKET)


def test_opening_sets_both_deadlines_in_business_hours(requester):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = services.ticket_open(requester=requester, subject="Help", description="Please", priority="HIGH")
    ticket.refresh_from_db()
    # 4 business hours from Wednesday 10:00 is 14:00; 24 hours (three desk days) is Monday 10:00
    assert ticket.first_response_due_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert ticket.resolution_due_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert ticket.sla_due_at == ticket.first_response_due_at


def test_a_holiday_pushes_a_new_tickets_deadlines_past_it(requester):
    SupportHoliday.objects.create(day=datetime(2026, 11, 26).date(), name="Desk closed")
    from support.sla import business_calendar_forget

    business_calendar_forget()
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = services.ticket_open(requester=requester, subject="Help", description="Please", priority="MEDIUM")
    # 8 business hours from Wednesday 10:00: 7 on Wednesday, Thursday is off, 1 on Friday
    assert ticket.first_response_due_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_waiting_on_the_client_stops_the_resolution_clock_until_they_answer(requester, agent):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = services.ticket_open(requester=requester, subject="Help", description="Please")
    first_due = SupportTicket.objects.get(pk=ticket.pk).resolution_due_at
    # the agent answers at 11:00 asking for a screenshot, and waits
    with time_machine.travel(WEDNESDAY_10 + timedelta(hours=1), tick=False):
        services.ticket_reply(ticket=ticket, author=agent, body="Could you send a screenshot?", wait_for_client=True)
    waiting = SupportTicket.objects.get(pk=ticket.pk)
    assert waiting.first_response_at is not None
    assert waiting.waiting_on_client_since is not None
    assert waiting.sla_due_at is None  # no clock runs against the desk
    # the client answers the next morning at 10:00: 7 business hours waited (11-17, then 9-10)
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=UTC), tick=False):
        services.ticket_reply(ticket=ticket, author=requester, body="Here it is.")
    answered = SupportTicket.objects.get(pk=ticket.pk)
    assert answered.waiting_on_client_since is None
    assert answered.sla_paused_seconds == 7 * 3600
    assert answered.resolution_due_at and first_due and answered.resolution_due_at > first_due
    assert answered.sla_due_at == answered.resolution_due_at


def test_a_resolved_ticket_waits_and_reopening_counts_the_wait_out(requester, agent):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = services.ticket_open(requester=requester, subject="Help", description="Please")
        services.ticket_reply(ticket=ticket, author=agent, body="Fixed, I think.")
        services.ticket_status_change(ticket=ticket, status=TicketStatus.IN_PROGRESS, actor=agent)
        services.ticket_status_change(ticket=ticket, status=TicketStatus.RESOLVED, actor=agent)
    resolved = SupportTicket.objects.get(pk=ticket.pk)
    assert resolved.waiting_on_client_since == WEDNESDAY_10 and resolved.sla_due_at is None
    with time_machine.travel(WEDNESDAY_10 + timedelta(hours=2), tick=False):
        services.ticket_reply(ticket=ticket, author=requester, body="Still broken.")
    reopened = SupportTicket.objects.get(pk=ticket.pk)
    assert reopened.status == TicketStatus.IN_PROGRESS and reopened.resolved_at is None
    assert reopened.sla_paused_seconds == 2 * 3600


def test_a_priority_change_moves_the_deadlines_and_keeps_the_pauses(requester, agent):
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = services.ticket_open(requester=requester, subject="Help", description="Please", priority="LOW")
        services.ticket_priority_change(ticket=ticket, priority=TicketPriority.URGENT, actor=agent)
    urgent = SupportTicket.objects.get(pk=ticket.pk)
    assert urgent.first_response_due_at == WEDNESDAY_10 + timedelta(hours=1)
    assert urgent.resolution_due_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # 7 h Wednesday + 1 h Thursday


def test_an_internal_note_neither_answers_the_client_nor_stops_a_clock(requester):
    lead = support_agent(VIEW_TICKET, CHANGE_TICKET, "support.view_internal_ticketcomment")
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = services.ticket_open(requester=requester, subject="Help", description="Please")
        services.ticket_reply(ticket=ticket, author=lead, body="Looks like the mailer.", is_internal=True)
    noted = SupportTicket.objects.get(pk=ticket.pk)
    assert noted.first_response_at is None and noted.sla_due_at == noted.first_response_due_at
    with pytest.raises(Exception, match="cannot ask the client"):
        services.ticket_reply(ticket=ticket, author=lead, body="x", is_internal=True, wait_for_client=True)


def test_a_client_cannot_stop_the_clock_themself(requester):
    ticket = services.ticket_open(requester=requester, subject="Help", description="Please")
    with pytest.raises(Exception, match="support team only"):
        services.ticket_reply(ticket=ticket, author=requester, body="x", wait_for_client=True)
