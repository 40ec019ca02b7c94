"""Each rule the database can enforce is enforced there, not only by forms."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification, Permission, Role, RolePermission, User, UserRole
from accounts.tests.factories import PermissionFactory, RoleFactory, UserFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


def test_email_is_unique_regardless_of_case():
    UserFactory(email="ada@example.com")
    assert_rejected(lambda: User.objects.create(email="ADA@Example.com", full_name="Ada again"))


def test_user_status_must_be_known():
    assert_rejected(lambda: User.objects.create(email="x@example.com", full_name="X", status="BANNED"))


def test_role_name_is_unique():
    RoleFactory(name="AUDITOR")
    assert_rejected(lambda: Role.objects.create(name="AUDITOR"))


def test_permission_resource_action_pair_is_unique():
    Permission.objects.create(resource="support.supportticket", action="assign")
    assert_rejected(lambda: Permission.objects.create(resource="support.supportticket", action="assign"))


def test_role_permission_pair_is_unique():
    role, permission = RoleFactory(), PermissionFactory()
    RolePermission.objects.create(role=role, permission=permission)
    assert_rejected(lambda: RolePermission.objects.create(role=role, permission=permission))


def test_user_role_pair_is_unique():
    user, role = UserFactory(), RoleFactory()
    UserRole.objects.create(user=user, role=role)
    assert_rejected(lambda: UserRole.objects.create(user=user, role=role))


def test_role_cannot_expire_before_it_was_assigned():
    now = timezone.now()
    user, role = UserFactory(), RoleFactory()
    assert_rejected(
        lambda: UserRole.objects.create(user=user, role=role, assigned_at=now, expires_at=now - timedelta(seconds=1))
    )


@pytest.mark.parametrize("field, value", [("channel", "CARRIER_PIGEON"), ("status", "LOST")])
def test_notification_enums_are_enforced(field, value):
    user = UserFactory()
    assert_rejected(lambda: Notification.objects.create(user=user, title="Hi", **{field: value}))


def test_active_role_assignments_exclude_expired_ones():
    # given one lasting, one future-expiring and one expired assignment
    now = timezone.now()
    user = UserFactory()
    lasting = UserRole.objects.create(user=user, role=RoleFactory())
    later = UserRole.objects.create(user=user, role=RoleFactory(), expires_at=now + timedelta(days=1))
    UserRole.objects.create(
        user=user, role=RoleFactory(), assigned_at=now - timedelta(days=2), expires_at=now - timedelta(days=1)
    )
    # when / then
    assert set(UserRole.objects.active()) == {lasting, later}
