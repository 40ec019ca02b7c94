import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.tests.factories import UserFactory
from auditing.models import AuditLog
from support.models import SupportTicketUserObjectPermission
from support.services import ticket_assign
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def lead(superuser):
    return superuser


def test_the_assignee_gains_object_permissions_and_the_previous_one_loses_them(lead, require_postgres):
    # given a ticket assigned to Ann
    ticket = SupportTicketFactory()
    ann, bob = UserFactory(is_staff=True), UserFactory(is_staff=True)
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
    ann = UserFactory(is_staff=True)
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
        ticket_assign(ticket=ticket, assignee=UserFactory(is_staff=True), actor=fresh(UserFactory()))
    with pytest.raises(ValidationError):
        ticket_assign(ticket=ticket, assignee=UserFactory(is_staff=False), actor=lead)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_agent_lists_exactly_the_tickets_assigned_to_them_in_two_queries(lead, django_assert_num_queries):
    from support.selectors import tickets_visible_to

    agent = UserFactory(is_staff=True)
    mine = SupportTicketFactory.create_batch(3)
    SupportTicketFactory.create_batch(4)
    for ticket in mine:
        ticket_assign(ticket=ticket, assignee=agent, actor=lead)
    agent = fresh(agent)
    agent.has_perm("support.view_supportticket")  # resolves the role-based set first (cached per request)
    with django_assert_num_queries(2):  # the permission's id, then the tickets
        assert set(tickets_visible_to(user=agent)) == set(mine)
    assert len(tickets_visible_to(user=fresh(lead))) == 7
