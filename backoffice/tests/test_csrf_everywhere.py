"""Every URL the project serves refuses a forged POST from a signed-in SUPER_ADMIN, and nothing changes.

A cross-site attacker can make a signed-in victim's browser send a POST, but can neither read the
victim's CSRF token nor set its cookie. So a POST without the token, with a made-up one, with a token
issued to the attacker's own browser, or announcing a foreign origin must be refused (403, by the CSRF
check, not by some later permission check) before any view runs. The victim is the strongest persona,
who may POST anywhere: a URL that skipped the check would show up here as a changed table.
"""

import re
import secrets

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.rbac_catalog import CLIENT, SUPER_ADMIN
from auditing.models import AuditLog
from backoffice.tests.test_url_access import Samples, signed_in_persona
from core.tests.url_patterns import named_patterns

pytestmark = pytest.mark.django_db

EVIL_ORIGIN = "https://evil.example"
CSRF_REFUSAL = "CSRF verification failed"  # Django's own failure page; a permission 403 does not say it


def url_kwargs(samples: Samples, name: str, pattern) -> dict | None:
    """Concrete URL parameters: from the demo data when it has a row, else a made-up id.

    The CSRF check runs before the view, so a URL whose object does not exist is as good a target:
    it must be refused before anyone looks the object up.
    """
    try:
        return samples.kwargs_for(name, pattern)
    except (AssertionError, AttributeError):
        return dict.fromkeys(pattern.pattern.converters, 1)


def every_url() -> list[tuple[str, str]]:
    samples = Samples({role.name: role for role in Role.objects.all()})
    urls = []
    for name, pattern in named_patterns():
        kwargs = url_kwargs(samples, name, pattern)
        if kwargs is not None:
            urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def fingerprint() -> dict[str, int]:
    """Row counts of every table of our apps and of sessions, plus the newest audit row's id.

    The audit capture triggers record every insert, update and delete on the domain tables, so an
    unchanged newest audit id means no captured row was written, changed or removed either.
    """
    counts = {
        model._meta.label: model._default_manager.count()
        for app_label in settings.DOMAIN_APPS
        for model in apps.get_app_config(app_label).get_models()
    }
    counts["sessions"] = Session.objects.count()
    counts["newest audit row"] = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return counts


def issued_token(client: Client, url: str) -> str:
    """A valid (masked) CSRF token for ``client``'s own CSRF cookie, read from the form on ``url``."""
    response = client.get(url)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert response.status_code == 200 and match, f"{url} shows a form with a CSRF token"
    return match.group(1)


def harmful_body(token: str | None) -> dict:
    """What would do damage on many pages if it got through: confirm a deletion, run the admin's
    "delete selected" action, rename a role, empty a permission matrix."""
    body = {"post": "yes", "action": "delete_selected", "_selected_action": ["1"], "name": "FORGED", "permission": []}
    if token is not None:
        body["csrfmiddlewaretoken"] = token
    return body


@pytest.fixture
def signed_in_victim():
    """Demo data, and a SUPER_ADMIN's browser (enforcing CSRF like a real one) with its own token."""
    call_command("seed_demo", scale=1, verbosity=0, no_progress=True)
    roles = {role.name: role for role in Role.objects.all()}
    signed_in_persona(CLIENT, roles)  # the URL samples name a client's role assignment
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(signed_in_persona(SUPER_ADMIN, roles), backend="accounts.backends.EmailBackend")
    return victim, issued_token(victim, reverse("accounts:role_list"))


def forged_requests(own_token: str, attackers_token: str) -> dict[str, dict]:
    """Each forgery as keyword arguments for ``Client.post``."""
    return {
        "no token": {"data": harmful_body(None)},
        "made-up token": {
            "data": harmful_body(secrets.token_urlsafe(48)[:64]),
            "HTTP_X_CSRFTOKEN": secrets.token_hex(32),
        },
        "token of another browser": {"data": harmful_body(attackers_token)},
        "own token but a foreign origin": {"data": harmful_body(own_token), "HTTP_ORIGIN": EVIL_ORIGIN},
        "own token over HTTPS with a foreign referer": {
            "data": harmful_body(own_token),
            "secure": True,
            "HTTP_REFERER": f"{EVIL_ORIGIN}/page",
        },
    }


def test_every_url_refuses_a_forged_post_and_changes_nothing(signed_in_victim):
    # given a signed-in SUPER_ADMIN, and a valid token the attacker got from their own browser
    victim, own_token = signed_in_victim
    attackers_token = issued_token(Client(enforce_csrf_checks=True), reverse("admin:login"))
    urls = every_url()
    assert len(urls) > 100  # the admin alone serves more; an empty walk would prove nothing
    before = fingerprint()

    # when each forgery is POSTed to every URL
    let_through = []
    for forgery, request in forged_requests(own_token, attackers_token).items():
        for name, url in urls:
            response = victim.post(url, **request)
            if response.status_code != 403 or CSRF_REFUSAL not in response.content.decode():
                let_through.append(f"{forgery}: POST {url} ({name}) -> {response.status_code}")

    # then every one was refused by the CSRF check, nothing changed, and the victim is still signed in
    assert let_through == [], "\n".join(let_through)
    assert fingerprint() == before
    assert victim.get(reverse("backoffice:home")).status_code == 200


def test_the_same_post_with_the_victims_own_token_goes_through(signed_in_victim):
    # The control: the forged requests above were refused for their token alone, not for their body.
    # given
    victim, own_token = signed_in_victim
    role = Role.objects.create(name="DISPOSABLE")
    # when the role page's delete form is sent with the page's own token
    response = victim.post(reverse("accounts:role_delete", args=[role.pk]), data=harmful_body(own_token))
    # then it worked
    assert response.status_code == 302
    assert not Role.objects.filter(pk=role.pk).exists()
    # and signing out with the own token signs out
    victim.post(reverse("admin:logout"), data=harmful_body(own_token))
    assert victim.get(reverse("backoffice:home")).status_code == 302
