"""Sign-ins, sign-outs, failed attempts, suspensions and reactivations each leave one audit event."""

import pytest

from accounts.models import UserStatus
from accounts.tests.factories import UserFactory
from auditing.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def test_a_sign_in_and_a_sign_out_are_recorded_with_who_and_from_where(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.post("/admin/login/", {"username": user.email, "password": PASSWORD}, HTTP_USER_AGENT="Firefox/140")
    client.post("/admin/logout/")
    login, logout = AuditLog.objects.filter(action__in=[AuditAction.LOGIN, AuditAction.LOGOUT]).order_by("id")
    assert (login.action, login.actor, login.entity_id) == (AuditAction.LOGIN, user, str(user.pk))
    assert (login.ip_address, login.user_agent) == ("127.0.0.1", "Firefox/140")
    assert (logout.action, logout.actor) == (AuditAction.LOGOUT, user)


def test_a_failed_attempt_records_the_identity_tried_but_never_the_password(client):
    client.post("/admin/login/", {"username": "intruder@example.com", "password": "hunter2-guess"})
    event = AuditLog.objects.get()
    assert event.action == AuditAction.LOGIN_FAILED and event.actor is None
    assert event.changes == {"attempted": "intruder@example.com"}
    assert "hunter2" not in str(event.changes)


def test_suspending_and_reactivating_in_the_admin_are_recorded(admin_client):
    person = UserFactory(is_staff=True)
    form = {
        "email": person.email,
        "full_name": person.full_name,
        "is_active": "on",
        "is_staff": "on",
        "user_roles-TOTAL_FORMS": "0",
        "user_roles-INITIAL_FORMS": "0",
    }
    url = f"/admin/accounts/user/{person.pk}/change/"
    assert admin_client.post(url, {**form, "status": UserStatus.SUSPENDED}).status_code == 302
    assert admin_client.post(url, {**form, "status": UserStatus.ACTIVE}).status_code == 302
    events = AuditLog.objects.filter(
        entity_type="accounts.user", entity_id=str(person.pk), action__in=[AuditAction.SUSPEND, AuditAction.ACTIVATE]
    ).order_by("id")
    assert [(e.action, e.changes["status"]) for e in events] == [
        (AuditAction.SUSPEND, ["ACTIVE", "SUSPENDED"]),
        (AuditAction.ACTIVATE, ["SUSPENDED", "ACTIVE"]),
    ]
