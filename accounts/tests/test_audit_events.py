"""Sign-ins, sign-outs, suspensions and reactivations each leave one audit event; failed sign-ins leave one per
burst (plus one for the lockout), naming the account only when it exists."""

from datetime import datetime, timedelta

import pytest
from django.test import Client

from accounts.login_protection import name_hash
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


def failed_sign_in(client, name, address="198.51.100.20"):
    return client.post("/admin/login/", {"username": name, "password": "hunter2-guess"}, REMOTE_ADDR=address)


def sign_in_events():
    return list(AuditLog.objects.filter(action__in=[AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT]).order_by("id"))


def test_a_failed_attempt_on_an_account_records_the_name_typed_but_never_the_password(client):
    # given an account, and a wrong password for it with its address typed in another case
    user = UserFactory(email="finance@example.com")
    failed_sign_in(client, "Finance@Example.com")
    # then one row names the account as typed, from where, and nothing of the password
    (event,) = sign_in_events()
    assert (event.action, event.actor, event.entity_id) == (AuditAction.LOGIN_FAILED, None, str(user.pk))
    assert event.changes == {"attempted": "Finance@Example.com"}
    assert event.ip_address == "198.51.100.20"
    assert "hunter2" not in str(event.changes)


def test_a_name_that_is_no_account_is_kept_only_as_a_keyed_hash(client):
    # given someone who types their password into the e-mail box, from two addresses
    failed_sign_in(client, "Tr0ub4dor&3 ", address="198.51.100.21")
    failed_sign_in(client, "tr0ub4dor&3", address="198.51.100.22")
    # then each address's attempt is recorded with the same short keyed hash, and the text nowhere
    first, second = sign_in_events()
    assert first.changes == second.changes == {"attempted_hash": name_hash("Tr0ub4dor&3")}
    assert len(first.changes["attempted_hash"]) == 16 and first.entity_id == ""
    stored = list(AuditLog.objects.values_list("changes", "actor_label", "user_agent", "entity_id"))
    assert "r0ub4dor" not in str(stored).lower()


def test_the_keyed_hash_depends_on_the_secret_key(settings):
    # given the same name hashed under two keys
    before = name_hash("someone@example.com")
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-for-the-test-0123456789"
    # then the hashes differ: without the key the hash cannot be checked against guesses
    assert name_hash("someone@example.com") != before


def test_a_burst_of_failures_is_one_row_and_its_lockout_one_more_with_the_count(client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    user = UserFactory(email="boss@example.com")
    # given the limit of wrong passwords, then three more tries while sign-in is paused
    for _ in range(limit + 3):
        failed_sign_in(client, user.email)
    # then the burst left its first failure and its lockout, with the count, and no more
    failed, lockout = sign_in_events()
    assert (failed.action, failed.changes) == (AuditAction.LOGIN_FAILED, {"attempted": user.email})
    assert lockout.action == AuditAction.LOCKOUT and lockout.entity_id == str(user.pk)
    assert lockout.changes["attempted"] == user.email and lockout.changes["failures"] == limit
    paused_until = datetime.fromisoformat(lockout.changes["paused_until"])
    assert paused_until - lockout.created_at == pytest.approx(
        timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES), abs=timedelta(seconds=2)
    )


def test_a_successful_sign_in_ends_the_burst(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    # given a failure, a successful sign-in, then another failure
    failed_sign_in(client, user.email)
    client.post("/admin/login/", {"username": user.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.20")
    failed_sign_in(Client(), user.email)
    # then each failure opened its own burst
    assert [event.action for event in sign_in_events()] == [AuditAction.LOGIN_FAILED] * 2


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
