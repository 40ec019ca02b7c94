"""Request hygiene, security headers and session lifetimes, as a browser or an attacker meets them."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, UserRole
from accounts.rbac_catalog import ADMIN
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_member(client):
    call_command("seed_rbac", verbosity=0)
    user = UserFactory(is_staff=True)
    UserRole.objects.create(user=user, role=Role.objects.get(name=ADMIN))
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "address",
    [
        "/admin/\x00/",
        "/admin/%00/",
        "/staff/audit/%0a",
        "/staff/audit/?actor=%00",
        "/staff/audit/?actor=a%00b",
        "/admin/consultants/booking/?status__exact=%00",
        "/admin/autocomplete/?term=%00&app_label=consultants&model_name=booking&field_name=client",
        "/staff/logs/?logger=%1b[31m",
        "/staff/audit/?actor=%7f",
    ],
)
def test_a_control_character_in_the_address_is_refused_with_400(client, staff_member, address):
    response = client.get(address)

    assert response.status_code == 400
    assert "control character" in response.content.decode()


def test_ordinary_addresses_pass_untouched(client, staff_member):
    response = client.get("/staff/audit/?actor=jonas%20schneider&entity_id=%C3%A9t%C3%A9")

    assert response.status_code == 200


def test_every_answer_carries_a_script_policy_without_inline_script(client):
    response = client.get(reverse("admin:login"))

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_for_a_signed_in_user_are_never_stored_by_a_cache(client, staff_member):
    response = client.get(reverse("auditing:audit_list"))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_anonymous_health_probe_stays_cacheable(client):
    response = client.get(reverse("core:healthz"))

    assert "no-store" not in response.get("Cache-Control", "")


def test_an_idle_session_ends_and_says_so(client, staff_member, settings):
    # given a staff member who used the audit trail a moment ago
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(reverse("auditing:audit_list")).status_code == 200
    # when they come back after more than the idle timeout
    with time_machine.travel(start + timedelta(seconds=601), tick=False):
        response = client.get(reverse("auditing:audit_list"), follow=True)
    # then they are signed out and asked to sign in again
    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "Your session expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_activity_keeps_a_session_alive_until_its_absolute_limit(client, staff_member, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS = 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(reverse("auditing:audit_list"))
    # a request every 5 minutes keeps it alive...
    for minutes in range(5, 60, 5):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("auditing:audit_list")).status_code == 200, minutes
    # ...but not past the absolute limit
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        response = client.get(reverse("auditing:audit_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_pages_refuse_an_open_session_once_staff_status_is_withdrawn(client, staff_member):
    # given a staff member reading the audit trail
    assert client.get(reverse("auditing:audit_list")).status_code == 200
    # when someone unticks "staff status" while the session stays open
    staff_member.is_staff = False
    staff_member.save(update_fields=["is_staff"])
    # then every staff page sends them to sign in, as the admin does
    for name in ("auditing:audit_list", "auditing:systemlog_list", "accounts:role_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name
    assert client.post(reverse("accounts:role_create"), {"name": "X"}).status_code == 302
    assert not Role.objects.filter(name="X").exists()


def test_an_encoded_percent_sign_is_text_not_a_control_character(client, staff_member):
    # "%2500" is the text "%00", typed by someone searching for it: decoded once, it holds no NUL
    response = client.get("/staff/audit/?actor=%2500")

    assert response.status_code == 200
