"""Every URL the project serves, for every kind of visitor, GET and POST: nobody gets more than the table says.

The table below is the expected access, kept by hand. A URL the table does not know fails the test, so
each new page must state who may reach it. "Allowed" means the request reached the page: a 2xx answer,
or a redirect anywhere but the sign-in page. Refusals (403, 404, 405, a redirect to sign in) are fine
for anyone; the point is that no persona is *allowed* somewhere the table does not let them be.
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts.models import Role, User, UserRole, UserStatus
from accounts.rbac_catalog import ADMIN, CLIENT, CONSULTANT, SUPER_ADMIN
from auditing.models import AuditLog, SystemLog
from core.tests.url_patterns import named_patterns

pytestmark = pytest.mark.django_db

ANONYMOUS, EXPIRED, SUSPENDED = "anonymous", "expired", "suspended"
PERSONAS = (ANONYMOUS, CLIENT, CONSULTANT, EXPIRED, SUSPENDED, ADMIN, SUPER_ADMIN)
EVERYONE = frozenset(PERSONAS)
STAFF_ROLES = frozenset({ADMIN, SUPER_ADMIN})
NOBODY: frozenset[str] = frozenset()

# (URL name pattern, personas allowed on GET, personas allowed on POST). First match wins.
EXPECTED_ACCESS: tuple[tuple[str, frozenset, frozenset], ...] = (
    (r"core:healthz", EVERYONE, NOBODY),
    (r"favicon", EVERYONE, NOBODY),  # a redirect to the static icon
    (r"set_language", EVERYONE, EVERYONE),  # choosing a language is harmless for anyone
    # Staff whose role has expired land on the overview too, which tells them who can grant access.
    (r"backoffice:home", STAFF_ROLES | {EXPIRED}, NOBODY),
    (r"admin:login", EVERYONE, EVERYONE),  # the sign-in form itself; a failed POST re-shows it
    (r"admin:logout", EVERYONE, EVERYONE),  # signing out is harmless for anyone (GET redirects)
    (r"admin:.*", STAFF_ROLES, STAFF_ROLES),  # every other admin page: staff holding a staff role
    (r"accounts:(role_list|role_detail)", STAFF_ROLES, NOBODY),
    (r"accounts:(user_roles|permission_holders)", STAFF_ROLES, NOBODY),
    (r"accounts:(role_create|role_update|role_permissions|role_delete)", NOBODY, STAFF_ROLES),
    (r"accounts:(user_role_grant|user_role_revoke)", NOBODY, STAFF_ROLES),
    (r"auditing:(audit_list|audit_detail|entity_history|audit_export)", STAFF_ROLES, NOBODY),
    (r"auditing:(systemlog_list|systemlog_detail)", STAFF_ROLES, NOBODY),
    (r"auditing:audit_chain_verify", NOBODY, STAFF_ROLES),
    (r"search:results", STAFF_ROLES, NOBODY),
    # The staff desk: who handles or may view tickets (ADMIN and SUPER_ADMIN by default).
    (r"support:(queue|ticket)", STAFF_ROLES, NOBODY),
    # The help center: its sign-in for everyone; one's own tickets for anyone signed in (the walk's sample
    # ticket is nobody's here); opening one for holders of support.add_supportticket.
    (r"help:sign_in", EVERYONE, EVERYONE),
    (r"help:home", EVERYONE - {ANONYMOUS, SUSPENDED}, NOBODY),
    (r"help:ticket_new", frozenset({CLIENT, CONSULTANT}) | STAFF_ROLES, frozenset({CLIENT, CONSULTANT}) | STAFF_ROLES),
    (r"help:(ticket_detail|ticket_reply)", NOBODY, NOBODY),
    # One's own in-app inbox and notification preferences in the help center, for anyone signed in (the walk's
    # sample notification id is nobody's, so only "mark all" lets anyone in).
    (r"help:notifications", EVERYONE - {ANONYMOUS, SUSPENDED}, NOBODY),
    (r"help:notification_preferences", EVERYONE - {ANONYMOUS, SUSPENDED}, EVERYONE - {ANONYMOUS, SUSPENDED}),
    (r"help:notification_read", NOBODY, NOBODY),
    (r"help:notifications_read_all", NOBODY, EVERYONE - {ANONYMOUS, SUSPENDED}),
    (r"support:(queue_bulk|ticket_reply|ticket_assign|ticket_priority|ticket_status)", NOBODY, STAFF_ROLES),
    # The finance pages: who holds the billing permissions their views check (ADMIN and SUPER_ADMIN by
    # default); reading with GET, asking for, deciding and processing refunds with POST.
    (r"billing:(payments|payment|payments_export|refunds|refunds_export|earnings)", STAFF_ROLES, NOBODY),
    (r"billing:(commissions|service_commission)", STAFF_ROLES, NOBODY),
    (r"billing:(payment_refund|refund_approve|refund_reject|refund_process)", NOBODY, STAFF_ROLES),
    # The operations pages: who holds the operations permissions their views check (ADMIN and SUPER_ADMIN by
    # default); the jobs and the settings read with GET, a job run now and the settings saved with POST.
    (r"operations:(jobs|job_history)", STAFF_ROLES, NOBODY),
    (r"operations:job_run", NOBODY, STAFF_ROLES),
    (r"operations:settings", STAFF_ROLES, STAFF_ROLES),
    # A private file (Samples picks one): who may view its owner and download private files.
    (r"attachments:(download|thumbnail)", STAFF_ROLES, NOBODY),
    (r"attachments:(upload|delete)", NOBODY, STAFF_ROLES),
    # One's own account: any staff member still signed in, whatever their roles (a role that expired
    # leaves them their password and sessions).
    (r"account:(overview|password_change_done)", STAFF_ROLES | {EXPIRED}, NOBODY),
    (r"account:password_change", STAFF_ROLES | {EXPIRED}, STAFF_ROLES | {EXPIRED}),
    (r"account:(session_sign_out|sessions_sign_out_others)", NOBODY, STAFF_ROLES | {EXPIRED}),
    # One's own in-app inbox and notification preferences, read with GET; marking read with POST (the walk's
    # sample id is nobody's notification, so only "mark all" lets anyone in).
    (r"account:inbox", STAFF_ROLES | {EXPIRED}, NOBODY),
    (r"account:notification_preferences", STAFF_ROLES | {EXPIRED}, STAFF_ROLES | {EXPIRED}),
    (r"account:(notification_read|notifications_read_all)", NOBODY, STAFF_ROLES | {EXPIRED}),
    (r"account:sign_out", NOBODY, EVERYONE),  # signing out is harmless for anyone
    (r"account:password_reset(_done|_confirm|_complete)?", EVERYONE, EVERYONE),
)


def expected_for(name: str) -> tuple[frozenset, frozenset]:
    for pattern, get_allowed, post_allowed in EXPECTED_ACCESS:
        if re.fullmatch(pattern, name):
            return get_allowed, post_allowed
    raise AssertionError(f"URL {name!r} is not in EXPECTED_ACCESS; say who may reach it")


def make_persona(kind: str, roles: dict) -> User | None:
    """None for an anonymous visitor, else a new user of that kind (see ``signed_in_persona``)."""
    return None if kind == ANONYMOUS else signed_in_persona(kind, roles)


def signed_in_persona(kind: str, roles: dict) -> User:
    user = User.objects.create_user(
        email=f"{kind.lower()}@access.test", password="x" * 12, full_name=kind.title(), is_staff=kind != CLIENT
    )
    if kind == CONSULTANT:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    role = roles[SUPER_ADMIN] if kind in {EXPIRED, SUSPENDED} else roles[kind]
    assigned = timezone.now() - timedelta(days=10)
    expires = timezone.now() - timedelta(seconds=1) if kind == EXPIRED else None
    UserRole.objects.create(user=user, role=role, assigned_at=assigned, expires_at=expires)
    if kind == SUSPENDED:
        user.status = UserStatus.SUSPENDED
        user.save(update_fields=["status"])
    return user


class Samples:
    """Picks concrete values for URL parameters from the demo data."""

    def __init__(self, roles):
        self.role = Role.objects.create(name="ACCESS_TEST_ROLE")
        self.assignment = UserRole.objects.filter(role=roles[CLIENT]).select_related("user").latest("assigned_at")

    def kwargs_for(self, name: str, pattern: URLPattern) -> dict | None:
        params = set(pattern.pattern.converters) | set(re.findall(r"\(\?P<(\w+)>", str(pattern.pattern)))
        if not params:
            return {}
        if name.startswith("accounts:"):
            values: dict[str, int | str] = {
                "pk": self.role.pk,
                "user_id": self.assignment.user_id,
                "assignment_id": self.assignment.pk,
            }
            return {param: values[param] for param in params}
        if name.startswith("auditing:"):
            event = AuditLog.objects.earliest("pk")
            values = {
                "pk": SystemLog.objects.earliest("pk").pk if "systemlog" in name else event.pk,
                "entity_type": event.entity_type,
                "entity_id": event.entity_id or "-",
            }
            return {param: values[param] for param in params}
        if name.startswith("attachments:"):
            from attachments.models import FileAttachment

            return {"pk": FileAttachment.objects.filter(is_public=False).earliest("pk").pk}
        if name == "help:notification_read":
            return {"pk": 1}
        if name.startswith(("support:", "help:")):
            from support.models import SupportTicket

            return {"reference": SupportTicket.objects.earliest("pk").reference}
        if name.startswith("billing:"):
            from billing.models import Payment, Refund
            from consultants.models import Service

            if name == "billing:service_commission":
                return {"pk": Service.objects.earliest("pk").pk}
            model = Refund if name.startswith("billing:refund_") else Payment
            return {"pk": model.objects.earliest("pk").pk}
        if name.startswith("operations:"):
            return {"name": "job-runs-cleanup"}  # a job quick to run: posting "run now" runs it in-process
        if name.startswith("account:"):
            values = {"pk": 1, "uidb64": "MQ", "token": "set-password"}
            return {param: values[param] for param in params}
        if name == "admin:auth_user_password_change":  # Django's UserAdmin names it so, whatever the model
            return {"id": self.assignment.user_id}
        if name == "admin:app_list":
            return {"app_label": "accounts"}
        if name == "admin:view_on_site":
            from django.contrib.contenttypes.models import ContentType

            return {"content_type_id": ContentType.objects.get_for_model(User).pk, "object_id": self.assignment.user_id}
        match = re.fullmatch(r"admin:(\w+?)_(\w+)_(change|delete|history)", name)
        if match:
            model = self._admin_model(match.group(1), match.group(2))
            instance = model._default_manager.order_by("pk").first()
            assert instance is not None, f"no {model._meta.label} row to test {name}"
            return {"object_id": instance.pk}
        if name.startswith("admin:") and params == {"object_id"}:
            return None  # admin's own redirect shim (<path:object_id>/), covered by the change view
        raise AssertionError(f"cannot fill the parameters {params} of {name!r}; extend Samples.kwargs_for")

    @staticmethod
    def _admin_model(app_label: str, model_name: str):
        for model in admin.site._registry:
            if model._meta.app_label == app_label and model._meta.model_name == model_name:
                return model
        return apps.get_model(app_label, model_name)


def is_allowed(response, login_urls: tuple[str, ...]) -> bool:
    if 200 <= response.status_code < 300:
        return True
    if response.status_code in (301, 302, 303, 307, 308):
        return not response["Location"].split("?")[0].endswith(login_urls)
    return False


def test_no_persona_reaches_a_url_the_access_table_does_not_allow():
    # given demo data, the system roles, and one user per persona
    call_command("seed_demo", scale=1, verbosity=0, no_progress=True)
    roles = {role.name: role for role in Role.objects.all()}
    personas = {kind: make_persona(kind, roles) for kind in PERSONAS}
    samples = Samples(roles)
    login_urls = (reverse("admin:login"), reverse("help:sign_in"))  # staff's sign-in, and everyone else's
    urls = []
    for name, pattern in named_patterns():
        get_allowed, post_allowed = expected_for(name)
        kwargs = samples.kwargs_for(name, pattern)
        if kwargs is not None:
            urls.append((name, reverse(name, kwargs=kwargs), get_allowed, post_allowed))
    assert len(urls) > 100  # the admin alone serves more; an empty walk would prove nothing

    # when each persona requests each URL with GET and POST
    unexpected = []
    for kind, user in personas.items():
        for name, url, get_allowed, post_allowed in urls:
            for method, allowed in (("get", get_allowed), ("post", post_allowed)):
                client = Client()
                if user is not None:
                    client.force_login(user, backend="accounts.backends.EmailBackend")
                response = getattr(client, method)(url)
                if is_allowed(response, login_urls) and kind not in allowed:
                    unexpected.append(f"{kind} {method.upper()} {url} ({name}) -> {response.status_code}")

    # then nobody got in anywhere the table does not allow
    assert unexpected == [], "\n".join(unexpected)


def test_the_expected_access_is_actually_granted_to_staff_on_our_pages(client):
    # The other direction, for our own pages: the roles meant to use them can.
    call_command("seed_rbac", verbosity=0)
    roles = {role.name: role for role in Role.objects.all()}
    for kind in (ADMIN, SUPER_ADMIN):
        client.force_login(make_persona(kind, roles))
        for name in (
            "backoffice:home",
            "accounts:role_list",
            "accounts:permission_holders",
            "admin:index",
            "auditing:audit_list",
            "auditing:systemlog_list",
            "billing:payments",
            "billing:refunds",
            "billing:earnings",
            "billing:commissions",
            "operations:jobs",
            "operations:settings",
        ):
            assert client.get(reverse(name)).status_code == 200, (kind, name)
