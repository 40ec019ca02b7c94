import factory

from accounts.tests.factories import UserFactory
from core.factories import ModelFactory
from support.models import SupportTicket, TicketComment


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
