"""The internal-note canary: an internal note (and its file) written on a client's ticket must reach the
client by no road the help center opens, and nor may the assignee's private details."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from accounts.rbac_catalog import (
    CLIENT,
    DOWNLOAD_PRIVATE_ATTACHMENT,
    HANDLE_TICKET,
    VIEW_INTERNAL_COMMENTS,
)
from accounts.tests.factories import holder_of, staff_holding
from attachments.models import FileAttachment, FileOwnerType
from attachments.tests import samples
from attachments.tests.helpers import isolated_media
from support.services import ticket_assign, ticket_open, ticket_reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]
__all__ = ["isolated_media"]  # the fixture, imported for pytest to find

CANARY = "canary-7f3b9e2c-internal-only"
AGENT_EMAIL = "dana.q-private-8c41@staff.example.com"
AGENT_PHONE = "+15550199873"
AGENT_SURNAME = "Quillfeather"


@pytest.fixture
def desk(superuser):
    """Alice's ticket, assigned to Dana, with a public reply (and its file) and an internal note whose
    body and file name carry the canary."""
    call_command("seed_rbac", verbosity=0)
    alice = holder_of(CLIENT, is_staff=False, full_name="Alice Archer")
    dana = staff_holding(
        HANDLE_TICKET,
        VIEW_INTERNAL_COMMENTS,
        DOWNLOAD_PRIVATE_ATTACHMENT,
        "attachments.add_fileattachment",
        full_name=f"Dana {AGENT_SURNAME}",
        email=AGENT_EMAIL,
        phone=AGENT_PHONE,
    )
    ticket = ticket_open(requester=alice, subject="My report is late", description="It was due yesterday.")
    ticket = ticket_assign(ticket=ticket, assignee=dana, actor=superuser)
    public = ticket_reply(
        ticket=ticket,
        author=dana,
        body="We are on it; the consultant sends it today.",
        files=[samples.upload("schedule.pdf", samples.pdf())],
    )
    note = ticket_reply(
        ticket=ticket,
        author=dana,
        body=f"Consultant missed the deadline again. {CANARY}",
        is_internal=True,
        files=[samples.upload(f"{CANARY}.pdf", samples.pdf("internal"))],
    )
    return {"alice": alice, "dana": dana, "ticket": ticket, "public": public, "note": note}


def file_of(comment) -> FileAttachment:
    return FileAttachment.objects.get(owner_type=FileOwnerType.TICKET_COMMENT, owner_id=comment.pk)


SECRETS = (CANARY, AGENT_EMAIL, AGENT_PHONE, AGENT_SURNAME, "boss@example.com")


def assert_nothing_private_in(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked on {where}"


def test_no_help_page_shows_the_internal_note_or_the_assignees_details(client, desk):
    # given Alice signed in
    ticket = desk["ticket"]
    client.force_login(desk["alice"])
    detail = reverse("help:ticket_detail", kwargs={"reference": ticket.reference})
    # when she opens every page of the help center, and sends a reply the desk refuses (re-rendered)
    pages = {
        "home": client.get(reverse("help:home")),
        "detail": client.get(detail),
        "new": client.get(reverse("help:ticket_new")),
        "sign-in (signed in)": client.get(reverse("help:sign_in"), follow=True),
        "refused reply": client.post(
            reverse("help:ticket_reply", kwargs={"reference": ticket.reference}), {"body": "", "is_internal": "on"}
        ),
        "sign-in (signed out)": Client().get(reverse("help:sign_in")),
    }
    # then each answers, shows the public reply where it belongs, and holds nothing private
    for name, response in pages.items():
        assert response.status_code in (200, 400), name
        assert_nothing_private_in(response.content.decode(), name)
    detail_page = pages["detail"].content.decode()
    assert "We are on it; the consultant sends it today." in detail_page
    assert "schedule.pdf" in detail_page
    assert "Dana" in detail_page and "Support team" in detail_page


def test_the_clients_notifications_and_mail_never_carry_the_note(desk):
    notifications = Notification.objects.filter(user=desk["alice"])
    assert notifications.exists()  # the public reply told her
    for notification in notifications:
        assert_nothing_private_in(f"{notification.title}\n{notification.body}", "a notification")
    for message in mail.outbox:
        if desk["alice"].email in message.to:
            assert_nothing_private_in(f"{message.subject}\n{message.body}", "an e-mail")


def test_the_notes_file_is_not_found_for_the_client_while_the_public_file_downloads(client, desk):
    client.force_login(desk["alice"])
    internal_file, public_file = file_of(desk["note"]), file_of(desk["public"])
    hidden = client.get(reverse("attachments:download", kwargs={"pk": internal_file.pk}))
    assert hidden.status_code == 404
    assert CANARY not in hidden.content.decode(errors="replace")
    assert client.get(reverse("attachments:thumbnail", kwargs={"pk": internal_file.pk})).status_code == 404
    shown = client.get(reverse("attachments:download", kwargs={"pk": public_file.pk}))
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == samples.pdf()
    # and the desk still reads its own note's file
    client.force_login(desk["dana"])
    assert client.get(reverse("attachments:download", kwargs={"pk": internal_file.pk})).status_code == 200
