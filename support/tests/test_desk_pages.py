"""The staff desk's pages: the queue (filters, views, pages, bulk actions) and one ticket's page."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.rbac_catalog import ASSIGN_TICKET, CHANGE_TICKET, VIEW_INTERNAL_COMMENTS, VIEW_TICKET
from accounts.tests.factories import UserFactory, fresh, staff_holding
from attachments.models import FileAttachment, FileOwnerType
from attachments.tests.helpers import isolated_media  # noqa: F401  (fixture)
from attachments.tests.samples import png
from core.testing import signed_in
from support import services
from support.models import SupportTicket, TicketComment, TicketPriority, TicketStatus
from support.tests.factories import SupportTicketFactory, support_agent

pytestmark = pytest.mark.django_db

QUEUE = reverse("support:queue")


def ticket_url(ticket, action=""):
    name = f"support:ticket_{action}" if action else "support:ticket"
    return reverse(name, args=[ticket.reference])


@pytest.fixture
def lead():
    return support_agent(
        VIEW_TICKET, CHANGE_TICKET, ASSIGN_TICKET, VIEW_INTERNAL_COMMENTS, "attachments.add_fileattachment",
        "attachments.download_private_fileattachment", full_name="Lena Lead",
    )  # fmt: skip


@pytest.fixture
def client_user():
    from accounts.models import Role, UserRole
    from accounts.rbac_catalog import CLIENT

    user = UserFactory(full_name="Cleo Client")
    role = Role.objects.filter(name=CLIENT).first()
    if role is not None:
        UserRole.objects.create(user=user, role=role)
    return user


def opened(requester=None, **fields) -> SupportTicket:
    requester = requester or UserFactory()
    now = timezone.now()
    ticket = SupportTicketFactory(requester=requester, **fields)
    ticket.first_response_due_at = fields.get("first_response_due_at", now + timedelta(days=30))
    ticket.resolution_due_at = fields.get("resolution_due_at", now + timedelta(days=60))
    ticket.save()
    return ticket


# The queue


def test_the_queue_lists_tickets_newest_first_with_their_service_level(lead):
    older = opened(subject="Invoice question")
    newer = opened(subject="Cannot book a session", first_response_due_at=timezone.now() - timedelta(hours=1))
    response = signed_in(lead).get(QUEUE)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["ticket"].pk for row in rows][:2] == [newer.pk, older.pk]
    assert rows[0]["clock"].state == "overdue"
    assert b"Cannot book a session" in response.content


def test_an_agent_without_the_model_wide_grant_sees_only_tickets_assigned_to_them(lead):
    agent = support_agent()
    mine, other = opened(), opened()
    services.ticket_assign(ticket=mine, assignee=agent, actor=lead)
    rows = signed_in(fresh(agent)).get(QUEUE).context["rows"]
    assert [row["ticket"].pk for row in rows] == [mine.pk]
    assert signed_in(fresh(agent)).get(ticket_url(other)).status_code == 404


def test_reassigning_by_a_plain_update_moves_the_page_with_it(lead):
    # given a ticket assigned to Ann, who can open it
    ann, bob = support_agent(CHANGE_TICKET), support_agent(CHANGE_TICKET)
    ticket = opened()
    services.ticket_assign(ticket=ticket, assignee=ann, actor=lead)
    assert signed_in(fresh(ann)).get(ticket_url(ticket)).status_code == 200
    # when a data fix hands it to Bob with a queryset update (no service, no signal)
    SupportTicket.objects.filter(pk=ticket.pk).update(assignee=bob)
    # then Bob has it and Ann no longer reaches it, in the queue or by its address
    assert signed_in(fresh(bob)).get(ticket_url(ticket)).status_code == 200
    assert signed_in(fresh(ann)).get(ticket_url(ticket)).status_code == 404
    assert signed_in(fresh(ann)).get(QUEUE).context["rows"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active&assignee=me", {"mine"}),
        ("status=active&assignee=none", {"unassigned", "overdue", "at_risk", "waiting"}),
        ("sla=overdue", {"overdue"}),
        ("sla=at_risk", {"at_risk"}),
        ("sla=paused", {"waiting"}),
        ("priority=URGENT", {"overdue"}),
        ("status=RESOLVED", {"resolved"}),
    ],
)
def test_the_queue_filters(lead, query, expected):
    now = timezone.now()
    tickets = {
        "mine": opened(),
        "unassigned": opened(first_response_due_at=now + timedelta(days=30)),
        "overdue": opened(priority=TicketPriority.URGENT, first_response_due_at=now - timedelta(minutes=5)),
        "at_risk": opened(first_response_due_at=now + timedelta(minutes=1)),
        "waiting": opened(
            first_response_at=now - timedelta(hours=2),
            waiting_on_client_since=now - timedelta(hours=1),
            status=TicketStatus.IN_PROGRESS,
        ),
        "resolved": opened(status=TicketStatus.RESOLVED, resolved_at=now, first_response_at=now),
    }
    services.ticket_assign(ticket=tickets["mine"], assignee=lead, actor=lead)
    rows = signed_in(lead).get(f"{QUEUE}?{query}").context["rows"]
    found = {name for name, ticket in tickets.items() if ticket.pk in {row["ticket"].pk for row in rows}}
    assert found == expected


def test_the_queue_finds_a_ticket_by_reference_subject_or_requester(lead):
    ticket = opened(requester=UserFactory(email="zelda.quartz@example.com"), subject="Refund for the March workshop")
    opened(subject="Something else")
    client = signed_in(lead)
    for term in (ticket.reference, ticket.reference.lower().replace("-", ""), "march workshop", "zelda.quartz"):
        rows = client.get(QUEUE, {"q": term}).context["rows"]
        assert [row["ticket"].pk for row in rows] == [ticket.pk], term


def test_queue_pages_follow_each_other_in_every_order(lead):
    now = timezone.now()
    for index in range(60):
        opened(first_response_due_at=now + timedelta(hours=index + 1))
    client = signed_in(lead)
    for order in ("newest", "oldest", "due"):
        first = client.get(QUEUE, {"order": order})
        second = client.get(QUEUE, {"order": order, "before": first.context["page"].following})
        back = client.get(QUEUE, {"order": order, "after": second.context["page"].previous})
        seen = [row["ticket"].pk for row in first.context["rows"] + second.context["rows"]]
        assert len(seen) == len(set(seen)) == 60
        assert [r["ticket"].pk for r in back.context["rows"]] == [r["ticket"].pk for r in first.context["rows"]]


def test_the_queue_costs_the_same_queries_for_few_and_many_tickets(lead):
    client = signed_in(lead)
    opened()
    client.get(QUEUE)
    counts = []
    for batch in (1, 45):
        for _ in range(batch):
            services.ticket_assign(ticket=opened(), assignee=lead, actor=lead)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "a\x00b"},
        {"q": "x" * 500},
        {"status": "NOPE"},
        {"assignee": "99999999999999999999"},
        {"sla": "<script>"},
        {"date_from": "0001-01-01"},
        {"date_from": "2026-13-45"},
        {"date_to": "99999-01-01"},
        {"order": "drop table"},
        {"before": "12-34-56"},
        {"after": "9" * 60},
        {"before": "99999999999999999999999-1"},
    ],
)
def test_bad_queue_input_is_a_clear_answer_never_a_server_error(lead, query):
    response = signed_in(lead).get(QUEUE, query)
    assert response.status_code in (200, 400)


def test_the_queue_is_for_the_desk_only(client_user):
    assert Client().get(QUEUE).status_code == 302
    assert signed_in(client_user).get(QUEUE).status_code == 302  # not staff: sign in as staff
    assert signed_in(staff_holding("consultants.view_booking")).get(QUEUE).status_code == 403


# Bulk actions


def test_bulk_actions_do_what_may_be_done_and_say_why_not_for_the_rest(lead):
    agent = support_agent()
    tickets = [opened() for _ in range(3)]
    resolved = opened(status=TicketStatus.RESOLVED, resolved_at=timezone.now(), first_response_at=timezone.now())
    client = signed_in(lead)
    ids = [ticket.pk for ticket in tickets]
    client.post(reverse("support:queue_bulk"), {"tickets": ids, "action": "assign", "assignee": agent.pk})
    assert set(SupportTicket.objects.filter(pk__in=ids).values_list("assignee", flat=True)) == {agent.pk}
    client.post(reverse("support:queue_bulk"), {"tickets": ids, "action": "priority", "priority": "HIGH"})
    assert set(SupportTicket.objects.filter(pk__in=ids).values_list("priority", flat=True)) == {"HIGH"}
    response = client.post(
        reverse("support:queue_bulk"), {"tickets": [*ids, resolved.pk], "action": "close"}, follow=True
    )
    texts = [str(message) for message in response.context["messages"]]
    assert any("1 ticket changed" in text for text in texts)
    assert sum("cannot become closed" in text for text in texts) == 3
    assert SupportTicket.objects.get(pk=resolved.pk).status == TicketStatus.CLOSED


def test_bulk_assignment_to_a_client_or_a_suspended_agent_is_refused(lead, client_user):
    ticket = opened()
    suspended = support_agent()
    suspended.status = "SUSPENDED"
    suspended.save()
    client = signed_in(lead)
    for assignee in (client_user.pk, suspended.pk, "99999999999", "x"):
        response = client.post(
            reverse("support:queue_bulk"),
            {"tickets": [ticket.pk], "action": "assign", "assignee": assignee},
            follow=True,
        )
        assert response.status_code == 200
        assert SupportTicket.objects.get(pk=ticket.pk).assignee_id is None


def test_bulk_actions_reach_only_tickets_the_user_may_see(lead):
    agent = support_agent(CHANGE_TICKET)
    theirs, other = opened(), opened()
    services.ticket_assign(ticket=theirs, assignee=agent, actor=lead)
    signed_in(fresh(agent)).post(
        reverse("support:queue_bulk"), {"tickets": [theirs.pk, other.pk], "action": "priority", "priority": "LOW"}
    )
    assert SupportTicket.objects.get(pk=theirs.pk).priority == "LOW"
    assert SupportTicket.objects.get(pk=other.pk).priority == "MEDIUM"


# One ticket's page


def test_the_ticket_page_shows_notes_apart_and_only_to_who_may_read_them(lead):
    ticket = opened()
    services.ticket_reply(ticket=ticket, author=lead, body="We are looking into it.")
    services.ticket_reply(ticket=ticket, author=lead, body="NOTE-CANARY-42 check the ledger", is_internal=True)
    page = signed_in(lead).get(ticket_url(ticket))
    assert b"NOTE-CANARY-42" in page.content
    assert b"message-note" in page.content
    reader = support_agent(VIEW_TICKET, CHANGE_TICKET)  # may work on tickets, not read internal notes
    page = signed_in(reader).get(ticket_url(ticket))
    assert page.status_code == 200
    assert b"We are looking into it." in page.content
    assert b"NOTE-CANARY-42" not in page.content


def test_an_agent_replies_with_files_and_writes_a_note(lead, isolated_media):  # noqa: F811
    ticket = opened()
    client = signed_in(lead)
    picture = SimpleUploadedFile("screen.png", png(), content_type="image/png")
    response = client.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "Here is how.", "files": [picture]})
    assert response.status_code == 302
    reply = TicketComment.objects.get(ticket=ticket)
    assert not reply.is_internal
    assert FileAttachment.objects.filter(owner_type=FileOwnerType.TICKET_COMMENT, owner_id=reply.pk).count() == 1
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert Notification.objects.filter(user=ticket.requester).exists()
    client.post(ticket_url(ticket, "reply"), {"kind": "note", "body": "Internal only"})
    assert TicketComment.objects.get(body="Internal only").is_internal


@pytest.mark.parametrize(
    "body", ["", "   ", "x" * 20_001, "null\x00byte", "bell\x07"], ids=["empty", "blank", "1mb", "nul", "control"]
)
def test_a_bad_reply_is_refused_with_a_message_and_writes_nothing(lead, body):
    ticket = opened()
    response = signed_in(lead).post(ticket_url(ticket, "reply"), {"kind": "reply", "body": body})
    assert response.status_code == 400
    assert response.context["reply_form"].errors
    assert not TicketComment.objects.filter(ticket=ticket).exists()


def test_a_refused_file_leaves_no_reply_and_no_file(lead, isolated_media):  # noqa: F811
    ticket = opened()
    good = SimpleUploadedFile("a.png", png(), content_type="image/png")
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/octet-stream")
    response = signed_in(lead).post(
        ticket_url(ticket, "reply"), {"kind": "reply", "body": "See files", "files": [good, bad]}
    )
    assert response.status_code == 400
    assert not TicketComment.objects.filter(ticket=ticket).exists()
    assert not FileAttachment.objects.exists()
    assert not [path for path in isolated_media.rglob("*") if path.is_file()]


def test_status_moves_only_along_the_workflow_and_closed_is_final(lead):
    ticket = opened()
    client = signed_in(lead)
    response = client.post(ticket_url(ticket, "status"), {"status": "CLOSED"}, follow=True)
    assert "cannot become closed" in " ".join(str(m) for m in response.context["messages"])
    for status in ("IN_PROGRESS", "RESOLVED", "CLOSED"):
        client.post(ticket_url(ticket, "status"), {"status": status})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.resolved_at and ticket.closed_at
    response = client.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "hello?"})
    assert response.status_code == 400
    assert client.post(ticket_url(ticket, "status"), {"status": "IN_PROGRESS"}).status_code == 302
    assert SupportTicket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED


def test_priority_changes_move_the_deadlines(lead):
    ticket = opened()
    services.ticket_priority_change(ticket=ticket, priority=TicketPriority.URGENT, actor=lead)
    urgent = SupportTicket.objects.get(pk=ticket.pk)
    services.ticket_priority_change(ticket=ticket, priority=TicketPriority.LOW, actor=lead)
    low = SupportTicket.objects.get(pk=ticket.pk)
    assert urgent.first_response_due_at and low.first_response_due_at and urgent.resolution_due_at
    assert urgent.first_response_due_at < low.first_response_due_at
    assert low.resolution_due_at and urgent.resolution_due_at < low.resolution_due_at


def test_the_ticket_page_costs_the_same_queries_for_a_short_and_a_long_thread(lead):
    ticket = opened()
    client = signed_in(lead)
    client.get(ticket_url(ticket))
    counts = []
    for replies in (1, 20):
        for index in range(replies):
            services.ticket_reply(ticket=ticket, author=lead, body=f"reply {index}", is_internal=index % 2 == 0)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ticket_url(ticket)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("reference", ["TCK-0000-0000", "nope", "TCK-%00", "x" * 300])
def test_an_unknown_or_malformed_reference_is_not_found(lead, reference):
    assert signed_in(lead).get(f"{QUEUE}tickets/{reference}/").status_code in (400, 404)


# Service-level breaches


def test_a_breach_is_flagged_once_and_tells_the_assignee_and_a_supervisor(lead):
    agent = support_agent()
    ticket = opened(first_response_due_at=timezone.now() - timedelta(minutes=1))
    services.ticket_assign(ticket=ticket, assignee=agent, actor=lead)
    Notification.objects.all().delete()
    assert services.tickets_sla_breaches_flag() == 1
    assert services.tickets_sla_breaches_flag() == 0
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is not None
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert {agent.pk, lead.pk} <= told
    assert ticket.requester_id not in told


def test_the_breach_check_is_in_the_beat_schedule_and_runs_as_a_task(lead):
    from config.celery import app
    from support.tasks import tickets_sla_breaches_task

    assert "support.tasks.tickets_sla_breaches_task" in {entry["task"] for entry in app.conf.beat_schedule.values()}
    opened(first_response_due_at=timezone.now() - timedelta(minutes=1))
    assert tickets_sla_breaches_task.apply().get() == {"flagged": 1}


def test_more_files_than_a_message_takes_are_refused_and_nothing_is_written(lead, isolated_media):  # noqa: F811
    ticket = opened()
    files = [SimpleUploadedFile(f"{index}.png", png(), content_type="image/png") for index in range(6)]
    response = signed_in(lead).post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "Many", "files": files})
    assert response.status_code == 400
    assert "Attach at most 5 files to a message" in response.content.decode()
    assert not TicketComment.objects.exists() and not FileAttachment.objects.exists()
