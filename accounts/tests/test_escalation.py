"""Escalation attempts over HTTP, as a hostile insider would try them: every one is refused, nothing changes.

The attackers hold real roles: an ADMIN (everything but restoring backups and deleting system logs),
and a role manager holding only ``accounts.manage_roles`` and a few view permissions (the review's
attacker). Their stronger colleagues are two lasting SUPER_ADMINs, so the "last SUPER_ADMIN" guard
alone never explains a refusal: each attempt must be stopped by the escalation rules themselves.
The controls at the end send the same requests as someone allowed to, and see them change things, so
a refusal above is never just a malformed request.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.messages import constants as message_levels
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Permission, Role, RolePermission, User, UserRole, UserStatus
from accounts.rbac_catalog import ADMIN, CLIENT, SUPER_ADMIN, resource_action_from_codename
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLE_MANAGER_GRANTS = (
    "accounts.manage_roles",
    "accounts.view_role",
    "accounts.view_userrole",
    "accounts.view_permission",
    "accounts.view_user",
)


def permission(codename: str) -> Permission:
    resource, action = resource_action_from_codename(codename)
    return Permission.objects.get(resource=resource, action=action)


def custom_role(name: str, codenames) -> Role:
    role = Role.objects.create(name=name, description=f"{name} (test)")
    RolePermission.objects.bulk_create(RolePermission(role=role, permission=permission(c)) for c in codenames)
    return role


def holder(email: str, role: Role, *, is_staff: bool = True, expires_at=None) -> User:
    user = UserFactory(email=email, is_staff=is_staff)
    UserRole.objects.create(user=user, role=role, expires_at=expires_at)
    return user


@dataclass
class World:
    people: dict[str, User]
    roles: dict[str, Role]

    def client_for(self, who: str) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(self.people[who], backend="accounts.backends.EmailBackend")
        return client

    def assignment(self, who: str, role: str) -> UserRole:
        return UserRole.objects.get(user=self.people[who], role=self.roles[role])


@pytest.fixture
def world() -> World:
    call_command("seed_rbac", verbosity=0)
    roles = {role.name: role for role in Role.objects.all()}
    roles["ROLE_MANAGER"] = custom_role("ROLE_MANAGER", ROLE_MANAGER_GRANTS)
    roles["STRONG"] = custom_role("STRONG", ["backups.restore_backup", "backups.view_backup"])
    roles["HELPDESK"] = custom_role("HELPDESK", ["support.view_supportticket", "support.change_supportticket"])
    soon = timezone.now() + timedelta(days=7)
    people = {
        "super": holder("super@escalation.test", roles[SUPER_ADMIN]),
        "other super": holder("super2@escalation.test", roles[SUPER_ADMIN]),
        "admin": holder("admin@escalation.test", roles[ADMIN], expires_at=soon),
        "admin colleague": holder("admin2@escalation.test", roles[ADMIN]),
        "role manager": holder("manager@escalation.test", roles["ROLE_MANAGER"]),
        "client": holder("client@escalation.test", roles[CLIENT], is_staff=False),
    }
    return World(people=people, roles=roles)


def rbac_state() -> dict[str, set]:
    """Everything an escalation could change: who holds what until when, what each role carries, and
    the accounts (status, flags, e-mail, password)."""
    return {
        "assignments": set(UserRole.objects.values_list("user__email", "role__name", "expires_at")),
        "role permissions": set(RolePermission.objects.values_list("role__name", "permission_id")),
        "roles": set(Role.objects.values_list("pk", "name", "description", "is_system")),
        "users": set(User.objects.values_list("email", "status", "is_active", "is_staff", "is_superuser", "password")),
    }


# Requests, each returning the response of one HTTP attempt by ``actor``.


def grant(role: str, to: str, expires_at: str = "") -> Callable:
    def send(world: World, client: Client):
        url = reverse("accounts:user_role_grant", args=[world.people[to].pk])
        return client.post(url, {"role": world.roles[role].pk, "expires_at": expires_at}, follow=True)

    return send


def revoke(role: str, from_: str) -> Callable:
    def send(world: World, client: Client):
        assignment = world.assignment(from_, role)
        url = reverse("accounts:user_role_revoke", args=[assignment.user_id, assignment.pk])
        return client.post(url, follow=True)

    return send


def matrix(role: str, add=(), remove=()) -> Callable:
    def send(world: World, client: Client):
        target = world.roles[role]
        ids = set(target.role_permissions.values_list("permission_id", flat=True))
        ids = (ids | {permission(c).pk for c in add}) - {permission(c).pk for c in remove}
        url = reverse("accounts:role_permissions", args=[target.pk])
        return client.post(url, {"permission": sorted(ids)}, follow=True)

    return send


def role_details(role: str, name: str | None = None, description: str = "Rewritten") -> Callable:
    def send(world: World, client: Client):
        target = world.roles[role]
        url = reverse("accounts:role_update", args=[target.pk])
        return client.post(url, {"name": name or target.name, "description": description}, follow=True)

    return send


def role_delete(role: str) -> Callable:
    def send(world: World, client: Client):
        return client.post(reverse("accounts:role_delete", args=[world.roles[role].pk]), follow=True)

    return send


def admin_user_change(whom: str, **changes) -> Callable:
    """The admin's "change user" form for ``whom`` as it stands, with ``changes`` (``None`` unticks)."""

    def send(world: World, client: Client):
        url = reverse("admin:accounts_user_change", args=[world.people[whom].pk])
        data = {**change_form_data(world.client_for("super"), url), **changes}
        return client.post(url, {key: value for key, value in data.items() if value is not None})

    return send


def admin_user_password(whom: str) -> Callable:
    def send(world: World, client: Client):
        url = reverse("admin:auth_user_password_change", args=[world.people[whom].pk])
        new = "an-attacker-chosen-passphrase"
        return client.post(url, {"usable_password": "true", "password1": new, "password2": new})

    return send


def admin_user_delete(whom: str) -> Callable:
    def send(world: World, client: Client):
        return client.post(reverse("admin:accounts_user_delete", args=[world.people[whom].pk]), {"post": "yes"})

    return send


class _AdminFormReader(HTMLParser):
    """Collects what a browser would submit from the admin's change form as it stands."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._in_form = False
        self._select = self._textarea = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self._in_form = True
        name = attrs.get("name")
        if not self._in_form or not (name or tag == "option"):
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind not in {"submit", "button", "image", "file", "checkbox", "radio"}:
            self._add(name, attrs.get("value") or "")
        elif tag == "input" and kind in {"checkbox", "radio"} and "checked" in attrs:
            self._add(name, attrs.get("value") or "on")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))  # browsers drop that newline
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def change_form_data(client: Client, url: str) -> dict:
    """What the admin's change form at ``url`` (opened by ``client``) submits unchanged, as a browser would."""
    response = client.get(url)
    assert response.status_code == 200, url
    reader = _AdminFormReader()
    reader.feed(response.content.decode())
    assert reader.fields, f"no change form at {url}"
    return reader.fields


def refusal_shown(response) -> bool:
    """A 403/404, an error message from our pages, or an error on the admin's form."""
    if response.status_code in (403, 404):
        return True
    context = response.context or {}
    if any(message.level == message_levels.ERROR for message in context.get("messages", [])):
        return True
    adminform = context.get("adminform")
    return bool(adminform and (adminform.form.errors or adminform.form.non_field_errors()))


@dataclass(frozen=True)
class Attempt:
    actor: str
    what: str
    send: Callable

    def __str__(self) -> str:
        return f"{self.actor}: {self.what}"


IN_A_YEAR = (timezone.now() + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M")

ATTEMPTS = (
    # Granting oneself a role, or extending one's own.
    Attempt("admin", "grants themself SUPER_ADMIN", grant(SUPER_ADMIN, to="admin")),
    Attempt("admin", "makes their expiring ADMIN role last for ever", grant(ADMIN, to="admin")),
    Attempt("role manager", "grants themself ADMIN", grant(ADMIN, to="role manager")),
    # Granting a role that carries permissions one lacks.
    Attempt("admin", "grants SUPER_ADMIN to a client", grant(SUPER_ADMIN, to="client", expires_at=IN_A_YEAR)),
    Attempt("admin", "grants a role able to restore backups", grant("STRONG", to="admin colleague")),
    Attempt("role manager", "grants ADMIN to a client", grant(ADMIN, to="client")),
    # Adding to a role a permission one lacks.
    Attempt("admin", "adds restore_backup to their own ADMIN role", matrix(ADMIN, add=["backups.restore_backup"])),
    Attempt("admin", "adds restore_backup to a role they may edit", matrix("HELPDESK", add=["backups.restore_backup"])),
    Attempt(
        "role manager", "adds view_auditlog to their own role", matrix("ROLE_MANAGER", add=["auditing.view_auditlog"])
    ),
    # Taking away what a stronger colleague holds.
    Attempt("admin", "revokes SUPER_ADMIN from a colleague", revoke(SUPER_ADMIN, from_="other super")),
    Attempt("role manager", "revokes ADMIN from a colleague", revoke(ADMIN, from_="admin colleague")),
    Attempt("role manager", "removes restore_backup from a role", matrix("STRONG", remove=["backups.restore_backup"])),
    # Editing the system roles without holding every permission (issue 8, finding 1).
    Attempt("admin", "re-describes the SUPER_ADMIN role", role_details(SUPER_ADMIN)),
    Attempt("admin", "removes a permission from SUPER_ADMIN", matrix(SUPER_ADMIN, remove=["consultants.view_booking"])),
    Attempt("admin", "renames the ADMIN role", role_details(ADMIN, name="ADMINISTRATOR")),
    Attempt("admin", "deletes the SUPER_ADMIN role", role_delete(SUPER_ADMIN)),
    Attempt(
        "role manager",
        "strips manage_roles from SUPER_ADMIN",
        matrix(SUPER_ADMIN, remove=["accounts.manage_roles"]),
    ),
    Attempt("role manager", "strips manage_roles from ADMIN", matrix(ADMIN, remove=["accounts.manage_roles"])),
    # Editing or deleting a role carrying permissions one lacks.
    Attempt("role manager", "re-describes a role able to restore backups", role_details("STRONG")),
    Attempt("role manager", "deletes a role able to restore backups", role_delete("STRONG")),
    # Taking over or shutting out a stronger colleague in the admin.
    Attempt("admin", "suspends a SUPER_ADMIN in the admin", admin_user_change("super", status=UserStatus.SUSPENDED)),
    Attempt("admin", "deactivates a SUPER_ADMIN in the admin", admin_user_change("super", is_active=None)),
    Attempt("admin", "changes a SUPER_ADMIN's e-mail in the admin", admin_user_change("super", email="me@evil.test")),
    Attempt("admin", "sets a SUPER_ADMIN's password in the admin", admin_user_password("super")),
    Attempt("admin", "deletes a SUPER_ADMIN in the admin", admin_user_delete("super")),
)
# Sent as an allowed request would be, but the field is read-only: the admin ignores it, silently.
SILENTLY_IGNORED = (
    Attempt("admin", "makes themself a superuser in the admin", admin_user_change("admin", is_superuser="on")),
)


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=str)
def test_an_escalation_attempt_is_refused_and_changes_nothing(world, attempt):
    # given the attacker signed in, and the state of roles, grants and accounts
    client = world.client_for(attempt.actor)
    before = rbac_state()
    # when they try
    response = attempt.send(world, client)
    # then they are told no, and nothing changed
    assert response.status_code < 500
    assert refusal_shown(response), f"{attempt} was not refused (status {response.status_code})"
    assert rbac_state() == before


@pytest.mark.parametrize("attempt", SILENTLY_IGNORED, ids=str)
def test_a_read_only_privilege_field_is_ignored(world, attempt):
    before = rbac_state()
    response = attempt.send(world, world.client_for(attempt.actor))
    assert response.status_code < 500
    assert rbac_state() == before


CONTROLS = (
    (Attempt("super", "grants ADMIN to a client", grant(ADMIN, to="client")), lambda w: w.assignment("client", ADMIN)),
    (
        Attempt("super", "revokes ADMIN from an ADMIN", revoke(ADMIN, from_="admin colleague")),
        lambda w: not UserRole.objects.filter(user=w.people["admin colleague"], role=w.roles[ADMIN]).exists(),
    ),
    (
        Attempt("super", "adds restore_backup to a role", matrix("HELPDESK", add=["backups.restore_backup"])),
        lambda w: w.roles["HELPDESK"].role_permissions.filter(permission=permission("backups.restore_backup")),
    ),
    (
        Attempt(
            "admin",
            "removes a permission from a role they hold all of",
            matrix("HELPDESK", remove=["support.change_supportticket"]),
        ),
        lambda w: w.roles["HELPDESK"].role_permissions.count() == 1,
    ),
    (
        Attempt("super", "re-describes the SUPER_ADMIN role", role_details(SUPER_ADMIN, description="Re-described")),
        lambda w: Role.objects.get(name=SUPER_ADMIN).description == "Re-described",
    ),
    (
        Attempt("super", "deletes a role able to restore backups", role_delete("STRONG")),
        lambda w: not Role.objects.filter(name="STRONG").exists(),
    ),
    (
        Attempt("super", "suspends an ADMIN in the admin", admin_user_change("admin colleague", status="SUSPENDED")),
        lambda w: User.objects.get(pk=w.people["admin colleague"].pk).status == UserStatus.SUSPENDED,
    ),
    (
        Attempt("super", "changes an ADMIN's e-mail in the admin", admin_user_change("admin", email="a@new.test")),
        lambda w: User.objects.filter(email="a@new.test").exists(),
    ),
)


@pytest.mark.parametrize(("attempt", "took_effect"), CONTROLS, ids=[str(attempt) for attempt, _ in CONTROLS])
def test_the_same_request_from_someone_strong_enough_goes_through(world, attempt, took_effect):
    response = attempt.send(world, world.client_for(attempt.actor))
    assert response.status_code < 500
    assert not refusal_shown(response), f"{attempt} was refused"
    assert took_effect(world)
