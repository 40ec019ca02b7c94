"""The ticket workflow: which status may follow which, and what each status change stamps.

OPEN -> IN_PROGRESS -> RESOLVED -> CLOSED. A RESOLVED ticket goes back to work when the client replies
(or staff reopen it); CLOSED is final. The timestamps belong to the workflow: ``resolved_at`` is stamped
on resolving and cleared on reopening, ``closed_at`` stamped on closing, ``first_response_at`` by the
first reply the client can see (``support.services.ticket_reply``). Nobody types them.
"""

from support.models import TicketStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset(),
}


def may_follow(current: str, new: str) -> bool:
    """Whether a ticket in status ``current`` may move to ``new``."""
    return new in TRANSITIONS.get(current, frozenset())


def next_statuses(current: str) -> list[str]:
    """The statuses a ticket in ``current`` may move to, in workflow order."""
    return [status for status in TicketStatus.values if may_follow(current, status)]
