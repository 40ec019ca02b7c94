"""Demo support tickets, with statuses and timestamps that fit their age, and their conversations."""

from datetime import datetime, timedelta

from backoffice.demo_data.context import DemoContext, TicketRef
from backoffice.demo_data.vocabulary import AGENT_REPLIES, CLIENT_MESSAGES, INTERNAL_NOTES, SENTENCES, TICKET_SUBJECTS
from support.models import SupportTicket, TicketComment, TicketPriority, TicketStatus

# Crockford's base32, as support.models.generate_ticket_reference uses; drawn from our seeded random
# source so references are reproducible.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_FIELDS = (
    "id", "reference", "subject", "description", "requester_id", "assignee_id", "status", "priority",
    "first_response_at", "resolved_at", "closed_at", "created_at", "updated_at",
)  # fmt: skip
COMMENT_FIELDS = ("id", "ticket_id", "author_id", "body", "is_internal", "created_at", "updated_at")
_PRIORITIES = (TicketPriority.LOW, TicketPriority.MEDIUM, TicketPriority.HIGH, TicketPriority.URGENT)
_PRIORITY_WEIGHTS = (30, 45, 20, 5)


def seed_support_desk(ctx: DemoContext) -> None:
    """About ``plan.tickets`` tickets from clients and consultants, each with one to five comments."""
    taken = set(SupportTicket.objects.values_list("reference", flat=True))
    ids = ctx.writer.reserve(SupportTicket, ctx.plan.tickets)
    ctx.ids["support.supportticket"] = ids
    ctx.writer.write(SupportTicket, TICKET_FIELDS, [_ticket_row(ctx, pk, taken) for pk in ids])
    comments = [row for ticket in ctx.tickets for row in _comment_rows(ctx, ticket)]
    ctx.writer.write(TicketComment, COMMENT_FIELDS, comments)


def _reference(ctx: DemoContext, taken: set[str]) -> str:
    while True:
        chars = "".join(ctx.rng.choices(_REFERENCE_ALPHABET, k=8))
        reference = f"TCK-{chars[:4]}-{chars[4:]}"
        if reference not in taken:
            taken.add(reference)
            return reference


def _ticket_row(ctx: DemoContext, pk: int, taken: set[str]) -> tuple:
    requester = ctx.pick(ctx.client_ids) if ctx.rng.random() < 0.85 else ctx.pick(ctx.consultants).user_id
    created = ctx.growing_moment(ctx.start, ctx.now - timedelta(hours=1))
    status, responded, resolved, closed = _lifecycle(ctx, created)
    assignee = ctx.pick(ctx.staff_ids) if status != TicketStatus.OPEN or ctx.rng.random() < 0.5 else None
    ctx.tickets.append(TicketRef(pk, requester, assignee, created, responded))
    ctx.kpis.add("tickets_opened", created.date())
    priority = ctx.rng.choices(_PRIORITIES, _PRIORITY_WEIGHTS)[0]
    updated = closed or resolved or responded or created
    subject, description = ctx.pick(TICKET_SUBJECTS), " ".join(ctx.rng.sample(SENTENCES, 2))
    return (
        pk, _reference(ctx, taken), subject, description, requester, assignee, status, priority, responded,
        resolved, closed, created, updated,
    )  # fmt: skip


# The desk's work in hand: the newest tickets, as a share of all, are still open, in progress or resolved
# (at least a handful of each at any scale), whatever their dates would otherwise say.
_IN_HAND_SHARE = 0.12
_IN_HAND_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED)
_IN_HAND_WEIGHTS = (0.3, 0.45, 0.25)


def _lifecycle(ctx: DemoContext, created: datetime) -> tuple[str, datetime | None, datetime | None, datetime | None]:
    """(status, first response, resolution, closing): old tickets are done, the newest are in hand."""
    responded = ctx.after(created, min_hours=0.2, max_hours=30)
    resolved = ctx.after(responded, min_hours=1, max_hours=24 * 5)
    closed = ctx.after(resolved, min_hours=24, max_hours=24 * 7)
    in_hand = (ctx.now - created) < (ctx.now - ctx.start) * _IN_HAND_SHARE or (ctx.now - created).days < 14
    if not in_hand and closed < ctx.now:
        return TicketStatus.CLOSED, responded, resolved, closed
    status = ctx.rng.choices(_IN_HAND_STATUSES, _IN_HAND_WEIGHTS)[0]
    if status == TicketStatus.RESOLVED and resolved < ctx.now:
        return TicketStatus.RESOLVED, responded, resolved, None
    if status != TicketStatus.OPEN and responded < ctx.now:
        return TicketStatus.IN_PROGRESS, responded, None, None
    return TicketStatus.OPEN, None, None, None


def _comment_rows(ctx: DemoContext, ticket: TicketRef) -> list[tuple]:
    rows = []
    moment = ticket.created_at
    answered = ticket.assignee_id is not None and ticket.first_response_at is not None
    for turn in range(ctx.rng.randint(1, 5) if answered else 1):
        # The requester writes when raising the ticket; the first agent reply, seen by the client, is the
        # ticket's first response; the turns alternate from there.
        if turn == 1 and ticket.first_response_at is not None:
            moment = ticket.first_response_at
        elif turn > 0:
            moment = ctx.after(moment, min_hours=0.1, max_hours=20)
        staff_turn = turn % 2 == 1 and answered
        internal = staff_turn and turn > 1 and ctx.rng.random() < 0.3
        author = ticket.assignee_id if staff_turn else ticket.requester_id
        body = ctx.pick(INTERNAL_NOTES) if internal else ctx.pick(AGENT_REPLIES if staff_turn else CLIENT_MESSAGES)
        (pk,) = ctx.writer.reserve(TicketComment, 1)
        rows.append((pk, ticket.id, author, body, internal, moment, moment))
    return rows
