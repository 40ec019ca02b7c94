"""Every action type leaves exactly one row with who, from where and what; role and permission
changes made on the RBAC pages are recorded with the request's context; tasks run by a real worker
act as the system."""

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Permission, Role, UserRole
from accounts.rbac_catalog import SUPER_ADMIN
from accounts.tasks import user_roles_expiry_task
from accounts.tests.factories import RoleFactory, UserFactory
from auditing.models import AuditAction, AuditLog
from auditing.services import audit_record
from core.request_context import RequestContext, bind

# WSGI environ entries, passed as the test client's **extra.
BROWSER: dict[str, Any] = {"REMOTE_ADDR": "198.51.100.40", "HTTP_USER_AGENT": "Firefox/140"}


@pytest.mark.django_db
@pytest.mark.parametrize("action", AuditAction.values)
def test_each_action_recorded_through_the_api_is_one_complete_row(action):
    actor = UserFactory(email="finance@example.com")
    role = RoleFactory()
    before = AuditLog.objects.count()

    with bind(RequestContext(user=actor, ip_address="192.0.2.10", user_agent="Edge/130", request_id="r-7")):
        audit_record(action=action, entity=role, changes={"amount": ["0.00", "120.00"]})

    assert AuditLog.objects.count() == before + 1
    event = AuditLog.objects.latest("id")
    assert (event.action, event.actor, event.actor_label) == (action, actor, "finance@example.com")
    assert (event.ip_address, event.user_agent, event.request_id) == ("192.0.2.10", "Edge/130", "r-7")
    assert event.changes == {"amount": ["0.00", "120.00"]}


@pytest.fixture
def administrator(client, require_postgres):
    call_command("seed_rbac", verbosity=0)
    user = UserFactory(is_staff=True, email="ops@example.com")
    UserRole.objects.create(user=user, role=Role.objects.get(name=SUPER_ADMIN))
    client.force_login(user)
    return user


def rows_since(first_id, **filters):
    return list(AuditLog.objects.filter(id__gt=first_id, **filters).order_by("id"))


def test_role_and_permission_changes_on_the_rbac_pages_carry_the_request(client, administrator):
    start = AuditLog.objects.latest("id").pk
    client.post(reverse("accounts:role_create"), {"name": "reviewer", "description": "Reviews"}, **BROWSER)
    role = Role.objects.get(name="REVIEWER")
    permission = Permission.objects.get(resource="billing.refund", action="view")
    client.post(reverse("accounts:role_permissions", args=[role.pk]), {"permission": [permission.pk]}, **BROWSER)

    (created,) = rows_since(start, entity_type="accounts.role", action=AuditAction.CREATE)
    granted = rows_since(start, entity_type="accounts.rolepermission", action=AuditAction.CREATE)
    (summary,) = rows_since(start, entity_type="accounts.role", action=AuditAction.UPDATE)
    assert created.changes["name"] == [None, "REVIEWER"]
    assert [row.changes["permission_id"] for row in granted] == [[None, str(permission.pk)]]
    assert summary.changes == {"permissions": {"added": ["billing.view_refund"], "removed": []}}
    for row in (created, *granted, summary):
        assert (row.actor, row.ip_address, row.user_agent) == (administrator, "198.51.100.40", "Firefox/140")
        assert row.request_id


def test_granting_and_revoking_a_role_on_the_pages_is_recorded_once_each(client, administrator):
    person = UserFactory(is_staff=True)
    role = Role.objects.get(name="ADMIN")
    start = AuditLog.objects.latest("id").pk

    client.post(reverse("accounts:user_role_grant", args=[person.pk]), {"role": role.pk}, **BROWSER)
    assignment = UserRole.objects.get(user=person)
    client.post(reverse("accounts:user_role_revoke", args=[person.pk, assignment.pk]), **BROWSER)

    rows = rows_since(start, entity_type="accounts.userrole", entity_id=str(assignment.pk))
    assert [row.action for row in rows] == [AuditAction.CREATE, AuditAction.DELETE]
    assert rows[0].changes["role_id"] == [None, str(role.pk)] and rows[1].changes["user_id"] == [str(person.pk), None]
    assert {row.actor_id for row in rows} == {administrator.pk}


@pytest.mark.django_db(transaction=True)
def test_a_task_run_by_a_real_worker_acts_as_the_system(celery_worker, require_postgres):
    from datetime import timedelta

    from django.utils import timezone

    lapsing = UserRole.objects.create(
        user=UserFactory(),
        role=RoleFactory(),
        assigned_at=timezone.now() - timedelta(days=3),
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    # Results are ignored by default (decision 0022): this caller asks for the one it reads.
    assert user_roles_expiry_task.apply_async(ignore_result=False).get(timeout=30)["lapsed"] == 1

    event = AuditLog.objects.get(entity_type="accounts.userrole", entity_id=str(lapsing.pk), action="UPDATE")
    assert (event.actor_id, event.actor_label) == (None, "system: user_roles_expiry_task")


def test_sign_in_lockouts_read_plainly_in_the_audit_viewer(admin_client, settings):
    # given a burst of wrong passwords that paused an account's sign-in
    account = UserFactory(email="boss.lockout@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/admin/login/", {"username": account.email, "password": "guess"}, **BROWSER)
    # when an auditor lists lockouts
    page = admin_client.get(reverse("auditing:audit_list"), {"action": AuditAction.LOCKOUT})
    # then the row says what happened to whom, how often and until when, in words
    (row,) = page.context["events"]
    assert row["action"] == "Sign-in lockout"
    assert row["summary"].startswith(
        f"Name typed: {account.email} · Failed attempts: {settings.AXES_FAILURE_LIMIT} · Paused until: "
    )
    assert row["event"].ip_address == BROWSER["REMOTE_ADDR"]
    assert "Sign-in lockout" in page.content.decode()
