"""In a real browser: a client signs in to the help center, opens a request with a screenshot attached,
and later reads the desk's public reply but never its internal note. Screenshots of the pages go to
artifacts/screenshots/ (help_home.png, help_new.png, help_ticket.png, and a phone and an Arabic view)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.rbac_catalog import CLIENT, DOWNLOAD_PRIVATE_ATTACHMENT, HANDLE_TICKET, VIEW_INTERNAL_COMMENTS
from accounts.tests.factories import holder_of, staff_holding
from attachments.models import FileAttachment, FileOwnerType
from attachments.tests import samples
from attachments.tests.helpers import isolated_media
from core.tests.browser import TEST_PASSWORD
from support.models import SupportTicket, TicketStatus
from support.services import ticket_assign, ticket_open, ticket_reply, ticket_status_change

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("isolated_media")]
__all__ = ["isolated_media"]  # the fixture, imported for pytest to find

PHONE = {"width": 390, "height": 844}
NOTE = "Internal: the consultant's calendar sync token expired; renew it before replying."
PUBLIC = "Thanks Alice! We found the cause: your calendar link had expired.\nIt is renewed now; please check again."
OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def people(superuser):
    call_command("seed_rbac", verbosity=0)
    alice = holder_of(CLIENT, is_staff=False, full_name="Alice Archer", email="alice@example.com")
    dana = staff_holding(
        HANDLE_TICKET,
        VIEW_INTERNAL_COMMENTS,
        DOWNLOAD_PRIVATE_ATTACHMENT,
        "attachments.add_fileattachment",
        full_name="Dana Quillfeather",
        email="dana@staff.example.com",
    )
    # Two older requests, so the list shows more than one state.
    invoice = ticket_open(requester=alice, subject="Invoice for October is missing", description="Can you resend it?")
    ticket_reply(ticket=invoice, author=superuser, body="Sent again, please check your inbox.")
    for status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        ticket_status_change(ticket=invoice, status=status, actor=superuser)
    ticket_open(requester=alice, subject="How do I change my billing address?", description="On the invoices.")
    return {"alice": alice, "dana": dana, "lead": superuser}


def new_page(browser, *, viewport=None, locale="en-US", color_scheme="light"):
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 860}, locale=locale, color_scheme=color_scheme
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/help/sign-in/")
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".help-sign-in button[type=submit]")


def test_a_client_opens_a_request_and_sees_the_public_reply_only(browser, live_server, people, screenshot_dir):
    page = new_page(browser)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    # given Alice signs in at the help center
    sign_in(page, live_server, people["alice"].email)
    page.wait_for_url(f"{live_server.url}/help/")
    assert page.locator(".help-ticket-item").count() == 2
    assert page.locator(".help-badge-waiting").count() == 1
    # when she opens a new request with a screenshot attached
    page.get_by_role("link", name="New request").click()
    page.wait_for_url(f"{live_server.url}/help/new/")
    page.fill("#id_subject", "The calendar shows no free slots")
    page.fill(
        "#id_description",
        "Since this morning the booking calendar is empty for every consultant.\nI tried two browsers.",
    )
    page.locator("label.help-choice-high").click()
    page.set_input_files(
        "#id_attachments", files=[{"name": "calendar.png", "mimeType": "image/png", "buffer": samples.png(320, 200)}]
    )
    page.screenshot(path=screenshot_dir / "help_new.png", full_page=True)
    page.get_by_role("button", name="Send request").click()
    # then she is on her new request, told its reference, with her file attached
    page.wait_for_selector(".help-alert-success")
    ticket = SupportTicket.objects.get(subject="The calendar shows no free slots")
    assert ticket.requester == people["alice"] and ticket.priority == "HIGH"
    assert ticket.reference in page.locator(".help-alert-success").inner_text()
    attachment = FileAttachment.objects.get(owner_type=FileOwnerType.TICKET, owner_id=ticket.pk)
    assert page.locator(".help-file-name").first.inner_text() == "calendar.png"
    # when the desk answers publicly and writes an internal note
    ticket_assign(ticket=ticket, assignee=people["dana"], actor=people["lead"])
    ticket_reply(ticket=ticket, author=people["dana"], body=PUBLIC, files=[samples.upload("steps.pdf", samples.pdf())])
    ticket_reply(ticket=ticket, author=people["dana"], body=NOTE, is_internal=True)
    page.reload()
    # then she reads the public reply, signed by a first name only, and never the note
    conversation = page.locator(".help-conversation").inner_text()
    assert "We found the cause" in conversation and "please check again" in conversation
    assert "Dana" in conversation and "Quillfeather" not in conversation
    assert NOTE not in page.content() and "calendar sync token" not in page.content()
    assert page.locator(".help-message").count() == 2
    # and her own file downloads
    href = page.locator(".help-message-client .help-file").first.get_attribute("href")
    answer = page.request.get(live_server.url + href)
    assert answer.status == 200 and answer.body() == samples.png(320, 200)
    assert href.endswith(f"/{attachment.pk}/download/")
    page.screenshot(path=screenshot_dir / "help_ticket.png", full_page=True)
    page.goto(f"{live_server.url}/help/")
    assert page.locator(".help-ticket-item").count() == 3
    page.screenshot(path=screenshot_dir / "help_home.png", full_page=True)
    # and nothing was blocked by the Content-Security-Policy on the way
    assert [line for line in console if "Content Security Policy" in line] == []
    page.context.close()


def test_the_help_center_fits_a_phone_and_mirrors_in_arabic(browser, live_server, people, screenshot_dir):
    ticket = SupportTicket.objects.filter(requester=people["alice"], status=TicketStatus.RESOLVED).get()
    for name, options in (("phone", {"viewport": PHONE}), ("ar", {"locale": "ar"})):
        page = new_page(browser, **options)
        sign_in(page, live_server, people["alice"].email)
        page.wait_for_url(f"{live_server.url}/help/")
        if name == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
        for url in ("/help/", "/help/new/", f"/help/tickets/{ticket.reference}/"):
            page.goto(live_server.url + url)
            assert page.evaluate(OVERFLOW), f"{url} overflows ({name})"
        page.screenshot(path=screenshot_dir / f"help_ticket_{name}.png", full_page=True)
        page.context.close()


def test_the_sign_in_page_signs_out_too(browser, live_server, people, screenshot_dir):
    page = new_page(browser)
    page.goto(f"{live_server.url}/help/sign-in/")
    assert page.get_by_role("link", name="Forgot your password?").is_visible()
    page.screenshot(path=screenshot_dir / "help_sign_in.png", full_page=True)
    sign_in(page, live_server, people["alice"].email)
    page.wait_for_url(f"{live_server.url}/help/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/help/sign-in/")
    page.goto(f"{live_server.url}/help/")
    page.wait_for_url(f"{live_server.url}/help/sign-in/?next=/help/")
    page.context.close()


AXE_RUN = "axe.run(document, {resultTypes: ['violations']})"
SERIOUS = {"serious", "critical"}


def axe_findings(page, url: str) -> list[str]:
    """The serious and critical findings of axe-core on ``url`` (the back office's walk runs the same)."""
    import axe_playwright_python

    page.goto(url)
    page.evaluate((Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text())
    return [
        f"{url}: {violation['id']} at {[node['target'] for node in violation['nodes'][:3]]}"
        for violation in page.evaluate(AXE_RUN)["violations"]
        if violation["impact"] in SERIOUS
    ]


@pytest.mark.parametrize(("language", "scheme", "viewport"), [("en", "light", None), ("ar", "dark", PHONE)])
def test_the_help_pages_have_no_serious_accessibility_findings(
    browser, live_server, people, screenshot_dir, language, scheme, viewport
):
    ticket = SupportTicket.objects.filter(requester=people["alice"], status=TicketStatus.RESOLVED).get()
    page = new_page(browser, viewport=viewport, locale="ar" if language == "ar" else "en-US", color_scheme=scheme)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    problems = axe_findings(page, f"{live_server.url}/help/sign-in/")
    sign_in(page, live_server, people["alice"].email)
    page.wait_for_url(f"{live_server.url}/help/")
    for url in ("/help/", "/help/new/", f"/help/tickets/{ticket.reference}/"):
        problems += axe_findings(page, live_server.url + url)
    page.screenshot(path=screenshot_dir / f"help_ticket_{language}_{scheme}.png", full_page=True)
    page.context.close()
    assert problems == [], "\n".join(problems)
