"""Writes and rules of the support desk."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.rbac_catalog import ASSIGN_TICKET, CHANGE_TICKET, VIEW_TICKET
from core.derived_grants import DerivedGrants
from support.models import SupportTicket, SupportTicketUserObjectPermission

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
