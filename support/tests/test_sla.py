"""Service-level arithmetic: business hours, holidays, clock changes, deadlines and the queue's clock."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from support.checks import sla_settings_check
from support.models import SupportHoliday, SupportTicket, TicketPriority, TicketStatus
from support.sla import (
    END_OF_DAY,
    MAX_DAYS_WALKED,
    BusinessCalendar,
    SlaClock,
    SlaState,
    at_risk_before,
    business_calendar,
    business_calendar_forget,
    deadlines_for,
    parse_business_hours,
    sla_clock,
    targets_for,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
NINE_TO_FIVE = "mon-fri 09:00-17:00"
WITH_LUNCH = "mon-fri 09:00-12:30, 13:30-17:30"


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=PARIS)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def calendar(hours: str = NINE_TO_FIVE, zone: ZoneInfo = PARIS, holidays: tuple[date, ...] = ()) -> BusinessCalendar:
    return BusinessCalendar(time_zone=zone, week=parse_business_hours(hours), holidays=frozenset(holidays))


@pytest.fixture
def sla_settings(settings, db):
    # The environment's values: the defaults of the system settings in force (which live in the database).
    settings.SUPPORT_TIME_ZONE = "Europe/Paris"
    settings.SUPPORT_BUSINESS_HOURS = NINE_TO_FIVE
    settings.SUPPORT_SLA_FIRST_RESPONSE_HOURS = {"URGENT": 1.0, "HIGH": 4.0, "MEDIUM": 8.0, "LOW": 24.0}
    settings.SUPPORT_SLA_RESOLUTION_HOURS = {"URGENT": 8.0, "HIGH": 24.0, "MEDIUM": 40.0, "LOW": 80.0}
    settings.SUPPORT_SLA_AT_RISK_MINUTES = 120
    return settings


# Reading the week


def test_business_hours_read_days_ranges_lists_lunch_breaks_and_midnight():
    # given a week with a lunch break, a Saturday morning, a day list and an evening closing at midnight
    text = "mon-fri 09:00-12:30, 13:30-17:30; sat 10:00-13:00; Tue,Thursday 20:00-24:00"
    # when it is read
    week = parse_business_hours(text)
    # then every open day has its sorted intervals and Sunday is closed
    morning, afternoon = (time(9), time(12, 30)), (time(13, 30), time(17, 30))
    assert week == {
        0: (morning, afternoon),
        1: (morning, afternoon, (time(20), END_OF_DAY)),
        2: (morning, afternoon),
        3: (morning, afternoon, (time(20), END_OF_DAY)),
        4: (morning, afternoon),
        5: ((time(10), time(13)),),
    }


def test_business_hours_tolerate_spacing_case_and_a_trailing_semicolon():
    assert parse_business_hours(" Mon - Wed 9:00 - 17:00 ; ") == {day: ((time(9), time(17)),) for day in range(3)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon-fri 09:00-17:00; sonday 10:00-12:00", "“sonday” is not a day"),
        ("mon-fri 09:00-25:00", "“25:00” is not a time of day"),
        ("mon-fri 09:60-17:00", "“09:60” is not a time of day"),
        ("mon-fri 9h-17h", "“9h” is not a time of day"),
        ("mon-fri 09:00", "“09:00” is not an interval"),
        ("mon-fri 09:00-12:00,", "“” is not an interval"),
        ("mon-fri 17:00-09:00", "the interval 17:00-09:00 does not end after it starts"),
        ("mon-fri 09:00-09:00", "the interval 09:00-09:00 does not end after it starts"),
        ("mon 24:00-24:00", "24:00 can only close an interval"),
        ("mon-fri 09:00-13:00, 12:00-17:00", "On Monday, 09:00-13:00 overlaps 12:00-17:00"),
        ("mon-fri 09:00-17:00; fri 16:00-18:00", "On Friday, 09:00-17:00 overlaps 16:00-18:00"),
        ("fri-mon 09:00-17:00", "the day range “fri-mon” runs backwards"),
        ("sat", "no opening hours follow the days"),
        ("09:00-17:00", "no day is named before the hours"),
        ("", "The week has no opening hours at all"),
        (" ; ", "The week has no opening hours at all"),
    ],
)
def test_business_hours_that_make_no_sense_are_refused_with_the_reason(text, message):
    with translation.override("en"), pytest.raises(ValueError, match=message):
        parse_business_hours(text)


def test_an_error_names_the_group_it_is_in():
    with translation.override("en"), pytest.raises(ValueError) as raised:
        parse_business_hours("mon-fri 09:00-17:00; sat 10:00-1300")
    assert str(raised.value) == "In “sat 10:00-1300”: “1300” is not a time of day (write HH:MM, from 00:00 to 24:00)."


def test_a_calendar_refuses_a_week_without_hours_or_with_overlaps():
    with pytest.raises(ValueError, match="no opening hours"):
        BusinessCalendar(time_zone=PARIS, week={0: ()}, holidays=frozenset())
    with pytest.raises(ValueError, match="overlaps"):
        BusinessCalendar(time_zone=PARIS, week={0: ((time(9), time(12)), (time(11), time(13)))}, holidays=frozenset())


# Adding business time


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        # inside hours, same day; eight hours from opening end at closing, not next morning
        (paris(2026, 3, 2, 10, 0), 2 * HOUR, paris(2026, 3, 2, 12, 0)),
        (paris(2026, 3, 2, 9, 0), 8 * HOUR, paris(2026, 3, 2, 17, 0)),
        # before opening, after closing, at closing time
        (paris(2026, 3, 2, 7, 0), HOUR, paris(2026, 3, 2, 10, 0)),
        (paris(2026, 3, 2, 18, 0), HOUR, paris(2026, 3, 3, 10, 0)),
        (paris(2026, 3, 2, 17, 0), HOUR, paris(2026, 3, 3, 10, 0)),
        # overnight: an hour before closing plus two
        (paris(2026, 3, 2, 16, 0), 3 * HOUR, paris(2026, 3, 3, 11, 0)),
        # across the weekend, and from a Saturday
        (paris(2026, 3, 6, 15, 0), 4 * HOUR, paris(2026, 3, 9, 11, 0)),
        (paris(2026, 3, 7, 10, 0), HOUR, paris(2026, 3, 9, 10, 0)),
        # seconds and fractions count
        (paris(2026, 3, 2, 16, 59, 59), 2, paris(2026, 3, 3, 9, 0, 1)),
        (paris(2026, 3, 2, 10, 0), 0.25, paris(2026, 3, 2, 10, 0, 0, 250_000)),
    ],
)
def test_adding_business_time(start, seconds, due):
    assert calendar().add(start, seconds) == due


def test_the_result_is_an_instant_in_utc():
    due = calendar().add(paris(2026, 3, 2, 10, 0), HOUR)
    assert due.tzinfo is UTC
    assert due == utc(2026, 3, 2, 10, 0)


def test_adding_nothing_is_the_start_itself_even_when_closed():
    saturday = paris(2026, 3, 7, 10, 0)
    assert calendar().add(saturday, 0) == saturday


def test_adding_negative_time_or_to_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="negative"):
        calendar().add(paris(2026, 3, 2, 10, 0), -1)
    with pytest.raises(ValueError, match="aware"):
        calendar().add(datetime(2026, 3, 2, 10, 0), HOUR)


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        # the lunch break does not count, whether the span crosses it or starts in it
        (paris(2026, 3, 2, 11, 30), 2 * HOUR, paris(2026, 3, 2, 14, 30)),
        (paris(2026, 3, 2, 12, 45), HOUR, paris(2026, 3, 2, 14, 30)),
        (paris(2026, 3, 2, 12, 30), 30 * 60, paris(2026, 3, 2, 14, 0)),
        (paris(2026, 3, 2, 11, 0), 90 * 60, paris(2026, 3, 2, 12, 30)),
        # a full day is seven and a half hours
        (paris(2026, 3, 2, 9, 0), int(7.5 * HOUR) + 60, paris(2026, 3, 3, 9, 1)),
    ],
)
def test_adding_across_a_lunch_break(start, seconds, due):
    assert calendar(WITH_LUNCH).add(start, seconds) == due


def test_adding_across_a_holiday_skips_the_whole_local_day():
    # given Monday 9 March off
    desk = calendar(holidays=(date(2026, 3, 9),))
    # when four hours are added from Friday 15:00
    due = desk.add(paris(2026, 3, 6, 15, 0), 4 * HOUR)
    # then two hours fall on Friday and two on Tuesday
    assert due == paris(2026, 3, 10, 11, 0)


def test_an_evening_closing_at_midnight_runs_to_the_next_day():
    desk = calendar("mon-fri 20:00-24:00")
    assert desk.add(paris(2026, 3, 2, 23, 0), 2 * HOUR) == paris(2026, 3, 3, 21, 0)
    assert desk.add(paris(2026, 3, 2, 20, 0), 4 * HOUR) == paris(2026, 3, 3, 0, 0)


def test_a_long_target_across_weeks_of_holidays():
    # given three weeks of holidays after the first working week
    holidays = tuple(date(2026, 7, 13) + timedelta(days=n) for n in range(19))
    desk = calendar(holidays=holidays)
    # when 80 business hours start on Monday 6 July at opening
    due = desk.add(paris(2026, 7, 6, 9, 0), 80 * HOUR)
    # then the first week gives forty hours and the week of 3 August the other forty
    assert due == paris(2026, 8, 7, 17, 0)


def test_a_desk_that_never_opens_raises_instead_of_walking_for_ever():
    start = date(2026, 3, 1)
    holidays = tuple(start + timedelta(days=n) for n in range(MAX_DAYS_WALKED + 10))
    with pytest.raises(ValueError, match="no business hours"):
        calendar(holidays=holidays).add(paris(2026, 3, 2, 10, 0), HOUR)


# Clock changes and time zones


@pytest.mark.parametrize(
    ("zone", "start", "due"),
    [
        # Paris: summer time from Sunday 29 March 2026 (UTC+1 -> UTC+2), winter time from Sunday 25 October
        (PARIS, paris(2026, 3, 27, 16, 0), utc(2026, 3, 30, 8, 0)),
        (PARIS, paris(2026, 10, 23, 16, 0), utc(2026, 10, 26, 9, 0)),
        # New York: daylight time from Sunday 8 March 2026 (UTC-5 -> UTC-4), standard time from 1 November
        (NEW_YORK, new_york(2026, 3, 6, 16, 0), utc(2026, 3, 9, 14, 0)),
        (NEW_YORK, new_york(2026, 10, 30, 16, 0), utc(2026, 11, 2, 15, 0)),
    ],
)
def test_opening_hours_stay_on_the_wall_clock_across_a_clock_change(zone, start, due):
    # Friday 16:00 plus two hours is Monday 10:00 local time, whatever the offset became over the weekend
    desk = calendar(zone=zone)
    assert desk.add(start, 2 * HOUR) == due
    assert desk.seconds_between(start, due) == 2 * HOUR


@pytest.mark.parametrize(
    ("zone", "sunday", "real_hours"),
    [
        (PARIS, date(2026, 3, 29), 23),
        (PARIS, date(2026, 10, 25), 25),
        (NEW_YORK, date(2026, 3, 8), 23),
        (NEW_YORK, date(2026, 11, 1), 25),
        (PARIS, date(2026, 3, 22), 24),
    ],
)
def test_a_desk_open_round_the_clock_counts_the_real_length_of_a_clock_change_day(zone, sunday, real_hours):
    desk = calendar("mon-sun 00:00-24:00", zone=zone)
    midnight = datetime.combine(sunday, time(0), tzinfo=zone)
    next_midnight = datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=zone)
    assert desk.seconds_between(midnight, next_midnight) == real_hours * HOUR
    assert desk.add(midnight, real_hours * HOUR) == next_midnight


@pytest.mark.parametrize(
    ("hours", "zone", "sunday", "business_seconds"),
    [
        # 01:00 winter time to 04:00 summer time is two real hours
        ("sun 01:00-04:00", PARIS, date(2026, 3, 29), 2 * HOUR),
        ("sun 01:00-04:00", NEW_YORK, date(2026, 3, 8), 2 * HOUR),
        # an interval inside the skipped hour never happens; one straddling its end starts at the jump
        ("sun 02:00-02:30, 03:00-04:00", PARIS, date(2026, 3, 29), HOUR),
        ("sun 02:30-03:30", PARIS, date(2026, 3, 29), 30 * 60),
        # the repeated hour is worked twice: 01:30 summer time to 03:30 winter time is three real hours
        ("sun 01:30-03:30", PARIS, date(2026, 10, 25), 3 * HOUR),
        ("sun 00:30-02:30", NEW_YORK, date(2026, 11, 1), 3 * HOUR),
    ],
)
def test_hours_inside_a_clock_change(hours, zone, sunday, business_seconds):
    desk = calendar(hours, zone=zone)
    day_start = datetime.combine(sunday, time(0), tzinfo=zone)
    day_end = datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=zone)
    assert desk.seconds_between(day_start, day_end) == business_seconds
    assert desk.add(day_start, business_seconds) == desk.add(day_start, business_seconds - 1) + timedelta(seconds=1)


def test_the_same_hours_in_another_time_zone_give_another_instant():
    # given Monday 2 March 2026 at 07:00 UTC: before opening in UTC, Paris (08:00) and New York (02:00)
    start = utc(2026, 3, 2, 7, 0)
    # when an hour is added on desks open 09:00-17:00 in each zone
    # then each deadline is an hour after its own local opening
    assert calendar(zone=ZoneInfo("UTC")).add(start, HOUR) == utc(2026, 3, 2, 10, 0)
    assert calendar(zone=PARIS).add(start, HOUR) == utc(2026, 3, 2, 9, 0)
    assert calendar(zone=NEW_YORK).add(start, HOUR) == utc(2026, 3, 2, 15, 0)


# Counting business time


def test_seconds_between_counts_only_open_time_and_nothing_backwards():
    desk = calendar(WITH_LUNCH, holidays=(date(2026, 3, 9),))
    # Friday 11:00 to Tuesday 10:00: 5.5 h on Friday (lunch off), Monday a holiday, 1 h on Tuesday
    assert desk.seconds_between(paris(2026, 3, 6, 11, 0), paris(2026, 3, 10, 10, 0)) == int(6.5 * HOUR)
    assert desk.seconds_between(paris(2026, 3, 7, 9, 0), paris(2026, 3, 8, 18, 0)) == 0
    assert desk.seconds_between(paris(2026, 3, 6, 11, 0), paris(2026, 3, 6, 11, 0)) == 0
    assert desk.seconds_between(paris(2026, 3, 6, 12, 0), paris(2026, 3, 6, 11, 0)) == 0


SECONDS_TO_ADD = sorted({0, 1, 59, 60, HOUR, 8 * HOUR - 1, 8 * HOUR, 8 * HOUR + 1, *range(0, 300 * HOUR, 7919)})


@pytest.mark.parametrize(
    ("hours", "zone", "start"),
    [
        (WITH_LUNCH, PARIS, paris(2026, 3, 2, 12, 45, 30, 500)),
        (WITH_LUNCH, PARIS, paris(2026, 3, 21, 8, 0)),  # a Saturday, the week-end before summer time
        (NINE_TO_FIVE, NEW_YORK, new_york(2026, 10, 28, 16, 59)),
        ("mon-sun 00:00-24:00", PARIS, paris(2026, 10, 20, 3, 0)),
        ("mon-fri 08:00-12:00; sat 10:00-13:00; sun 01:00-04:00", PARIS, paris(2026, 3, 27, 11, 0)),
    ],
)
def test_counting_what_was_added_gives_it_back(hours, zone, start):
    desk = calendar(hours, zone=zone, holidays=(date(2026, 3, 25), date(2026, 11, 11)))
    for seconds in SECONDS_TO_ADD:
        assert desk.seconds_between(start, desk.add(start, seconds)) == seconds, seconds


@pytest.mark.parametrize(
    ("hours", "zone"),
    [
        (WITH_LUNCH, PARIS),
        ("mon-sun 00:00-24:00", NEW_YORK),  # every clock change counted in real hours
        ("mon-fri 08:00-12:00; sat 10:00-13:00; sun 01:00-04:00", PARIS),  # hours inside the clock change
    ],
)
def test_long_spans_count_whole_days_and_weeks_as_the_day_walk_does(hours, zone):
    # Spans of years (a ticket long overdue) are counted from per-day and per-week totals; they must
    # agree with walking every opening interval, across holidays and both clock changes each year.
    desk = calendar(hours, zone=zone, holidays=(date(2025, 12, 25), date(2026, 1, 1), date(2026, 7, 14)))
    walked = calendar(hours, zone=zone, holidays=tuple(desk.holidays))
    starts = [datetime(2024, 2, 29, 13, 17, tzinfo=UTC) + timedelta(days=37 * n, minutes=311 * n) for n in range(9)]
    for start in starts:
        for days in (2, 3, 4, 6, 7, 8, 13, 15, 40, 400, 1000):
            end = start + timedelta(days=days, minutes=97 * days)
            span_days = (walked._local_day(end) - walked._local_day(start)).days + 3
            brute = sum(
                (
                    min(closes, end) - max(opens, start)
                    for opens, closes in walked._spans(walked._local_day(start) - timedelta(days=1), span_days)
                    if min(closes, end) > max(opens, start)
                ),
                timedelta(),
            )
            assert desk.seconds_between(start, end) == brute // timedelta(seconds=1), (start, days)


def test_is_open():
    desk = calendar(WITH_LUNCH, holidays=(date(2026, 3, 9),))
    assert desk.is_open(paris(2026, 3, 2, 9, 0))
    assert desk.is_open(paris(2026, 3, 2, 12, 29, 59))
    assert not desk.is_open(paris(2026, 3, 2, 12, 30))  # closing time is closed
    assert not desk.is_open(paris(2026, 3, 2, 8, 59, 59))
    assert not desk.is_open(paris(2026, 3, 7, 10, 0))  # Saturday
    assert not desk.is_open(paris(2026, 3, 9, 10, 0))  # holiday
    assert desk.is_open(utc(2026, 3, 2, 8, 0))  # 09:00 in Paris


# Targets and deadlines


def test_targets_are_business_seconds_per_priority(sla_settings):
    sla_settings.SUPPORT_SLA_FIRST_RESPONSE_HOURS = {**sla_settings.SUPPORT_SLA_FIRST_RESPONSE_HOURS, "URGENT": 0.5}
    assert targets_for(TicketPriority.URGENT) == (30 * 60, 8 * HOUR)
    assert targets_for("LOW") == (24 * HOUR, 80 * HOUR)


def test_targets_for_an_unknown_or_untargeted_priority_raise(sla_settings):
    with pytest.raises(ValueError, match="Unknown ticket priority 'CRITICAL'"):
        targets_for("CRITICAL")
    sla_settings.SUPPORT_SLA_RESOLUTION_HOURS = {"URGENT": 8.0, "HIGH": 24.0, "MEDIUM": 40.0}
    with pytest.raises(ValueError, match="SUPPORT_SLA_RESOLUTION_HOURS has no target for priority LOW"):
        targets_for("LOW")


def test_deadlines_follow_the_priority_and_pauses_push_back_the_resolution(sla_settings):
    desk = calendar()
    opened_at = paris(2026, 3, 2, 10, 0)
    # a medium ticket: first reply within 8 business hours, resolution within 40
    assert deadlines_for(opened_at=opened_at, priority="MEDIUM", calendar=desk) == (
        paris(2026, 3, 3, 10, 0),
        paris(2026, 3, 9, 10, 0),
    )
    # three business hours waiting on the client move only the resolution
    assert deadlines_for(opened_at=opened_at, priority="MEDIUM", paused_seconds=3 * HOUR, calendar=desk) == (
        paris(2026, 3, 3, 10, 0),
        paris(2026, 3, 9, 13, 0),
    )
    # a pause that carries the resolution past closing time continues the next business day
    assert deadlines_for(opened_at=opened_at, priority="MEDIUM", paused_seconds=8 * HOUR, calendar=desk)[1] == (
        paris(2026, 3, 10, 10, 0)
    )


@pytest.mark.django_db
def test_deadlines_use_the_desks_settings_and_holidays(sla_settings):
    # given a desk in New York, and Monday 9 March a holiday
    sla_settings.SUPPORT_TIME_ZONE = "America/New_York"
    SupportHoliday.objects.create(day=date(2026, 3, 9), name="Closed")
    # when an urgent ticket arrives on Friday at 16:30 New York time
    first_response, resolution = deadlines_for(opened_at=new_york(2026, 3, 6, 16, 30), priority="URGENT")
    # then the hour runs out on Tuesday at 09:30 (daylight time by then), the eight hours on Tuesday at 16:30
    assert first_response == utc(2026, 3, 10, 13, 30)
    assert resolution == utc(2026, 3, 10, 20, 30)


# The desk's calendar from settings and the holiday table


@pytest.mark.django_db
def test_the_calendar_reads_the_settings_and_caches_the_holidays_until_forgotten(
    sla_settings, django_assert_num_queries
):
    # given a holiday, and the calendar read once
    sla_settings.SUPPORT_BUSINESS_HOURS = WITH_LUNCH
    SupportHoliday.objects.create(day=date(2026, 12, 25), name="Christmas")
    # Two on a cold cache: the system settings staff stored, and the holidays; both cached afterwards.
    with django_assert_num_queries(2):
        business_calendar()
        desk = business_calendar()
    assert desk.time_zone == PARIS
    assert desk.week[0] == ((time(9), time(12, 30)), (time(13, 30), time(17, 30)))
    assert desk.holidays == {date(2026, 12, 25)}
    # when a holiday is added, it shows only once the cache is told
    SupportHoliday.objects.create(day=date(2026, 12, 24), name="Christmas Eve")
    assert business_calendar().holidays == {date(2026, 12, 25)}
    business_calendar_forget()
    assert business_calendar().holidays == {date(2026, 12, 24), date(2026, 12, 25)}


@pytest.mark.django_db
def test_a_changed_setting_applies_at_once(sla_settings):
    assert business_calendar().add(paris(2026, 3, 2, 16, 0), 2 * HOUR) == paris(2026, 3, 3, 10, 0)
    sla_settings.SUPPORT_BUSINESS_HOURS = "mon-fri 08:00-18:00"
    assert business_calendar().add(paris(2026, 3, 2, 16, 0), 2 * HOUR) == paris(2026, 3, 2, 18, 0)


# At risk


@pytest.mark.django_db
def test_at_risk_reaches_over_closed_hours(sla_settings):
    with time_machine.travel(paris(2026, 3, 6, 16, 0), tick=False):
        # Friday 16:00: an hour today and an hour on Monday
        assert at_risk_before(timezone.now()) == paris(2026, 3, 9, 10, 0)


def test_at_risk_before_never_goes_back_as_time_moves_on(sla_settings):
    desk = calendar(WITH_LUNCH, holidays=(date(2026, 3, 10),))
    instants = [paris(2026, 3, 6, 0, 0) + timedelta(minutes=7 * n) for n in range(7 * 24 * 60 // 7)]
    bounds = [at_risk_before(instant, desk) for instant in instants]
    assert bounds == sorted(bounds)
    assert all(bound > instant for bound, instant in zip(bounds, instants, strict=True))


# The queue's clock


def ticket(**fields) -> SupportTicket:
    return SupportTicket(priority=TicketPriority.MEDIUM, **fields)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("now", "state", "left", "label"),
    [
        (paris(2026, 3, 2, 10, 0), SlaState.ON_TRACK, 5 * HOUR, "5 h left"),
        (paris(2026, 3, 2, 12, 59), SlaState.ON_TRACK, 2 * HOUR + 60, "2 h 1 min left"),
        (paris(2026, 3, 2, 13, 0), SlaState.AT_RISK, 2 * HOUR, "2 h left"),
        (paris(2026, 3, 2, 14, 59, 30), SlaState.AT_RISK, 30, "30 s left"),
        (paris(2026, 3, 2, 15, 0), SlaState.OVERDUE, 0, "Overdue"),
        (paris(2026, 3, 2, 16, 5), SlaState.OVERDUE, -65 * 60, "Overdue by 1 h 5 min"),
        (paris(2026, 3, 3, 10, 0), SlaState.OVERDUE, -3 * HOUR, "Overdue by 3 h"),
    ],
)
def test_an_unanswered_ticket_runs_against_its_first_response(sla_settings, english, now, state, left, label):
    # given an open ticket due a first reply on Monday at 15:00
    due = paris(2026, 3, 2, 15, 0)
    open_ticket = ticket(status=TicketStatus.OPEN, first_response_due_at=due, resolution_due_at=paris(2026, 3, 9))
    # when the queue is shown at `now`
    with time_machine.travel(now, tick=False):
        clock = sla_clock(open_ticket, now=timezone.now(), calendar=calendar())
    # then
    assert clock == SlaClock(state=state, due_at=due, business_seconds_left=left, label=label)


def test_the_clock_counts_business_time_over_a_weekend(sla_settings, english):
    desk = calendar()
    due_monday = ticket(status=TicketStatus.IN_PROGRESS, first_response_due_at=paris(2026, 3, 9, 10, 0))
    due_friday = ticket(status=TicketStatus.OPEN, first_response_due_at=paris(2026, 3, 6, 16, 0))
    with time_machine.travel(paris(2026, 3, 6, 16, 30), tick=False):
        assert sla_clock(due_monday, now=timezone.now(), calendar=desk) == SlaClock(
            state=SlaState.AT_RISK, due_at=paris(2026, 3, 9, 10, 0), business_seconds_left=5400, label="1 h 30 min left"
        )
    with time_machine.travel(paris(2026, 3, 7, 12, 0), tick=False):
        assert sla_clock(due_friday, now=timezone.now(), calendar=desk) == SlaClock(
            state=SlaState.OVERDUE, due_at=paris(2026, 3, 6, 16, 0), business_seconds_left=-HOUR, label="Overdue by 1 h"
        )


def test_an_answered_ticket_runs_against_its_resolution_unless_waiting_on_the_client(sla_settings, english):
    answered = {"first_response_at": paris(2026, 3, 2, 9, 30), "first_response_due_at": paris(2026, 3, 2, 15, 0)}
    resolution_due = paris(2026, 3, 6, 12, 0)
    working = ticket(status=TicketStatus.IN_PROGRESS, resolution_due_at=resolution_due, **answered)
    waiting = ticket(
        status=TicketStatus.IN_PROGRESS,
        resolution_due_at=resolution_due,
        waiting_on_client_since=paris(2026, 3, 3, 10, 0),
        **answered,
    )
    with time_machine.travel(paris(2026, 3, 5, 12, 0), tick=False):
        now = timezone.now()
        assert sla_clock(working, now=now, calendar=calendar()) == SlaClock(
            state=SlaState.ON_TRACK, due_at=resolution_due, business_seconds_left=8 * HOUR, label="8 h left"
        )
        assert sla_clock(waiting, now=now, calendar=calendar()) == SlaClock(
            state=SlaState.PAUSED, due_at=None, business_seconds_left=None, label="Waiting on client"
        )


def test_a_finished_ticket_reads_met_or_resolved_late(sla_settings, english):
    due = paris(2026, 3, 6, 12, 0)
    in_time = ticket(status=TicketStatus.RESOLVED, resolution_due_at=due, resolved_at=due)
    late = ticket(status=TicketStatus.CLOSED, resolution_due_at=due, resolved_at=due + timedelta(seconds=1))
    with time_machine.travel(paris(2026, 4, 1, 12, 0), tick=False):
        now = timezone.now()
        assert sla_clock(in_time, now=now) == SlaClock(
            state=SlaState.MET, due_at=due, business_seconds_left=None, label="Met"
        )
        assert sla_clock(late, now=now) == SlaClock(
            state=SlaState.OVERDUE, due_at=due, business_seconds_left=None, label="Resolved late"
        )


def test_a_ticket_without_deadlines_has_no_target(sla_settings, english):
    no_target = SlaClock(state=SlaState.NONE, due_at=None, business_seconds_left=None, label="—")
    with time_machine.travel(paris(2026, 3, 2, 10, 0), tick=False):
        now = timezone.now()
        assert sla_clock(ticket(status=TicketStatus.OPEN), now=now) == no_target
        assert sla_clock(ticket(status=TicketStatus.RESOLVED, resolved_at=now), now=now) == no_target


def test_states_are_strings_with_labels(english):
    assert SlaState.AT_RISK == "at_risk"
    assert [str(state.label) for state in SlaState] == [
        "Overdue",
        "At risk",
        "On track",
        "Waiting on client",
        "Met",
        "No target",
    ]


# System check


def test_the_default_settings_pass_the_check():
    assert sla_settings_check(None) == []


@pytest.mark.parametrize(
    ("setting", "value", "error_id"),
    [
        ("SUPPORT_BUSINESS_HOURS", "mon-fri 9-17", "support.E001"),
        ("SUPPORT_BUSINESS_HOURS", "", "support.E001"),
        ("SUPPORT_TIME_ZONE", "Europe/Pariss", "support.E002"),
        ("SUPPORT_TIME_ZONE", "../etc/passwd", "support.E002"),
        ("SUPPORT_SLA_FIRST_RESPONSE_HOURS", {"URGENT": 1.0, "HIGH": 4.0, "MEDIUM": 8.0}, "support.E003"),
        ("SUPPORT_SLA_RESOLUTION_HOURS", {"URGENT": 8.0, "HIGH": 24.0, "MEDIUM": 0, "LOW": 80.0}, "support.E004"),
        ("SUPPORT_SLA_RESOLUTION_HOURS", {"URGENT": -1.0, "HIGH": 24.0, "MEDIUM": 40, "LOW": 80.0}, "support.E004"),
        ("SUPPORT_SLA_AT_RISK_MINUTES", -5, "support.E005"),
    ],
)
def test_the_check_reports_settings_the_desk_cannot_work_with(sla_settings, setting, value, error_id):
    setattr(sla_settings, setting, value)
    errors = sla_settings_check(None)
    assert [error.id for error in errors] == [error_id]
    assert setting in errors[0].msg


def test_the_check_explains_what_is_wrong_with_the_hours(sla_settings, english):
    sla_settings.SUPPORT_BUSINESS_HOURS = "mon-fri 09:00-17:00; sun 10:00-09:00"
    [error] = sla_settings_check(None)
    assert error.msg == (
        "SUPPORT_BUSINESS_HOURS is not valid: "
        "In “sun 10:00-09:00”: the interval 10:00-09:00 does not end after it starts."
    )


# The service levels staff set on the system settings page


@pytest.fixture
def settings_keeper(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(is_superuser=True)


def test_service_levels_changed_by_staff_apply_at_once(
    sla_settings, settings_keeper, django_capture_on_commit_callbacks
):
    from operations.services import system_settings_update

    # given the environment's nine-to-five desk, and a calendar already read (and its settings cached)
    assert business_calendar().add(paris(2026, 3, 2, 16, 0), 2 * HOUR) == paris(2026, 3, 3, 10, 0)
    # when staff open the desk until six and give URGENT tickets half an hour
    with django_capture_on_commit_callbacks(execute=True):
        system_settings_update(
            changes={"support.business_hours": "mon-fri 08:00-18:00", "support.sla.first_response_hours.URGENT": 0.5},
            by=settings_keeper,
        )
    # then the next reading uses them
    assert business_calendar().add(paris(2026, 3, 2, 16, 0), 2 * HOUR) == paris(2026, 3, 2, 18, 0)
    assert targets_for(TicketPriority.URGENT)[0] == HOUR // 2


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("support.business_hours", "mon-fri 9-17", "cannot be used"),
        ("support.business_hours", "someday 09:00-17:00", "is not a day"),
        ("support.business_hours", "mon-fri 17:00-09:00", "does not end after it starts"),
        ("support.time_zone", "Europe/Pariss", "is not a known time zone"),
        ("support.time_zone", "../../etc/passwd", "is not a known time zone"),
        ("support.time_zone", "/etc/localtime", "is not a known time zone"),
        ("support.time_zone", "Europe", "is not a known time zone"),
        ("support.time_zone", "x" * 400, "is not a known time zone"),
    ],
)
def test_service_levels_the_desk_cannot_work_with_are_refused_with_the_reason(
    sla_settings, settings_keeper, key, value, reason
):
    from django.core.exceptions import ValidationError

    from operations.models import SystemSetting
    from operations.services import system_settings_update

    with pytest.raises(ValidationError) as refused:
        system_settings_update(changes={key: value}, by=settings_keeper)

    assert reason in " ".join(refused.value.message_dict[key])
    assert not SystemSetting.objects.exists()


ONE_HOUR_A_DAY = "mon-fri 09:00-10:00"  # five business hours a week: 8,760 of them take 33 years


@pytest.mark.parametrize(
    "saves",
    [
        # both at once, the hours first, or the target first: whichever save makes the pair is refused
        [{"support.business_hours": ONE_HOUR_A_DAY, "support.sla.resolution_hours.LOW": 8760}],
        [{"support.business_hours": ONE_HOUR_A_DAY}, {"support.sla.resolution_hours.LOW": 8760}],
        [{"support.sla.resolution_hours.LOW": 8760}, {"support.business_hours": ONE_HOUR_A_DAY}],
    ],
)
def test_business_hours_and_a_target_that_together_leave_tickets_without_deadlines_are_refused(
    sla_settings, settings_keeper, english, django_capture_on_commit_callbacks, saves
):
    from django.core.exceptions import ValidationError

    from operations.models import SystemSetting
    from operations.services import system_settings_update

    # given the saves before the last one, each fine alone
    *before, last = saves
    for changes in before:
        with django_capture_on_commit_callbacks(execute=True):
            system_settings_update(changes=changes, by=settings_keeper)
    stored = dict(SystemSetting.objects.values_list("key", "value"))

    # when the save that would make the pair is made
    with pytest.raises(ValidationError) as refused:
        system_settings_update(changes=last, by=settings_keeper)

    # then it is refused, naming the target and the business hours and saying why and what to do
    errors = refused.value.message_dict
    assert set(errors) == {"support.business_hours", "support.sla.resolution_hours.LOW"}
    assert errors["support.sla.resolution_hours.LOW"] == [
        "Too long for the business hours: 8,760 business hours end more than 4,000 days after a ticket opens, "
        "so no LOW ticket could get a deadline. Lower this target or open the desk longer."
    ]
    assert errors["support.business_hours"] == [
        "Too few business hours for these targets: no deadline could be computed within 4,000 days for "
        "Resolution within (business hours), LOW: 8,760. Open the desk longer or lower those targets."
    ]
    # and nothing of it is stored: every priority's ticket still gets its deadlines
    assert dict(SystemSetting.objects.values_list("key", "value")) == stored
    for priority in TicketPriority.values:
        deadlines_for(opened_at=timezone.now(), priority=priority)


def test_every_target_the_business_hours_cannot_reach_is_named(sla_settings, settings_keeper, english):
    from django.core.exceptions import ValidationError

    from operations.services import system_settings_update

    with pytest.raises(ValidationError) as refused:
        system_settings_update(
            changes={
                "support.business_hours": ONE_HOUR_A_DAY,
                "support.sla.resolution_hours.LOW": 8760,
                "support.sla.first_response_hours.HIGH": 8000,
                "support.sla.resolution_hours.HIGH": 100,  # reachable in 20 weeks
            },
            by=settings_keeper,
        )

    errors = refused.value.message_dict
    assert set(errors) == {
        "support.business_hours",
        "support.sla.resolution_hours.LOW",
        "support.sla.first_response_hours.HIGH",
    }
    assert "no HIGH ticket could get a deadline" in errors["support.sla.first_response_hours.HIGH"][0]


def test_a_long_target_within_reach_of_the_business_hours_is_stored(
    sla_settings, settings_keeper, django_capture_on_commit_callbacks
):
    from operations.services import system_settings_update

    # given nine to five on weekdays (40 hours a week): 8,760 business hours take about four years
    with django_capture_on_commit_callbacks(execute=True):
        changed = system_settings_update(changes={"support.sla.resolution_hours.LOW": 8760}, by=settings_keeper)

    assert changed == {"support.sla.resolution_hours.LOW": 8760}
    first_response, resolution = deadlines_for(opened_at=paris(2026, 3, 2, 9, 0), priority="LOW")
    assert paris(2030, 1, 1) < resolution < paris(2031, 1, 1)


def test_holidays_count_against_a_long_target(sla_settings, settings_keeper, english):
    from django.core.exceptions import ValidationError

    from operations.services import system_settings_update

    # given a desk open one day a week, whose next four hundred of those days are holidays
    start = timezone.localdate(timezone.now(), PARIS)
    mondays = [start + timedelta(days=(7 - start.weekday()) % 7 + 7 * week) for week in range(400)]
    SupportHoliday.objects.bulk_create(SupportHoliday(day=day, name="Closed") for day in mondays)
    business_calendar_forget()
    # when a target that 250 Mondays (under five years) would meet without the holidays is saved
    with pytest.raises(ValidationError) as refused:
        system_settings_update(
            changes={"support.business_hours": "mon 09:00-17:00", "support.sla.resolution_hours.LOW": 2000},
            by=settings_keeper,
        )
    # then it is refused
    assert "support.sla.resolution_hours.LOW" in refused.value.message_dict
