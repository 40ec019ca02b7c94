"""The account page: a user's sessions, recorded as they sign in and out, and signed out from elsewhere."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.account_views import describe_user_agent
from accounts.models import UserSession
from accounts.services.sessions import user_sessions_cleanup
from accounts.tests.factories import UserFactory
from auditing.models import AuditAction, AuditLog
from core.tests.browser import TEST_PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

pytestmark = pytest.mark.django_db


def _signed_in(email: str, agent: str = FIREFOX, address: str = "203.0.113.5") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(reverse("admin:login"), {"username": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    return client


ACTIVITY_MIDDLEWARE = "accounts.session_tracking.SessionActivityMiddleware"


@pytest.fixture(autouse=True)
def _session_activity_middleware(settings):
    """The middleware where it belongs (right after StaffSessionMiddleware), whether or not settings list it yet."""
    if ACTIVITY_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("core.security_middleware.StaffSessionMiddleware") + 1, ACTIVITY_MIDDLEWARE)
        settings.MIDDLEWARE = middleware


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, email="me@example.com")


def test_signing_in_records_the_session(staff):
    # when a staff user signs in
    client = _signed_in(staff.email, agent=FIREFOX, address="203.0.113.5")

    # then the session is recorded with where it came from
    session = UserSession.objects.get(user=staff)
    assert session.session_key == client.session.session_key
    assert (session.ip_address, session.user_agent) == ("203.0.113.5", FIREFOX)


def test_the_page_lists_the_sessions_and_marks_this_one(staff, django_assert_max_num_queries):
    # given the user signed in on two devices
    _signed_in(staff.email, agent=CHROME, address="198.51.100.20")
    client = _signed_in(staff.email, agent=FIREFOX)

    # when they open their account page
    with django_assert_max_num_queries(12):
        response = client.get(reverse("account:overview"))

    # then both sessions are listed, summarised, with this one marked
    page = response.content.decode()
    assert response.status_code == 200
    assert "Firefox 128 on Linux" in page
    assert "Chrome 131 on Windows" in page
    assert "198.51.100.20" in page
    assert page.count("this session") == 1
    assert len(re.findall(r'action="/account/sessions/\d+/sign-out/"', page)) == 1


def test_signing_out_another_session_ends_it(staff):
    # given the user signed in on two devices
    laptop = _signed_in(staff.email, agent=CHROME)
    client = _signed_in(staff.email)
    other = UserSession.objects.get(session_key=laptop.session.session_key)

    # when they sign the laptop out from the account page
    response = client.post(reverse("account:session_sign_out", args=[other.pk]))

    # then the laptop is signed out, this session is not, and the sign-out is recorded
    assert response.status_code == 302
    assert laptop.get(reverse("account:overview")).status_code == 302
    assert client.get(reverse("account:overview")).status_code == 200
    assert not Session.objects.filter(session_key=other.session_key).exists()
    event = AuditLog.objects.get(action=AuditAction.LOGOUT, changes__event="session_ended")
    assert event.changes["session"] == other.pk
    assert other.session_key not in str(event.changes)


def test_nobody_signs_out_someone_elses_session(staff):
    # given another user's session
    victim = UserFactory(is_staff=True, email="victim@example.com")
    victim_client = _signed_in(victim.email)
    victims_session = UserSession.objects.get(user=victim)
    client = _signed_in(staff.email)

    # when the staff user tries to sign it out
    response = client.post(reverse("account:session_sign_out", args=[victims_session.pk]))

    # then the answer is 404 and the session lives on
    assert response.status_code == 404
    assert victim_client.get(reverse("account:overview")).status_code == 200


def test_this_session_is_not_signed_out_through_the_list(staff):
    client = _signed_in(staff.email)
    this = UserSession.objects.get(session_key=client.session.session_key)

    assert client.post(reverse("account:session_sign_out", args=[this.pk])).status_code == 404
    assert client.get(reverse("account:overview")).status_code == 200


@pytest.mark.parametrize("pk", ["0", "99999999999999999999999"])
def test_absurd_session_ids_are_404(staff, pk):
    client = _signed_in(staff.email)
    assert client.post(f"/account/sessions/{pk}/sign-out/").status_code == 404


def test_signing_out_everywhere_else_keeps_this_session(staff):
    # given the user signed in on three devices
    others = [_signed_in(staff.email, agent=CHROME), _signed_in(staff.email, agent=CHROME)]
    client = _signed_in(staff.email)

    # when they sign out everywhere else
    response = client.post(reverse("account:sessions_sign_out_others"), follow=True)

    # then only this session is left
    assert "Signed out of 2 other sessions." in response.content.decode()
    assert all(other.get(reverse("account:overview")).status_code == 302 for other in others)
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [client.session.session_key]


def test_signing_out_forgets_the_session(staff):
    # (the admin's sign-out is for staff who may use the admin)
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client = _signed_in(staff.email)

    client.post(reverse("admin:logout"))

    assert not UserSession.objects.exists()


def test_last_seen_is_written_at_most_once_a_minute(staff, settings):
    # given a session signed in a while ago (and a cache whose clock travels with the test's)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    client = _signed_in(staff.email)
    session = UserSession.objects.get()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        client.get(reverse("account:overview"))
        first_seen = UserSession.objects.get().last_seen_at

    # when it is used again within the minute, and then after it
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        client.get(reverse("account:overview"))
        within = UserSession.objects.get().last_seen_at
    with time_machine.travel(timezone.now() + timedelta(seconds=130)):
        client.get(reverse("account:overview"))
        after = UserSession.objects.get().last_seen_at

    # then only the later use moved the stamp
    assert first_seen >= session.last_seen_at
    assert within == first_seen
    assert after > first_seen


def test_a_signed_in_session_without_a_record_gets_one(staff):
    # given a session signed in before sessions were recorded
    client = _signed_in(staff.email)
    UserSession.objects.all().delete()

    # when it is used
    client.get(reverse("account:overview"))

    # then it is recorded
    assert UserSession.objects.filter(session_key=client.session.session_key, user=staff).exists()


def test_cleanup_removes_records_of_sessions_that_are_gone(staff):
    # given one live session and two whose sessions are gone or expired
    live = _signed_in(staff.email)
    gone = _signed_in(staff.email)
    expired = _signed_in(staff.email)
    Session.objects.filter(session_key=gone.session.session_key).delete()
    Session.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    # when the cleanup runs
    removed = user_sessions_cleanup(batch_size=1)

    # then only the live session's record is left
    assert removed == 2
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session.session_key]


def test_the_page_is_for_signed_in_staff_only(client):
    assert client.get(reverse("account:overview")).status_code == 302
    non_staff = UserFactory(is_staff=False)
    client.force_login(non_staff)
    assert client.get(reverse("account:overview")).status_code == 302


@pytest.mark.parametrize(
    ("agent", "summary"),
    [
        (FIREFOX, "Firefox 128 on Linux"),
        (CHROME, "Chrome 131 on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
            "Safari 17 on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge 131 on Windows",
        ),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", "Unknown device"),
    ],
)
def test_user_agents_are_summarised(agent, summary):
    assert describe_user_agent(agent) == summary
