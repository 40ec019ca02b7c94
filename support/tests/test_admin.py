"""The ticket admin hands tickets over through `ticket_assign`, like every other way of assigning."""

import pytest
from guardian.shortcuts import assign_perm

from accounts.rbac_catalog import ACT_FOR_USER, CHANGE_TICKET, VIEW_TICKET
from accounts.tests.factories import (
    UserFactory,
    fresh,
    staff_holding,
)
from auditing.models import AuditLog
from core.testing import admin_url
from support.models import SupportTicket, SupportTicketUserObjectPermission, TicketComment
from support.tests.factories import SupportTicketFactory, support_agent

pytestmark = pytest.mark.django_db


def ticket_form(ticket: SupportTicket, **changes) -> dict:
    data = {
        "subject": ticket.subject,
        "description": ticket.description,
        "requester": ticket.requester_id,
        "assignee": ticket.assignee_id or "",
        "status": ticket.status,
        "priority": ticket.priority,
        "comments-TOTAL_FORMS": 0,
        "comments-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_assigning_in_the_admin_grants_the_assignee_the_ticket_and_is_audited(admin_client, require_postgres):
    # given an unassigned ticket and a staff member
    ticket = SupportTicketFactory()
    agent = support_agent()
    # when a superuser assigns it in the admin
    response = admin_client.post(admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, assignee=agent.pk))
    # then the agent holds it, may work on it, and the hand-over is in the audit trail
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert fresh(agent).has_perm(CHANGE_TICKET, ticket)
    assert AuditLog.objects.filter(entity_type="support.supportticket", entity_id=str(ticket.pk)).exists()


def test_handing_over_in_the_admin_moves_the_grants_and_keeps_those_given_by_hand(admin_client):
    # given a ticket raised with Ann as its assignee (who may work on it), and a supervisor given view by hand
    ann, bob, supervisor = (support_agent() for _ in range(3))
    ticket = SupportTicketFactory(assignee=ann)
    assign_perm(VIEW_TICKET, supervisor, ticket)
    assert fresh(ann).has_perm(CHANGE_TICKET, ticket)
    # when a superuser hands it to Bob in the admin
    response = admin_client.post(admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, assignee=bob.pk))
    # then Bob may work on it, Ann no longer, and the supervisor still reads it
    assert response.status_code == 302
    assert fresh(bob).has_perm(CHANGE_TICKET, ticket)
    assert not fresh(ann).has_perm(VIEW_TICKET, ticket)
    assert fresh(supervisor).has_perm(VIEW_TICKET, ticket)


def test_deleting_tickets_in_the_admin_leaves_no_grants_behind(admin_client):
    # given two tickets assigned to an agent, who holds view and change on each
    agent = support_agent()
    tickets = SupportTicketFactory.create_batch(2, assignee=agent)
    assert SupportTicketUserObjectPermission.objects.filter(user=agent).count() == 4
    # when a superuser deletes both with the changelist's bulk action
    response = admin_client.post(
        admin_url(SupportTicket, "changelist"),
        {"action": "delete_selected", "_selected_action": [ticket.pk for ticket in tickets], "post": "yes"},
    )
    # then the tickets are gone, and no grant outlives them
    assert response.status_code == 302
    assert not SupportTicket.objects.exists()
    assert not SupportTicketUserObjectPermission.objects.exists()


def test_a_ticket_cannot_be_assigned_to_a_client(admin_client):
    # given a ticket and a client (not staff)
    ticket = SupportTicketFactory()
    client_user = UserFactory(is_staff=False)
    # when a superuser tries to assign it to them
    response = admin_client.post(
        admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, assignee=client_user.pk)
    )
    # then the form says no and nothing changes
    assert response.status_code == 200
    assert "assignee" in response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_other_changes_leave_the_assignment_alone(admin_client, require_postgres):
    ticket = SupportTicketFactory(priority="MEDIUM")
    response = admin_client.post(admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, priority="HIGH"))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == ("HIGH", None)
    (change,) = AuditLog.objects.filter(entity_type="support.supportticket", action="UPDATE")
    assert "assignee_id" not in change.changes


def new_ticket_form(requester) -> dict:
    return {
        "subject": "Refund please",
        "description": "Pay to IBAN XX",
        "requester": requester.pk,
        "status": "OPEN",
        "priority": "MEDIUM",
        "comments-TOTAL_FORMS": 0,
        "comments-INITIAL_FORMS": 0,
    }


def test_raising_a_ticket_in_a_clients_name_takes_the_permission_to_act_for_others(client):
    # given a client, an agent who may raise tickets, and one who may also act for others
    customer = UserFactory()
    agent = staff_holding("support.add_supportticket")
    delegate = staff_holding("support.add_supportticket", ACT_FOR_USER.codename)
    requesters = {}
    # when each raises a ticket in the admin naming the client as its requester
    for user in (agent, delegate):
        client.force_login(user)
        response = client.post(admin_url(SupportTicket, "add"), new_ticket_form(customer))
        assert response.status_code == 302
        requesters[user] = SupportTicket.objects.latest("pk").requester
    # then the agent's ticket is in the agent's own name, the delegate's in the client's
    assert requesters == {agent: agent, delegate: customer}


def test_an_agent_cannot_hand_an_existing_ticket_to_another_requester(client):
    # given an agent who may change tickets but not act for others
    agent = staff_holding("support.change_supportticket", "support.view_supportticket")
    ticket = SupportTicketFactory(priority="MEDIUM")
    requester = ticket.requester
    client.force_login(agent)
    # when they post its change form naming themselves as the requester
    response = client.post(
        admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, requester=agent.pk, priority="HIGH")
    )
    # then the edit is saved, the requester is not
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.requester) == ("HIGH", requester)


def test_the_admin_moves_a_ticket_only_along_the_workflow(admin_client):
    # given an open ticket: the status menu offers only what may follow
    ticket = SupportTicketFactory(status="OPEN")
    form = admin_client.get(admin_url(SupportTicket, "change", ticket.pk)).context["adminform"].form
    assert [value for value, _ in form.fields["status"].choices] == ["OPEN", "IN_PROGRESS"]
    # when the form is forged to close it straight away, it is refused and nothing changes
    response = admin_client.post(admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, status="CLOSED"))
    assert response.status_code == 200 and response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.status == "OPEN"
    # and a move along the workflow goes through the service, which tells the requester
    response = admin_client.post(
        admin_url(SupportTicket, "change", ticket.pk), ticket_form(ticket, status="IN_PROGRESS")
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "IN_PROGRESS"
    assert ticket.requester.notifications.count() == 2


def test_the_conversation_is_not_rewritten_and_new_replies_go_through_the_desk(admin_client, superuser):
    # given a ticket with the client's message
    ticket = SupportTicketFactory(status="OPEN")
    said = TicketComment.objects.create(ticket=ticket, author=ticket.requester, body="My invoice is wrong")
    data = ticket_form(ticket)
    data.update(
        {
            "comments-TOTAL_FORMS": 2,
            "comments-INITIAL_FORMS": 1,
            "comments-0-id": said.pk,
            "comments-0-ticket": ticket.pk,
            "comments-0-body": "I was wrong, nothing to see",
            "comments-0-DELETE": "on",
            "comments-1-ticket": ticket.pk,
            "comments-1-body": "We are on it.",
        }
    )
    # when the change form tries to rewrite and delete the client's words and adds a reply
    response = admin_client.post(admin_url(SupportTicket, "change", ticket.pk), data)
    # then the client's words stand, and the reply is signed by the agent with the first response stamped
    assert response.status_code == 302
    said.refresh_from_db()
    assert said.body == "My invoice is wrong"
    reply = TicketComment.objects.exclude(pk=said.pk).get()
    assert (reply.author, reply.body, reply.is_internal) == (superuser, "We are on it.", False)
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
