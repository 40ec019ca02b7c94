"""Service levels: ticket deadlines counted in the support desk's business hours.

A target such as "first response within 4 hours" means 4 hours while the desk is open: by
``SUPPORT_BUSINESS_HOURS`` in ``SUPPORT_TIME_ZONE``, and never on a day in the ``SupportHoliday`` table.
Opening times are wall-clock times on each local date, so a 09:00-17:00 day stays 09:00-17:00 on the
day the clocks change; deadlines are instants (aware, in UTC), which the database compares as such.

The arithmetic walks the calendar one local day at a time (O(days spanned), never minute by minute)
and gives up after ``MAX_DAYS_WALKED`` days, rather than loop for ever on a calendar that never opens.
"""

import functools
import itertools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formatting import seconds_as_duration
from operations.presentation import setting_value_text
from operations.system_settings import SETTINGS, system_setting
from support.models import ACTIVE_STATUSES, SupportHoliday, SupportTicket, TicketPriority

# "24:00": an interval closing at the end of its day. `time` stops at 23:59:59.999999, which is read
# as the next local midnight wherever an instant is built.
END_OF_DAY = time.max
# About eleven years: far beyond any target, and a bound on the walk when every day is a holiday.
MAX_DAYS_WALKED = 4000
# The holiday rows, shared by every process through Django's cache (see `business_calendar`).
HOLIDAYS_CACHE_KEY = "support:sla:holidays"
HOLIDAYS_CACHE_SECONDS = 60


_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)
_ONE_SECOND = timedelta(seconds=1)
_DAY_NUMBERS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class BusinessCalendar:
    """When the desk is open: a week of local opening intervals in ``time_zone``, minus whole local
    ``holidays``. ``week`` maps a weekday (0 is Monday) to its sorted, disjoint ``(opens, closes)``
    intervals; a day that is missing is closed, and ``END_OF_DAY`` closes at midnight.

    Every method takes and compares instants (aware datetimes); a naive one raises ``ValueError``
    rather than be read in the server's own zone.
    """

    time_zone: ZoneInfo
    week: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()
    # Business time per local day and per week (from a Monday), filled as `seconds_between` asks.
    _day_totals: dict[date, timedelta] = field(default_factory=dict, init=False, repr=False, compare=False)
    _week_totals: dict[date, timedelta] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Read-only copies, so a calendar shared by a whole request cannot be changed under it.
        object.__setattr__(
            self, "week", MappingProxyType({day: tuple(sorted(hours)) for day, hours in self.week.items()})
        )
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        _week_validate(self.week)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The first instant by which ``seconds`` of business time have passed since ``start`` (in UTC).

        Zero seconds is ``start`` itself, even outside opening hours: nothing has to happen yet. A
        result landing on a closing time is that closing time (8 hours from 09:00 is 17:00 the same
        day), so a deadline is always met by work done while the desk is open.
        Raises ``ValueError`` for negative seconds, and when no business hours come within
        ``MAX_DAYS_WALKED`` days (every day a holiday).
        """
        start = _utc(start)
        if seconds < 0:
            raise ValueError(f"Cannot add negative business time ({seconds} s).")
        if seconds == 0:
            return start
        left = timedelta(seconds=seconds)
        for opens, closes in self._spans(self._local_day(start) - _ONE_DAY, MAX_DAYS_WALKED):
            if closes <= start:
                continue
            opens = max(opens, start)
            if left <= closes - opens:
                return opens + left
            left -= closes - opens
        raise ValueError(f"The desk has no business hours in the {MAX_DAYS_WALKED} days after {start.isoformat()}.")

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Whole business seconds in ``[start, end)``; 0 when ``end`` is not after ``start``.

        The inverse of `add`: ``seconds_between(s, add(s, x)) == x`` for whole seconds ``x``. The first
        and last days are counted interval by interval; the whole days between come from totals kept per
        day and per week on this calendar, so a span of years (a ticket long overdue) costs a few hundred
        lookups, and the same days asked again by the next row of a page cost nothing.
        """
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0
        first, last = self._local_day(start), self._local_day(end)
        if (last - first).days < 3:
            return _overlap(self._spans(first - _ONE_DAY, (last - first).days + 3), start, end) // _ONE_SECOND
        total = _overlap(self._spans(first - _ONE_DAY, 2), start, end) + _overlap(self._spans(last, 2), start, end)
        day = first + _ONE_DAY
        while day < last:
            if day.weekday() == 0 and day + _ONE_WEEK <= last:
                total, day = total + self._week_total(day), day + _ONE_WEEK
            else:
                total, day = total + self._day_total(day), day + _ONE_DAY
        return total // _ONE_SECOND

    def _day_total(self, day: date) -> timedelta:
        if day not in self._day_totals:
            self._day_totals[day] = sum((closes - opens for opens, closes in self._spans(day, 1)), timedelta())
        return self._day_totals[day]

    def _week_total(self, monday: date) -> timedelta:
        if monday not in self._week_totals:
            days = (monday + timedelta(days=number) for number in range(7))
            self._week_totals[monday] = sum((self._day_total(day) for day in days), timedelta())
        return self._week_totals[monday]

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at the instant ``at`` (an interval includes its opening time, not its
        closing time)."""
        at = _utc(at)
        return any(opens <= at < closes for opens, closes in self._spans(self._local_day(at) - _ONE_DAY, 3))

    def _local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.time_zone).date()

    def _spans(self, first_day: date, days: int) -> Iterator[Span]:
        """The opening intervals of ``days`` local days from ``first_day``, as UTC instants, in order.

        Starting a day early costs little and covers instants whose local date is ambiguous."""
        for number in range(days):
            day = first_day + timedelta(days=number)
            if day in self.holidays:
                continue
            for opens, closes in self.week.get(day.weekday(), ()):
                span = (_instant(day, opens, self.time_zone), _instant(day, closes, self.time_zone))
                # Only an interval that lies wholly inside a clock jump is empty.
                if span[1] > span[0]:
                    yield span


def _overlap(spans: Iterator[Span], start: datetime, end: datetime) -> timedelta:
    """How much of ``spans`` lies within ``[start, end)``."""
    total = timedelta()
    for opens, closes in spans:
        if (overlap := min(closes, end) - max(opens, start)) > timedelta():
            total += overlap
    return total


def _utc(moment: datetime) -> datetime:
    # Comparing two datetimes that share a tzinfo compares wall times (fold ignored); in UTC it cannot go wrong.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"A business-time calculation needs an aware datetime, not {moment.isoformat()}.")
    return moment.astimezone(UTC)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) at which the desk's clock reads ``wall`` on its local ``day``.

    Non-decreasing in ``(day, wall)``, so a week's intervals stay ordered and disjoint in real time across
    clock changes: a time read twice (clocks going back) is its first reading, so the repeated hour
    belongs to an interval spanning it; a time that never happens (clocks going forward) is the moment of
    the jump, so an interval such as 02:00-03:00 on that night is empty rather than an hour counted twice.
    """
    if wall == END_OF_DAY:
        day, wall = day + _ONE_DAY, time(0)
    local = datetime.combine(day, wall, tzinfo=zone)
    first, second = local.replace(fold=0).astimezone(UTC), local.replace(fold=1).astimezone(UTC)
    if first <= second:
        return first
    # In a gap: read with the offset after the jump, the time falls before it; with the one before, after
    # it. Zones publish no transitions, so the jump is found by bisection (a rare path: only for opening
    # times inside a gap).
    before, after = second, first
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > timedelta(microseconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def parse_business_hours(text: str) -> dict[int, tuple[tuple[time, time], ...]]:
    """Reads a week of opening hours, such as ``"mon-fri 09:00-12:30, 13:30-17:30; sat 10:00-13:00"``.

    Groups are separated by ";", each naming days (``mon``..``sun`` or full names, ranges ``mon-fri``,
    lists ``mon,wed``) followed by ``HH:MM-HH:MM`` intervals separated by ","; ``24:00`` may close an
    interval. A day named in several groups gets all their intervals. Returns weekday (0 is Monday) ->
    sorted intervals, open days only. Raises ``ValueError`` with a message fit to show whoever set the
    value: an unknown day, a malformed time or interval, one ending before it starts, overlapping
    intervals, a group without days or hours, or a week with no hours at all.
    """
    week: dict[int, list[tuple[time, time]]] = {}
    for group in (part.strip() for part in text.split(";")):
        if not group:
            continue
        try:
            days, intervals = _group_parse(group)
        except ValueError as error:
            raise ValueError(gettext("In “%(group)s”: %(error)s") % {"group": group, "error": error}) from None
        for day in days:
            week.setdefault(day, []).extend(intervals)
    result = {day: tuple(sorted(week[day])) for day in sorted(week)}
    _week_validate(result)
    return result


def business_hours_validate(text: str) -> None:
    """Refuses business hours `parse_business_hours` cannot read (the settings page's validator for
    ``support.business_hours``): ``ValidationError`` saying what is wrong and where."""
    try:
        parse_business_hours(text)
    except ValueError as error:
        raise ValidationError(
            gettext("These business hours cannot be used: %(error)s Write them as in mon-fri 09:00-17:00.")
            % {"error": error}
        ) from None


def time_zone_validate(name: str) -> None:
    """Refuses a name that is not a known IANA time zone (the settings page's validator for
    ``support.time_zone``)."""
    try:
        ZoneInfo(name)
    # ValueError: not a relative name (an absolute or "../" path); OSError: a name the file system
    # refuses (too long); ZoneInfoNotFoundError: no such zone.
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise ValidationError(
            gettext("“%(name)s” is not a known time zone: use an IANA name such as Europe/Paris or UTC.")
            % {"name": name[:64]}
        ) from None


def _group_parse(group: str) -> tuple[list[int], list[tuple[time, time]]]:
    first_digit = re.search(r"\d", group)
    if first_digit is None:
        raise ValueError(gettext("no opening hours follow the days (write them as 09:00-17:00)."))
    days_text, hours_text = group[: first_digit.start()].strip(), group[first_digit.start() :]
    if not days_text:
        raise ValueError(gettext("no day is named before the hours (start with days, as in mon-fri)."))
    return _days_parse(days_text), [_interval_parse(item) for item in hours_text.split(",")]


def _days_parse(text: str) -> list[int]:
    days: list[int] = []
    for item in re.sub(r"\s+", "", text.lower()).split(","):
        first, dash, last = item.partition("-")
        start = _day_parse(first)
        end = _day_parse(last) if dash else start
        if end < start:
            raise ValueError(
                gettext("the day range “%(range)s” runs backwards (write it from the earlier day, as mon-fri).")
                % {"range": item}
            )
        days.extend(range(start, end + 1))
    return days


def _day_parse(name: str) -> int:
    if name not in _DAY_NUMBERS:
        raise ValueError(gettext("“%(name)s” is not a day (use mon, tue, wed, thu, fri, sat or sun).") % {"name": name})
    return _DAY_NUMBERS[name]


def _interval_parse(text: str) -> tuple[time, time]:
    opens_text, dash, closes_text = text.strip().partition("-")
    if not dash or "-" in closes_text:
        raise ValueError(gettext("“%(text)s” is not an interval such as 09:00-17:00.") % {"text": text.strip()})
    opens, closes = _time_parse(opens_text), _time_parse(closes_text)
    if opens == END_OF_DAY:
        raise ValueError(gettext("24:00 can only close an interval, not open one."))
    if closes <= opens:
        raise ValueError(
            gettext("the interval %(interval)s does not end after it starts.")
            % {"interval": _interval_text(opens, closes)}
        )
    return opens, closes


def _time_parse(text: str) -> time:
    match = _CLOCK_TIME.fullmatch(text.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if (hours, minutes) == (24, 0):
            return END_OF_DAY
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ValueError(
        gettext("“%(text)s” is not a time of day (write HH:MM, from 00:00 to 24:00).") % {"text": text.strip()}
    )


def _week_validate(week: Mapping[int, tuple[tuple[time, time], ...]]) -> None:
    """Raises ``ValueError`` unless every interval ends after it starts, a day's intervals are sorted and
    disjoint, and the week opens at all (else no deadline could ever be reached)."""
    for day, intervals in week.items():
        if day not in range(7):
            raise ValueError(f"{day!r} is not a weekday number (0 is Monday, 6 is Sunday).")
        for opens, closes in intervals:
            if closes <= opens:
                raise ValueError(
                    gettext("the interval %(interval)s does not end after it starts.")
                    % {"interval": _interval_text(opens, closes)}
                )
        for (opens, closes), (next_opens, next_closes) in itertools.pairwise(intervals):
            if next_opens < closes:
                raise ValueError(
                    gettext("On %(day)s, %(first)s overlaps %(second)s.")
                    % {
                        "day": WEEKDAYS[day],
                        "first": _interval_text(opens, closes),
                        "second": _interval_text(next_opens, next_closes),
                    }
                )
    if not any(week.values()):
        raise ValueError(gettext("The week has no opening hours at all (give some, as in mon-fri 09:00-17:00)."))


def _interval_text(opens: time, closes: time) -> str:
    return "-".join("24:00" if moment == END_OF_DAY else f"{moment:%H:%M}" for moment in (opens, closes))


def business_calendar() -> BusinessCalendar:
    """The desk's calendar, from the system settings in force and the ``SupportHoliday`` table.

    The business hours and time zone are read on every call (``support.business_hours`` and
    ``support.time_zone``, defaulting to ``SUPPORT_BUSINESS_HOURS`` and ``SUPPORT_TIME_ZONE``; the parsed
    week is memoised by its text), so a change on the settings page, or a test's override, applies at once.
    The holidays come from Django's cache, kept ``HOLIDAYS_CACHE_SECONDS``: one query a minute across all
    processes rather than one per call, and a shared cache (not a module-level one) because
    `business_calendar_forget` must reach every process.
    Callers computing many deadlines (a queue page) should still take one calendar and pass it along.
    """
    return BusinessCalendar(
        time_zone=ZoneInfo(system_setting("support.time_zone")),
        week=_week(system_setting("support.business_hours")),
        holidays=_holidays(),
    )


def business_calendar_forget() -> None:
    """Drops the cached holidays; call it whenever a ``SupportHoliday`` is saved or deleted.

    Clears at once, so the rest of this request sees the change, and again when the transaction commits,
    so that a request which read the old rows in between cannot keep them cached for a minute.
    """
    cache.delete(HOLIDAYS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(HOLIDAYS_CACHE_KEY))


@functools.lru_cache(maxsize=8)
def _week(text: str) -> Mapping[int, tuple[tuple[time, time], ...]]:
    return MappingProxyType(parse_business_hours(text))


def _holidays() -> frozenset[date]:
    holidays = cache.get(HOLIDAYS_CACHE_KEY)
    if holidays is None:
        holidays = frozenset(SupportHoliday.objects.values_list("day", flat=True))
        cache.set(HOLIDAYS_CACHE_KEY, holidays, HOLIDAYS_CACHE_SECONDS)
    return holidays


def targets_for(priority: str) -> tuple[int, int]:
    """``(first_response_seconds, resolution_seconds)`` of business time for a ticket ``priority``, from the
    system settings in force (``support.sla.first_response_hours.<PRIORITY>`` and
    ``support.sla.resolution_hours.<PRIORITY>``, defaulting to the ``SUPPORT_SLA_*_HOURS`` settings).

    Raises ``ValueError`` for a priority that is not a ``TicketPriority``, or one the settings give no
    positive target (the system checks E003 and E004 of `support.checks` report those at start-up).
    """
    if priority not in TicketPriority.values:
        raise ValueError(f"Unknown ticket priority {priority!r}.")
    return (
        _target_seconds("SUPPORT_SLA_FIRST_RESPONSE_HOURS", priority),
        _target_seconds("SUPPORT_SLA_RESOLUTION_HOURS", priority),
    )


# The system setting holding each priority's target, by the Django setting that gives its default (named in
# the messages, since that is where a missing or bad default has to be fixed).
_TARGET_KEYS = {
    "SUPPORT_SLA_FIRST_RESPONSE_HOURS": "support.sla.first_response_hours",
    "SUPPORT_SLA_RESOLUTION_HOURS": "support.sla.resolution_hours",
}


def _target_seconds(setting_name: str, priority: str) -> int:
    try:
        hours = float(system_setting(f"{_TARGET_KEYS[setting_name]}.{priority}"))
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{setting_name} has no target for priority {priority}.") from None
    if not 0 < hours < math.inf:
        raise ValueError(f"{setting_name} gives priority {priority} a target that is not positive ({hours}).")
    return round(hours * 3600)


def deadlines_for(
    *,
    opened_at: datetime,
    priority: str,
    paused_seconds: int = 0,
    calendar: BusinessCalendar | None = None,
) -> tuple[datetime, datetime]:
    """``(first_response_due_at, resolution_due_at)`` for a ticket opened at ``opened_at``: its priority's
    targets in business time, the resolution pushed back by the ``paused_seconds`` of business time spent
    waiting on the client. Computed afresh from the opening each time, so a priority change or a pause
    moves the deadlines without drift. Raises ``ValueError`` as `targets_for` and `BusinessCalendar.add`.
    """
    calendar = calendar or business_calendar()
    first_response, resolution = targets_for(priority)
    return calendar.add(opened_at, first_response), calendar.add(opened_at, resolution + paused_seconds)


def service_levels_validate(values: Mapping[str, Any]) -> None:
    """Refuses business hours, time zone and targets that are each valid but together leave some ticket
    without deadlines: `BusinessCalendar.add` gives up after ``MAX_DAYS_WALKED`` days, so a ticket could
    not be opened (the settings' check across ``support.*``, in ``operations.system_settings.CHECKS``).

    ``values`` maps every setting's key to the value a change would leave in force. Each priority's
    deadlines are computed as for a ticket opened now, with the holidays in force. Raises
    ``ValidationError`` naming each target that cannot be met, and ``support.business_hours``.
    """
    calendar = BusinessCalendar(
        time_zone=ZoneInfo(values["support.time_zone"]),
        week=_week(values["support.business_hours"]),
        holidays=_holidays(),
    )
    now = timezone.now()
    targets = [f"{key}.{priority}" for key in _TARGET_KEYS.values() for priority in TicketPriority.values]
    errors: dict[str, list[ValidationError]] = {}
    # Longest first: once one target can be met, every shorter one can.
    for key in sorted(targets, key=lambda key: float(values[key]), reverse=True):
        try:
            calendar.add(now, round(float(values[key]) * 3600))
        except ValueError:
            errors[key] = [ValidationError(_target_too_long(key, values[key]))]
        else:
            break
    if errors:
        errors["support.business_hours"] = [ValidationError(_business_hours_too_short(list(errors), values))]
        raise ValidationError(errors)


def _target_too_long(key: str, hours: float) -> str:
    return gettext(
        "Too long for the business hours: %(hours)s business hours end more than %(days)s days after a ticket "
        "opens, so no %(priority)s ticket could get a deadline. Lower this target or open the desk longer."
    ) % {
        "hours": setting_value_text(SETTINGS[key], hours),
        "days": number_format(MAX_DAYS_WALKED, force_grouping=True),
        "priority": key.rpartition(".")[2],
    }


def _business_hours_too_short(keys: list[str], values: Mapping[str, Any]) -> str:
    targets = "; ".join(
        gettext("%(label)s: %(value)s")
        % {"label": SETTINGS[key].label, "value": setting_value_text(SETTINGS[key], values[key])}
        for key in keys
    )
    return gettext(
        "Too few business hours for these targets: no deadline could be computed within %(days)s days for "
        "%(targets)s. Open the desk longer or lower those targets."
    ) % {"days": number_format(MAX_DAYS_WALKED, force_grouping=True), "targets": targets}


def at_risk_before(now: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """The instant ``support.sla.at_risk_minutes`` (a system setting, by default
    ``SUPPORT_SLA_AT_RISK_MINUTES``) of business time after ``now``: a deadline at or before it is at risk.
    Never decreases as ``now`` moves on, so it can bound an SQL range on ``sla_due_at``."""
    calendar = calendar or business_calendar()
    return calendar.add(now, system_setting("support.sla.at_risk_minutes") * 60)


class SlaState(models.TextChoices):
    """Where a ticket stands against its next deadline (a ``StrEnum``, with labels for people)."""

    OVERDUE = "overdue", _("Overdue")
    AT_RISK = "at_risk", _("At risk")
    ON_TRACK = "on_track", _("On track")
    PAUSED = "paused", _("Waiting on client")
    MET = "met", _("Met")
    NONE = "none", _("No target")


@dataclass(frozen=True)
class SlaClock:
    """A ticket's service-level clock as the queue shows it.

    ``due_at`` is the deadline running now (for an open ticket, the same as its ``sla_due_at`` column);
    ``business_seconds_left`` is negative once overdue, and None when no clock runs (paused, finished, no
    target). ``label`` is short text for a queue cell.
    """

    state: SlaState
    due_at: datetime | None
    business_seconds_left: int | None
    label: str


def sla_clock(ticket: SupportTicket, *, now: datetime, calendar: BusinessCalendar | None = None) -> SlaClock:
    """The service-level clock of ``ticket`` at ``now``.

    An open ticket runs against its first-response deadline until someone answers it, then against its
    resolution deadline, which stops while the desk waits on the client. A resolved or closed ticket
    reads "Met" or "Resolved late" against its resolution deadline. Time left and time overdue are
    business time. The calendar (a cache read) is only fetched when a running deadline needs it.
    """
    if ticket.status not in ACTIVE_STATUSES:
        return _finished_clock(ticket)
    if ticket.first_response_at is None:
        due = ticket.first_response_due_at
    elif ticket.waiting_on_client_since is not None:
        return SlaClock(
            state=SlaState.PAUSED, due_at=None, business_seconds_left=None, label=str(SlaState.PAUSED.label)
        )
    else:
        due = ticket.resolution_due_at
    if due is None:
        return SlaClock(state=SlaState.NONE, due_at=None, business_seconds_left=None, label="—")
    calendar = calendar or business_calendar()
    if now >= due:
        overdue = calendar.seconds_between(due, now)
        # Past a deadline that fell at closing time, with no business time gone by since: no figure to give.
        label = (
            gettext("Overdue by %(duration)s") % {"duration": seconds_as_duration(overdue)}
            if overdue >= 60
            else str(SlaState.OVERDUE.label)
        )
        return SlaClock(state=SlaState.OVERDUE, due_at=due, business_seconds_left=-overdue, label=label)
    left = calendar.seconds_between(now, due)
    state = SlaState.AT_RISK if due <= at_risk_before(now, calendar) else SlaState.ON_TRACK
    label = gettext("%(duration)s left") % {"duration": seconds_as_duration(left)}
    return SlaClock(state=state, due_at=due, business_seconds_left=left, label=label)


def _finished_clock(ticket: SupportTicket) -> SlaClock:
    due = ticket.resolution_due_at
    # Tickets are closed from RESOLVED, so `resolved_at` is there; `closed_at` covers rows from before.
    finished_at = ticket.resolved_at or ticket.closed_at
    if due is None or finished_at is None:
        return SlaClock(state=SlaState.NONE, due_at=None, business_seconds_left=None, label="—")
    if finished_at <= due:
        return SlaClock(state=SlaState.MET, due_at=due, business_seconds_left=None, label=str(SlaState.MET.label))
    return SlaClock(state=SlaState.OVERDUE, due_at=due, business_seconds_left=None, label=gettext("Resolved late"))
