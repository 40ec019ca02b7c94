"""A consultant asking for another consultant's objects by id gets nothing, and changes nothing.

The attacker is a consultant with staff access (so the admin lets them in), the CONSULTANT role, and
guardian grants on their own booking, report and study. They take the other consultant's ids and
try them on every admin change, delete and history address of those objects, on every staff page
that takes an id, on the admin's "view on site" and password addresses, and in the admin's
autocomplete: GET and POST. Each answer is a refusal (403, 404, or sign-in); only the public
catalogue (services, articles), which the CONSULTANT role may read by design, may show a read-only
page. Nothing of the other consultant's changes, and the attacker gains no grant.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationChannel, NotificationStatus, Permission, Role, UserRole, UserSession
from accounts.rbac_catalog import CONSULTANT, SUPER_ADMIN
from accounts.tests.factories import NotificationFactory, UserFactory
from accounts.tests.test_escalation import change_form_data
from attachments.models import FileOwnerType
from attachments.tests.factories import FileAttachmentFactory
from auditing.models import AuditLog, SystemLog
from auditing.tests.factories import AuditLogFactory, SystemLogFactory
from billing.tests.factories import PaymentFactory, RefundFactory
from consultants.models import Article, Booking, Consultant, FeasibilityStudy, Message, Report, Service
from consultants.ownership import CONSULTANT_OWNERSHIP
from consultants.tests.factories import (
    ArticleFactory,
    BookingFactory,
    ConsultantFactory,
    FeasibilityStudyFactory,
    MessageFactory,
    ReportFactory,
    ServiceFactory,
)
from core.tests.url_patterns import named_patterns
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db

# What the CONSULTANT role reads model-wide on purpose (rbac_catalog): the public catalogue.
READABLE_CATALOGUE = {Service, Article}
SWAPPED = "SWAPPED BY ANOTHER CONSULTANT"
TEXT_FIELDS = ("title", "notes", "body", "bio", "subject", "description", "full_name", "reason", "original_name")


def consultant_with_objects(email: str, *, is_staff: bool) -> tuple[Consultant, dict]:
    """A consultant with one of everything a consultant owns or is party to."""
    consultant = ConsultantFactory(user=UserFactory(email=email, is_staff=is_staff))
    UserRole.objects.create(user=consultant.user, role=Role.objects.get(name=CONSULTANT))
    service = ServiceFactory(consultant=consultant)
    booking = BookingFactory(service=service)
    objects = {
        "consultant": consultant,
        "user": consultant.user,
        "service": service,
        "booking": booking,
        "report": ReportFactory(booking=booking),
        "feasibility study": FeasibilityStudyFactory(consultant=consultant, client=booking.client),
        "article": ArticleFactory(author=consultant),
        "message": MessageFactory(sender=consultant.user, recipient=booking.client, booking=booking),
        "payment": PaymentFactory(booking=booking),
        "ticket": SupportTicketFactory(requester=consultant.user),
        "attachment": FileAttachmentFactory(owner_type=FileOwnerType.BOOKING, owner_id=booking.pk),
        # an unread notification in their in-app inbox
        "notification": NotificationFactory(
            user=consultant.user,
            channel=NotificationChannel.IN_APP,
            status=NotificationStatus.SENT,
            sent_at=timezone.now(),
        ),
    }
    return consultant, objects


@pytest.fixture
def swap():
    """The attacker (a staff consultant, signed in) and the other consultant's objects."""
    call_command("seed_rbac", verbosity=0)
    me, mine = consultant_with_objects("me@swap.test", is_staff=True)
    _, theirs = consultant_with_objects("them@swap.test", is_staff=False)
    # the attacker's own grants are in place, and give nothing on the other's objects
    for model in (rule.model for rule in CONSULTANT_OWNERSHIP):
        name = model._meta.model_name
        own = next(obj for obj in mine.values() if isinstance(obj, model))
        other = next(obj for obj in theirs.values() if isinstance(obj, model))
        me.user.refresh_from_db()
        assert me.user.has_perm(f"consultants.change_{name}", own)
        assert not me.user.has_perm(f"consultants.view_{name}", other)
    client = Client(raise_request_exception=False)
    client.force_login(me.user, backend="accounts.backends.EmailBackend")
    return client, me, theirs


def snapshot(me: Consultant, theirs: dict) -> dict:
    """Every field of each of their objects, and every role and object grant the attacker holds."""
    state = {key: type(obj)._default_manager.filter(pk=obj.pk).values().first() for key, obj in theirs.items()}
    state["my roles"] = set(UserRole.objects.filter(user=me.user).values_list("role_id", "expires_at"))
    state["my object grants"] = {
        model._meta.label: set(
            grants._default_manager.filter(user=me.user).values_list("content_object_id", "permission_id")
        )
        for model, grants in ((rule.model, rule.grants) for rule in CONSULTANT_OWNERSHIP)
    }
    return state


def admin_addresses(theirs: dict) -> list[tuple[type, str]]:
    """Every admin change/delete/history address of the other's objects, from the resolver."""
    by_model = {type(obj): obj for obj in theirs.values()}
    addresses = []
    for name, _ in named_patterns():
        match = re.fullmatch(r"admin:(\w+?)_(\w+)_(change|delete|history)", name)
        model = match and registered_model(match.group(1), match.group(2))
        if model in by_model:
            addresses.append((model, reverse(name, args=[by_model[model].pk])))
    user, booking = theirs["user"], theirs["booking"]
    addresses.append((type(user), reverse("admin:auth_user_password_change", args=[user.pk])))
    booking_type = ContentType.objects.get_for_model(Booking).pk
    addresses.append((Booking, reverse("admin:view_on_site", args=[booking_type, booking.pk])))
    return addresses


def registered_model(app_label: str, model_name: str) -> type | None:
    return next(
        (m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)), None
    )


def staff_page_addresses(theirs: dict) -> dict[str, tuple[str, dict]]:
    """Each of our pages that takes an id, given one of the other's (address, body to POST)."""
    user, booking = theirs["user"], theirs["booking"]
    their_role = UserRole.objects.get(user=user)
    event = AuditLog.objects.filter(entity_type="consultants.booking", entity_id=str(booking.pk)).first()
    event = event or AuditLogFactory(entity_id=str(booking.pk))  # SQLite has no capture triggers
    entry = SystemLog.objects.first() or SystemLogFactory(message=f"booking {booking.pk} failed")
    role = their_role.role
    their_session = UserSession.objects.create(user=user, session_key="their-session-key-0123456789abcdef")
    everything = list(Permission.objects.values_list("pk", flat=True))
    super_admin = Role.objects.get(name=SUPER_ADMIN)
    their_file = FileAttachmentFactory(owner_type=FileOwnerType.BOOKING, owner_id=booking.pk)
    reference = [SupportTicketFactory(requester=user).reference]  # the other consultant asked the desk
    payment = [theirs["payment"].pk]
    refund = [RefundFactory(payment=theirs["payment"]).pk]  # a refund asked for on their session
    pages: dict[str, tuple[list, dict]] = {
        "accounts:role_detail": ([role.pk], {}),
        "accounts:role_update": ([role.pk], {"name": role.name, "description": SWAPPED}),
        "accounts:role_permissions": ([role.pk], {"permission": everything}),
        "accounts:role_delete": ([role.pk], {}),
        "accounts:user_roles": ([user.pk], {}),
        "accounts:user_role_grant": ([user.pk], {"role": super_admin.pk}),
        "accounts:user_role_revoke": ([user.pk, their_role.pk], {}),
        "auditing:audit_detail": ([event.pk], {}),
        "auditing:entity_history": (["consultants.booking", str(booking.pk)], {}),
        "auditing:systemlog_detail": ([entry.pk], {}),
        "account:session_sign_out": ([their_session.pk], {}),
        "account:notification_read": ([theirs["notification"].pk], {"show": "unread"}),
        "attachments:download": ([their_file.pk], {}),
        "attachments:thumbnail": ([their_file.pk], {}),
        "attachments:delete": ([their_file.pk], {}),
        "support:ticket": (reference, {}),
        "support:ticket_reply": (reference, {"kind": "reply", "body": SWAPPED}),
        "support:ticket_assign": (reference, {"assignee": "none"}),
        "support:ticket_priority": (reference, {"priority": "URGENT"}),
        "support:ticket_status": (reference, {"status": "IN_PROGRESS"}),
        "help:ticket_detail": (reference, {}),
        "help:ticket_reply": (reference, {"body": SWAPPED}),
        "help:notification_read": ([theirs["notification"].pk], {"show": "unread"}),
        "billing:payment": (payment, {}),
        "billing:payment_refund": (payment, {"amount": "1.00", "reason": SWAPPED}),
        "billing:refund_approve": (refund, {}),
        "billing:refund_reject": (refund, {"reason": SWAPPED}),
        "billing:refund_process": (refund, {}),
        "billing:service_commission": ([theirs["service"].pk], {}),
        # Jobs are nobody's objects: a consultant holds no operations permission, so any job name is refused.
        "operations:job_history": (["job-runs-cleanup"], {}),
        "operations:job_run": (["job-runs-cleanup"], {}),
    }
    return {name: (reverse(name, args=args), body) for name, (args, body) in pages.items()}


def outcome(client: Client, method: str, url: str, data: dict | None = None):
    """The answer, following redirects within the site; "sign-in" when sent to sign in."""
    response = getattr(client, method)(url, data or {})
    for _ in range(3):
        if response.status_code not in (301, 302, 303, 307, 308):
            break
        location = urlsplit(response["Location"])
        if location.path == reverse("admin:login"):
            return "sign-in"
        response = client.get(response["Location"])
    return response


def refused(result) -> bool:
    """Sent to sign in, forbidden, not found, or (a POST to a page that is only read) not allowed."""
    return result == "sign-in" or result.status_code in (403, 404, 405)


def read_only_page(result) -> bool:
    content = result.content.decode()
    return result.status_code == 200 and 'name="_save"' not in content and 'name="post"' not in content


def swapped_change(superuser_client: Client, url: str) -> dict:
    """The admin's change form for the object at ``url``, as a valid POST rewriting its text."""
    data = change_form_data(superuser_client, url)
    return {key: SWAPPED if key in TEXT_FIELDS else value for key, value in data.items()} | {"_save": "Save"}


@pytest.fixture
def super_admin_client():
    user = UserFactory(is_staff=True, email="boss@swap.test")
    UserRole.objects.create(user=user, role=Role.objects.get(name=SUPER_ADMIN))
    client = Client(raise_request_exception=False)
    client.force_login(user, backend="accounts.backends.EmailBackend")
    return client


def test_the_other_consultants_objects_are_refused_in_the_admin(swap, super_admin_client):
    # given the attacker, and the admin addresses of the other consultant's objects
    client, me, theirs = swap
    addresses = admin_addresses(theirs)
    assert {model for model, _ in addresses} >= {type(obj) for obj in theirs.values()}
    before = snapshot(me, theirs)

    # when they open each with GET and send each a POST (a valid, rewritten change form; a confirmed deletion)
    let_in = []
    for model, url in addresses:
        posted = swapped_change(super_admin_client, url) if url.endswith("/change/") else {"post": "yes"}
        for method, data in (("get", None), ("post", posted)):
            result = outcome(client, method, url, data)
            readable = method == "get" and model in READABLE_CATALOGUE and url.endswith("/change/")
            if not (refused(result) or (readable and read_only_page(result))):
                let_in.append(f"{method.upper()} {url} -> {getattr(result, 'status_code', result)}")

    # then every request was refused, and nothing of theirs changed
    assert let_in == [], "\n".join(let_in)
    assert snapshot(me, theirs) == before


def test_the_other_consultants_ids_are_refused_on_every_staff_page(swap):
    # given every staff page of ours that takes an id, filled with the other consultant's
    client, me, theirs = swap
    pages = staff_page_addresses(theirs)
    taking_an_id = {
        name
        for name, pattern in named_patterns()
        if not name.startswith("admin:") and (pattern.pattern.converters or "(?P<" in str(pattern.pattern))
    }
    # The password reset link takes a signed token, not an id: a wrong one is refused by its signature.
    taking_an_id -= {"account:password_reset_confirm"}
    assert taking_an_id == set(pages), "a staff page takes an id: say here which of the other's ids to try on it"
    before = snapshot(me, theirs)

    # when the attacker requests each with GET and POST
    let_in = []
    for name, (url, body) in pages.items():
        for method, data in (("get", None), ("post", body)):
            result = outcome(client, method, url, data)
            if not refused(result):
                let_in.append(f"{method.upper()} {url} ({name}) -> {result.status_code}")

    # then each was refused and nothing changed
    assert let_in == [], "\n".join(let_in)
    assert snapshot(me, theirs) == before


def test_the_admins_autocomplete_lists_none_of_the_other_consultants_objects(swap):
    # given the autocomplete fields of the forms a consultant may fill in
    client, _, theirs = swap
    lookups = [
        ("report", "booking", theirs["booking"].pk),
        ("message", "booking", theirs["booking"].pk),
        ("message", "recipient", theirs["booking"].client.email),
        ("service", "consultant", theirs["user"].email),
        ("feasibilitystudy", "client", theirs["feasibility study"].client.email),
        ("article", "author", theirs["user"].email),
    ]
    for model_name, field_name, term in lookups:
        # when the attacker searches one of the other's objects
        query = {"app_label": "consultants", "model_name": model_name, "field_name": field_name, "term": term}
        response = client.get(reverse("admin:autocomplete"), query)
        # then the search is refused, naming nothing (a number is looked for as a JSON result, since the
        # refusal page's own markup holds digits)
        assert response.status_code == 403, (model_name, field_name, response.status_code)
        named = f'"id": "{term}"' if isinstance(term, int) else str(term)
        assert named not in response.content.decode()


def test_the_same_change_from_a_super_admin_goes_through(swap, super_admin_client):
    # The control: the rewritten change forms above are valid; refused only for who sent them.
    _, _, theirs = swap
    changed = []
    for model in (Booking, Report, FeasibilityStudy, Message, Service, Article):
        obj = next(obj for obj in theirs.values() if isinstance(obj, model))
        url = reverse(f"admin:consultants_{model._meta.model_name}_change", args=[obj.pk])
        response = super_admin_client.post(url, swapped_change(super_admin_client, url))
        assert response.status_code == 302, (url, response.status_code)
        fresh = model.objects.get(pk=obj.pk)
        changed.append(any(getattr(fresh, field, None) == SWAPPED for field in TEXT_FIELDS))
    assert all(changed)
