"""Writes and rules of the support desk: assignment, the status workflow, replies and internal notes.

Every change to a ticket or its conversation goes through here, in one transaction with the notifications
it causes (``Notification`` rows; delivering them is the notification job's). Row changes are audited by
the capture triggers.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationChannel
from accounts.rbac_catalog import ADD_TICKET, ASSIGN_TICKET, CHANGE_TICKET, VIEW_INTERNAL_COMMENTS, VIEW_TICKET
from accounts.selectors import users_holding
from accounts.services.notifications import notifications_create
from attachments.models import FileOwnerType
from attachments.services import attachments_upload_all
from core.derived_grants import DerivedGrants
from core.feedback import refusal_text
from operations.system_settings import system_setting
from support import sla
from support.access import may_handle_tickets
from support.models import (
    SupportTicket,
    SupportTicketUserObjectPermission,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from support.workflow import may_follow, next_statuses

SUBJECT_MAX_LENGTH = SupportTicket._meta.get_field("subject").max_length
# Files one message (a new ticket, a reply, a note) may carry; more belong in an archive.
MESSAGE_MAX_FILES = 5

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
def ticket_open(
    *,
    requester,
    subject: str,
    description: str,
    priority: str = TicketPriority.MEDIUM,
    files: Sequence[File] = (),
) -> SupportTicket:
    """Opens a ticket for ``requester`` (with ``files`` attached to it) and returns it, its service-level
    deadlines set from ``priority`` and the desk's business hours (``support.sla``).

    Refused (``ValidationError``, nothing written, no file kept): a requester who may not open tickets or
    is not active, an empty or over-long subject or description, control characters, an unknown
    priority, a file the attachments' rules refuse.
    """
    if not (requester.is_active and not requester.is_suspended and requester.has_perm(ADD_TICKET)):
        raise PermissionDenied(_("You may not open support tickets."))
    subject = _checked_text(subject, limit=SUBJECT_MAX_LENGTH, single_line=True)
    description = _checked_text(description)
    if priority not in TicketPriority.values:
        raise ValidationError(_("Choose one of the offered priorities."), code="priority")
    now = timezone.now()
    first_response_due, resolution_due = sla.deadlines_for(opened_at=now, priority=priority)
    ticket = SupportTicket.objects.create(
        subject=subject,
        description=description,
        requester=requester,
        priority=priority,
        first_response_due_at=first_response_due,
        resolution_due_at=resolution_due,
    )
    _checked_file_count(files)
    attachments_upload_all(uploader=requester, owner_type=FileOwnerType.TICKET, owner_id=ticket.pk, files=files)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: SupportTicket, assignee, actor) -> SupportTicket:
    """Hands ``ticket`` to ``assignee`` (or unassigns it with ``None``) and tells the new assignee.

    The new assignee gains view/change on the ticket and the previous one loses them
    (``TICKET_ASSIGNEE_GRANTS``, and the database trigger of decision 0015); the change is audited.
    Raises ``PermissionDenied`` if ``actor`` may not assign tickets, ``ValidationError`` if the assignee
    is not an active staff member who may handle tickets, or the ticket is closed.
    """
    if not actor.has_perm(ASSIGN_TICKET, ticket):
        raise PermissionDenied(_("You may not assign support tickets."))
    if assignee is not None and not may_handle_tickets(assignee):
        raise ValidationError(
            _("Tickets can only be assigned to active staff members who handle tickets."), code="assignee"
        )
    ticket = SupportTicket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(_("This ticket is closed; a closed ticket does not change any more."), code="closed")
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    if assignee is not None and assignee.pk != actor.pk:
        notifications_create(
            users=[assignee],
            title=_("%(reference)s was assigned to you") % {"reference": ticket.reference},
            body=ticket.subject,
        )
    return ticket


@transaction.atomic
def ticket_priority_change(*, ticket: SupportTicket, priority: str, actor) -> SupportTicket:
    """Sets ``ticket``'s priority, moving its service-level deadlines to the new priority's targets
    (counted from when the ticket was opened, plus the time it waited on the client)."""
    if not actor.has_perm(CHANGE_TICKET, ticket):
        raise PermissionDenied(_("You may not change this ticket."))
    if priority not in TicketPriority.values:
        raise ValidationError(_("Choose one of the offered priorities."), code="priority")
    ticket = SupportTicket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.priority == priority:
        return ticket
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(_("This ticket is closed; a closed ticket does not change any more."), code="closed")
    ticket.priority = priority
    _deadlines_set(ticket)
    ticket.save(update_fields=["priority", "first_response_due_at", "resolution_due_at", "updated_at"])
    return ticket


@transaction.atomic
def ticket_status_change(*, ticket: SupportTicket, status: str, actor) -> SupportTicket:
    """Moves ``ticket`` to ``status`` along the workflow (``support.workflow``), stamping what the move
    stamps, and tells the requester. Raises ``PermissionDenied`` when ``actor`` may not change this ticket,
    ``ValidationError`` for a move the workflow does not allow (CLOSED is final)."""
    if not actor.has_perm(CHANGE_TICKET, ticket):
        raise PermissionDenied(_("You may not change this ticket."))
    ticket = SupportTicket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    if not may_follow(ticket.status, status):
        raise ValidationError(_transition_refusal(ticket.status, status), code="transition")
    _move(ticket, status)
    ticket.save(update_fields=[*MOVE_FIELDS, "updated_at"])
    _tell_requester_of_status(ticket)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: SupportTicket,
    author,
    body: str,
    is_internal: bool = False,
    wait_for_client: bool = False,
    files: Sequence[File] = (),
) -> TicketComment:
    """Adds a reply (or, for staff, an internal note) to ``ticket``, with ``files`` attached to it, and
    returns it.

    - The requester replies to their own ticket only, and never writes an internal note; their reply
      ends any wait on them (the resolution clock runs again) and reopens a RESOLVED ticket (back in
      progress); the assignee is told.
    - Staff need "change" on the ticket; an internal note also needs the right to read internal notes.
      Their first reply the client can see stamps ``first_response_at``, and each such reply tells the
      requester. With ``wait_for_client`` the reply asks the client something and the resolution clock
      stops until they answer. An internal note tells nobody outside the desk and changes no clock.
    - Refused (``ValidationError``, nothing written, no file kept): a CLOSED ticket, an empty body, one
      longer than ``SUPPORT_COMMENT_MAX_LENGTH`` characters, one holding NUL or other control characters,
      a file the attachments' rules refuse.
    """
    body = _checked_text(body)
    locked = SupportTicket.objects.select_for_update(of=("self",)).select_related("requester", "assignee")
    ticket = locked.get(pk=ticket.pk)
    from_requester = author.pk == ticket.requester_id
    if from_requester and (is_internal or wait_for_client):
        raise ValidationError(_("Internal notes are written by the support team only."), code="internal")
    if not from_requester and not author.has_perm(CHANGE_TICKET, ticket):
        raise PermissionDenied(_("You may not reply to this ticket."))
    if is_internal and not author.has_perm(VIEW_INTERNAL_COMMENTS):
        raise PermissionDenied(_("You may not write internal notes."))
    if is_internal and wait_for_client:
        raise ValidationError(_("An internal note cannot ask the client anything."), code="internal_wait")
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(_("This ticket is closed; open a new one to continue."), code="closed")
    _checked_file_count(files)
    comment = TicketComment.objects.create(ticket=ticket, author=author, body=body, is_internal=is_internal)
    attachments_upload_all(uploader=author, owner_type=FileOwnerType.TICKET_COMMENT, owner_id=comment.pk, files=files)
    if is_internal:
        return comment
    changed = {"updated_at", "waiting_on_client_since", "sla_paused_seconds", "resolution_due_at"}
    if from_requester:
        if ticket.status == TicketStatus.RESOLVED:
            _move(ticket, TicketStatus.IN_PROGRESS)
            changed.update(MOVE_FIELDS)
        else:
            _clock_resume(ticket, comment.created_at)
        notifications_create(
            users=[ticket.assignee],
            title=_("%(reference)s: the client replied") % {"reference": ticket.reference},
            body=ticket.subject,
        )
    else:
        if ticket.first_response_at is None:
            ticket.first_response_at = comment.created_at
            changed.add("first_response_at")
        if wait_for_client:
            _clock_pause(ticket, comment.created_at)
        else:
            _clock_resume(ticket, comment.created_at)
        notifications_create(
            users=[ticket.requester],
            title=_("New reply on your ticket %(reference)s") % {"reference": ticket.reference},
            body=ticket.subject,
            channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
        )
    ticket.save(update_fields=sorted(changed))
    return comment


# Bulk actions of the staff queue: each ticket through its own service, in its own savepoint, so one
# refusal (a ticket the workflow will not close, one the actor may not change) leaves the others done.
BULK_ASSIGN, BULK_PRIORITY, BULK_CLOSE = "assign", "priority", "close"


@dataclass
class BulkOutcome:
    done: list[str] = field(default_factory=list)  # references
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def tickets_bulk_change(*, tickets: Iterable[SupportTicket], action: str, actor, value=None) -> BulkOutcome:
    """Applies ``action`` (``BULK_ASSIGN`` to ``value`` (a user or None), ``BULK_PRIORITY`` to ``value``,
    or ``BULK_CLOSE``) to each of ``tickets`` through the one-ticket services, and says which were done and
    why the others were not."""
    outcome = BulkOutcome()
    for ticket in tickets:
        try:
            with transaction.atomic():
                if action == BULK_ASSIGN:
                    ticket_assign(ticket=ticket, assignee=value, actor=actor)
                elif action == BULK_PRIORITY:
                    ticket_priority_change(ticket=ticket, priority=value, actor=actor)
                elif action == BULK_CLOSE:
                    ticket_status_change(ticket=ticket, status=TicketStatus.CLOSED, actor=actor)
                else:
                    raise ValueError(f"unknown bulk action {action!r}")
        except (PermissionDenied, ValidationError) as refusal:
            outcome.refused.append((ticket.reference, refusal_text(refusal)))
        else:
            outcome.done.append(ticket.reference)
    return outcome


def tickets_sla_breaches_flag(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Flags, once each, the open tickets whose next service-level deadline has passed (the first response,
    or the resolution while not waiting on the client), telling the assignee and the desk's supervisors
    (who may assign tickets); returns how many deadlines were flagged. Locked rows wait for the next run."""
    now = now or timezone.now()
    unflagged = Q(first_response_at__isnull=True, first_response_breached_at__isnull=True) | Q(
        first_response_at__isnull=False, resolution_breached_at__isnull=True
    )
    due = SupportTicket.objects.filter(unflagged, sla_due_at__lt=now).order_by("sla_due_at")
    supervisors = None
    flagged = 0
    while ids := list(due.values_list("pk", flat=True)[:batch_size]):
        flagged_now = 0
        with transaction.atomic():
            locked = SupportTicket.objects.select_for_update(skip_locked=True, of=("self",))
            for ticket in locked.filter(unflagged, pk__in=ids, sla_due_at__lt=now).select_related("assignee"):
                if supervisors is None:
                    supervisors = ticket_supervisors()
                if ticket.first_response_at is None:
                    ticket.first_response_breached_at = now
                    what = _("%(reference)s missed its first-response target")
                else:
                    ticket.resolution_breached_at = now
                    what = _("%(reference)s missed its resolution target")
                ticket.save(update_fields=["first_response_breached_at", "resolution_breached_at"])
                notifications_create(
                    users=[ticket.assignee, *supervisors],
                    title=what % {"reference": ticket.reference},
                    body=ticket.subject,
                    channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
                )
                flagged_now += 1
        flagged += flagged_now
        if len(ids) < batch_size or not flagged_now:
            break
    return flagged


def ticket_supervisors() -> list:
    """The desk's supervisors: active staff who may assign tickets (those who run the queue)."""
    return list(users_holding(ASSIGN_TICKET).filter(is_staff=True))


def tickets_auto_close(*, now=None, batch_size: int = 500) -> int:
    """Closes RESOLVED tickets resolved more than ``support.auto_close_days`` ago (a system setting, by
    default ``SUPPORT_AUTO_CLOSE_DAYS``: the client had that long to reply and reopen them), telling each
    requester; returns how many. Each ticket is locked and re-read, so one a client reopened meanwhile stays
    open; batches commit on their own."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=system_setting("support.auto_close_days"))
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
                ticket.save(update_fields=[*MOVE_FIELDS, "updated_at"])
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


# The columns a status move may write.
MOVE_FIELDS = (
    "status",
    "resolved_at",
    "closed_at",
    "waiting_on_client_since",
    "sla_paused_seconds",
    "resolution_due_at",
)


def _move(ticket: SupportTicket, status: str) -> None:
    """Sets ``status`` and what the move stamps (``support.workflow``). Resolving stops the resolution
    clock (the ticket waits on the client to confirm); reopening starts it again."""
    now = timezone.now()
    ticket.status = status
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        _clock_pause(ticket, now)
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
    elif status == TicketStatus.IN_PROGRESS:
        ticket.resolved_at = None  # reopened: the resolution no longer holds
        _clock_resume(ticket, now)


def _clock_pause(ticket: SupportTicket, at: datetime) -> None:
    if ticket.waiting_on_client_since is None:
        ticket.waiting_on_client_since = at


def _clock_resume(ticket: SupportTicket, at: datetime) -> None:
    """Ends a wait on the client: its business time is added to the pauses, which push the resolution
    deadline back by as much."""
    if ticket.waiting_on_client_since is None:
        return
    calendar = sla.business_calendar()
    ticket.sla_paused_seconds += calendar.seconds_between(ticket.waiting_on_client_since, at)
    ticket.waiting_on_client_since = None
    _deadlines_set(ticket, calendar=calendar)


def _deadlines_set(ticket: SupportTicket, *, calendar=None) -> None:
    ticket.first_response_due_at, ticket.resolution_due_at = sla.deadlines_for(
        opened_at=ticket.created_at,
        priority=ticket.priority,
        paused_seconds=ticket.sla_paused_seconds,
        calendar=calendar,
    )


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


def _checked_file_count(files: Sequence[File]) -> None:
    if len(files) > MESSAGE_MAX_FILES:
        raise ValidationError(
            _("A message carries at most %(count)s files; put more in one archive.") % {"count": MESSAGE_MAX_FILES},
            code="too_many_files",
        )


def _checked_text(text: str, *, limit: int | None = None, single_line: bool = False) -> str:
    """``text`` without surrounding blanks; refused when empty, longer than ``limit`` characters
    (``SUPPORT_COMMENT_MAX_LENGTH`` by default) or holding control characters (line breaks and tabs
    are text, except in a ``single_line`` such as a subject)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write something before sending."), code="empty")
    limit = limit or settings.SUPPORT_COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise ValidationError(
            _("The text is longer than %(limit)s characters; shorten it or attach a file.") % {"limit": limit},
            code="too_long",
        )
    allowed = "" if single_line else "\n\r\t"
    if any((ord(character) < 32 and character not in allowed) or ord(character) == 127 for character in text):
        raise ValidationError(_("The text contains control characters."), code="control")
    return text
