from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultants.models import (
    Article,
    Booking,
    Consultant,
    ConsultantSpecialty,
    FeasibilityStudy,
    Message,
    Report,
    Service,
    ServiceCategory,
    Specialty,
)
from core.factories import ModelFactory


class SpecialtyFactory(ModelFactory[Specialty]):
    class Meta:
        model = Specialty
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.Sequence(lambda n: f"specialty-{n}")


class ConsultantFactory(ModelFactory[Consultant]):
    class Meta:
        model = Consultant

    user = factory.SubFactory(UserFactory)
    bio = factory.Faker("paragraph")
    hourly_rate = Decimal("120.00")
    is_verified = True


class ConsultantSpecialtyFactory(ModelFactory[ConsultantSpecialty]):
    class Meta:
        model = ConsultantSpecialty

    consultant = factory.SubFactory(ConsultantFactory)
    specialty = factory.SubFactory(SpecialtyFactory)


class ServiceCategoryFactory(ModelFactory[ServiceCategory]):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ServiceFactory(ModelFactory[Service]):
    class Meta:
        model = Service

    consultant = factory.SubFactory(ConsultantFactory)
    category = factory.SubFactory(ServiceCategoryFactory)
    title = factory.Faker("catch_phrase")
    price = Decimal("150.00")
    duration_minutes = 60


class BookingFactory(ModelFactory[Booking]):
    class Meta:
        model = Booking

    client = factory.SubFactory(UserFactory)
    service = factory.SubFactory(ServiceFactory)
    consultant = factory.SelfAttribute("service.consultant")
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    price = factory.SelfAttribute("service.price")


class ReportFactory(ModelFactory[Report]):
    class Meta:
        model = Report

    booking = factory.SubFactory(BookingFactory)
    consultant = factory.SelfAttribute("booking.consultant")
    client = factory.SelfAttribute("booking.client")
    title = factory.Faker("sentence", nb_words=4)
    body = factory.Faker("paragraph")


class FeasibilityStudyFactory(ModelFactory[FeasibilityStudy]):
    class Meta:
        model = FeasibilityStudy

    consultant = factory.SubFactory(ConsultantFactory)
    client = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=4)
    summary = factory.Faker("paragraph")


class ArticleFactory(ModelFactory[Article]):
    class Meta:
        model = Article

    author = factory.SubFactory(ConsultantFactory)
    title = factory.Faker("sentence", nb_words=6)
    slug = factory.Sequence(lambda n: f"article-{n}")
    body = factory.Faker("paragraph")


class MessageFactory(ModelFactory[Message]):
    class Meta:
        model = Message

    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    subject = factory.Faker("sentence", nb_words=4)
    body = factory.Faker("paragraph")
