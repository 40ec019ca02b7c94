"""Support desk: tickets raised by users and the conversation on them."""

import secrets

from django.conf import settings
from django.db import models
from guardian.models import UserObjectPermissionBase

from core.models import TimeStampedModel


class TicketStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    RESOLVED = "RESOLVED", "Resolved"
    CLOSED = "CLOSED", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "LOW", "Low"
    MEDIUM = "MEDIUM", "Medium"
    HIGH = "HIGH", "High"
    URGENT = "URGENT", "Urgent"


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
    reference = models.CharField(max_length=20, unique=True, default=generate_ticket_reference, editable=False)
    subject = models.CharField(max_length=200)
    description = models.TextField()
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    priority = models.CharField(max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = SupportTicketQuerySet.as_manager()

    class Meta:
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
        ]

    def __str__(self):
        return f"{self.reference} · {self.subject}"


class TicketComment(TimeStampedModel):
    """A reply or an internal note on a ticket. Clients never see internal notes."""

    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ticket_comments")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="support_comment_thread_idx")]

    def __str__(self):
        return f"Comment #{self.pk} on {self.ticket_id}"


# Per-object permissions with a real foreign key (see consultants.models.BookingUserObjectPermission).
class SupportTicketUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SupportTicket, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
