"""The client help center (/help/): signing in, the client's own tickets, opening one and replying, and
every refusal leaving nothing behind."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification, UserStatus
from accounts.rbac_catalog import CLIENT
from accounts.tests.factories import UserFactory, holder_of
from attachments.models import FileAttachment, FileOwnerType
from attachments.tests import samples
from attachments.tests.helpers import isolated_media, stored_files
from core.tests.browser import TEST_PASSWORD
from support.models import SupportTicket, TicketComment, TicketStatus
from support.services import MESSAGE_MAX_FILES, ticket_open, ticket_reply, ticket_status_change
from support.tests.factories import SupportTicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]
__all__ = ["isolated_media"]  # the fixture, imported for pytest to find

HOME = reverse("help:home")
NEW = reverse("help:ticket_new")
SIGN_IN = reverse("help:sign_in")


@pytest.fixture(autouse=True)
def system_roles():
    call_command("seed_rbac", verbosity=0)


@pytest.fixture
def alice():
    return holder_of(CLIENT, is_staff=False, full_name="Alice Archer", email="alice@example.com")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def detail_url(ticket) -> str:
    return reverse("help:ticket_detail", kwargs={"reference": ticket.reference})


def reply_url(ticket) -> str:
    return reverse("help:ticket_reply", kwargs={"reference": ticket.reference})


def moved(ticket, *statuses, actor):
    for status in statuses:
        ticket = ticket_status_change(ticket=ticket, status=status, actor=actor)
    return ticket


def written() -> dict:
    """What a refused request must not change."""
    return {
        "tickets": SupportTicket.objects.count(),
        "comments": TicketComment.objects.count(),
        "attachments": FileAttachment.objects.count(),
        "notifications": Notification.objects.count(),
        "stored": stored_files(),
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# ---- Signing in ----


def test_a_client_lands_in_the_help_center_and_staff_in_the_back_office(client, alice, superuser):
    # when a client signs in at the help center
    response = client.post(SIGN_IN, {"username": alice.email, "password": TEST_PASSWORD})
    # then they land on their requests
    assert response.status_code == 302 and response["Location"] == HOME
    # and staff signing in at the same page land in the back office
    staff_browser = Client()
    response = staff_browser.post(SIGN_IN, {"username": superuser.email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:home")


def test_sign_in_follows_a_safe_next_only(client, alice):
    assert f'name="next" value="{NEW}"' in client.get(f"{SIGN_IN}?next={NEW}").content.decode()
    response = client.post(f"{SIGN_IN}?next={NEW}", {"username": alice.email, "password": TEST_PASSWORD})
    assert response["Location"] == NEW
    other = Client()
    response = other.post(
        SIGN_IN, {"username": alice.email, "password": TEST_PASSWORD, "next": "https://evil.example/help/"}
    )
    assert response["Location"] == HOME


def test_a_wrong_password_is_refused_on_the_page_with_a_link_to_reset_it(client, alice):
    response = client.post(SIGN_IN, {"username": alice.email, "password": "not-it"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert reverse("account:password_reset") in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_visitors_are_sent_to_the_help_sign_in(client):
    ticket = SupportTicketFactory()
    for url in (HOME, NEW, detail_url(ticket)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"{SIGN_IN}?next={url}", url
    response = client.post(reply_url(ticket), {"body": "hello"})
    assert response.status_code == 302 and response["Location"] == f"{SIGN_IN}?next={detail_url(ticket)}"
    assert not TicketComment.objects.exists()


def test_a_suspended_client_is_signed_out_of_the_help_center(alice_client, alice):
    alice.status = UserStatus.SUSPENDED
    alice.save(update_fields=["status"])
    response = alice_client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)


# ---- The list ----


def test_the_list_shows_the_clients_own_tickets_newest_first(alice_client, alice, superuser):
    # given two tickets of Alice's, one resolved, and one of someone else's
    older = ticket_open(requester=alice, subject="Invoice is missing", description="Where is it?")
    newer = ticket_open(requester=alice, subject="Cannot book a session", description="The button fails.")
    moved(newer, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, actor=superuser)
    theirs = SupportTicketFactory(subject="Someone else's trouble")
    # when Alice opens the help center
    response = alice_client.get(HOME)
    # then she sees her two tickets, newest first, with friendly statuses, and a New request button
    page = response.content.decode()
    assert response.status_code == 200
    assert [row.ticket.pk for row in response.context["rows"]] == [newer.pk, older.pk]
    assert theirs.subject not in page and theirs.reference not in page
    rows = response.context["rows"]
    assert [(row.status_label, row.waiting_on_you) for row in rows] == [("Resolved", True), ("Open", False)]
    assert "Waiting on you" in page
    assert f'href="{NEW}"' in page


def test_who_may_not_open_tickets_sees_no_button_and_cannot_open_the_form(client):
    person = UserFactory()  # signed in, no role
    client.force_login(person)
    response = client.get(HOME)
    assert response.status_code == 200 and f'href="{NEW}"' not in response.content.decode()
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"subject": "x", "description": "y", "priority": "LOW"}).status_code == 403
    assert not SupportTicket.objects.exists()


def test_the_list_costs_the_same_queries_for_one_ticket_or_a_full_page(client, alice):
    bob = holder_of(CLIENT, is_staff=False)
    ticket_open(requester=alice, subject="One", description="Only one.")
    for number in range(30):
        ticket_open(requester=bob, subject=f"Ticket {number}", description="Many.")
    counts = []
    for person in (alice, bob):
        browser = Client()
        browser.force_login(person)
        browser.get(HOME)  # first-request work (session stamp, permission cache)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(HOME)
        assert response.status_code == 200
        counts.append(len(queries.captured_queries))
    assert len(response.context["rows"]) == 25
    assert len(browser.get(f"{HOME}?page=2").context["rows"]) == 5
    assert len(browser.get(f"{HOME}?page=9999").context["rows"]) == 5  # past the end: the last page
    print(counts)
    assert counts[0] == counts[1] <= 6, counts


# ---- Opening a ticket ----


def test_opening_a_ticket_with_a_file_stores_both_and_shows_the_ticket(alice_client, alice):
    # when Alice sends the form with a screenshot
    response = alice_client.post(
        NEW,
        {
            "subject": "The calendar is empty",
            "description": "Since this morning\nnothing shows.",
            "priority": "HIGH",
            "attachments": samples.upload("calendar.png", samples.png(), "image/png"),
        },
    )
    # then the ticket is opened, the file kept as the ticket's, and she is taken to it
    ticket = SupportTicket.objects.get()
    assert ticket.requester == alice and ticket.priority == "HIGH" and ticket.status == TicketStatus.OPEN
    assert response.status_code == 303 and response["Location"] == detail_url(ticket)
    attachment = FileAttachment.objects.get()
    assert (attachment.owner_type, attachment.owner_id) == (FileOwnerType.TICKET, ticket.pk)
    assert attachment.original_name == "calendar.png" and attachment.uploaded_by == alice
    assert stored_files() == {attachment.file.name}
    page = alice_client.get(response["Location"])
    text = page.content.decode()
    assert f"we received your request. Its reference is {ticket.reference}" in text
    assert "Since this morning<br>nothing shows." in text
    assert reverse("attachments:download", kwargs={"pk": attachment.pk}) in text
    download = alice_client.get(reverse("attachments:download", kwargs={"pk": attachment.pk}))
    assert download.status_code == 200 and b"".join(download.streaming_content) == samples.png()


def test_the_new_form_offers_the_priorities_with_hints(alice_client):
    page = alice_client.get(NEW).content.decode()
    for label in ("Low", "Medium", "High", "Urgent"):
        assert label in page
    assert "It stops part of your work." in page
    assert 'value="MEDIUM" checked' in page
    assert 'enctype="multipart/form-data"' in page


# A Windows program's first bytes, and the attachments' refusal of a type they do not take.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 300
NOT_ACCEPTED = "are not accepted for a"
GOOD_TICKET = {"subject": "Payment failed", "description": "The card was refused.", "priority": "MEDIUM"}


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"subject": ""}, "Give your request a short subject."),
        ({"description": "   "}, "Tell us what happened."),
        ({"subject": "x" * 201}, "at most 200 characters"),
        ({"subject": "Broken\x00subject"}, "Null characters are not allowed."),
        ({"subject": "Two\nlines"}, "The text contains control characters."),
        ({"description": "a" * (1024 * 1024)}, "The text is longer than 20000 characters"),
        ({"description": "bad\x00byte"}, "Null characters are not allowed."),
        ({"priority": "WHENEVER"}, "Choose one of the offered priorities."),
        ({"attachments": samples.upload("setup.exe", EXE, "application/x-msdownload")}, NOT_ACCEPTED),
        ({"attachments": samples.upload("page.html", samples.HTML, "text/html")}, NOT_ACCEPTED),
        ({"attachments": samples.upload("holiday.jpg", samples.HTML, "image/jpeg")}, None),
    ],
    ids=[
        "empty subject",
        "blank description",
        "subject over 200",
        "nul in subject",
        "newline in subject",
        "1 MB description",
        "nul in description",
        "unknown priority",
        "exe",
        "html",
        "html named jpg",
    ],
)
def test_a_bad_new_ticket_is_refused_with_a_reason_and_nothing_written(alice_client, fields, said):
    before = written()
    data = {**GOOD_TICKET, **fields}
    data.setdefault("attachments", samples.upload("fine.png", samples.png(), "image/png"))
    response = alice_client.post(NEW, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was sent yet." in page
    if said:
        assert said in page
    else:
        assert response.context["form"].errors  # the attachments' own reason, on the form
    assert written() == before
    # what was typed is still in the form
    if fields.get("subject", "").isprintable() and len(fields.get("subject", "")) < 300:
        assert data["subject"] in page


def test_several_files_go_with_one_message(alice_client):
    files = [samples.upload("a.png", samples.png(), "image/png"), samples.upload("b.pdf", samples.pdf())]
    response = alice_client.post(NEW, {**GOOD_TICKET, "attachments": files})
    assert response.status_code == 303
    ticket = SupportTicket.objects.get()
    stored = FileAttachment.objects.filter(owner_type=FileOwnerType.TICKET, owner_id=ticket.pk)
    assert sorted(stored.values_list("original_name", flat=True)) == ["a.png", "b.pdf"]


def test_more_files_than_a_message_takes_are_refused_and_nothing_is_written(alice_client):
    before = written()
    files = [samples.upload(f"{index}.pdf", samples.pdf()) for index in range(MESSAGE_MAX_FILES + 1)]
    response = alice_client.post(NEW, {**GOOD_TICKET, "attachments": files})
    assert response.status_code == 400
    assert f"Attach at most {MESSAGE_MAX_FILES} files to a message, 25.0\xa0MB in all" in response.content.decode()
    assert written() == before


def test_the_forms_need_a_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post(NEW, GOOD_TICKET).status_code == 403
    ticket = ticket_open(requester=alice, subject="Hi", description="There")
    assert browser.post(reply_url(ticket), {"body": "no token"}).status_code == 403
    assert not TicketComment.objects.exists() and SupportTicket.objects.count() == 1


# ---- A ticket and its replies ----


def test_another_clients_ticket_is_not_found_for_reading_or_replying(alice_client):
    theirs = SupportTicketFactory()
    assert alice_client.get(detail_url(theirs)).status_code == 404
    before = written()
    assert alice_client.post(reply_url(theirs), {"body": "Let me in"}).status_code == 404
    assert written() == before


def test_staff_see_only_their_own_tickets_in_the_help_center_too(client, superuser):
    # the help center is the requester's view: a ticket a staff member did not raise is not found there
    ticket = SupportTicketFactory()
    client.force_login(superuser)
    assert client.get(detail_url(ticket)).status_code == 404


@pytest.mark.parametrize(
    "reference",
    ["nope", "TCK-0000-0000", "TCK-AAAA-AAAA'", "A" * 5000, "TCK-ÄÄÄÄ-AAAA", "..", "%2e%2e", "TCK-AAAA-AAAA%20"],
)
def test_a_garbage_reference_is_not_found(alice_client, reference):
    assert alice_client.get(f"/help/tickets/{reference}/").status_code == 404
    assert alice_client.post(f"/help/tickets/{reference}/reply/", {"body": "x"}).status_code == 404


def test_a_nul_in_the_address_is_refused_before_any_view(alice_client):
    # the control-character middleware answers first (400), before any lookup: never a server error
    assert alice_client.get("/help/tickets/%00/").status_code == 400
    assert alice_client.post("/help/tickets/%00/reply/", {"body": "x"}).status_code == 400


def test_a_reference_typed_in_lower_case_finds_the_ticket(alice_client, alice):
    ticket = ticket_open(requester=alice, subject="Case", description="Lower")
    assert alice_client.get(f"/help/tickets/{ticket.reference.lower()}/").status_code == 200


def test_replying_with_a_file_adds_both_to_the_conversation(alice_client, alice, superuser):
    # given Alice's ticket, answered by the desk
    ticket = ticket_open(requester=alice, subject="Export", description="The export is empty.")
    ticket_reply(ticket=ticket, author=superuser, body="Could you send the file?", wait_for_client=True)
    # when she replies with the file
    response = alice_client.post(
        reply_url(ticket), {"body": "Here it is.", "attachments": samples.upload("export.pdf", samples.pdf())}
    )
    # then her reply and its file are kept, and the wait on her ends
    assert response.status_code == 303 and response["Location"] == detail_url(ticket)
    comment = TicketComment.objects.get(author=alice)
    assert comment.body == "Here it is." and not comment.is_internal
    attachment = FileAttachment.objects.get()
    assert (attachment.owner_type, attachment.owner_id) == (FileOwnerType.TICKET_COMMENT, comment.pk)
    assert stored_files() == {attachment.file.name}
    ticket.refresh_from_db()
    assert ticket.waiting_on_client_since is None
    page = alice_client.get(detail_url(ticket)).content.decode()
    assert "Your reply was sent." in page and "Here it is." in page and "export.pdf" in page


def test_a_reply_to_a_resolved_ticket_reopens_it(alice_client, alice, superuser):
    ticket = ticket_open(requester=alice, subject="Login", description="Cannot sign in.")
    ticket_reply(ticket=ticket, author=superuser, body="Fixed, please try again.")
    moved(ticket, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, actor=superuser)
    page = alice_client.get(detail_url(ticket)).content.decode()
    assert "Replying reopens this request." in page
    response = alice_client.post(reply_url(ticket), {"body": "Still broken, sorry."})
    assert response.status_code == 303
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.resolved_at is None
    assert "Your reply was sent and the request is open again." in alice_client.get(detail_url(ticket)).content.decode()


def test_a_closed_ticket_offers_a_new_request_instead_of_a_reply(alice_client, alice, superuser):
    ticket = ticket_open(requester=alice, subject="Old", description="Done.")
    moved(ticket, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED, actor=superuser)
    response = alice_client.get(detail_url(ticket))
    page = response.content.decode()
    assert "This request is closed; open a new one" in page and f'href="{NEW}"' in page
    assert reply_url(ticket) not in page


@pytest.fixture
def open_ticket(alice):
    return ticket_open(requester=alice, subject="Refund", description="I was charged twice.")


@pytest.fixture
def closed_ticket(alice, superuser):
    ticket = ticket_open(requester=alice, subject="Closed one", description="Finished.")
    return moved(ticket, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED, actor=superuser)


@pytest.mark.parametrize(
    ("fields", "said", "which"),
    [
        ({"body": ""}, "Write your reply before sending it.", "open_ticket"),
        ({"body": "  \n "}, "Write your reply before sending it.", "open_ticket"),
        ({"body": "x" * (1024 * 1024)}, "The text is longer than 20000 characters", "open_ticket"),
        ({"body": "nul\x00byte"}, "Null characters are not allowed.", "open_ticket"),
        ({"body": "bell\x07"}, "The text contains control characters.", "open_ticket"),
        ({"is_internal": "on"}, "Internal notes are written by the support team only.", "open_ticket"),
        ({}, "This ticket is closed; open a new one to continue.", "closed_ticket"),
        ({"attachments": samples.upload("setup.exe", EXE, "application/x-msdownload")}, NOT_ACCEPTED, "open_ticket"),
        ({"attachments": samples.upload("page.html", samples.HTML, "text/html")}, NOT_ACCEPTED, "open_ticket"),
        ({"attachments": samples.upload("logo.svg", samples.SVG_SCRIPT, "image/svg+xml")}, NOT_ACCEPTED, "open_ticket"),
        ({"attachments": samples.upload("empty.pdf", b"", "application/pdf")}, "The file is empty.", "open_ticket"),
    ],
    ids=["empty", "blank", "1 MB", "nul", "control", "forged internal", "closed", "exe", "html", "svg", "empty file"],
)
def test_a_bad_reply_is_refused_with_a_reason_and_nothing_written(alice_client, request, fields, said, which):
    ticket = request.getfixturevalue(which)
    before = written()
    data = {"body": "A perfectly fine reply.", **fields}
    data.setdefault("attachments", samples.upload("fine.png", samples.png(), "image/png"))
    response = alice_client.post(reply_url(ticket), data)
    assert response.status_code == 400
    page = response.content.decode()
    if said:
        assert said in page
    else:
        assert response.context["form"].errors
    assert written() == before
    if which == "open_ticket" and "body" not in fields:
        assert "A perfectly fine reply." in page  # kept in the form


def test_the_conversation_costs_the_same_queries_for_one_comment_or_twenty(alice, superuser):
    short = ticket_open(requester=alice, subject="Short", description="One reply.")
    ticket_reply(ticket=short, author=superuser, body="Answer")
    long = ticket_open(requester=alice, subject="Long", description="Many replies.")
    for number in range(10):
        ticket_reply(
            ticket=long,
            author=superuser,
            body=f"Answer {number}",
            files=[samples.upload(f"a{number}.pdf", samples.pdf())],
        )
        ticket_reply(ticket=long, author=superuser, body=f"Note {number}", is_internal=True)
        ticket_reply(
            ticket=long, author=alice, body=f"Reply {number}", files=[samples.upload(f"r{number}.png", samples.png())]
        )
    browser = Client()
    browser.force_login(alice)
    browser.get(detail_url(short))  # first-request work (session stamp, permission cache)
    counts = []
    for ticket in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(detail_url(ticket))
        assert response.status_code == 200
        counts.append(len(queries.captured_queries))
    assert len(response.context["conversation"]) == 21  # the opening message and 20 visible replies
    assert sum(len(entry.files) for entry in response.context["conversation"]) == 20
    print(counts)
    assert counts[0] == counts[1] <= 7, counts
