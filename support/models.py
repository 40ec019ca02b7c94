"""Support desk: tickets raised by users and the conversation on them."""

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


def generate_ticket_reference() -> str:
    """A new human-readable reference such as ``TCK-7M3Q-K9PX`` (uniqueness enforced by the database)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"TCK-{chars[:4]}-{chars[4:]}"


class SupportTicketQuerySet(models.QuerySet):
    def open(self):
        """Tickets still needing work: open or in progress."""
        return self.filter(status__in=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS])


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
            # Overdue tickets (open longer than SUPPORT_TICKET_OVERDUE_HOURS): the overview counts them.
            models.Index(
                fields=["created_at"],
                name="support_ticket_open_age_idx",
                condition=models.Q(status__in=["OPEN", "IN_PROGRESS"]),
            ),
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


# Per-object permissions with a real foreign key (see consultants.models.BookingUserObjectPermission).
class SupportTicketUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SupportTicket, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("support ticket user object permission")
        verbose_name_plural = _("support ticket user object permissions")
        abstract = False
