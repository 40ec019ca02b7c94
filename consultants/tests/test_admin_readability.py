"""The consultants' admin reads as people talk: money with its currency, durations in hours and minutes;
the legacy expertise list only while it still matters; an unchanged booking form saves nothing."""

from decimal import Decimal

import pytest

from accounts.tests.admin_forms import unchanged_form_data
from auditing.models import AuditLog
from consultants.models import Booking, Consultant, Service
from consultants.tests.factories import (
    BookingFactory,
    ConsultantFactory,
    ConsultantSpecialtyFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def test_services_show_price_with_currency_and_duration_in_hours(admin_client, settings):
    # given
    settings.DEFAULT_CURRENCY = "EUR"
    ServiceFactory(price=Decimal("1525.00"), duration_minutes=90)
    # when
    content = admin_client.get(admin_url(Service, "changelist")).content.decode()
    # then
    assert "1,525.00 EUR" in content
    assert "1 h 30 min" in content


def test_bookings_show_their_price_with_currency(admin_client, settings):
    settings.DEFAULT_CURRENCY = "EUR"
    BookingFactory(price=Decimal("525.00"))
    assert "525.00 EUR" in admin_client.get(admin_url(Booking, "changelist")).content.decode()


def test_saving_an_unchanged_booking_writes_no_audit_row(admin_client, require_postgres):
    # given
    booking = BookingFactory()
    url = admin_url(Booking, "change", booking.pk)
    data = unchanged_form_data(admin_client.get(url).content.decode())
    before = AuditLog.objects.count()
    # when
    response = admin_client.post(url, data)
    # then
    assert response.status_code == 302
    assert AuditLog.objects.count() == before
    assert Booking.objects.get(pk=booking.pk).updated_at == booking.updated_at


def expertise_shown(admin_client, consultant: Consultant) -> bool:
    response = admin_client.get(admin_url(Consultant, "change", consultant.pk))
    return "expertise_fields" in {
        field for fieldset in response.context["adminform"] for line in fieldset for field in line.fields
    }


def test_legacy_expertise_is_shown_only_while_it_differs_from_the_specialties(admin_client):
    # given a consultant whose legacy list names a specialty they are not linked to yet
    consultant = ConsultantFactory(expertise_fields=[" economic", "Legal"])
    ConsultantSpecialtyFactory(consultant=consultant, specialty=SpecialtyFactory(name="Economic"))
    assert expertise_shown(admin_client, consultant)
    # when the migration links the other one too
    ConsultantSpecialtyFactory(consultant=consultant, specialty=SpecialtyFactory(name="legal"))
    # then the list says nothing the specialties do not, and is hidden
    assert not expertise_shown(admin_client, consultant)


def test_unreadable_legacy_expertise_stays_shown(admin_client):
    consultant = ConsultantFactory(expertise_fields={"not": "a list"})
    assert expertise_shown(admin_client, consultant)
