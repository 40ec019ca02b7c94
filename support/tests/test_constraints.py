import pytest

from core.testing import assert_rejected
from support.models import SupportTicket, TicketStatus
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db


def test_ticket_reference_is_unique():
    ticket = SupportTicketFactory()
    assert_rejected(lambda: SupportTicketFactory(reference=ticket.reference))


@pytest.mark.parametrize("field, value", [("status", "ESCALATED"), ("priority", "WHENEVER")])
def test_ticket_enums_are_enforced(field, value):
    assert_rejected(lambda: SupportTicketFactory(**{field: value}))


def test_new_tickets_get_a_readable_reference_and_open_queryset_finds_them():
    ticket = SupportTicketFactory()
    closed = SupportTicketFactory(status=TicketStatus.CLOSED)
    assert len(ticket.reference) == len("TCK-XXXX-XXXX")
    assert list(SupportTicket.objects.open()) == [ticket]
    assert closed not in SupportTicket.objects.open()
