"""The roles pages: who may see them, what a change does, and that bad input changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Permission, Role, UserRole
from accounts.rbac_catalog import ADMIN, CLIENT, SUPER_ADMIN
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    call_command("seed_rbac", verbosity=0)
    return {role.name: role for role in Role.objects.all()}


def signed_in_holder(client, role, **fields):
    user = UserFactory(is_staff=True, **fields)
    UserRole.objects.create(user=user, role=role)
    client.force_login(user)
    return user


def test_anonymous_visitors_are_sent_to_sign_in_and_clients_are_refused(client, roles):
    url = reverse("accounts:role_list")
    assert client.get(url)["Location"].startswith(reverse("admin:login"))
    signed_in_holder(client, roles[CLIENT])
    assert client.get(url).status_code == 403
    assert client.post(reverse("accounts:role_permissions", args=[roles[CLIENT].pk])).status_code == 403


def test_the_role_list_shows_every_role_in_a_constant_number_of_queries(client, roles, django_assert_max_num_queries):
    signed_in_holder(client, roles[SUPER_ADMIN])
    with django_assert_max_num_queries(12) as captured:
        response = client.get(reverse("accounts:role_list"))
    assert response.status_code == 200
    assert all(name in response.content.decode() for name in roles)
    for index in range(15):
        Role.objects.create(name=f"EXTRA_{index}")
    with django_assert_max_num_queries(len(captured.captured_queries)):
        client.get(reverse("accounts:role_list"))


def test_the_matrix_form_saves_the_ticked_permissions(client, roles):
    # given
    signed_in_holder(client, roles[SUPER_ADMIN])
    role = Role.objects.create(name="FINANCE")
    ticked = list(Permission.objects.filter(resource__startswith="billing.").values_list("pk", flat=True))
    # when
    response = client.post(reverse("accounts:role_permissions", args=[role.pk]), {"permission": ticked}, follow=True)
    # then
    assert set(role.role_permissions.values_list("permission_id", flat=True)) == set(ticked)
    assert f"{len(ticked)} added, 0 removed" in response.content.decode()
    page = client.get(reverse("accounts:role_detail", args=[role.pk])).content.decode()
    assert page.count("checked") >= len(ticked)


def test_a_tampered_matrix_changes_nothing(client, roles):
    signed_in_holder(client, roles[SUPER_ADMIN])
    role = roles[CLIENT]
    before = set(role.role_permissions.values_list("permission_id", flat=True))
    for bad in (["abc"], ["99999999"]):
        response = client.post(reverse("accounts:role_permissions", args=[role.pk]), {"permission": bad}, follow=True)
        assert response.status_code == 200
        assert "tampered" in response.content.decode() or "Unknown permissions" in response.content.decode()
    assert set(role.role_permissions.values_list("permission_id", flat=True)) == before


def test_granting_a_role_with_expiry_and_refusing_one_in_the_past(client, roles):
    signed_in_holder(client, roles[SUPER_ADMIN])
    person = UserFactory(is_staff=True)
    url = reverse("accounts:user_role_grant", args=[person.pk])
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"role": roles[ADMIN].pk, "expires_at": past}, follow=True)
    assert "must be in the future" in response.content.decode()
    assert not UserRole.objects.filter(user=person).exists()
    future = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"role": roles[ADMIN].pk, "expires_at": future}, follow=True)
    assert "now holds ADMIN until" in response.content.decode()
    assert UserRole.objects.get(user=person).expires_at is not None


def test_renaming_a_system_role_is_refused_with_a_message(client, roles):
    signed_in_holder(client, roles[SUPER_ADMIN])
    response = client.post(
        reverse("accounts:role_update", args=[roles[ADMIN].pk]), {"name": "CHIEF", "description": ""}, follow=True
    )
    assert "cannot be renamed" in response.content.decode()
    assert Role.objects.filter(name=ADMIN).exists()


def test_who_has_a_permission_lists_active_holders_only(client, roles, django_assert_max_num_queries):
    me = signed_in_holder(client, roles[SUPER_ADMIN])
    lapsed = UserFactory()
    UserRole.objects.create(
        user=lapsed,
        role=roles[ADMIN],
        assigned_at=timezone.now() - timedelta(days=3),
        expires_at=timezone.now() - timedelta(days=1),
    )
    permission = Permission.objects.get(resource="billing.refund", action="approve")
    url = reverse("accounts:permission_holders") + f"?permission={permission.pk}"
    with django_assert_max_num_queries(14):
        body = client.get(url).content.decode()
    assert me.email in body and lapsed.email not in body
    assert client.get(reverse("accounts:permission_holders") + "?permission=junk").status_code == 200
