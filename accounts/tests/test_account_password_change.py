"""Changing one's password while signed in: this session stays, the others end, the change is recorded."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from accounts.tests.factories import UserFactory
from auditing.models import AuditLog
from core.tests.browser import TEST_PASSWORD

NEW_PASSWORD = "another-Good-passphrase-7"

pytestmark = pytest.mark.django_db


def _signed_in(email: str, password: str = TEST_PASSWORD) -> Client:
    client = Client(HTTP_USER_AGENT="pytest")
    response = client.post(reverse("admin:login"), {"username": email, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return client


def _change(client: Client, old: str = TEST_PASSWORD, new: str = NEW_PASSWORD, again: str | None = None):
    data = {"old_password": old, "new_password1": new, "new_password2": new if again is None else again}
    return client.post(reverse("account:password_change"), data)


def test_changing_the_password_keeps_this_session_and_ends_the_others():
    # given a user signed in on two devices
    user = UserFactory(is_staff=True, email="changer@example.com")
    other = _signed_in(user.email)
    client = _signed_in(user.email)

    # when they change their password on one
    response = _change(client)

    # then that one stays signed in (its record follows its new key), the other is signed out
    assert response.status_code == 302
    assert response["Location"] == reverse("account:password_change_done")
    assert client.get(reverse("account:password_change_done")).status_code == 200
    assert client.get(reverse("account:overview")).status_code == 200
    assert other.get(reverse("account:overview")).status_code == 302
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [client.session.session_key]
    # and the new password is the one that signs in
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    event = AuditLog.objects.get(changes__event="password_changed")
    assert (event.entity_id, event.changes["sessions_ended"]) == (str(user.pk), 1)


def test_a_wrong_current_password_changes_nothing():
    user = UserFactory(is_staff=True)
    client = _signed_in(user.email)

    response = _change(client, old="not-my-password")

    assert response.status_code == 200
    assert b'aria-describedby="id_old_password_error"' in response.content
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


@pytest.mark.parametrize(
    ("new", "again"),
    [("nul\x00byte-password-1", None), (NEW_PASSWORD, "something-else-entirely"), ("", "")],
    ids=["nul", "mismatch", "empty"],
)
def test_hostile_or_mismatched_input_is_a_form_error(new, again):
    user = UserFactory(is_staff=True)
    client = _signed_in(user.email)

    response = _change(client, new=new, again=again)

    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.content
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_an_absurdly_long_password_is_never_a_server_error():
    # Django sets no upper length on passwords; what matters is a clean answer.
    user = UserFactory(is_staff=True)
    client = _signed_in(user.email)

    response = _change(client, new="x" * 100_000)

    assert response.status_code in (200, 302)


def test_the_page_needs_a_signed_in_staff_user(client):
    response = client.get(reverse("account:password_change"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
