"""Each rule the database can enforce is enforced there, not only by forms."""

from decimal import Decimal
from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from consultants.models import Article, Booking, ConsultantSpecialty, FeasibilityStudy, Message, Service, Specialty
from consultants.tests.factories import (
    ArticleFactory,
    BookingFactory,
    ConsultantFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


def test_specialty_name_is_unique_regardless_of_case():
    SpecialtyFactory(name="Financial", slug="financial")
    assert_rejected(lambda: Specialty.objects.create(name="FINANCIAL", slug="financial-2"))


def test_consultant_specialty_pair_is_unique():
    consultant, specialty = ConsultantFactory(), SpecialtyFactory()
    ConsultantSpecialty.objects.create(consultant=consultant, specialty=specialty)
    assert_rejected(lambda: ConsultantSpecialty.objects.create(consultant=consultant, specialty=specialty))


def test_hourly_rate_cannot_be_negative():
    assert_rejected(lambda: ConsultantFactory(hourly_rate=Decimal("-1")))


@pytest.mark.parametrize("field, value", [("price", Decimal("-0.01")), ("duration_minutes", 0)])
def test_service_price_and_duration_are_checked(field, value):
    consultant, category = ConsultantFactory(), ServiceCategoryFactory()
    defaults = {"price": Decimal("10"), "duration_minutes": 30}
    assert_rejected(
        lambda: Service.objects.create(
            consultant=consultant, category=category, title="Audit", **{**defaults, field: value}
        )
    )


def test_booking_price_cannot_be_negative_and_status_must_be_known():
    booking = BookingFactory()
    fields: dict[str, Any] = {"client": booking.client, "consultant": booking.consultant, "service": booking.service}
    fields["scheduled_at"] = booking.scheduled_at
    assert_rejected(lambda: Booking.objects.create(price=Decimal("-5"), **fields))
    assert_rejected(lambda: Booking.objects.create(price=Decimal("5"), status="MAYBE", **fields))


def test_feasibility_budget_cannot_be_negative():
    consultant, client = ConsultantFactory(), UserFactory()
    assert_rejected(
        lambda: FeasibilityStudy.objects.create(
            consultant=consultant, client=client, title="Plant", estimated_budget=Decimal("-1")
        )
    )


def test_article_slug_is_unique():
    article = ArticleFactory()
    assert_rejected(lambda: Article.objects.create(author=article.author, title="Copy", slug=article.slug))


def test_nobody_messages_themselves():
    user = UserFactory()
    assert_rejected(lambda: Message.objects.create(sender=user, recipient=user, body="Note to self"))


def test_service_cannot_lose_its_category_while_in_use():
    from django.db.models import ProtectedError

    service = ServiceFactory()
    with pytest.raises(ProtectedError):
        service.category.delete()
