"""Reads of the support desk, scoped to what the asking user may see."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.rbac_catalog import HANDLE_TICKET
from accounts.selectors import objects_visible_to, users_holding
from attachments.models import FileAttachment, FileOwnerType
from auditing.selectors import entity_history
from support.access import may_read_internal_notes
from support.models import SupportTicket, TicketComment

# What a queue row shows; the rest of a ticket (its description above all) stays in the database.
QUEUE_COLUMNS = (
    "id", "reference", "subject", "status", "priority", "created_at", "updated_at", "first_response_at",
    "first_response_due_at", "resolution_due_at", "waiting_on_client_since", "resolved_at", "sla_due_at",
    "requester__id", "requester__full_name", "requester__email",
    "assignee__id", "assignee__full_name", "assignee__email",
)  # fmt: skip
# How the queue may be ordered: (column, descending). "Due first" lists the tickets with a running clock.
QUEUE_ORDERS = {"newest": ("created_at", True), "oldest": ("created_at", False), "due": ("sla_due_at", False)}
ACTIVITY_LIMIT = 30


def tickets_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[SupportTicket]:
    """Every ticket for holders of the model-wide view permission; otherwise those assigned to the user."""
    return objects_visible_to(user=user, queryset=queryset if queryset is not None else SupportTicket.objects.all())


def queue_rows(queryset: QuerySet[SupportTicket], *, order: str) -> QuerySet[SupportTicket]:
    """``queryset`` ready for a queue page in ``order`` (a key of ``QUEUE_ORDERS``)."""
    column, _descending = QUEUE_ORDERS[order]
    if column == "sla_due_at":
        queryset = queryset.filter(sla_due_at__isnull=False)
    return queryset.select_related("requester", "assignee").only(*QUEUE_COLUMNS)


def ticket_handlers() -> QuerySet[User]:
    """Whom tickets may be assigned to: active staff holding the right to handle tickets."""
    return users_holding(HANDLE_TICKET).filter(is_staff=True)


def ticket_thread(*, ticket: SupportTicket, user) -> list[TicketComment]:
    """The conversation on ``ticket`` as ``user`` may see it (internal notes only for who may read them),
    oldest first, each comment with its author and its files (``comment.files``)."""
    visible = ticket.comments.select_related("author")
    if not may_read_internal_notes(user, ticket):
        visible = visible.filter(is_internal=False)
    comments = list(visible.order_by("created_at", "id"))
    files_by_comment: dict[int, list[FileAttachment]] = {}
    if comments:
        files = FileAttachment.objects.filter(
            owner_type=FileOwnerType.TICKET_COMMENT, owner_id__in=[comment.pk for comment in comments]
        ).order_by("created_at", "id")
        for attachment in files:
            files_by_comment.setdefault(attachment.owner_id, []).append(attachment)
    for comment in comments:
        comment.files = files_by_comment.get(comment.pk, [])  # type: ignore[attr-defined]  # for the page
    return comments


def ticket_files(*, ticket: SupportTicket) -> list[FileAttachment]:
    """The ticket's own files (the opening message's and those added to the ticket), oldest first."""
    return list(
        FileAttachment.objects.filter(owner_type=FileOwnerType.TICKET, owner_id=ticket.pk).order_by("created_at", "id")
    )


def ticket_activity(*, ticket: SupportTicket) -> list:
    """The latest audited changes of the ticket row (status, priority, assignee, ...), newest first."""
    return list(
        entity_history(entity_type="support.supportticket", entity_id=str(ticket.pk)).order_by("-created_at", "-id")[
            :ACTIVITY_LIMIT
        ]
    )
