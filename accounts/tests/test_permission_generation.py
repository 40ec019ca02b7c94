"""A revoked permission stops working on the very next request, whoever or whatever revoked it.

Cached permissions are checked against a generation the database renews with its own triggers
(decision 0007), so writes that bypass Django's signals and services count too: queryset updates and
deletes, raw SQL, a restore. Each test makes two requests through the test client, with the cache on
Redis as in production: the first caches the holder's permissions, the second must not reuse them.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import RolePermission, User, UserRole, UserStatus
from accounts.permission_cache import GENERATION_TABLE, permission_generation
from accounts.services.expiry import user_roles_process_expiry
from accounts.tests.factories import PermissionFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLE_LIST = reverse("accounts:role_list")  # requires accounts.view_role


@pytest.fixture
def shared_cache(redis_url, settings):
    """Django's cache on Redis, shared by every process as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-permission-generation",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache


@pytest.fixture
def role():
    role = RoleFactory(name="ROLE_READER")
    role.role_permissions.create(permission=PermissionFactory(resource="accounts.role", action="view"))
    return role


@pytest.fixture
def holder(role, client, shared_cache):
    """A staff member signed in with ``role``, whose permissions the first request has cached."""
    user = UserFactory(is_staff=True)
    UserRole.objects.create(user=user, role=role)
    client.force_login(user)
    assert client.get(ROLE_LIST).status_code == 200
    return user


def refused(client) -> bool:
    return client.get(ROLE_LIST).status_code == 403


def test_an_assignment_expired_by_a_queryset_update_grants_nothing_on_the_next_request(client, holder):
    # when the assignment is made to expire now, bypassing the services
    UserRole.objects.filter(user=holder).update(expires_at=timezone.now())
    # then
    assert refused(client)


def test_a_grant_deleted_through_a_queryset_is_gone_on_the_next_request(client, holder, role):
    RolePermission.objects.filter(role=role).delete()
    assert refused(client)


def test_a_grant_moved_by_a_queryset_update_is_gone_on_the_next_request(client, holder, role):
    other = PermissionFactory(resource="accounts.role", action="delete")
    RolePermission.objects.filter(role=role).update(permission=other)
    assert refused(client)


def test_an_assignment_deleted_with_raw_sql_is_gone_on_the_next_request(client, holder):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_userrole WHERE user_id = %s", [holder.pk])
    assert refused(client)


def test_a_suspension_by_queryset_update_ends_access_on_the_next_request(client, holder):
    User.objects.filter(pk=holder.pk).update(status=UserStatus.SUSPENDED)
    response = client.get(ROLE_LIST)
    assert response.status_code == 302  # the session no longer signs anyone in
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("changed_after_restore", [False, True], ids=["restored", "restored-then-changed"])
def test_a_restore_is_answered_from_the_restored_data(client, holder, role, changed_after_restore):
    # given a backup of the grants (and of the generation row, as a dump of the database has it)
    backup_generation = permission_generation()
    backup_rows = list(RolePermission.objects.filter(role=role).values_list("id", "role_id", "permission_id"))
    # and the grant revoked afterwards, the revocation cached by the next request
    RolePermission.objects.filter(role=role).delete()
    assert refused(client)
    # when the backup is restored into the same database
    with connection.cursor() as cursor:
        for row in backup_rows:
            cursor.execute(
                "INSERT INTO accounts_rolepermission (id, role_id, permission_id, created_at) VALUES (%s, %s, %s, %s)",
                [*row, timezone.now()],
            )
        cursor.execute(f"UPDATE {GENERATION_TABLE} SET value = %s WHERE id = 1", [backup_generation])  # noqa: S608
    if changed_after_restore:
        # (a counter would now step back onto the generation the revocation was cached under)
        role.role_permissions.create(permission=PermissionFactory(resource="accounts.role", action="change"))
    # then the next request answers from the restored grants
    assert client.get(ROLE_LIST).status_code == 200


@pytest.fixture
def resolved_for(monkeypatch):
    """The user ids whose permissions were resolved from the tables (not answered from the cache)."""
    from accounts import permission_cache

    calls = []
    resolve = permission_cache.user_permissions_resolve

    def counting_resolve(*, user_id, **kwargs):
        calls.append(user_id)
        return resolve(user_id=user_id, **kwargs)

    monkeypatch.setattr(permission_cache, "user_permissions_resolve", counting_resolve)
    return calls


def test_a_sign_in_or_the_expiry_jobs_book_keeping_keeps_everyones_cached_permissions(client, holder, resolved_for):
    # given a colleague whose role expires tomorrow, and the holder's permissions cached since
    colleague = UserFactory()
    UserRole.objects.create(user=colleague, role=RoleFactory(), expires_at=timezone.now() + timedelta(days=1))
    assert client.get(ROLE_LIST).status_code == 200
    # when the colleague signs in and the expiry job warns them (both write their rows)
    Client().force_login(colleague)
    user_roles_process_expiry()
    assert User.objects.get(pk=colleague.pk).last_login is not None
    assert UserRole.objects.get(user=colleague).expiry_warning_sent_at is not None
    # then the holder's next request is still answered from the cache
    resolved_for.clear()
    assert client.get(ROLE_LIST).status_code == 200
    assert resolved_for == []


def test_a_request_pays_one_small_query_for_the_generation(client, holder, resolved_for):
    # given the holder's permissions cached by the fixture's request; when they open the page again
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ROLE_LIST).status_code == 200
    # then the permissions come from the cache, checked by one primary-key read, however many the page asks
    assert resolved_for == []
    generation_reads = [query["sql"] for query in captured.captured_queries if GENERATION_TABLE in query["sql"]]
    assert generation_reads == ["SELECT value FROM accounts_permission_generation WHERE id = 1"]


@pytest.mark.django_db(transaction=True)
def test_a_revocation_is_not_seen_before_it_commits_nor_missed_after(require_postgres, client, holder, role):
    # given another process revoking the grant in a transaction it has not committed yet
    revoked, release = threading.Event(), threading.Event()

    def revoke_and_wait():
        try:
            with transaction.atomic():
                RolePermission.objects.filter(role=role).delete()
                revoked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    other_process = threading.Thread(target=revoke_and_wait)
    other_process.start()
    try:
        assert revoked.wait(timeout=10)
        # when the holder's request comes meanwhile, then it still sees (and caches) the committed grant
        assert client.get(ROLE_LIST).status_code == 200
    finally:
        release.set()
        other_process.join(timeout=10)
    # when the revocation commits, then the very next request is refused
    assert refused(client)
