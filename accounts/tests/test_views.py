"""The roles pages: who may see them, what a change does, and that bad input changes nothing."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Permission, Role, RolePermission, UserRole
from accounts.rbac_catalog import (
    ADMIN,
    CLIENT,
    MANAGE_ROLES,
    NEVER_GRANTED,
    SUPER_ADMIN,
    VIEW_PERMISSION,
    VIEW_ROLE,
    VIEW_USER_ROLE,
)
from accounts.tests.factories import UserFactory, staff_holding

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


def granted_ids(role) -> set[int]:
    return set(role.role_permissions.values_list("permission_id", flat=True))


def test_the_reviewed_attack_strips_nothing_from_the_system_roles(client, roles):
    # given a lasting SUPER_ADMIN, and the review's attacker: manage_roles plus a few view permissions
    chief = UserFactory(is_staff=True)
    UserRole.objects.create(user=chief, role=roles[SUPER_ADMIN])
    attacker = staff_holding(MANAGE_ROLES, VIEW_ROLE, VIEW_PERMISSION, VIEW_USER_ROLE)
    client.force_login(attacker)
    manage = Permission.objects.get(resource="accounts.roles", action="manage")
    before = {name: granted_ids(roles[name]) for name in (SUPER_ADMIN, ADMIN)}
    for name in (SUPER_ADMIN, ADMIN):
        url = reverse("accounts:role_permissions", args=[roles[name].pk])
        # when they post the matrix without manage_roles, then with nothing ticked at all
        for ticked in (before[name] - {manage.pk}, set()):
            response = client.post(url, {"permission": sorted(ticked)}, follow=True)
            # then they are told no, and nothing is removed
            assert response.status_code == 200
            body = response.content.decode()
            assert "always holds every permission" in body or "is a system role" in body
            assert "saved" not in body
    assert {name: granted_ids(roles[name]) for name in (SUPER_ADMIN, ADMIN)} == before
    # and the SUPER_ADMIN keeps the role pages and can still change roles
    client.force_login(chief)
    assert client.get(reverse("accounts:role_list")).status_code == 200
    assert client.get(reverse("accounts:role_detail", args=[roles[ADMIN].pk])).status_code == 200
    response = client.post(
        reverse("accounts:role_permissions", args=[roles[ADMIN].pk]),
        {"permission": sorted(before[ADMIN] - {manage.pk})},
        follow=True,
    )
    assert "Permissions of ADMIN saved: 0 added, 1 removed" in response.content.decode()


def test_a_system_role_is_read_only_with_a_reason_for_whoever_may_not_change_it(client, roles):
    # given an ADMIN (who manages roles but lacks backups.restore_backup) and a SUPER_ADMIN
    signed_in_holder(client, roles[ADMIN])
    chief = UserFactory(is_staff=True)
    UserRole.objects.create(user=chief, role=roles[SUPER_ADMIN])
    client_role_url = reverse("accounts:role_detail", args=[roles[CLIENT].pk])

    # when the ADMIN opens the CLIENT role, they see its matrix read-only and why
    body = client.get(client_role_url).content.decode()
    assert "CLIENT is a system role: only someone holding every permission" in body
    assert "It is shown read-only." in body
    assert 'action="' + reverse("accounts:role_update", args=[roles[CLIENT].pk]) not in body
    assert 'action="' + reverse("accounts:role_permissions", args=[roles[CLIENT].pk]) in body
    assert "Save permissions" not in body
    assert body.count('name="permission"') == len(re.findall(r'name="permission"[^>]*\sdisabled', body)) > 0

    # when the SUPER_ADMIN opens it, it is editable, with no reason shown
    client.force_login(chief)
    body = client.get(client_role_url).content.decode()
    assert "read-only" not in body and "Save permissions" in body
    # (the audit trail's write permissions are offered nowhere: no role may ever hold them)
    assert not re.findall(r'aria-label="([\w.]+)"[^>]*\sdisabled', body)
    assert not any(f'aria-label="{codename}"' in body for codename in NEVER_GRANTED)
    assert 'action="' + reverse("accounts:role_update", args=[roles[CLIENT].pk]) in body

    # and SUPER_ADMIN's own matrix is read-only even for them: nothing can be removed from it
    body = client.get(reverse("accounts:role_detail", args=[roles[SUPER_ADMIN].pk])).content.decode()
    assert "SUPER_ADMIN always holds every permission" in body and "Save permissions" not in body
    assert 'action="' + reverse("accounts:role_update", args=[roles[SUPER_ADMIN].pk]) in body


def test_a_custom_role_holding_more_than_the_manager_is_read_only_for_them(client, roles):
    # given a role approving refunds, and a manager who cannot approve refunds
    refunds = Role.objects.create(name="REFUND_DESK")
    RolePermission.objects.create(
        role=refunds, permission=Permission.objects.get(resource="billing.refund", action="approve")
    )
    client.force_login(staff_holding(MANAGE_ROLES, VIEW_ROLE))
    # when they open it, then it is read-only, says why, and offers no delete button
    body = client.get(reverse("accounts:role_detail", args=[refunds.pk])).content.decode()
    assert "REFUND_DESK holds permissions you do not hold (billing.approve_refund)" in body
    assert "Save permissions" not in body and "Delete role" not in body


def test_no_two_rows_of_the_permission_matrix_read_the_same(roles):
    from collections import Counter

    from accounts.selectors import permission_matrix

    matrix = permission_matrix(role=roles[CLIENT])
    labels = Counter(row["label"] for group in matrix.groups for row in group["rows"])
    assert [label for label, count in labels.items() if count > 1] == []
    offered = {cell["codename"] for group in matrix.groups for row in group["rows"] for cell in row["extra"]}
    offered |= {cell["codename"] for group in matrix.groups for row in group["rows"] for cell in row["cells"] if cell}
    assert not offered & NEVER_GRANTED and "auditing.view_auditlog" in offered


def test_the_matrix_and_the_permission_list_name_actions_and_resources_in_the_readers_language(roles):
    from django.utils import translation

    from accounts.selectors import permission_matrix

    # given a reader whose language is Arabic
    with translation.override("ar"):
        matrix = permission_matrix(role=roles[CLIENT])
        labels = {row["resource"]: row["label"] for group in matrix.groups for row in group["rows"]}
        extra = {cell["codename"]: cell["action"] for g in matrix.groups for r in g["rows"] for cell in r["extra"]}
    # then the columns, the custom actions and the resources that are not models read in Arabic
    assert matrix.actions == ("عرض", "إضافة", "تغيير", "حذف")
    assert extra["backups.restore_backup"] == "استعادة" and extra["accounts.manage_roles"] == "إدارة"
    assert labels["analytics.dashboard"] == "لوحة المؤشرات" and labels["accounts.roles"].startswith("الأدوار")


def test_the_admins_permission_list_shows_the_action_by_its_label(admin_client, roles):
    body = admin_client.get(reverse("admin:accounts_permission_changelist"), HTTP_ACCEPT_LANGUAGE="ar").content
    assert "استعادة" in body.decode()
    permission = Permission.objects.get(resource="backups.backup", action="restore")
    page = reverse("admin:accounts_permission_change", args=[permission.pk])
    assert "استعادة" in admin_client.get(page, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
