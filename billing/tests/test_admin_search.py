"""The payment list searches by part of the payer's, client's or consultant's name."""

import pytest

from accounts.tests.factories import UserFactory
from billing.admin import PaymentAdmin
from billing.models import Payment
from billing.tests.factories import PaymentFactory
from consultants.tests.factories import BookingFactory, ConsultantFactory, ServiceFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def listed(admin_client, text: str) -> set[int]:
    response = admin_client.get(admin_url(Payment, "changelist"), {"q": text})
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_payments_are_found_by_part_of_the_clients_or_the_consultants_name(admin_client, require_postgres):
    # given
    by_jurgen = PaymentFactory(booking=BookingFactory(client=UserFactory(full_name="Jürgen Weißmüller")))
    layla = ConsultantFactory(user=UserFactory(full_name="Layla Mansour"))
    to_layla = PaymentFactory(booking=BookingFactory(service=ServiceFactory(consultant=layla)))
    PaymentFactory(booking=BookingFactory(client=UserFactory(full_name="Noah Kim")))
    # when / then
    assert listed(admin_client, "Jurgen Weiss") == {by_jurgen.pk}
    assert listed(admin_client, "layla") == {to_layla.pk}
    assert listed(admin_client, by_jurgen.payer.email.upper()) == {by_jurgen.pk}
    assert listed(admin_client, "50%_") == set()


@pytest.mark.parametrize("few_people", [200, 0], ids=["few people, by id", "many people, walking the list"])
def test_payments_found_are_the_same_whether_few_or_many_people_match(
    admin_client, require_postgres, monkeypatch, few_people
):
    # given payments where Jürgen pays, is the client paid for (someone else paying), or neither
    monkeypatch.setattr(PaymentAdmin, "few_people", few_people)
    jurgen = UserFactory(full_name="Jürgen Weißmüller")
    layla = ConsultantFactory(user=UserFactory(full_name="Layla Mansour"))
    by_jurgen = PaymentFactory(booking=BookingFactory(client=jurgen))
    for_jurgen = PaymentFactory(booking=BookingFactory(client=jurgen), payer=UserFactory(full_name="Noah Kim"))
    to_layla = PaymentFactory(booking=BookingFactory(service=ServiceFactory(consultant=layla)))
    PaymentFactory(booking=BookingFactory(client=UserFactory(full_name="Liam Smith")))
    # when / then
    assert listed(admin_client, "jurgen") == {by_jurgen.pk, for_jurgen.pk}
    assert listed(admin_client, "layla") == {to_layla.pk}
    assert listed(admin_client, "noah kim") == {for_jurgen.pk}
    assert listed(admin_client, "50%_") == set()
