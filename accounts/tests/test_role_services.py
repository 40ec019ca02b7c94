"""Role management: what is refused, what changes, and that each change is recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts import services
from accounts.models import Permission, Role, RolePermission, UserRole, UserStatus
from accounts.rbac_catalog import (
    ADMIN,
    CLIENT,
    CONSULTANT,
    MANAGE_ROLES,
    NEVER_GRANTED,
    SUPER_ADMIN,
    VIEW_PERMISSION,
    VIEW_ROLE,
    resource_action_from_codename,
)
from accounts.services.roles import grantable_codenames, user_delete_check
from accounts.tests.factories import UserFactory, holder_of
from auditing.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    call_command("seed_rbac", verbosity=0)
    return {role.name: role for role in Role.objects.all()}


def permissions(*codenames):
    pairs = map(resource_action_from_codename, codenames)
    return [Permission.objects.get(resource=resource, action=action) for resource, action in pairs]


def role_with(name, *codenames):
    role = Role.objects.create(name=name)
    RolePermission.objects.bulk_create([RolePermission(role=role, permission=p) for p in permissions(*codenames)])
    return role


def snapshot(role):
    role.refresh_from_db()
    return role.name, role.description, services.role_codenames(role=role)


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


def test_nobody_can_be_left_unable_to_manage_roles(roles):
    # given no SUPER_ADMIN is held yet, and the only person able to manage roles holds a custom role
    managers = role_with("ROLE_MANAGER", MANAGE_ROLES, VIEW_ROLE)
    holder_of(managers)
    bootstrap = UserFactory(is_superuser=True, is_staff=True)
    view_role = permissions(VIEW_ROLE)[0]
    # when the bootstrap account takes manage_roles off that role
    with pytest.raises(ValidationError, match="Nobody would be left"):
        services.role_permissions_set(role=managers, permission_ids={view_role.pk}, actor=bootstrap)
    # then it keeps it
    assert MANAGE_ROLES in services.role_codenames(role=managers)


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
    # given an ADMIN (without backups.restore_backup) facing a role and a person holding it
    restore = Permission.objects.get(resource="backups.backup", action="restore")
    custom = role_with("RESTORERS", "backups.restore_backup")
    # then they can neither add it to a role (their own included) nor strip it from a role or a person
    with pytest.raises(ValidationError, match="backups.restore_backup"):
        services.role_permissions_set(
            role=Role.objects.create(name="EMPTY"), permission_ids={restore.pk}, actor=admin_user
        )
    with pytest.raises(ValidationError, match="backups.restore_backup"):
        services.role_permissions_set(role=custom, permission_ids=set(), actor=admin_user)
    with pytest.raises(ValidationError, match="cannot revoke SUPER_ADMIN"):
        services.user_role_revoke(assignment=UserRole.objects.get(user=super_admin), actor=admin_user)
    assert custom.role_permissions.filter(permission=restore).exists()
    assert not Role.objects.get(name="EMPTY").role_permissions.exists()


def test_nothing_can_be_removed_from_super_admin_whoever_asks(roles, super_admin):
    # given SUPER_ADMIN as seeded, a SUPER_ADMIN holder and the bootstrap superuser
    role = roles[SUPER_ADMIN]
    before = services.role_codenames(role=role)
    bootstrap = UserFactory(is_superuser=True, is_staff=True)
    held = set(role.role_permissions.values_list("permission_id", flat=True))
    for actor in (super_admin, bootstrap):
        for taken in permissions(MANAGE_ROLES, "backups.restore_backup"):
            # when either takes one permission off it
            with pytest.raises(ValidationError, match="SUPER_ADMIN always holds every permission"):
                services.role_permissions_set(role=role, permission_ids=held - {taken.pk}, actor=actor)
    # then it still holds every permission a role may hold
    assert services.role_codenames(role=role) == before == grantable_codenames()


def test_a_role_manager_cannot_change_any_system_role(roles, super_admin):
    # given the review's attacker: manage_roles and a few view permissions, nothing else
    attacker = holder_of(role_with("ROLE_CLERK", MANAGE_ROLES, VIEW_ROLE, VIEW_PERMISSION))
    manage = permissions(MANAGE_ROLES)[0]
    for name in (SUPER_ADMIN, ADMIN, CONSULTANT, CLIENT):
        role = roles[name]
        before = snapshot(role)
        held = set(role.role_permissions.values_list("permission_id", flat=True))
        # when they take away manage_roles (which they hold), or anything, or re-describe the role
        for chosen in (held - {manage.pk}, set()):
            with pytest.raises(ValidationError):
                services.role_permissions_set(role=role, permission_ids=chosen, actor=attacker)
        with pytest.raises(ValidationError, match="only someone holding every permission"):
            services.role_update(role=role, name=name, description="Owned", actor=attacker)
        # then the role is exactly as it was
        assert snapshot(role) == before


def test_only_someone_holding_every_permission_changes_a_system_role(roles, admin_user, super_admin):
    # given CLIENT, a system role holding nothing an ADMIN lacks
    role = roles[CLIENT]
    booking = permissions("consultants.add_booking")[0]
    held = set(role.role_permissions.values_list("permission_id", flat=True))
    # when an ADMIN (lacking backups.restore_backup) takes a permission off it, they are refused
    with pytest.raises(ValidationError, match="CLIENT is a system role.*backups.restore_backup"):
        services.role_permissions_set(role=role, permission_ids=held - {booking.pk}, actor=admin_user)
    assert role.role_permissions.filter(permission=booking).exists()
    # when a SUPER_ADMIN does, and puts it back, both succeed
    assert services.role_permissions_set(role=role, permission_ids=held - {booking.pk}, actor=super_admin)[1] == {
        booking.pk
    }
    assert services.role_permissions_set(role=role, permission_ids=held, actor=super_admin)[0] == {booking.pk}


def test_changing_a_role_needs_every_permission_it_holds_before_the_change(roles):
    # given a role holding refund approval, and a manager who holds only its other permission
    refunds = role_with("REFUND_DESK", "billing.approve_refund", "billing.view_payment")
    manager = holder_of(role_with("ROLE_CLERK", MANAGE_ROLES, "billing.view_payment"))
    before = snapshot(refunds)
    approve = permissions("billing.approve_refund")[0]
    # when they take away the permission they do hold, rename it or delete it
    with pytest.raises(ValidationError, match=r"holds permissions you do not hold \(billing.approve_refund\)"):
        services.role_permissions_set(role=refunds, permission_ids={approve.pk}, actor=manager)
    with pytest.raises(ValidationError, match="billing.approve_refund"):
        services.role_update(role=refunds, name="REFUNDS", description="", actor=manager)
    with pytest.raises(ValidationError, match="billing.approve_refund"):
        services.role_delete(role=refunds, actor=manager)
    # then nothing changed, while a role holding only what they hold is theirs to change
    assert snapshot(refunds) == before
    payments = role_with("PAYMENTS", "billing.view_payment")
    assert services.role_permissions_set(role=payments, permission_ids=set(), actor=manager)[1]


def test_a_permission_outside_the_catalogue_reaches_super_admin_when_seeding_again(
    roles, super_admin, django_capture_on_commit_callbacks
):
    # given a permission row that no catalogue entry names (e.g. left by an older release)
    legacy = Permission.objects.create(resource="legacy.thing", action="view")
    held = set(roles[ADMIN].role_permissions.values_list("permission_id", flat=True))
    # then until seed_rbac runs again nobody holds everything, so system roles stay as they are
    with pytest.raises(ValidationError, match="legacy.view_thing"):
        services.role_update(role=roles[ADMIN], name=ADMIN, description="Day to day", actor=super_admin)
    # when seed_rbac runs, SUPER_ADMIN gets it and its holders may change system roles again
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_rbac", verbosity=0)
    fresh = type(super_admin).objects.get(pk=super_admin.pk)
    assert roles[SUPER_ADMIN].role_permissions.filter(permission=legacy).exists()
    services.role_permissions_set(role=roles[ADMIN], permission_ids=held | {legacy.pk}, actor=fresh)
    assert services.role_codenames(role=roles[SUPER_ADMIN]) == grantable_codenames()
    assert not NEVER_GRANTED & services.role_codenames(role=roles[SUPER_ADMIN])


def test_the_last_person_able_to_manage_roles_cannot_be_suspended_or_deactivated(roles):
    # given no SUPER_ADMIN is held and one person manages roles through a custom role
    manager = holder_of(role_with("ROLE_MANAGER", MANAGE_ROLES, VIEW_ROLE))
    bootstrap = UserFactory(is_superuser=True, is_staff=True)
    # when the bootstrap account suspends or deactivates them, it is refused
    for status, is_active in ((UserStatus.SUSPENDED, True), (UserStatus.ACTIVE, False)):
        with pytest.raises(ValidationError, match="last person able to manage roles"):
            services.user_access_change_check(user=manager, actor=bootstrap, new_status=status, new_is_active=is_active)
    # then with a second manager it is allowed
    holder_of(Role.objects.get(name="ROLE_MANAGER"))
    services.user_access_change_check(
        user=manager, actor=bootstrap, new_status=UserStatus.SUSPENDED, new_is_active=True
    )


def test_the_last_lasting_super_admin_cannot_be_deleted(roles, super_admin):
    # given one lasting SUPER_ADMIN and one whose role expires
    bootstrap = UserFactory(is_superuser=True, is_staff=True)
    passing = holder_of(roles[SUPER_ADMIN])
    UserRole.objects.filter(user=passing).update(expires_at=timezone.now() + timedelta(days=2))
    # then deleting the lasting one is refused, deleting the passing one is not
    with pytest.raises(ValidationError, match="last lasting SUPER_ADMIN and cannot be deleted"):
        user_delete_check(user=super_admin, actor=bootstrap)
    user_delete_check(user=passing, actor=bootstrap)
    with pytest.raises(ValidationError, match="yourself"):
        user_delete_check(user=bootstrap, actor=bootstrap)


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
