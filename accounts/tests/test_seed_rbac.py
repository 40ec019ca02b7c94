"""`rbac_seed` (run by `manage.py seed_rbac`): the system roles, the permission catalog and default grants."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission as DjangoPermission
from guardian.models import UserObjectPermissionBase

from accounts.models import Permission, Role, RolePermission, UserRole
from accounts.rbac_catalog import (
    ADMIN,
    CLIENT,
    CONSULTANT,
    CUSTOM_PERMISSIONS,
    RBAC_APP_LABELS,
    SUPER_ADMIN,
    resource_action_from_codename,
)
from accounts.services import RbacSeedResult, rbac_seed
from accounts.tests.factories import UserFactory
from core.seeding import SeedTally

pytestmark = pytest.mark.django_db

# Writing the trail, its seals, its verification runs or the system log by hand (pruning the log is allowed).
AUDIT_WRITES = {
    *(
        f"auditing.{action}_{model}"
        for action in ("add", "change", "delete")
        for model in ("auditlog", "auditseal", "auditverification")
    ),
    "auditing.add_systemlog",
    "auditing.change_systemlog",
}


def seed_rbac() -> RbacSeedResult:
    return rbac_seed()


def granted(role_name: str) -> set[str]:
    return {permission.codename for permission in Role.objects.get(name=role_name).permissions.all()}


def all_codenames() -> set[str]:
    return {permission.codename for permission in Permission.objects.all()}


def test_it_creates_the_four_system_roles_with_descriptions():
    # when
    result = seed_rbac()

    # then
    roles = Role.objects.filter(name__in=[SUPER_ADMIN, ADMIN, CONSULTANT, CLIENT])
    assert roles.count() == 4
    assert all(role.is_system and role.description for role in roles)
    assert result.roles == SeedTally(created=4, existing=0)


def test_every_model_of_our_apps_gets_view_add_change_delete():
    # when
    seed_rbac()

    # then
    codenames = all_codenames()
    for label in RBAC_APP_LABELS:
        for model in apps.get_app_config(label).get_models():
            if issubclass(model, UserObjectPermissionBase):
                assert f"{label}.view_{model._meta.model_name}" not in codenames  # per-object plumbing
                continue
            for action in ("view", "add", "change", "delete"):
                assert f"{label}.{action}_{model._meta.model_name}" in codenames


def test_the_custom_actions_the_roadmap_needs_exist():
    # when
    seed_rbac()

    # then
    assert {
        "support.assign_supportticket",
        "support.view_internal_ticketcomment",
        "billing.approve_refund",
        "attachments.download_private_fileattachment",
        "auditing.export_auditlog",
        "backups.run_backup",
        "backups.restore_backup",
        "analytics.view_dashboard",
        "accounts.manage_roles",
    } <= all_codenames()


def test_every_permission_codename_round_trips_to_its_row():
    # given
    seed_rbac()
    permissions = list(Permission.objects.all())

    # then: the codename names exactly one row, and splits back into that row's resource and action
    assert len({permission.codename for permission in permissions}) == len(permissions)
    for permission in permissions:
        assert resource_action_from_codename(permission.codename) == (permission.resource, permission.action)


def test_view_add_change_delete_codenames_are_djangos_own_permission_names():
    # given: Django's permission strings for our models, as the admin asks for them
    seed_rbac()
    django_names = {
        f"{app_label}.{codename}"
        for app_label, codename in DjangoPermission.objects.filter(content_type__app_label__in=RBAC_APP_LABELS)
        .exclude(content_type__model__endswith="userobjectpermission")
        .values_list("content_type__app_label", "codename")
    }

    # then
    assert django_names <= all_codenames()
    assert all_codenames() - django_names == {
        f"{spec.resource.partition('.')[0]}.{spec.action}_{spec.resource.partition('.')[2]}"
        for spec in CUSTOM_PERMISSIONS
    }


def test_a_user_holding_a_seeded_role_has_its_permissions_through_has_perm():
    # given
    seed_rbac()
    user = UserFactory()
    UserRole.objects.create(user=user, role=Role.objects.get(name=SUPER_ADMIN))

    # then
    for codename in all_codenames() - AUDIT_WRITES:
        assert user.has_perm(codename), codename
    assert not any(user.has_perm(codename) for codename in AUDIT_WRITES)


def test_super_admin_holds_everything_but_writing_the_audit_log():
    seed_rbac()

    assert granted(SUPER_ADMIN) == all_codenames() - AUDIT_WRITES


def test_admin_holds_everything_but_restoring_backups_and_deleting_logs():
    seed_rbac()

    withheld = {"backups.restore_backup", "auditing.delete_systemlog"} | AUDIT_WRITES
    assert granted(ADMIN) == all_codenames() - withheld


def test_no_role_may_add_change_or_delete_audit_log_rows():
    seed_rbac()

    assert not RolePermission.objects.filter(
        permission__resource__in=["auditing.auditlog", "auditing.auditseal", "auditing.auditverification"],
        permission__action__in=["add", "change", "delete"],
    ).exists()


def test_consultants_create_work_but_hold_no_model_wide_grant_on_others_objects():
    seed_rbac()

    consultant = granted(CONSULTANT)
    for model in ("report", "feasibilitystudy", "article", "message", "service"):
        assert f"consultants.add_{model}" in consultant
    # a role grant covers every object, so sessions and deliverables come from per-object grants only
    for model in ("booking", "report", "feasibilitystudy", "message"):
        assert not {f"consultants.view_{model}", f"consultants.change_{model}"} & consultant
    # they ask the desk for help like clients do (the help center shows them their own tickets only)
    assert "support.add_supportticket" in consultant
    others = consultant - {"support.add_supportticket"}
    assert not any(codename.startswith(("billing.", "auditing.", "backups.", "support.")) for codename in others)


def test_clients_raise_tickets_book_sessions_and_see_nobody_elses_objects():
    seed_rbac()

    assert granted(CLIENT) == {
        "support.add_supportticket",
        "support.add_ticketcomment",
        "consultants.add_booking",
        "consultants.add_message",
        "consultants.view_service",
        "consultants.view_article",
        # files on their own records: which records is up to the records' own grants
        "attachments.add_fileattachment",
        "attachments.download_private_fileattachment",
    }


def test_rerunning_keeps_what_an_admin_added_and_restores_revoked_defaults():
    # given: an admin grants clients one more permission, rewrites a description, revokes a default
    seed_rbac()
    client = Role.objects.get(name=CLIENT)
    extra = Permission.objects.get(resource="billing.refund", action="view")
    RolePermission.objects.create(role=client, permission=extra)
    client.description = "Our customers"
    client.save(update_fields=["description"])
    RolePermission.objects.filter(role=client, permission__resource="consultants.article").delete()

    # when
    result = seed_rbac()

    # then
    client.refresh_from_db()
    assert client.description == "Our customers"
    assert {"billing.view_refund", "consultants.view_article"} <= granted(CLIENT)
    assert result.grants.created == 1


def test_a_role_created_by_hand_under_a_system_name_becomes_a_system_role():
    # given
    Role.objects.create(name=ADMIN, description="made by hand", is_system=False)

    # when
    result = seed_rbac()

    # then
    admin = Role.objects.get(name=ADMIN)
    assert admin.is_system
    assert admin.description == "made by hand"
    assert result.roles == SeedTally(created=3, existing=1)
