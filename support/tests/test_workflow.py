"""The ticket workflow and the conversation: who may move a ticket where, who may write what, what is
stamped and who is told."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import Notification
from accounts.rbac_catalog import CHANGE_TICKET, VIEW_INTERNAL_COMMENTS
from accounts.tests.factories import UserFactory, fresh, staff_holding
from support.models import SupportTicket, TicketComment, TicketStatus
from support.services import ticket_reply, ticket_status_change, tickets_auto_close
from support.tasks import tickets_auto_close_task
from support.tests.factories import SupportTicketFactory
from support.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

OPEN, IN_PROGRESS, RESOLVED, CLOSED = (
    TicketStatus.OPEN,
    TicketStatus.IN_PROGRESS,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)
ALLOWED = {(OPEN, IN_PROGRESS), (IN_PROGRESS, RESOLVED), (RESOLVED, CLOSED), (RESOLVED, IN_PROGRESS)}


@pytest.fixture
def agent():
    return staff_holding(CHANGE_TICKET, "support.view_supportticket", VIEW_INTERNAL_COMMENTS)


def ticket_in(status: str, **fields) -> SupportTicket:
    ticket = SupportTicketFactory(**fields)
    SupportTicket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


def notified(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


def test_the_workflow_table_is_the_one_the_desk_follows():
    assert {(current, new) for current, nexts in TRANSITIONS.items() for new in nexts} == ALLOWED


@pytest.mark.parametrize("current", TicketStatus.values)
@pytest.mark.parametrize("new", TicketStatus.values)
def test_only_moves_along_the_workflow_are_allowed(agent, current, new):
    ticket = ticket_in(current)
    if (current, new) in ALLOWED:
        moved = ticket_status_change(ticket=ticket, status=new, actor=agent)
        assert moved.status == new
        return
    with pytest.raises(ValidationError) as refused:
        ticket_status_change(ticket=ticket, status=new, actor=agent)
    assert refused.value.messages[0]
    ticket.refresh_from_db()
    assert ticket.status == current


def test_resolving_and_closing_stamp_their_times_and_reopening_clears_the_resolution(agent):
    ticket = ticket_in(IN_PROGRESS)
    resolved = ticket_status_change(ticket=ticket, status=RESOLVED, actor=agent)
    assert resolved.resolved_at is not None and resolved.closed_at is None
    reopened = ticket_status_change(ticket=resolved, status=IN_PROGRESS, actor=agent)
    assert reopened.resolved_at is None
    ticket_status_change(ticket=reopened, status=RESOLVED, actor=agent)
    closed = ticket_status_change(ticket=reopened, status=CLOSED, actor=agent)
    assert closed.closed_at is not None and closed.resolved_at is not None


def test_each_status_change_tells_the_requester(agent):
    ticket = ticket_in(OPEN)
    ticket_status_change(ticket=ticket, status=IN_PROGRESS, actor=agent)
    assert notified(ticket.requester) == [f"Your ticket {ticket.reference} is now in progress"] * 2  # app + e-mail
    assert set(Notification.objects.values_list("channel", flat=True)) == {"IN_APP", "EMAIL"}


def test_moving_a_ticket_takes_the_right_to_change_it():
    ticket = ticket_in(OPEN)
    with pytest.raises(PermissionDenied):
        ticket_status_change(ticket=ticket, status=IN_PROGRESS, actor=staff_holding("support.view_supportticket"))
    # a per-object grant on this very ticket is enough
    helper = UserFactory(is_staff=True)
    assign_perm(CHANGE_TICKET, helper, ticket)
    assert ticket_status_change(ticket=ticket, status=IN_PROGRESS, actor=fresh(helper)).status == IN_PROGRESS


def test_the_first_public_reply_stamps_the_first_response_and_tells_the_requester(agent):
    ticket = ticket_in(OPEN)
    ticket_reply(ticket=ticket, author=agent, body="Looking into it.", is_internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and notified(ticket.requester) == []
    reply = ticket_reply(ticket=ticket, author=agent, body="We found the cause.")
    ticket_reply(ticket=ticket, author=agent, body="And fixed it.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert len(notified(ticket.requester)) == 4  # two replies, each in the app and by e-mail


def test_a_client_reply_reopens_a_resolved_ticket_and_tells_the_assignee(agent):
    ticket = ticket_in(RESOLVED, assignee=agent)
    SupportTicket.objects.filter(pk=ticket.pk).update(resolved_at="2026-11-20T10:00:00Z")
    ticket_reply(ticket=ticket, author=ticket.requester, body="It broke again.")
    ticket.refresh_from_db()
    assert ticket.status == IN_PROGRESS and ticket.resolved_at is None
    assert notified(agent) == [f"{ticket.reference}: the client replied"]


def test_the_requester_never_writes_an_internal_note():
    ticket = ticket_in(OPEN)
    with pytest.raises(ValidationError, match="support team only"):
        ticket_reply(ticket=ticket, author=ticket.requester, body="psst", is_internal=True)
    assert not TicketComment.objects.exists()


def test_nobody_else_replies_on_a_clients_ticket_without_the_right_to_change_it():
    ticket = ticket_in(OPEN)
    with pytest.raises(PermissionDenied):
        ticket_reply(ticket=ticket, author=UserFactory(), body="Hello from another client")
    assert not TicketComment.objects.exists()


def test_internal_notes_take_the_right_to_read_them():
    ticket = ticket_in(OPEN)
    writer = staff_holding(CHANGE_TICKET)
    with pytest.raises(PermissionDenied):
        ticket_reply(ticket=ticket, author=writer, body="Between us", is_internal=True)
    assert not TicketComment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something"),
        ("   \n\t ", "Write something"),
        ("x" * 20_001, "longer than 20000"),
        ("x" * 1_000_000, "longer than 20000"),
        ("null\x00byte", "control characters"),
        ("bell\x07", "control characters"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(agent, body, message):
    ticket = ticket_in(OPEN)
    with pytest.raises(ValidationError, match=message):
        ticket_reply(ticket=ticket, author=agent, body=body)
    assert not TicketComment.objects.exists() and not Notification.objects.exists()


def test_a_closed_ticket_takes_no_more_replies(agent):
    ticket = ticket_in(CLOSED)
    for author in (agent, ticket.requester):
        with pytest.raises(ValidationError, match="closed"):
            ticket_reply(ticket=ticket, author=author, body="One more thing")
    assert not TicketComment.objects.exists()


def test_resolved_tickets_left_unanswered_are_closed_by_the_nightly_job(settings):
    # given tickets resolved 8 and 2 days ago (the setting allows 7), one still in progress
    settings.SUPPORT_AUTO_CLOSE_DAYS = 7
    now = timezone.now()
    stale, fresh_one, working = ticket_in(RESOLVED), ticket_in(RESOLVED), ticket_in(IN_PROGRESS)
    SupportTicket.objects.filter(pk=stale.pk).update(resolved_at=now - timedelta(days=8))
    SupportTicket.objects.filter(pk=fresh_one.pk).update(resolved_at=now - timedelta(days=2))
    # when the job runs
    assert tickets_auto_close_task.delay().get() == {"closed": 1}
    # then only the stale one is closed, stamped, and its requester told
    statuses = dict(SupportTicket.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: CLOSED, fresh_one.pk: RESOLVED, working.pk: IN_PROGRESS}
    assert SupportTicket.objects.get(pk=stale.pk).closed_at is not None
    assert notified(stale.requester) == [f"Your ticket {stale.reference} is now closed"] * 2
    # and running it again closes nothing more
    assert tickets_auto_close(now=now) == 0


def test_the_auto_close_job_is_in_the_beat_schedule():
    from config.celery import app

    assert "support.tasks.tickets_auto_close_task" in {entry["task"] for entry in app.conf.beat_schedule.values()}
