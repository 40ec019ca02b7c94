"""In a real browser: an agent triages the queue, takes a ticket, replies to the client and leaves an
internal note; the conversation shows the two apart."""

import pytest
from django.core.management import call_command

from accounts.models import Role, UserRole
from accounts.rbac_catalog import ADMIN
from accounts.tests.factories import UserFactory
from core.tests.browser import sign_in
from support import services
from support.models import SupportTicket, TicketComment, TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent(require_postgres):
    call_command("seed_demo", scale=1, verbosity=0, no_progress=True)
    user = UserFactory(is_staff=True, email="sam.support@example.com", full_name="Sam Support")
    UserRole.objects.create(user=user, role=Role.objects.get(name=ADMIN))
    return user


def test_an_agent_triages_assigns_replies_and_adds_a_note(page, live_server, agent, screenshot_dir):
    # given a client's new ticket, waiting in the queue unassigned
    client = UserFactory(email="nora.client@example.com", full_name="Nora Client")
    UserRole.objects.create(user=client, role=Role.objects.get(name="CLIENT"))
    ticket = services.ticket_open(
        requester=client,
        subject="The invoice for my March session is missing",
        description="I paid on 3 March but never received the invoice. Could you send it again?",
    )

    # when the agent opens the queue's unassigned view
    sign_in(page, live_server, agent.email, next_url="/staff/support/")
    page.wait_for_selector("table.desk-queue")
    page.screenshot(path=screenshot_dir / "support-queue.png", full_page=False)
    page.click("nav.subnav >> text=Unassigned")
    page.wait_for_selector(f"text={ticket.reference}")

    # and takes the ticket: assigns it to themself, starts work, replies and leaves a note
    page.click(f"text={ticket.reference}")
    page.wait_for_selector("h1.page-title")
    page.select_option("select[name=assignee]", str(agent.pk))
    page.click("form[action$='/assign/'] button")
    page.wait_for_selector("text=Assigned to Sam Support")
    page.click("button[value=IN_PROGRESS]")
    page.wait_for_selector("text=The ticket is now in progress")
    page.fill("#reply-body", "We have sent the invoice again; it should reach you within the hour.")
    page.click("text=Send reply")
    page.wait_for_selector("text=Reply sent to the client")
    page.click("summary:has-text('Add an internal note')")
    page.fill("#note-body", "Invoice mailer bounced for this address last week; check the SMTP log.")
    page.click("text=Add internal note")
    page.wait_for_selector("text=Internal note added")

    # then the reply and the note are both in the thread, the note marked internal and set apart
    assert page.locator(".message-agent").filter(has_text="sent the invoice again").count() == 1
    note = page.locator(".message-note")
    assert note.count() == 1 and "internal note" in note.inner_text().lower()
    page.screenshot(path=screenshot_dir / "support-ticket.png", full_page=True)
    ticket.refresh_from_db()
    assert ticket.assignee_id == agent.pk
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.first_response_at is not None
    assert list(TicketComment.objects.filter(ticket=ticket).values_list("is_internal", flat=True)) == [False, True]
    assert SupportTicket.objects.filter(pk=ticket.pk, sla_due_at=ticket.resolution_due_at).exists()
