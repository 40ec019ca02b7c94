import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.shortcuts import assign_perm

from accounts.rbac_catalog import CHANGE_TICKET, VIEW_TICKET
from accounts.tests.factories import UserFactory, fresh
from auditing.models import AuditLog
from core.derived_grants import derived_grants_sync, owned_rows_update
from support.models import SupportTicket, SupportTicketUserObjectPermission
from support.selectors import tickets_visible_to
from support.services import ticket_assign
from support.tests.factories import SupportTicketFactory, support_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(superuser):
    return superuser


def test_the_assignee_gains_object_permissions_and_the_previous_one_loses_them(lead, require_postgres):
    # given a ticket assigned to Ann
    ticket = SupportTicketFactory()
    ann, bob = support_agent(), support_agent()
    ticket_assign(ticket=ticket, assignee=ann, actor=lead)
    assert fresh(ann).has_perm("support.change_supportticket", ticket)
    # when it is handed to Bob
    ticket_assign(ticket=ticket, assignee=bob, actor=lead)
    # then Bob may work on it and Ann may not
    assert fresh(bob).has_perm("support.view_supportticket", ticket)
    assert not fresh(ann).has_perm("support.view_supportticket", ticket)
    changes = AuditLog.objects.filter(entity_type="support.supportticket", entity_id=str(ticket.pk), action="UPDATE")
    assert [event.changes["assignee_id"] for event in changes.order_by("id")] == [
        [None, str(ann.pk)],
        [str(ann.pk), str(bob.pk)],
    ]


def test_unassigning_removes_the_grants_and_deleting_leaves_no_orphans(lead):
    ticket = SupportTicketFactory()
    ann = support_agent()
    ticket_assign(ticket=ticket, assignee=ann, actor=lead)
    ticket_assign(ticket=ticket, assignee=None, actor=lead)
    assert not fresh(ann).has_perm("support.view_supportticket", ticket)
    ticket_assign(ticket=ticket, assignee=ann, actor=lead)
    ticket_pk = ticket.pk
    ticket.delete()
    assert not SupportTicketUserObjectPermission.objects.filter(content_object_id=ticket_pk).exists()


def test_only_those_allowed_may_assign_and_only_to_staff(lead):
    ticket = SupportTicketFactory()
    with pytest.raises(PermissionDenied):
        ticket_assign(ticket=ticket, assignee=support_agent(), actor=fresh(UserFactory()))
    with pytest.raises(ValidationError):
        ticket_assign(ticket=ticket, assignee=UserFactory(is_staff=False), actor=lead)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_agent_lists_exactly_the_tickets_assigned_to_them_in_two_queries(lead, django_assert_max_num_queries):
    agent = support_agent()
    mine = SupportTicketFactory.create_batch(3)
    SupportTicketFactory.create_batch(4)
    for ticket in mine:
        ticket_assign(ticket=ticket, assignee=agent, actor=lead)
    agent = fresh(agent)
    agent.has_perm("support.view_supportticket")  # resolves the role-based set first (cached per request)
    with django_assert_max_num_queries(2):  # the permission's id (unless already cached), then the tickets
        assert set(tickets_visible_to(user=agent)) == set(mine)
    assert len(tickets_visible_to(user=fresh(lead))) == 7


def staff(count: int) -> list:
    return [support_agent() for _ in range(count)]


def test_the_grants_follow_the_assignee_however_the_ticket_is_saved():
    # given a ticket raised with Ann as its assignee, and a supervisor given view on it by hand
    ann, bob, supervisor = staff(3)
    ticket = SupportTicketFactory(assignee=ann)
    assign_perm(VIEW_TICKET, supervisor, ticket)
    assert fresh(ann).has_perm(CHANGE_TICKET, ticket)
    # when it is handed to Bob by a plain save, not through the service (a script, a data fix)
    ticket.assignee = bob
    ticket.save()
    # then Bob may work on it, Ann may not, and the supervisor keeps what they were given
    assert fresh(bob).has_perm(CHANGE_TICKET, ticket)
    assert not fresh(ann).has_perm(VIEW_TICKET, ticket)
    assert fresh(supervisor).has_perm(VIEW_TICKET, ticket)


def test_a_bulk_hand_over_moves_the_grants_and_keeps_those_given_by_hand():
    # given three of Ann's tickets, and one of Carol's that Ann was given view on by hand
    ann, bob, carol = staff(3)
    anns = SupportTicketFactory.create_batch(3, assignee=ann)
    carols = SupportTicketFactory(assignee=carol)
    assign_perm(VIEW_TICKET, ann, carols)
    # when everything assigned to Ann goes to Bob in one update
    moved = owned_rows_update(queryset=SupportTicket.objects.filter(assignee=ann), assignee=bob)
    # then Bob's queue holds Ann's tickets, and Ann sees only what she was given by hand
    assert moved == 3
    assert set(tickets_visible_to(user=fresh(bob))) == set(anns)
    assert set(tickets_visible_to(user=fresh(ann))) == {carols}
    assert fresh(carol).has_perm(CHANGE_TICKET, carols)


def test_tickets_written_in_bulk_reach_their_assignee_once_synchronised():
    # given tickets written in bulk (no signals), assigned to an agent
    (agent,) = staff(1)
    requester = UserFactory()
    tickets = SupportTicket.objects.bulk_create(
        SupportTicket(subject=f"Bulk {n}", description="-", requester=requester, assignee=agent) for n in range(4)
    )
    # when their grants are synchronised
    derived_grants_sync(model=SupportTicket, object_ids=[ticket.pk for ticket in tickets])
    # then they are in the agent's queue
    assert set(tickets_visible_to(user=fresh(agent))) == set(tickets)


def test_a_plain_queryset_update_of_the_assignee_moves_the_grants_too(require_postgres):
    # given Ann's tickets, and one of Carol's that Ann was given view on by hand
    ann, bob, carol = staff(3)
    anns = SupportTicketFactory.create_batch(2, assignee=ann)
    carols = SupportTicketFactory(assignee=carol)
    assign_perm(VIEW_TICKET, ann, carols)
    # when they are handed to Bob by a plain update(), which no Python rule sees
    SupportTicket.objects.filter(assignee=ann).update(assignee=bob)
    # then the database moved the grants: Bob may work on them, Ann only keeps what she was given by hand
    assert set(tickets_visible_to(user=fresh(bob))) == set(anns)
    assert all(fresh(bob).has_perm(CHANGE_TICKET, ticket) for ticket in anns)
    assert set(tickets_visible_to(user=fresh(ann))) == {carols}
    assert not any(fresh(ann).has_perm(VIEW_TICKET, ticket) for ticket in anns)
    # and unassigning by update() takes Bob's away
    SupportTicket.objects.filter(pk=anns[0].pk).update(assignee=None)
    assert set(tickets_visible_to(user=fresh(bob))) == {anns[1]}
