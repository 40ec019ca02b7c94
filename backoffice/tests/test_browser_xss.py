"""Stored XSS: hostile text in every free-text field staff pages show runs nowhere, in a real browser.

Payloads go into every field a user can set that the admin or our staff pages show (names, role
descriptions, ticket subjects and comments, messages, service and article titles, the system log, a
user agent and a typed sign-in name, and so the audit entries that echo them). A signed-in
SUPER_ADMIN then opens every changelist and change page holding one, and our staff pages, in
Chromium. No payload may run: ``window.__xss`` stays undefined, no dialog opens, no link points at
``javascript:``, and no Content-Security-Policy report names a payload (which would mean the page
failed to escape it and only the policy saved us). Each page must show the payload (as text), or the
page proved nothing.
"""

from urllib.parse import quote

import pytest
from django.core.management import call_command

from accounts.models import Role, UserRole
from accounts.rbac_catalog import SUPER_ADMIN
from accounts.tests.factories import NotificationFactory, UserFactory
from attachments.tests.factories import FileAttachmentFactory
from auditing.models import AuditAction, AuditLog, LogLevel, SystemLog
from backups.models import Backup
from billing.tests.factories import RefundFactory
from consultants.tests.factories import (
    ArticleFactory,
    BookingFactory,
    ConsultantFactory,
    FeasibilityStudyFactory,
    MessageFactory,
    ReportFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from core.request_context import RequestContext, bind
from core.tests.browser import sign_in
from support.tests.factories import SupportTicketFactory, TicketCommentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "<script>window.__xss=1</script>"
ATTRIBUTE = '"><img src=x onerror="window.__xss=1">'
QUOTE = "' onmouseover='window.__xss=1' data-x='"
TITLE = "</title><svg onload=window.__xss=1>"
TEXTAREA = "</textarea><script>window.__xss=1</script>"
DIALOG = "<img src=y alt=__xss onerror=alert(document.domain)>"
JAVASCRIPT_URL = "javascript:window.__xss=1//__xss"
EVERY_PAYLOAD = " ".join((SCRIPT, ATTRIBUTE, QUOTE, TITLE, TEXTAREA, DIALOG, JAVASCRIPT_URL))
MARKER = "__xss"  # in every payload: a page containing it was given one

# Collects Content-Security-Policy violations (when a policy is in force) before any page script runs.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(
  `${e.effectiveDirective} ${e.blockedURI} ${e.sample} ${e.target && e.target.outerHTML ? e.target.outerHTML : ''}`));
"""
JAVASCRIPT_LINKS = """
() => [...document.querySelectorAll('[href], [src], [action], [formaction]')]
  .map((el) => ['href', 'src', 'action', 'formaction'].map((name) => el.getAttribute(name) || '').join(' '))
  .filter((value) => /(^|\\s)\\s*javascript:/i.test(value))
"""


@pytest.fixture
def stored_payloads(require_postgres):
    """Hostile text in every free-text field staff see, written as users would, with the audit trail
    capturing it. Returns the objects holding it, and the viewer (a SUPER_ADMIN named by a payload)."""
    call_command("seed_rbac", verbosity=0)
    viewer = UserFactory(is_staff=True, email="viewer@xss.test", full_name=TITLE)
    UserRole.objects.create(user=viewer, role=Role.objects.get(name=SUPER_ADMIN))
    client_user = UserFactory(email="client@xss.test", full_name=ATTRIBUTE, phone=QUOTE[:30])
    role = Role.objects.create(name="XSS_PROBE", description=EVERY_PAYLOAD)
    UserRole.objects.create(user=client_user, role=role)
    consultant = ConsultantFactory(user=UserFactory(full_name=SCRIPT), bio=EVERY_PAYLOAD)
    category = ServiceCategoryFactory(name=TITLE, slug="xss-category")
    service = ServiceFactory(consultant=consultant, category=category, title=SCRIPT, description=EVERY_PAYLOAD)
    # A user agent is whatever the caller sends: it reaches the audit entries through the request context.
    with bind(RequestContext(user=viewer, ip_address="203.0.113.9", user_agent=ATTRIBUTE)):
        booking = BookingFactory(service=service, client=client_user, notes=EVERY_PAYLOAD)
    ticket = SupportTicketFactory(requester=client_user, subject=TITLE, description=EVERY_PAYLOAD)
    # Rejected, so its page and its payment's page show the reason for the decision too.
    refund = RefundFactory(payment__booking=booking, reason=EVERY_PAYLOAD, rejected=True, decision_note=EVERY_PAYLOAD)
    objects = {
        "role": role,
        "user": client_user,
        "consultant": consultant,
        "category": category,
        "specialty": SpecialtyFactory(name=ATTRIBUTE, slug="xss-specialty"),
        "service": service,
        "booking": booking,
        "report": ReportFactory(booking=booking, title=ATTRIBUTE, body=EVERY_PAYLOAD),
        "study": FeasibilityStudyFactory(consultant=consultant, title=SCRIPT, summary=EVERY_PAYLOAD),
        "article": ArticleFactory(author=consultant, title=TITLE, slug="xss-article", body=EVERY_PAYLOAD),
        "message": MessageFactory(sender=client_user, subject=DIALOG, body=EVERY_PAYLOAD),
        "ticket": ticket,
        "comment": TicketCommentFactory(ticket=ticket, author=client_user, body=EVERY_PAYLOAD),
        "notification": NotificationFactory(user=client_user, title=SCRIPT, body=EVERY_PAYLOAD),
        "refund": refund,
        "payment": refund.payment,
        "attachment": FileAttachmentFactory(original_name=f"{ATTRIBUTE}.pdf"),
        "backup": Backup.objects.create(backup_type="FULL", status="FAILED", error_message=EVERY_PAYLOAD),
        "log entry": SystemLog.objects.create(
            level=LogLevel.ERROR, logger=SCRIPT, message=EVERY_PAYLOAD, traceback=EVERY_PAYLOAD, user_agent=TITLE
        ),
    }
    return viewer, objects


# Holders whose changelist shows none of their free text (their change page does).
NOT_LISTED = {"refund", "backup"}


def admin_pages(objects: dict) -> list[str]:
    """Each holder's changelist and change page, and a changelist searched for a payload (reflected)."""
    pages = []
    for key, obj in objects.items():
        opts = obj._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        pages += [f"{base}{obj.pk}/change/"] if key in NOT_LISTED else [base, f"{base}{obj.pk}/change/"]
    pages += [f"/admin/accounts/user/?q={quote(SCRIPT)}", f"/admin/support/supportticket/?q={quote(ATTRIBUTE)}"]
    return pages


def staff_pages(objects: dict) -> list[str]:
    role, user, booking = objects["role"], objects["user"], objects["booking"]
    held = role.role_permissions.values_list("permission_id", flat=True).first()
    events = AuditLog.objects.filter(entity_type__in=["accounts.role", "support.ticketcomment", "consultants.booking"])
    return [
        "/",
        "/staff/access/roles/",
        f"/staff/access/roles/{role.pk}/",
        f"/staff/access/users/{user.pk}/roles/",
        f"/staff/access/permissions/holders/?permission={held or ''}",
        "/staff/audit/",
        f"/staff/audit/?entity_id={quote(SCRIPT)}&user_agent={quote(ATTRIBUTE)}",  # reflected into the filter bar
        *(f"/staff/audit/{event.pk}/" for event in events.order_by("pk")),
        f"/staff/audit/history/accounts.role/{role.pk}/",
        f"/staff/audit/history/consultants.booking/{booking.pk}/",
        "/staff/logs/",
        f"/staff/logs/{objects['log entry'].pk}/",
        f"/staff/logs/?logger={quote(SCRIPT)}",
    ]


def visit(page, url: str) -> dict:
    """Opens ``url`` and reports whether it showed a payload and whether any payload ran."""
    response = page.goto(url, wait_until="load")
    page.wait_for_timeout(50)  # let a failed image's onerror, if any, run
    return {
        "status": response.status if response else None,
        "shown": MARKER in page.content(),
        "ran": page.evaluate("() => window.__xss") is not None,
        "javascript links": page.evaluate(JAVASCRIPT_LINKS),
        "policy reports": [r for r in page.evaluate("() => window.__cspViolations || []") if MARKER in r],
    }


def test_no_stored_payload_runs_on_any_staff_page(browser, page, live_server, stored_payloads, screenshot_dir):
    viewer, objects = stored_payloads
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(WATCH_CSP)

    # given a sign-in attempt that typed a payload as the e-mail, from a browser whose user agent is one
    attacker = browser.new_context(user_agent=f"Mozilla/5.0 {ATTRIBUTE}")
    sign_in(attacker.new_page(), live_server, TITLE, "wrong-password")
    attacker.close()
    # and the SUPER_ADMIN, whose own name is a payload, signed in
    sign_in(page, live_server, viewer.email)
    page.wait_for_selector("h1.page-title")

    # when they open every page holding a payload
    problems, silent = [], []
    for url in admin_pages(objects) + staff_pages(objects):
        seen = visit(page, f"{live_server.url}{url}")
        if seen["status"] != 200:
            problems.append(f"{url}: answered {seen['status']}")
        if seen["ran"] or seen["javascript links"] or seen["policy reports"]:
            problems.append(f"{url}: {seen}")
        if not seen["shown"]:
            silent.append(url)
    failed_sign_in = AuditLog.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("-pk").first()
    assert failed_sign_in is not None
    seen = visit(page, f"{live_server.url}/staff/audit/{failed_sign_in.pk}/")  # may show only a hash of the name
    if seen["ran"] or seen["javascript links"] or seen["policy reports"]:
        problems.append(f"failed sign-in event: {seen}")

    # then no payload ran anywhere, though every page showed one
    assert problems == [], "\n".join(problems)
    assert dialogs == []
    assert silent == [], f"these pages showed no payload, so they proved nothing: {silent}"
    page.goto(f"{live_server.url}/staff/audit/history/accounts.role/{objects['role'].pk}/")
    page.screenshot(path=screenshot_dir / "xss-role-history.png", full_page=False)
