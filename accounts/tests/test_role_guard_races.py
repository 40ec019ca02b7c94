"""The role guards under concurrency: two people acting at once never break the RBAC invariants.

Each test runs two changes in two threads, each with its own database connection, on real PostgreSQL.
Both are released together and then held for a moment right after each reads the state its guards count
(``_invariants_held``), so without the RBAC lock both would decide on the same state and both would be
let through. With the lock the second waits for the first to commit, sees its effect and is refused.
"""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction

from accounts import services
from accounts.models import Permission, Role, RolePermission, UserRole, UserStatus
from accounts.rbac_catalog import MANAGE_ROLES, SUPER_ADMIN, resource_action_from_codename
from accounts.services import roles as role_services
from accounts.tests.factories import UserFactory, fresh

pytestmark = [pytest.mark.django_db(transaction=True)]

# Long enough for both threads to meet when nothing serialises them, short enough to keep the test quick
# when the lock makes one wait for the other (the first then gives up waiting and goes on).
MEET_SECONDS = 0.5


@pytest.fixture
def widened_race(monkeypatch):
    """Holds each thread right after it has read the state its guards count, until the other one has too."""
    meeting = threading.Barrier(2)
    counted = role_services._invariants_held

    def counted_then_wait(**kwargs):
        held = counted(**kwargs)
        try:
            meeting.wait(timeout=MEET_SECONDS)
        except threading.BrokenBarrierError:
            pass  # the other thread is waiting for the lock: go on alone
        return held

    monkeypatch.setattr(role_services, "_invariants_held", counted_then_wait)


def run_together(*changes) -> list[str]:
    """Runs each change in its own thread and connection at once; returns "done" or "refused" for each."""
    outcomes = ["unfinished"] * len(changes)
    start = threading.Barrier(len(changes))

    def run(index, change):
        try:
            start.wait(timeout=10)
            change()
            outcomes[index] = "done"
        except (ValidationError, PermissionDenied):
            outcomes[index] = "refused"
        except Exception as error:  # reported by the assertion below rather than lost in the thread
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(changes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def lasting_super_admins() -> set[int]:
    return set(
        UserRole.objects.filter(
            role__name=SUPER_ADMIN,
            expires_at__isnull=True,
            user__is_active=True,
            user__status=UserStatus.ACTIVE,
            role__role_permissions__permission__resource="accounts.roles",
            role__role_permissions__permission__action="manage",
        ).values_list("user_id", flat=True)
    )


def role_managers() -> set[int]:
    resource, action = resource_action_from_codename(MANAGE_ROLES)
    return set(
        UserRole.objects.filter(
            user__is_active=True,
            user__status=UserStatus.ACTIVE,
            role__role_permissions__permission__resource=resource,
            role__role_permissions__permission__action=action,
        ).values_list("user_id", flat=True)
    )


@pytest.fixture
def two_super_admins(require_postgres):
    call_command("seed_rbac", verbosity=0)
    role = Role.objects.get(name=SUPER_ADMIN)
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)
    for user in (first, second):
        UserRole.objects.create(user=user, role=role)
    return first, second


def test_two_super_admins_revoking_each_other_at_once_leave_one(two_super_admins, widened_race):
    # given the only two lasting SUPER_ADMINs
    first, second = two_super_admins

    # when each revokes the other's role at the same moment
    outcomes = run_together(
        lambda: services.user_role_revoke(assignment=UserRole.objects.get(user=second), actor=fresh(first)),
        lambda: services.user_role_revoke(assignment=UserRole.objects.get(user=first), actor=fresh(second)),
    )

    # then one of them is refused and one lasting SUPER_ADMIN remains
    assert sorted(outcomes) == ["done", "refused"]
    assert len(lasting_super_admins()) == 1


def test_a_revoke_racing_a_suspension_leaves_a_lasting_super_admin(two_super_admins, widened_race):
    # given the only two lasting SUPER_ADMINs
    first, second = two_super_admins

    def suspend(user, actor):
        # what the admin's user form does: check, then save, in one transaction
        with transaction.atomic():
            services.user_access_change_check(
                user=user, actor=actor, new_status=UserStatus.SUSPENDED, new_is_active=True
            )
            user.status = UserStatus.SUSPENDED
            user.save(update_fields=["status", "updated_at"])

    # when the first revokes the second's role while the second suspends the first
    outcomes = run_together(
        lambda: services.user_role_revoke(assignment=UserRole.objects.get(user=second), actor=fresh(first)),
        lambda: suspend(fresh(first), fresh(second)),
    )

    # then one of them is refused and a lasting, active SUPER_ADMIN remains
    assert sorted(outcomes) == ["done", "refused"]
    assert len(lasting_super_admins()) == 1


def test_two_matrix_edits_taking_manage_roles_from_each_other_leave_a_manager(require_postgres, widened_race):
    # given no SUPER_ADMIN is held, and two people each managing roles through their own custom role
    call_command("seed_rbac", verbosity=0)
    kept = set(
        Permission.objects.filter(resource="accounts.role", action__in=["view", "change"]).values_list("pk", flat=True)
    )
    manage = Permission.objects.get(resource="accounts.roles", action="manage")
    people = []
    for name in ("DESK_A", "DESK_B"):
        role = Role.objects.create(name=name)
        RolePermission.objects.bulk_create(RolePermission(role=role, permission_id=pk) for pk in kept | {manage.pk})
        person = UserFactory(is_staff=True)
        UserRole.objects.create(user=person, role=role)
        people.append(person)
    desk_a, desk_b = Role.objects.get(name="DESK_A"), Role.objects.get(name="DESK_B")

    # when each takes manage_roles off the other's role in the matrix at the same moment
    outcomes = run_together(
        lambda: services.role_permissions_set(role=desk_b, permission_ids=kept, actor=fresh(people[0])),
        lambda: services.role_permissions_set(role=desk_a, permission_ids=kept, actor=fresh(people[1])),
    )

    # then one of them is refused, and someone can still manage roles
    assert sorted(outcomes) == ["done", "refused"]
    assert len(role_managers()) == 1
