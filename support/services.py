"""Writes and rules of the support desk."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from support.models import SupportTicket

# What an assignee may do on the ticket they work on, and loses when it is handed to someone else.
ASSIGNEE_PERMISSIONS = ("support.view_supportticket", "support.change_supportticket")


@transaction.atomic
def ticket_assign(*, ticket: SupportTicket, assignee, actor) -> SupportTicket:
    """Hands ``ticket`` to ``assignee`` (or unassigns it with ``None``).

    The new assignee gains view/change on the ticket, the previous one loses them; the change is
    audited. Raises ``PermissionDenied`` if ``actor`` may not assign tickets, ``ValidationError`` if the
    assignee is not an active staff member.
    """
    if not actor.has_perm("support.assign_supportticket", ticket):
        raise PermissionDenied("You may not assign support tickets.")
    if assignee is not None and not (assignee.is_staff and assignee.is_active and not assignee.is_suspended):
        raise ValidationError("Tickets can only be assigned to active staff members.")
    ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
    previous = ticket.assignee
    if previous == assignee:
        return ticket
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    for permission in ASSIGNEE_PERMISSIONS:
        if previous is not None:
            remove_perm(permission, previous, ticket)
        if assignee is not None:
            assign_perm(permission, assignee, ticket)
    return ticket
