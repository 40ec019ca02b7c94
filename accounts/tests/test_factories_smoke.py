import pytest

from billing.tests.factories import RefundFactory
from support.tests.factories import TicketCommentFactory


@pytest.mark.django_db
def test_factories_build_linked_rows():
    refund = RefundFactory()
    comment = TicketCommentFactory()
    assert refund.payment.booking.consultant == refund.payment.booking.service.consultant
    assert comment.ticket.reference.startswith("TCK-")
    assert refund.payment.payer.check_password("correct-horse-battery-staple")
