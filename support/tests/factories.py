from datetime import date, timedelta

import factory

from accounts.tests.factories import UserFactory
from core.factories import ModelFactory
from support.models import SupportHoliday, SupportTicket, TicketComment


class SupportTicketFactory(ModelFactory[SupportTicket]):
    class Meta:
        model = SupportTicket

    subject = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph")
    requester = factory.SubFactory(UserFactory)


class TicketCommentFactory(ModelFactory[TicketComment]):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(SupportTicketFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("paragraph")


def support_agent(*codenames: str, **fields):
    """A staff member who handles tickets (``support.handle_supportticket``), holding ``codenames`` too."""
    from accounts.rbac_catalog import HANDLE_TICKET
    from accounts.tests.factories import staff_holding

    return staff_holding(HANDLE_TICKET, *codenames, **fields)


class SupportHolidayFactory(ModelFactory[SupportHoliday]):
    class Meta:
        model = SupportHoliday

    day = factory.Sequence(lambda n: date(2030, 1, 1) + timedelta(days=n))
    name = factory.Faker("word")
