"""Support desk: tickets raised by users and the conversation on them."""

import re
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from core.models import TimeStampedModel


class TicketStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    RESOLVED = "RESOLVED", _("Resolved")
    CLOSED = "CLOSED", _("Closed")


class TicketPriority(models.TextChoices):
    LOW = "LOW", _("Low")
    MEDIUM = "MEDIUM", _("Medium")
    HIGH = "HIGH", _("High")
    URGENT = "URGENT", _("Urgent")


# Crockford's base32 without look-alike characters, so a reference read over the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# A reference as `generate_ticket_reference` writes it; pages look one up only when it has this shape.
TICKET_REFERENCE = re.compile(r"TCK-[0-9A-Z]{4}-[0-9A-Z]{4}", re.ASCII)


def is_ticket_reference(text: str) -> bool:
    """Whether ``text`` (in any case: one read over the phone may be typed in lower case) is shaped like a
    ticket reference."""
    return TICKET_REFERENCE.fullmatch(text.upper()) is not None


def generate_ticket_reference() -> str:
    """A new human-readable reference such as ``TCK-7M3Q-K9PX`` (uniqueness enforced by the database)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"TCK-{chars[:4]}-{chars[4:]}"


# Tickets still needing work: their service-level clocks run (support.sla).
ACTIVE_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.IN_PROGRESS})


class SupportTicketQuerySet(models.QuerySet):
    def open(self):
        """Tickets still needing work: open or in progress."""
        return self.filter(status__in=ACTIVE_STATUSES)


class SupportTicket(TimeStampedModel):
    reference = models.CharField(
        verbose_name=_("reference"), max_length=20, unique=True, default=generate_ticket_reference, editable=False
    )
    subject = models.CharField(verbose_name=_("subject"), max_length=200)
    description = models.TextField(verbose_name=_("description"))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    priority = models.CharField(
        verbose_name=_("priority"), max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    first_response_at = models.DateTimeField(verbose_name=_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    # Service levels (support.sla): the deadlines are set by the services from the ticket's priority and
    # the desk's business hours; time waiting on the client (since `waiting_on_client_since`) does not
    # count towards resolution and is added to `sla_paused_seconds` when the client answers.
    first_response_due_at = models.DateTimeField(verbose_name=_("first response due at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(verbose_name=_("resolution due at"), null=True, blank=True)
    waiting_on_client_since = models.DateTimeField(verbose_name=_("waiting on the client since"), null=True, blank=True)
    sla_paused_seconds = models.PositiveIntegerField(verbose_name=_("business seconds paused"), default=0, db_default=0)
    # The next deadline the desk must meet, derived by the database from the row itself (so no write path
    # can leave it stale): the first response while none was given, then the resolution unless paused;
    # none once resolved or closed. The queue's "overdue" and "at risk" are ranges on it.
    sla_due_at = models.GeneratedField(
        verbose_name=_("next deadline"),
        expression=models.Case(
            models.When(
                models.Q(status__in=["OPEN", "IN_PROGRESS"], first_response_at__isnull=True),
                then=models.F("first_response_due_at"),
            ),
            models.When(
                models.Q(status__in=["OPEN", "IN_PROGRESS"], waiting_on_client_since__isnull=True),
                then=models.F("resolution_due_at"),
            ),
            default=None,
        ),
        output_field=models.DateTimeField(null=True, blank=True),
        db_persist=True,
    )
    # Set once each, by the periodic breach check, which tells the assignee and a supervisor.
    first_response_breached_at = models.DateTimeField(
        verbose_name=_("first response breached at"), null=True, blank=True
    )
    resolution_breached_at = models.DateTimeField(verbose_name=_("resolution breached at"), null=True, blank=True)

    objects = SupportTicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TicketStatus.values), name="support_ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=TicketPriority.values), name="support_ticket_priority_valid"
            ),
        ]
        indexes = [
            # The staff queue: tickets by status and priority, newest first.
            models.Index(fields=["status", "priority", "-created_at"], name="support_ticket_queue_idx"),
            # An agent's own queue.
            models.Index(fields=["assignee", "status"], name="support_ticket_assignee_idx"),
            # Open tickets by age: the queue's oldest-first view of what is still open.
            models.Index(
                fields=["created_at"],
                name="support_ticket_open_age_idx",
                condition=models.Q(status__in=["OPEN", "IN_PROGRESS"]),
            ),
            # The queue's deadlines: overdue and at-risk tickets, and the queue ordered by what is due first.
            models.Index(
                fields=["sla_due_at"], name="support_ticket_sla_due_idx", condition=models.Q(sla_due_at__isnull=False)
            ),
            # The help center's list: one requester's tickets, newest first.
            models.Index(fields=["requester", "-created_at"], name="support_ticket_requester_idx"),
        ]

    def __str__(self):
        return f"{self.reference} · {self.subject}"


class TicketComment(TimeStampedModel):
    """A reply or an internal note on a ticket. Clients never see internal notes."""

    ticket = models.ForeignKey(
        SupportTicket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="ticket_comments"
    )
    body = models.TextField(verbose_name=_("body"))
    is_internal = models.BooleanField(verbose_name=_("is internal"), default=False)

    class Meta:
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="support_comment_thread_idx")]

    def __str__(self):
        return gettext("Comment #%(id)s on %(ticket)s") % {"id": self.pk, "ticket": self.ticket_id}


class SupportHoliday(models.Model):
    """A day the support desk is closed: no business hours count on it (support.sla). Staff keep the list
    in the admin; deadlines already set keep their dates."""

    day = models.DateField(verbose_name=_("day"), unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=100)

    class Meta:
        verbose_name = _("support holiday")
        verbose_name_plural = _("support holidays")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} · {self.name}"


# Per-object permissions with a real foreign key (see consultants.models.BookingUserObjectPermission).
class SupportTicketUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SupportTicket, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("support ticket user object permission")
        verbose_name_plural = _("support ticket user object permissions")
        abstract = False
