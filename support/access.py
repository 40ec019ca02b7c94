"""Who may see and do what on a ticket: the one place the staff pages, the help center, the services and
the attachments registry ask.

Staff reach a ticket through permissions: a role's grant covers every ticket, an assignee's per-object
grants (kept in step with the ``assignee`` column by the database, decision 0015) cover theirs. A client
reaches their own tickets as their requester, without any grant. Internal notes, and the files on them,
are for holders of ``support.view_internal_ticketcomment`` who may see the ticket, and never for the
ticket's requester: a client who also held the permission would still not see the notes on their own
ticket.
"""

from accounts.rbac_catalog import CHANGE_TICKET, HANDLE_TICKET, VIEW_INTERNAL_COMMENTS, VIEW_TICKET


def is_requester(user, ticket) -> bool:
    return bool(user.is_authenticated and user.pk == ticket.requester_id)


def may_view_ticket(user, ticket) -> bool:
    return is_requester(user, ticket) or user.has_perm(VIEW_TICKET, ticket)


def may_work_on_ticket(user, ticket) -> bool:
    """Staff who may change the ticket: reply, write notes, move its status and priority, attach files."""
    return user.has_perm(CHANGE_TICKET, ticket)


def may_read_internal_notes(user, ticket) -> bool:
    return (
        not is_requester(user, ticket) and user.has_perm(VIEW_INTERNAL_COMMENTS) and user.has_perm(VIEW_TICKET, ticket)
    )


def may_view_comment(user, comment, ticket) -> bool:
    if not may_view_ticket(user, ticket):
        return False
    return not comment.is_internal or may_read_internal_notes(user, ticket)


def may_add_files_to_ticket(user, ticket) -> bool:
    """The requester while the ticket is not closed (their first message's files), and staff who work on it."""
    from support.models import TicketStatus

    if is_requester(user, ticket):
        return ticket.status != TicketStatus.CLOSED
    return may_work_on_ticket(user, ticket)


def may_add_files_to_comment(user, comment, ticket) -> bool:
    """A comment's files come with it: its author attaches them, and only to a comment they may see."""
    return comment.author_id == user.pk and may_view_comment(user, comment, ticket)


def may_handle_tickets(user) -> bool:
    """Whom a ticket may be assigned to: active, unsuspended staff holding the right to handle tickets."""
    return bool(
        user.is_active and user.is_staff and not getattr(user, "is_suspended", False) and user.has_perm(HANDLE_TICKET)
    )


class _TicketFiles:
    """The attachments registry's policy for a ticket's own files (``attachments.owners``): the opening
    message's files and those staff add to the ticket; the requester sees them."""

    def may_see(self, user, ticket) -> bool:
        return may_view_ticket(user, ticket)

    def may_add(self, user, ticket) -> bool:
        return may_add_files_to_ticket(user, ticket)

    def may_delete(self, user, ticket) -> bool:
        return may_work_on_ticket(user, ticket)


class _CommentFiles:
    """The policy for the files of one reply or internal note: seen by who may see the comment (so an
    internal note's files never reach the client), added by its author with it, deleted by staff who
    work on the ticket."""

    def may_see(self, user, comment) -> bool:
        return may_view_comment(user, comment, comment.ticket)

    def may_add(self, user, comment) -> bool:
        return may_add_files_to_comment(user, comment, comment.ticket)

    def may_delete(self, user, comment) -> bool:
        return may_work_on_ticket(user, comment.ticket)


TICKET_FILES = _TicketFiles()
COMMENT_FILES = _CommentFiles()
