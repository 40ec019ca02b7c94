"""`user.has_perm` answers from the user's active roles, fast, and never from a stale cache."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Permission, RolePermission, UserRole, UserStatus
from accounts.tests.factories import PermissionFactory, RoleFactory, UserFactory, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_agent():
    role = RoleFactory(name="SUPPORT_AGENT")
    for action in ("view", "change"):
        role.role_permissions.create(permission=PermissionFactory(resource="support.supportticket", action=action))
    role.role_permissions.create(permission=PermissionFactory(resource="support.supportticket", action="assign"))
    user = UserFactory()
    UserRole.objects.create(user=user, role=role)
    return user


def test_roles_grant_their_permissions_and_nothing_else(support_agent):
    user = fresh(support_agent)
    assert user.has_perm("support.view_supportticket")
    assert user.has_perm("support.assign_supportticket")
    assert not user.has_perm("support.delete_supportticket")
    assert not user.has_perm("billing.view_payment")
    assert user.has_module_perms("support")
    assert not user.has_module_perms("billing")


def test_a_role_grant_covers_every_object_of_the_model(support_agent):
    from support.tests.factories import SupportTicketFactory

    assert fresh(support_agent).has_perm("support.change_supportticket", SupportTicketFactory())


def test_a_user_without_roles_has_no_permissions():
    assert fresh(UserFactory()).get_all_permissions() == set()


def test_suspended_users_hold_no_permissions_not_even_a_superuser(support_agent):
    support_agent.status = UserStatus.SUSPENDED
    support_agent.save(update_fields=["status"])
    boss = UserFactory(is_superuser=True, is_staff=True, status=UserStatus.SUSPENDED)
    assert not fresh(support_agent).has_perm("support.view_supportticket")
    assert not fresh(boss).has_perm("support.view_supportticket")
    assert not fresh(boss).has_module_perms("support")


def test_an_expired_role_grants_nothing_from_the_instant_it_expires(support_agent):
    # given the agent's role expires in an hour, and their permissions are cached now
    expiry = timezone.now() + timedelta(hours=1)
    UserRole.objects.filter(user=support_agent).update(expires_at=expiry)
    assert fresh(support_agent).has_perm("support.view_supportticket")
    # when the clock passes the expiry, even within the same request's user object
    user = fresh(support_agent)
    assert user.has_perm("support.view_supportticket")
    with time_machine.travel(expiry + timedelta(microseconds=1), tick=False):
        # then nothing is granted, from the memo or from the cache
        assert not user.has_perm("support.view_supportticket")
        assert not fresh(support_agent).has_perm("support.view_supportticket")


def test_warm_cache_answers_after_one_small_query_per_user_object(support_agent, django_assert_num_queries):
    fresh(support_agent).has_perm("support.view_supportticket")  # warms the cache
    user = fresh(support_agent)
    # the generation check, once for the whole request however many permissions it asks about
    with django_assert_num_queries(1) as captured:
        assert user.has_perm("support.view_supportticket")
        assert not user.has_perm("billing.view_payment")
        assert user.has_module_perms("support")
    assert "accounts_permission_generation" in captured.captured_queries[0]["sql"]


def test_any_change_to_grants_or_assignments_is_seen_on_the_next_request(support_agent):
    # given cached permissions
    assert not fresh(support_agent).has_perm("billing.view_payment")
    role = support_agent.user_roles.get().role
    # when the role gains a permission
    RolePermission.objects.create(role=role, permission=PermissionFactory(resource="billing.payment", action="view"))
    # then the next request sees it
    assert fresh(support_agent).has_perm("billing.view_payment")
    # when the permission row is removed, through the m2m manager
    role.permissions.remove(Permission.objects.get(resource="billing.payment", action="view"))
    assert not fresh(support_agent).has_perm("billing.view_payment")
    # when the user loses the role
    UserRole.objects.filter(user=support_agent).delete()
    assert not fresh(support_agent).has_perm("support.view_supportticket")


def test_role_permissions_added_through_the_m2m_manager_invalidate_the_cache(support_agent):
    role = support_agent.user_roles.get().role
    assert not fresh(support_agent).has_perm("billing.add_refund")
    role.permissions.add(PermissionFactory(resource="billing.refund", action="add"))
    assert fresh(support_agent).has_perm("billing.add_refund")
