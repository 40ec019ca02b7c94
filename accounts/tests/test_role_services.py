"""Role management: what is refused, what changes, and that each change is recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts import services
from accounts.models import Permission, Role, UserRole
from accounts.rbac_catalog import ADMIN, CLIENT, SUPER_ADMIN
from accounts.tests.factories import UserFactory
from auditing.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    call_command("seed_rbac", verbosity=0)
    return {role.name: role for role in Role.objects.all()}


def holder_of(role, **user_fields):
    user = UserFactory(is_staff=True, **user_fields)
    UserRole.objects.create(user=user, role=role)
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def super_admin(roles):
    return holder_of(roles[SUPER_ADMIN])


@pytest.fixture
def admin_user(roles):
    return holder_of(roles[ADMIN])


def test_system_roles_cannot_be_renamed_or_deleted(roles, super_admin):
    admin_role = roles[ADMIN]
    with pytest.raises(ValidationError, match="cannot be renamed"):
        services.role_update(role=admin_role, name="BOSS", description="", actor=super_admin)
    with pytest.raises(ValidationError, match="cannot be deleted"):
        services.role_delete(role=admin_role, actor=super_admin)
    admin_role.refresh_from_db()
    assert admin_role.name == ADMIN
    # their description and permissions may still be edited
    services.role_update(role=admin_role, name=ADMIN, description="Day-to-day", actor=super_admin)
    admin_role.refresh_from_db()
    assert admin_role.description == "Day-to-day"


def test_a_custom_role_can_be_created_renamed_and_deleted_with_an_audit_trail(super_admin, require_postgres):
    role = services.role_create(name="finance_reviewer", description="Reviews refunds", actor=super_admin)
    assert role.name == "FINANCE_REVIEWER" and not role.is_system
    services.role_update(role=role, name="REFUND_REVIEWER", description="Reviews refunds", actor=super_admin)
    services.role_delete(role=role, actor=super_admin)
    assert not Role.objects.filter(pk=role.pk).exists()
    actions = list(
        AuditLog.objects.filter(entity_type="accounts.role", entity_id=str(role.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]


def test_the_matrix_sets_exactly_the_chosen_permissions(roles, super_admin):
    role = services.role_create(name="AUDITOR", actor=super_admin)
    chosen = set(
        Permission.objects.filter(resource="auditing.auditlog", action__in=["view", "export"]).values_list(
            "pk", flat=True
        )
    )
    added, removed = services.role_permissions_set(role=role, permission_ids=chosen, actor=super_admin)
    assert added == chosen and removed == set()
    keep = set(Permission.objects.filter(resource="auditing.auditlog", action="view").values_list("pk", flat=True))
    services.role_permissions_set(role=role, permission_ids=keep, actor=super_admin)
    assert set(role.role_permissions.values_list("permission_id", flat=True)) == keep
    event = AuditLog.objects.filter(entity_type="accounts.role", entity_id=str(role.pk)).latest("id")
    assert event.changes["permissions"]["removed"] == ["auditing.export_auditlog"]


def test_no_role_may_be_given_write_access_to_the_audit_trail(roles, super_admin):
    role = roles[ADMIN]
    before = set(role.role_permissions.values_list("permission_id", flat=True))
    write = Permission.objects.get(resource="auditing.auditlog", action="change")
    with pytest.raises(ValidationError, match="No role may hold auditing.change_auditlog"):
        services.role_permissions_set(role=role, permission_ids=before | {write.pk}, actor=super_admin)
    assert set(role.role_permissions.values_list("permission_id", flat=True)) == before


def test_unknown_permission_ids_change_nothing(roles, super_admin):
    role = roles[CLIENT]
    before = set(role.role_permissions.values_list("permission_id", flat=True))
    with pytest.raises(ValidationError, match="Unknown permissions"):
        services.role_permissions_set(role=role, permission_ids=before | {999_999}, actor=super_admin)
    assert set(role.role_permissions.values_list("permission_id", flat=True)) == before


def test_nobody_can_be_left_unable_to_manage_roles(roles, super_admin):
    # given only SUPER_ADMIN and ADMIN carry manage_roles, and only SUPER_ADMIN is held
    role = roles[SUPER_ADMIN]
    manage = Permission.objects.get(resource="accounts.roles", action="manage")
    remaining = set(role.role_permissions.exclude(permission=manage).values_list("permission_id", flat=True))
    with pytest.raises(ValidationError, match="Nobody would be left"):
        services.role_permissions_set(role=role, permission_ids=remaining, actor=super_admin)
    assert role.role_permissions.filter(permission=manage).exists()


def test_granting_needs_manage_roles_and_a_future_expiry(roles, super_admin):
    client_user = holder_of(roles[CLIENT])
    with pytest.raises(PermissionDenied):
        services.user_role_grant(user=client_user, role=roles[ADMIN], actor=client_user)
    with pytest.raises(ValidationError, match="future"):
        services.user_role_grant(
            user=client_user, role=roles[ADMIN], expires_at=timezone.now() - timedelta(minutes=1), actor=super_admin
        )
    assert not UserRole.objects.filter(user=client_user, role=roles[ADMIN]).exists()


def test_nobody_grants_more_than_they_hold_nor_changes_their_own_roles(roles, admin_user):
    # ADMIN may manage roles but lacks backups.restore_backup, which SUPER_ADMIN carries
    with pytest.raises(ValidationError, match="your own roles"):
        services.user_role_grant(user=admin_user, role=roles[SUPER_ADMIN], actor=admin_user)
    with pytest.raises(ValidationError, match="cannot grant SUPER_ADMIN"):
        services.user_role_grant(user=UserFactory(), role=roles[SUPER_ADMIN], actor=admin_user)
    own = UserRole.objects.get(user=admin_user)
    with pytest.raises(ValidationError, match="your own roles"):
        services.user_role_revoke(assignment=own, actor=admin_user)
    assert not UserRole.objects.filter(role=roles[SUPER_ADMIN]).exists()


def test_nobody_edits_or_revokes_what_they_do_not_hold(roles, admin_user, super_admin):
    # given an ADMIN (without backups.restore_backup) facing the SUPER_ADMIN role and a SUPER_ADMIN
    restore = Permission.objects.get(resource="backups.backup", action="restore")
    admin_role = roles[ADMIN]
    with_restore = set(admin_role.role_permissions.values_list("permission_id", flat=True)) | {restore.pk}
    # then they can neither add it to a role (their own included) nor strip the stronger role or person
    with pytest.raises(ValidationError, match="backups.restore_backup"):
        services.role_permissions_set(role=admin_role, permission_ids=with_restore, actor=admin_user)
    with pytest.raises(ValidationError, match="backups.restore_backup"):
        services.role_permissions_set(role=roles[SUPER_ADMIN], permission_ids=set(), actor=admin_user)
    with pytest.raises(ValidationError, match="cannot revoke SUPER_ADMIN"):
        services.user_role_revoke(assignment=UserRole.objects.get(user=super_admin), actor=admin_user)
    assert roles[SUPER_ADMIN].role_permissions.filter(permission=restore).exists()
    assert not admin_role.role_permissions.filter(permission=restore).exists()


def test_the_last_lasting_super_admin_cannot_be_given_an_expiry(roles, super_admin):
    # a second SUPER_ADMIN (who may act on the first) tries to make the first's role expire
    other = holder_of(roles[SUPER_ADMIN])
    UserRole.objects.filter(user=other).update(expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="without an expiry must remain"):
        services.user_role_grant(
            user=super_admin, role=roles[SUPER_ADMIN], expires_at=timezone.now() + timedelta(days=5), actor=other
        )
    assert UserRole.objects.get(user=super_admin).expires_at is None


def test_a_grant_with_expiry_is_recorded_and_regranting_updates_it(roles, super_admin, require_postgres):
    person = UserFactory(is_staff=True)
    expiry = timezone.now() + timedelta(days=30)
    assignment = services.user_role_grant(user=person, role=roles[ADMIN], expires_at=expiry, actor=super_admin)
    assert assignment.expires_at == expiry and assignment.assigned_by == super_admin
    again = services.user_role_grant(user=person, role=roles[ADMIN], expires_at=None, actor=super_admin)
    assert again.pk == assignment.pk and again.expires_at is None
    events = AuditLog.objects.filter(entity_type="accounts.userrole", entity_id=str(assignment.pk)).order_by("id")
    assert [event.action for event in events] == [AuditAction.CREATE, AuditAction.UPDATE]


def test_the_last_super_admin_cannot_be_removed(roles, super_admin):
    # given two SUPER_ADMINs, one of whom revokes the other
    colleague = holder_of(roles[SUPER_ADMIN])
    services.user_role_revoke(assignment=UserRole.objects.get(user=super_admin), actor=colleague)
    # when the last one is to be revoked by someone able to manage roles (the bootstrap superuser)
    boss = UserFactory(is_superuser=True, is_staff=True)
    last = UserRole.objects.get(user=colleague, role=roles[SUPER_ADMIN])
    with pytest.raises(ValidationError, match="without an expiry must remain"):
        services.user_role_revoke(assignment=last, actor=boss)
    assert UserRole.objects.filter(pk=last.pk).exists()
