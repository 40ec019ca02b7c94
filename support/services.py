"""Writes and rules of the support desk: assignment, the status workflow, replies and internal notes.

Every change to a ticket or its conversation goes through here, in one transaction with the notifications
it causes (``Notification`` rows; delivering them is the notification job's). Row changes are audited by
the capture triggers.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationChannel
from accounts.rbac_catalog import ASSIGN_TICKET, CHANGE_TICKET, VIEW_INTERNAL_COMMENTS, VIEW_TICKET
from accounts.services.notifications import notifications_create
from core.derived_grants import DerivedGrants
from support.models import SupportTicket, SupportTicketUserObjectPermission, TicketComment, TicketStatus
from support.workflow import may_follow, next_statuses

# What an assignee may do on the ticket they work on, and loses when it is handed to someone else: the
# grants follow `assignee` on every write (this service, the admin, `owned_rows_update`), registered in
# `SupportConfig.ready` (see core.derived_grants).
TICKET_ASSIGNEE_GRANTS = DerivedGrants(
    model=SupportTicket,
    owner="assignee",
    permissions=(VIEW_TICKET, CHANGE_TICKET),
    grants=SupportTicketUserObjectPermission,
)


@transaction.atomic
def ticket_assign(*, ticket: SupportTicket, assignee, actor) -> SupportTicket:
    """Hands ``ticket`` to ``assignee`` (or unassigns it with ``None``).

    The new assignee gains view/change on the ticket and the previous one loses them
    (``TICKET_ASSIGNEE_GRANTS``); the change is audited. Raises ``PermissionDenied`` if ``actor`` may not
    assign tickets, ``ValidationError`` if the assignee is not an active staff member.
    """
    if not actor.has_perm(ASSIGN_TICKET, ticket):
        raise PermissionDenied("You may not assign support tickets.")
    if assignee is not None and not (assignee.is_staff and assignee.is_active and not assignee.is_suspended):
        raise ValidationError("Tickets can only be assigned to active staff members.")
    ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assignee == assignee:
        return ticket
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    return ticket


@transaction.atomic
def ticket_status_change(*, ticket: SupportTicket, status: str, actor) -> SupportTicket:
    """Moves ``ticket`` to ``status`` along the workflow (``support.workflow``), stamping what the move
    stamps, and tells the requester. Raises ``PermissionDenied`` when ``actor`` may not change this ticket,
    ``ValidationError`` for a move the workflow does not allow (CLOSED is final)."""
    if not actor.has_perm(CHANGE_TICKET, ticket):
        raise PermissionDenied(_("You may not change this ticket."))
    ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
    if not may_follow(ticket.status, status):
        raise ValidationError(_transition_refusal(ticket.status, status), code="transition")
    _move(ticket, status)
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
    _tell_requester_of_status(ticket)
    return ticket


@transaction.atomic
def ticket_reply(*, ticket: SupportTicket, author, body: str, is_internal: bool = False) -> TicketComment:
    """Adds a reply (or, for staff, an internal note) to ``ticket`` and returns it.

    - The requester replies to their own ticket only, and never writes an internal note; a reply of
      theirs to a RESOLVED ticket reopens it (back in progress) and tells the assignee.
    - Staff need "change" on the ticket; an internal note also needs the right to read internal notes.
      Their first reply the client can see stamps ``first_response_at``, and each such reply tells the
      requester. An internal note tells nobody outside the desk.
    - Refused (``ValidationError``, nothing written): a CLOSED ticket, an empty body, one longer than
      ``SUPPORT_COMMENT_MAX_LENGTH`` characters, one holding NUL or other control characters.
    """
    body = _checked_body(body)
    locked = SupportTicket.objects.select_for_update(of=("self",)).select_related("requester", "assignee")
    ticket = locked.get(pk=ticket.pk)
    from_requester = author.pk == ticket.requester_id
    if from_requester and is_internal:
        raise ValidationError(_("Internal notes are written by the support team only."), code="internal")
    if not from_requester and not author.has_perm(CHANGE_TICKET, ticket):
        raise PermissionDenied(_("You may not reply to this ticket."))
    if is_internal and not author.has_perm(VIEW_INTERNAL_COMMENTS):
        raise PermissionDenied(_("You may not write internal notes."))
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(_("This ticket is closed; open a new one to continue."), code="closed")
    comment = TicketComment.objects.create(ticket=ticket, author=author, body=body, is_internal=is_internal)
    if is_internal:
        return comment
    changed = ["updated_at"]
    if from_requester:
        if ticket.status == TicketStatus.RESOLVED:
            _move(ticket, TicketStatus.IN_PROGRESS)
            changed += ["status", "resolved_at"]
        notifications_create(
            users=[ticket.assignee],
            title=_("%(reference)s: the client replied") % {"reference": ticket.reference},
            body=ticket.subject,
        )
    else:
        if ticket.first_response_at is None:
            ticket.first_response_at = comment.created_at
            changed.append("first_response_at")
        notifications_create(
            users=[ticket.requester],
            title=_("New reply on your ticket %(reference)s") % {"reference": ticket.reference},
            body=ticket.subject,
            channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
        )
    ticket.save(update_fields=changed)
    return comment


def tickets_auto_close(*, now=None, batch_size: int = 500) -> int:
    """Closes RESOLVED tickets resolved more than ``SUPPORT_AUTO_CLOSE_DAYS`` ago (the client had that long
    to reply and reopen them), telling each requester; returns how many. Each ticket is locked and
    re-read, so one a client reopened meanwhile stays open; batches commit on their own."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUPPORT_AUTO_CLOSE_DAYS)
    due = SupportTicket.objects.filter(status=TicketStatus.RESOLVED, resolved_at__lt=cutoff).order_by("resolved_at")
    closed = 0
    while ids := list(due.values_list("pk", flat=True)[:batch_size]):
        closed_now = 0
        with transaction.atomic():
            # A ticket someone is working on right now (locked) waits for the next run.
            tickets = SupportTicket.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                pk__in=ids, status=TicketStatus.RESOLVED, resolved_at__lt=cutoff
            )
            for ticket in tickets.select_related("requester"):
                _move(ticket, TicketStatus.CLOSED)
                ticket.save(update_fields=["status", "closed_at", "updated_at"])
                _tell_requester_of_status(ticket)
                closed_now += 1
        closed += closed_now
        if len(ids) < batch_size or not closed_now:
            break
    return closed


def _tell_requester_of_status(ticket: SupportTicket) -> None:
    notifications_create(
        users=[ticket.requester],
        title=_("Your ticket %(reference)s is now %(status)s")
        % {"reference": ticket.reference, "status": ticket.get_status_display().lower()},
        body=ticket.subject,
        channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
    )


def _move(ticket: SupportTicket, status: str) -> None:
    """Sets ``status`` and the timestamps the move stamps (``support.workflow``)."""
    now = timezone.now()
    ticket.status = status
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
    elif status == TicketStatus.IN_PROGRESS:
        ticket.resolved_at = None  # reopened: the resolution no longer holds


def _transition_refusal(current: str, new: str) -> str:
    labels = dict(TicketStatus.choices)
    if current == TicketStatus.CLOSED:
        return _("This ticket is closed; a closed ticket does not change any more.")
    allowed = ", ".join(str(labels[status]) for status in next_statuses(current))
    return _("A ticket that is %(current)s cannot become %(new)s; it can become: %(allowed)s.") % {
        "current": str(labels.get(current, current)).lower(),
        "new": str(labels.get(new, new)).lower(),
        "allowed": allowed.lower(),
    }


def _checked_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write something before sending."), code="empty")
    limit = settings.SUPPORT_COMMENT_MAX_LENGTH
    if len(body) > limit:
        raise ValidationError(
            _("The message is longer than %(limit)s characters; shorten it or attach a file.") % {"limit": limit},
            code="too_long",
        )
    if any(ord(character) < 32 and character not in "\n\r\t" for character in body):
        raise ValidationError(_("The message contains control characters."), code="control")
    return body
