"""Demo support tickets: closed and resolved history, and the desk's work in hand, with service-level
deadlines and conversations that fit each ticket's story.

Every ticket is a script of turns (the client chasing, answering or thanking; an agent's update, question or
fix; internal notes; resolving and closing) played through the desk's own rules (``support.services``,
``support.sla``) to give its columns: the first reply the client sees stamps ``first_response_at``; a
question to the client stops the resolution clock until they answer, the business time waited going to
``sla_paused_seconds``; resolving stops it for good; and the periodic breach check flags a running deadline
a few minutes after it passes.

The history is dated from the demo's ``now`` (today's midnight). The work in hand is placed in business time
back from the moment of seeding instead: whether a ticket is on track, at risk or overdue depends on the
clock it is read by, and the queue should open on each state whatever the hour or day of the seeding. The
random draws do not depend on that moment, so a seed gives the same stories, and the same history, all day
long; only the dates of the work in hand follow the clock.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from accounts.rbac_catalog import HANDLE_TICKET
from accounts.selectors import users_holding
from backoffice.demo_data.context import DemoContext, TicketRef
from backoffice.demo_data.vocabulary import INTERNAL_NOTES, TICKET_SUBJECTS
from support.models import ACTIVE_STATUSES, SupportHoliday, SupportTicket, TicketComment, TicketPriority, TicketStatus
from support.sla import (
    MAX_DAYS_WALKED,
    BusinessCalendar,
    SlaState,
    business_calendar,
    business_calendar_forget,
    deadlines_for,
    targets_for,
)

# Crockford's base32, as support.models.generate_ticket_reference uses; drawn from our seeded random
# source so references are reproducible.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_FIELDS = (
    "id", "reference", "subject", "description", "requester_id", "assignee_id", "status", "priority",
    "first_response_at", "resolved_at", "closed_at", "first_response_due_at", "resolution_due_at",
    "waiting_on_client_since", "sla_paused_seconds", "first_response_breached_at", "resolution_breached_at",
    "created_at", "updated_at",
)  # fmt: skip
COMMENT_FIELDS = ("id", "ticket_id", "author_id", "body", "is_internal", "created_at", "updated_at")
_PRIORITIES = (TicketPriority.LOW, TicketPriority.MEDIUM, TicketPriority.HIGH, TicketPriority.URGENT)
_PRIORITY_WEIGHTS = (30, 45, 20, 5)

HOUR = 3600
# How often the periodic breach check runs: a deadline passed longer ago is flagged, one passed since is not.
BREACH_CHECK_EVERY = timedelta(minutes=5)
# Business time keeping the work in hand clear of the edges between states, for a seeding and a first look.
_MARGIN = 10 * 60
# Among the history, the share of tickets answered late, and of those resolved late.
_LATE_SHARE = 0.12

# The turns of a conversation: the client's, the agent's (the first one acknowledges the ticket), an internal
# note, and the status moves.
CHASER, ANSWER, THANKS = "chaser", "answer", "thanks"
UPDATE, QUESTION, FIX, NOTE = "update", "question", "fix", "note"
RESOLVE, CLOSE = "resolve", "close"
_CLIENT_LINES = {
    CHASER: (
        "I tried again and it still does not work.",
        "Is there any news on this? We are still stuck.",
        "Could someone have a look? This is becoming urgent for us.",
    ),
    ANSWER: (
        "Here is the screenshot you asked for.",
        "I booked with the e-mail address of this account.",
        "It was last Tuesday's session, at 10:00 my time.",
    ),
    THANKS: ("Thank you, it works now.", "Thanks, that settles it for us."),
}
_AGENT_LINES = {
    UPDATE: (
        "Thanks for reaching out, we are looking into it.",
        "Thanks for the details, we are checking this now.",
        "We have escalated this to the finance team.",
    ),
    QUESTION: (
        "Could you send us a screenshot of the error?",
        "Which e-mail address did you book with?",
        "Could you tell us the date of the session concerned?",
    ),
    FIX: (
        "This has been fixed on our side, please try again.",
        "The refund is on its way; it takes three to five working days.",
        "We have rescheduled the session and told the consultant.",
    ),
    NOTE: INTERNAL_NOTES,
}
_LINES = {**_CLIENT_LINES, **_AGENT_LINES}
_OPENING_DETAILS = (
    "I tried again this morning and it still does not work.",
    "Could you look into it as soon as possible?",
    "It is the first time this happens to me.",
    "Thank you in advance for your help.",
)

# The desk's work in hand: at least these (status, clock) stories at any scale, and more of the same kinds
# up to a share of all tickets. The rest is history, some of it still in hand when its script is not over.
_IN_HAND = (
    (TicketStatus.OPEN, SlaState.ON_TRACK),
    (TicketStatus.OPEN, SlaState.ON_TRACK),
    (TicketStatus.OPEN, SlaState.AT_RISK),
    (TicketStatus.OPEN, SlaState.OVERDUE),
    (TicketStatus.IN_PROGRESS, SlaState.ON_TRACK),
    (TicketStatus.IN_PROGRESS, SlaState.ON_TRACK),
    (TicketStatus.IN_PROGRESS, SlaState.AT_RISK),
    (TicketStatus.IN_PROGRESS, SlaState.OVERDUE),
    (TicketStatus.IN_PROGRESS, SlaState.PAUSED),
    (TicketStatus.IN_PROGRESS, SlaState.PAUSED),
    (TicketStatus.RESOLVED, SlaState.MET),
    (TicketStatus.RESOLVED, SlaState.MET),
)
_IN_HAND_SHARE = 0.06

# (business seconds after the opening, turn, what it says)
_Step = tuple[float, str, str]


class _Turn(NamedTuple):
    at: datetime
    kind: str
    body: str


@dataclass(frozen=True)
class _Desk:
    """What every ticket of the run is played against."""

    calendar: BusinessCalendar
    present: datetime
    at_risk_seconds: int
    auto_close: timedelta
    agents: list[int]  # staff who may be assigned tickets today

    @classmethod
    def create(cls, ctx: DemoContext) -> "_Desk":
        agents = users_holding(HANDLE_TICKET).filter(pk__in=ctx.staff_ids, is_staff=True)
        return cls(
            calendar=business_calendar(),
            present=timezone.now().replace(microsecond=0),
            at_risk_seconds=settings.SUPPORT_SLA_AT_RISK_MINUTES * 60,
            auto_close=timedelta(days=settings.SUPPORT_AUTO_CLOSE_DAYS),
            agents=sorted(agents.values_list("pk", flat=True)) or ctx.staff_ids,
        )


@dataclass
class _Story:
    """One ticket as scripted, with every random choice already made."""

    reference: str
    requester: int
    subject: str
    description: str
    priority: str
    opened: datetime
    turns: list[_Turn]
    agent_draw: float  # picks the assignee once the outcome says from whom
    breach_lag: timedelta  # how long after a deadline the breach check ran


def seed_support_desk(ctx: DemoContext) -> None:
    """``plan.tickets`` tickets from clients and consultants with their conversations: closed and resolved
    history, and the work in hand in every service-level state (see the module's docstring)."""
    _holidays_seed(ctx)
    desk = _Desk.create(ctx)
    taken = set(SupportTicket.objects.values_list("reference", flat=True))
    in_hand = min(ctx.plan.tickets, max(len(_IN_HAND), round(ctx.plan.tickets * _IN_HAND_SHARE)))
    kinds = [*_IN_HAND, *(ctx.pick(_IN_HAND) for _ in range(in_hand - len(_IN_HAND)))][:in_hand]
    stories = [_in_hand_story(ctx, desk, status, state, taken) for status, state in kinds]
    stories += [_history_story(ctx, desk, taken) for _ in range(ctx.plan.tickets - in_hand)]
    # Keys in the order of opening, as a live desk numbers its tickets.
    stories.sort(key=lambda story: story.opened)
    ids = ctx.writer.reserve(SupportTicket, len(stories))
    ctx.ids["support.supportticket"] = ids
    rows, comments = [], []
    for pk, story in zip(ids, stories, strict=True):
        row, ticket_comments = _ticket_rows(ctx, desk, pk, story)
        rows.append(row)
        comments += ticket_comments
    ctx.writer.write(SupportTicket, TICKET_FIELDS, rows)
    comment_ids = ctx.writer.reserve(TicketComment, len(comments))
    ctx.ids["support.ticketcomment"] = comment_ids
    ctx.writer.write(TicketComment, COMMENT_FIELDS, ((pk, *row) for pk, row in zip(comment_ids, comments, strict=True)))


# The desk's days off, by (month, day), every year the demo spans: staff edit the list in the admin.
_HOLIDAYS = ((1, 1, "New Year's Day"), (5, 1, "Labour Day"), (12, 25, "Christmas Day"), (12, 26, "Boxing Day"))


def _holidays_seed(ctx: DemoContext) -> None:
    """The desk's holidays from three years back to next year, before any deadline is counted."""
    years = range(ctx.now.year - 3, ctx.now.year + 2)
    SupportHoliday.objects.bulk_create(
        [SupportHoliday(day=date(year, month, day), name=name) for year in years for month, day, name in _HOLIDAYS],
        ignore_conflicts=True,
    )
    business_calendar_forget()


def _ticket_rows(ctx: DemoContext, desk: _Desk, pk: int, story: _Story) -> tuple[tuple, list[tuple]]:
    """The ticket's row, and its comments' rows without their keys."""
    clocks = _play(desk, story)
    if clocks.status == TicketStatus.OPEN:
        assignee = None  # nobody has picked it up yet
    else:
        pool = ctx.staff_ids if clocks.status == TicketStatus.CLOSED else desk.agents
        assignee = pool[int(story.agent_draw * len(pool))]
    ctx.tickets.append(TicketRef(pk, story.requester, assignee, story.opened, clocks.first_response_at))
    ctx.kpis.add("tickets_opened", story.opened.date())
    row = (
        pk, story.reference, story.subject, story.description, story.requester, assignee, clocks.status,
        story.priority, clocks.first_response_at, clocks.resolved_at, clocks.closed_at,
        clocks.first_response_due_at, clocks.resolution_due_at, clocks.waiting_on_client_since,
        clocks.sla_paused_seconds, clocks.first_response_breached_at, clocks.resolution_breached_at,
        story.opened, clocks.updated_at,
    )  # fmt: skip
    comments = [
        (
            pk,
            story.requester if turn.kind in _CLIENT_LINES else assignee,
            turn.body,
            turn.kind == NOTE,
            turn.at,
            turn.at,
        )
        for turn in clocks.played
        if turn.kind in _LINES
    ]
    return row, comments


# Playing a script: the desk's rules, turn by turn.


@dataclass
class _Clocks:
    """A ticket's workflow and service-level columns as the desk's services would have left them."""

    first_response_due_at: datetime
    resolution_due_at: datetime
    updated_at: datetime
    status: str = TicketStatus.OPEN
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    waiting_on_client_since: datetime | None = None
    sla_paused_seconds: int = 0
    first_response_breached_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    # Since when the resolution deadline has been the one running (answered, not waiting on the client).
    running_since: datetime | None = None
    played: list[_Turn] = field(default_factory=list)


def _play(desk: _Desk, story: _Story) -> _Clocks:
    """The columns ``story`` leaves at ``desk.present``: its turns up to then, through the desk's rules."""
    first_due, resolution_due = deadlines_for(opened_at=story.opened, priority=story.priority, calendar=desk.calendar)
    clocks = _Clocks(first_response_due_at=first_due, resolution_due_at=resolution_due, updated_at=story.opened)
    for turn in story.turns:
        if turn.at > desk.present:
            break
        _breaches_flag(clocks, before=turn.at, lag=story.breach_lag)
        _turn_apply(desk, story, clocks, turn)
        clocks.updated_at = turn.at
        clocks.played.append(turn)
    _breaches_flag(clocks, before=desk.present, lag=story.breach_lag)
    return clocks


def _turn_apply(desk: _Desk, story: _Story, clocks: _Clocks, turn: _Turn) -> None:
    if turn.kind in _CLIENT_LINES:
        _clock_resume(desk, story, clocks, turn.at)
    elif turn.kind in (UPDATE, QUESTION, FIX):
        if clocks.first_response_at is None:
            clocks.first_response_at = clocks.running_since = turn.at
            clocks.status = TicketStatus.IN_PROGRESS
        if turn.kind == QUESTION:
            clocks.waiting_on_client_since = clocks.waiting_on_client_since or turn.at
        else:
            _clock_resume(desk, story, clocks, turn.at)
    elif turn.kind == RESOLVE:
        clocks.status, clocks.resolved_at = TicketStatus.RESOLVED, turn.at
        clocks.waiting_on_client_since = clocks.waiting_on_client_since or turn.at
    elif turn.kind == CLOSE:
        clocks.status, clocks.closed_at = TicketStatus.CLOSED, turn.at


def _clock_resume(desk: _Desk, story: _Story, clocks: _Clocks, at: datetime) -> None:
    """As ``support.services._clock_resume``: the wait's business time pushes the resolution back."""
    if clocks.waiting_on_client_since is None:
        return
    clocks.sla_paused_seconds += desk.calendar.seconds_between(clocks.waiting_on_client_since, at)
    clocks.waiting_on_client_since, clocks.running_since = None, at
    clocks.first_response_due_at, clocks.resolution_due_at = deadlines_for(
        opened_at=story.opened,
        priority=story.priority,
        paused_seconds=clocks.sla_paused_seconds,
        calendar=desk.calendar,
    )


def _breaches_flag(clocks: _Clocks, *, before: datetime, lag: timedelta) -> None:
    """What ``support.services.tickets_sla_breaches_flag`` flags before ``before``, running ``lag`` after
    the deadline (or after the resolution clock started again, past it)."""
    if clocks.status not in ACTIVE_STATUSES:
        return
    if clocks.first_response_at is None:
        if clocks.first_response_breached_at is None and clocks.first_response_due_at + lag < before:
            clocks.first_response_breached_at = clocks.first_response_due_at + lag
    elif clocks.waiting_on_client_since is None and clocks.resolution_breached_at is None:
        flagged = max(clocks.resolution_due_at, clocks.running_since or clocks.first_response_at) + lag
        if flagged < before:
            clocks.resolution_breached_at = flagged


# Writing scripts. Times are business seconds after the opening; "running" times count the resolution
# clock, which a wait on the client stops, so a turn after a wait lies that much later.


def _history_story(ctx: DemoContext, desk: _Desk, taken: set[str]) -> _Story:
    """A ticket opened over the last two years, answered and resolved (now and then late) and closed by
    staff or by the nightly job; the newest may not have got that far yet."""
    priority = _priority(ctx)
    first, resolution = targets_for(priority)
    answered = _on_time_or_late(ctx, first, on_time=(0.05, 0.9))
    solved = max(_on_time_or_late(ctx, resolution, on_time=(0.15, 0.95)), answered + HOUR)
    steps = _resolved_steps(ctx, answered=answered, solved=solved, asked_by=min(solved, resolution))
    closed_after = (
        timedelta(hours=ctx.rng.uniform(1, 48))
        if ctx.rng.random() < 0.35
        else desk.auto_close + timedelta(hours=ctx.rng.uniform(0.5, 24))
    )
    opened = ctx.growing_moment(ctx.start, ctx.now - timedelta(hours=1))
    story = _story(ctx, desk, priority, opened, steps, taken)
    resolved = next(turn for turn in story.turns if turn.kind == RESOLVE)
    story.turns.append(_Turn(resolved.at + closed_after, CLOSE, ""))
    return story


def _in_hand_story(ctx: DemoContext, desk: _Desk, status: str, state: str, taken: set[str]) -> _Story:
    """A ticket in ``status`` whose clock reads ``state`` at the moment of seeding."""
    # A clock on track stays out of the at-risk window for a while, so its target must be longer than that.
    longer_than = desk.at_risk_seconds + 4 * _MARGIN if state == SlaState.ON_TRACK else 0
    priority = _priority(ctx, longer_than=longer_than, of_resolution=status != TicketStatus.OPEN)
    first, resolution = targets_for(priority)
    if status == TicketStatus.OPEN:
        age, steps = _unanswered_steps(ctx, first - _left(ctx, desk, first, state))
    elif status == TicketStatus.RESOLVED:
        answered, solved = first * ctx.rng.uniform(0.1, 0.8), resolution * ctx.rng.uniform(0.2, 0.9)
        steps = _resolved_steps(ctx, answered=min(answered, solved / 2), solved=solved, asked_by=solved)
        age = max(offset for offset, _, _ in steps) + ctx.rng.uniform(0.2, 16) * HOUR
    elif state == SlaState.PAUSED:
        age, steps = _waiting_steps(ctx, first, resolution)
    else:
        age, steps = _working_steps(ctx, first, resolution, elapsed=resolution - _left(ctx, desk, resolution, state))
    opened = _business_ago(desk.calendar, desk.present, round(age))
    return _story(ctx, desk, priority, opened, steps, taken)


def _story(
    ctx: DemoContext, desk: _Desk, priority: str, opened: datetime, steps: list[_Step], taken: set[str]
) -> _Story:
    subject = ctx.pick(TICKET_SUBJECTS)
    opening = subject if subject.endswith(("?", ".", "!")) else f"{subject}."
    return _Story(
        reference=_reference(ctx, taken),
        requester=ctx.pick(ctx.client_ids) if ctx.rng.random() < 0.85 else ctx.pick(ctx.consultants).user_id,
        subject=subject,
        description=f"{opening} {ctx.pick(_OPENING_DETAILS)}",
        priority=priority,
        opened=opened,
        turns=_timed(desk.calendar, opened, steps),
        agent_draw=ctx.rng.random(),
        breach_lag=timedelta(seconds=ctx.rng.uniform(20, BREACH_CHECK_EVERY.total_seconds())),
    )


def _unanswered_steps(ctx: DemoContext, age: float) -> tuple[float, list[_Step]]:
    """Nobody has answered yet; a client kept waiting for hours chases."""
    steps = [_say(ctx, age * ctx.rng.uniform(0.6, 0.95), CHASER)] if age > 3 * HOUR else []
    return age, steps


def _working_steps(ctx: DemoContext, first: float, resolution: float, *, elapsed: float) -> tuple[float, list[_Step]]:
    """Answered, perhaps a question the client has answered, the resolution clock at ``elapsed``."""
    answered = min(first * ctx.rng.uniform(0.1, 0.8), elapsed * ctx.rng.uniform(0.2, 0.5))
    steps = [_say(ctx, answered, UPDATE)]
    if ctx.rng.random() < 0.4:
        steps.append(_say(ctx, ctx.rng.uniform(answered, elapsed), NOTE))
    if elapsed > resolution:
        steps.append(_say(ctx, ctx.rng.uniform(max(answered, resolution), elapsed), CHASER))
    waited = 0.0
    if ctx.rng.random() < 0.5:
        asked = answered + (min(elapsed, resolution) - answered) * ctx.rng.uniform(0.2, 0.7)
        steps, waited = _with_wait(ctx, steps, asked=asked, waited=ctx.rng.uniform(0.5, 8) * HOUR)
    return elapsed + waited, steps


def _waiting_steps(ctx: DemoContext, first: float, resolution: float) -> tuple[float, list[_Step]]:
    """The agent's last reply asks the client something, and the client has not answered yet."""
    asked = resolution * ctx.rng.uniform(0.1, 0.6)
    answered = first * ctx.rng.uniform(0.1, 0.8)
    steps = [_say(ctx, answered, UPDATE)] if answered < asked else []
    steps.append(_say(ctx, asked, QUESTION))
    age = asked + ctx.rng.uniform(0.3, 20) * HOUR
    if ctx.rng.random() < 0.3:
        steps.append(_say(ctx, ctx.rng.uniform(asked, age), NOTE))
    return age, steps


def _resolved_steps(ctx: DemoContext, *, answered: float, solved: float, asked_by: float) -> list[_Step]:
    """Answered at ``answered``, perhaps a question (asked before ``asked_by``) and its answer, perhaps a
    note, then a fix, perhaps the client's thanks, and resolved at running time ``solved``."""
    fixed = solved - (solved - answered) * ctx.rng.uniform(0.05, 0.3)
    steps = [_say(ctx, answered, UPDATE), _say(ctx, fixed, FIX)]
    if ctx.rng.random() < 0.35:
        steps.append(_say(ctx, ctx.rng.uniform(answered, fixed), NOTE))
    if ctx.rng.random() < 0.5:
        steps.append(_say(ctx, (fixed + solved) / 2, THANKS))
    steps.append((solved, RESOLVE, ""))
    # A question is asked while the resolution target still runs, so no flagged deadline moves past its flag.
    latest_question = min(asked_by, fixed)
    if ctx.rng.random() < 0.4 and latest_question > answered:
        asked = answered + (latest_question - answered) * ctx.rng.uniform(0.1, 0.6)
        steps, _ = _with_wait(ctx, steps, asked=asked, waited=ctx.rng.uniform(0.5, 16) * HOUR)
    return steps


def _with_wait(ctx: DemoContext, steps: list[_Step], *, asked: float, waited: float) -> tuple[list[_Step], float]:
    """``steps`` (in running time) with a question at ``asked`` answered ``waited`` later, every later turn
    moved back by the wait; and the wait."""
    moved = [(at + waited if at > asked else at, kind, body) for at, kind, body in steps]
    return [*moved, _say(ctx, asked, QUESTION), _say(ctx, asked + waited, ANSWER)], waited


def _say(ctx: DemoContext, at: float, kind: str) -> _Step:
    return at, kind, ctx.pick(_LINES[kind])


def _timed(calendar: BusinessCalendar, opened: datetime, steps: list[_Step]) -> list[_Turn]:
    """``steps`` as dated turns, in order, at least a minute apart."""
    turns, at, offset = [], opened, 0
    for step_offset, kind, body in sorted(steps, key=lambda step: step[0]):
        later = max(round(step_offset), offset + 60)
        at, offset = calendar.add(at, later - offset), later
        turns.append(_Turn(at, kind, body))
    return turns


def _priority(ctx: DemoContext, *, longer_than: float = 0, of_resolution: bool = False) -> str:
    """A priority by the usual weights, among those whose first-response (or resolution) target is longer
    than ``longer_than`` business seconds; among all if none is."""
    weighted = [
        (priority, weight)
        for priority, weight in zip(_PRIORITIES, _PRIORITY_WEIGHTS, strict=True)
        if targets_for(priority)[of_resolution] > longer_than
    ] or list(zip(_PRIORITIES, _PRIORITY_WEIGHTS, strict=True))
    priorities, weights = zip(*weighted, strict=True)
    return ctx.rng.choices(priorities, weights)[0]


def _left(ctx: DemoContext, desk: _Desk, target: float, state: str) -> float:
    """Business seconds left on a running clock of ``target`` that reads ``state`` (negative once overdue)."""
    if state == SlaState.OVERDUE:
        return -ctx.rng.uniform(1.5 * _MARGIN, 8 * HOUR)
    if state == SlaState.AT_RISK:
        edge = min(desk.at_risk_seconds, target)
        low = min(_MARGIN, edge / 4)
        return ctx.rng.uniform(low, edge - low)
    low = desk.at_risk_seconds + 3 * _MARGIN
    return ctx.rng.uniform(low, max(low, target - _MARGIN))


def _on_time_or_late(ctx: DemoContext, target: float, *, on_time: tuple[float, float]) -> float:
    late = ctx.rng.random() < _LATE_SHARE
    return target * (ctx.rng.uniform(1.05, 1.6) if late else ctx.rng.uniform(*on_time))


def _business_ago(calendar: BusinessCalendar, moment: datetime, seconds: int) -> datetime:
    """The latest whole second from which ``seconds`` of business time have passed by ``moment``: the
    inverse of ``calendar.add``, found by bisection. Raises ``ValueError`` when the desk does not open for
    that long in the ``MAX_DAYS_WALKED`` before ``moment``."""
    if seconds <= 0:
        return moment

    def gathered(back: int) -> int:
        return calendar.seconds_between(moment - timedelta(seconds=back), moment)

    low, high = 0, seconds  # gathered(low) < seconds <= gathered(high), once high is found
    while gathered(high) < seconds:
        low, high = high, 2 * high
        if high > MAX_DAYS_WALKED * 86_400:
            raise ValueError(f"The desk has not opened for {seconds} s in the years before {moment.isoformat()}.")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if gathered(middle) >= seconds else (middle, high)
    return moment - timedelta(seconds=high)


def _reference(ctx: DemoContext, taken: set[str]) -> str:
    while True:
        chars = "".join(ctx.rng.choices(_REFERENCE_ALPHABET, k=8))
        reference = f"TCK-{chars[:4]}-{chars[4:]}"
        if reference not in taken:
            taken.add(reference)
            return reference
