import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from support.models import SupportTicket, TicketComment


class SupportTicketFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicket

    subject = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph")
    requester = factory.SubFactory(UserFactory)


class TicketCommentFactory(DjangoModelFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(SupportTicketFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("paragraph")
