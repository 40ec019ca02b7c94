"""Forgotten passwords: the mail through a real SMTP server, who gets one, how often, and how long it works."""

import re
import socket
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import UserSession, UserStatus
from accounts.services.passwords import RESET_REQUESTS_PER_WINDOW
from accounts.tests.factories import UserFactory
from auditing.models import AuditAction, AuditLog
from core.tests.browser import TEST_PASSWORD

NEW_PASSWORD = "a-brand-new-Passphrase-42"
RESET_LINK = re.compile(r"https?://[^/\s]+(/account/password/reset/[^/\s]+/[^/\s]+/)")


class CollectingHandler:
    """An SMTP server's handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd, in a thread) that Django's SMTP backend delivers to."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def _reset_timeout(settings):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60


def _signed_in_client(email: str, password: str = TEST_PASSWORD, agent: str = "pytest") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post(reverse("admin:login"), {"username": email, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return client


def _wait_for_mail(handler: CollectingHandler, timeout: float = 15.0):
    import time

    deadline = time.monotonic() + timeout
    while not handler.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handler.messages, "no mail reached the SMTP server"
    return handler.messages[0]


def _without_tokens(response) -> str:
    # Each page carries its own CSRF token (any form on it); everything else must be the same.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def _request_reset(client: Client, email: str, capture):
    with capture(execute=True):
        return client.post(reverse("account:password_reset"), {"email": email})


@pytest.mark.django_db(transaction=True)
def test_reset_end_to_end_through_smtp_and_a_worker(smtp_server, celery_worker):
    # given an active staff user signed in on another device
    user = UserFactory(is_staff=True, email="forgetful@example.com")
    other_device = _signed_in_client(user.email, agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    assert other_device.get(reverse("account:overview")).status_code == 200

    # when they ask for a reset link, signed out
    client = Client()
    response = client.post(reverse("account:password_reset"), {"email": "Forgetful@Example.com"})

    # then the page moves on, and the mail arrives on the SMTP server with a link
    assert response.status_code == 302
    assert response["Location"] == reverse("account:password_reset_done")
    message = _wait_for_mail(smtp_server)
    assert message["To"] == user.email
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = RESET_LINK.search(body)
    assert found, body
    link = found.group(1)

    # when they follow the link and choose a new password
    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert b"new_password1" in response.content
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account:password_reset_complete")

    # then the new password signs in, the old one does not, and the other device is signed out
    assert Client().post(reverse("admin:login"), {"username": user.email, "password": TEST_PASSWORD}).status_code == 200
    assert _signed_in_client(user.email, NEW_PASSWORD).get(reverse("account:overview")).status_code == 200
    assert other_device.get(reverse("account:overview")).status_code == 302
    # and the link works once only
    assert b"new_password1" not in client.get(link, follow=True).content
    # and the request and the reset are in the audit trail
    events = [log.changes.get("event") for log in AuditLog.objects.filter(entity_id=str(user.pk))]
    assert "password_reset_requested" in events
    assert "password_reset" in events


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db, django_capture_on_commit_callbacks):
    # given one real staff account
    UserFactory(is_staff=True, email="real@example.com")

    # when a reset is asked for the real address and for a made-up one
    known = _request_reset(client, "real@example.com", django_capture_on_commit_callbacks)
    unknown = _request_reset(Client(), "nobody@example.com", django_capture_on_commit_callbacks)

    # then both answers are the same, and only the real account gets a mail
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [message.to for message in mail.outbox] == [["real@example.com"]]
    assert _without_tokens(client.get(known["Location"])) == _without_tokens(Client().get(unknown["Location"]))


@pytest.mark.parametrize(
    "account",
    [
        {"is_active": False, "is_staff": True},
        {"is_staff": True, "status": UserStatus.SUSPENDED},
        {"is_staff": False},
    ],
    ids=["inactive", "suspended", "not-staff"],
)
def test_only_active_staff_get_a_mail(client, db, django_capture_on_commit_callbacks, account):
    # given an account that could not sign in to the back office
    UserFactory(email="someone@example.com", **account)

    # when a reset is asked for it
    response = _request_reset(client, "someone@example.com", django_capture_on_commit_callbacks)

    # then the page answers as for any address, and no mail goes out
    assert response.status_code == 302
    assert mail.outbox == []


def test_requests_are_limited_per_address(client, db, django_capture_on_commit_callbacks):
    # given an account whose reset has been asked for as often as allowed
    UserFactory(is_staff=True, email="popular@example.com")
    for attempt in range(RESET_REQUESTS_PER_WINDOW):
        response = _request_reset(
            Client(REMOTE_ADDR=f"10.0.0.{attempt + 1}"), "popular@example.com", django_capture_on_commit_callbacks
        )
        assert response.status_code == 302

    # when it is asked once more, from yet another address
    response = _request_reset(
        Client(REMOTE_ADDR="10.0.0.99"), "POPULAR@example.com", django_capture_on_commit_callbacks
    )

    # then the form says so with 429, and no further mail goes out
    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert len(mail.outbox) == RESET_REQUESTS_PER_WINDOW


def test_requests_are_limited_per_client_address(db, django_capture_on_commit_callbacks):
    # given one client address that has asked as often as allowed, for different addresses
    client = Client(REMOTE_ADDR="192.0.2.7")
    for attempt in range(RESET_REQUESTS_PER_WINDOW):
        assert (
            _request_reset(client, f"guess{attempt}@example.com", django_capture_on_commit_callbacks).status_code == 302
        )

    # when it asks again, for an address that has an account
    UserFactory(is_staff=True, email="target@example.com")
    response = _request_reset(client, "target@example.com", django_capture_on_commit_callbacks)

    # then it is refused, the same way as for any address
    assert response.status_code == 429
    assert mail.outbox == []


def test_an_expired_link_is_refused(client, db):
    # given a link made longer ago than PASSWORD_RESET_TIMEOUT
    user = UserFactory(is_staff=True)

    class TwoHoursAgo(PasswordResetTokenGenerator):
        def _now(self):
            return datetime.now() - timedelta(hours=2)  # noqa: DTZ005  (Django's generator works in naive local time)

    token = TwoHoursAgo().make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))

    # when it is followed
    response = client.get(reverse("account:password_reset_confirm", args=[uid, token]), follow=True)

    # then the page says the link does not work, and offers no form
    assert response.status_code == 200
    assert b"This link does not work" in response.content
    assert b"new_password1" not in response.content


def test_a_link_stops_working_when_the_account_is_suspended(client, db):
    # given a valid link, and then the account is suspended
    user = UserFactory(is_staff=True)
    token = default_token_generator.make_token(user)
    user.status = UserStatus.SUSPENDED
    user.save(update_fields=["status"])

    # when it is followed
    url = reverse("account:password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(user.pk)), token])
    response = client.get(url, follow=True)

    # then it is refused
    assert b"This link does not work" in response.content


def test_a_reset_signs_out_every_session_and_is_recorded(client, db):
    # given a user signed in twice
    user = UserFactory(is_staff=True, email="twice@example.com")
    first, second = _signed_in_client(user.email), _signed_in_client(user.email)
    user.refresh_from_db()  # the link is made from the account as it is now (signing in moved last_login)
    token = default_token_generator.make_token(user)
    url = reverse("account:password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(user.pk)), token])

    # when a new password is set through a reset link
    set_password_url = client.get(url)["Location"]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    # then both sessions are signed out and the reset is recorded
    assert response.status_code == 302
    assert first.get(reverse("account:overview")).status_code == 302
    assert second.get(reverse("account:overview")).status_code == 302
    assert not UserSession.objects.filter(user=user).exists()
    assert AuditLog.objects.filter(
        action=AuditAction.LOGOUT, entity_id=str(user.pk), changes__reason="password_reset"
    ).exists()


@pytest.mark.parametrize(
    "email",
    ["nul\x00@example.com", "x" * 10_000 + "@example.com", "not an address", ""],
    ids=["nul", "huge", "not-an-address", "empty"],
)
def test_hostile_input_gets_a_form_error(client, db, email):
    # when the form is posted with something that is no address
    response = client.post(reverse("account:password_reset"), {"email": email})

    # then the form answers with an error tied to the field, never a server error
    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.content
    assert b'aria-describedby="id_email_error"' in response.content
    assert mail.outbox == []


def test_hostile_reset_links_are_refused_cleanly(client, db):
    for uid, token in [("x" * 500, "y" * 500), ("MQ", "set-password"), ("%C0%AF", "abc-def")]:
        response = client.get(f"/account/password/reset/{uid}/{token}/", follow=True)
        assert response.status_code in (200, 404)
    assert client.get("/account/password/reset/MQ%00/abc-def/").status_code == 400


def test_the_pages_render_for_anonymous_visitors(client, db):
    for name in ("account:password_reset", "account:password_reset_done", "account:password_reset_complete"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    assert b"1\xc2\xa0hour" in client.get(reverse("account:password_reset")).content


def test_the_sign_in_page_links_to_the_reset(client, db):
    response = client.get(reverse("admin:login"))
    assert reverse("account:password_reset").encode() in response.content
    assert b"Forgot password?" in response.content
