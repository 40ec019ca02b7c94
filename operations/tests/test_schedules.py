"""Schedules as staff write them: intervals and crontabs read, normalised, and bad text refused plainly."""

from datetime import timedelta

import pytest
from celery.schedules import crontab, schedule
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from operations.schedules import schedule_normalized, schedule_parse


@pytest.mark.parametrize(
    ("text", "every"),
    [("5s", 5), ("1s", 1), ("15m", 15 * 60), ("2h", 2 * 3600), ("1d", 86400), (" 30 m ", 1800), ("31d", 31 * 86400)],
)
def test_intervals_are_read_in_seconds_minutes_hours_and_days(text, every):
    parsed = schedule_parse(text)
    assert isinstance(parsed, schedule)
    assert parsed.run_every == timedelta(seconds=every)


def test_a_crontab_is_read_field_by_field():
    parsed = schedule_parse("17 3 * * *")
    assert isinstance(parsed, crontab)
    assert parsed.minute == {17}
    assert parsed.hour == {3}
    assert schedule_parse("7 4 * * sun").day_of_week == {0}


@pytest.mark.parametrize(
    ("text", "stored"),
    [(" 15m ", "15m"), ("15 m", "15m"), ("17  3 *   * *", "17 3 * * *"), ("\t7 4 * * sun\n", "7 4 * * sun")],
)
def test_schedules_are_stored_without_stray_blanks(text, stored):
    assert schedule_normalized(text) == stored


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Write an interval"),
        ("   ", "Write an interval"),
        ("5s\x00", "Write an interval"),
        ("\x00", "Write an interval"),
        ("0s", "between 1 second and 31 days"),
        ("32d", "between 1 second and 31 days"),
        ("9999999d", "between 1 second and 31 days"),
        ("99999999s", "crontab of five fields"),  # more digits than any interval: not an interval at all
        ("5 weeks", "crontab of five fields"),
        ("-5s", "crontab of five fields"),
        ("1.5h", "crontab of five fields"),
        ("* * * *", "crontab of five fields"),
        ("61 * * * *", "cannot be read"),
        ("* 25 * * *", "cannot be read"),
        ("* * 32 * *", "cannot be read"),
        ("* * * 13 *", "cannot be read"),
        ("* * * * funday", "cannot be read"),
        ("*/0 * * * *", "cannot be read"),
        ("x" * 101, "Write an interval"),
    ],
)
def test_bad_schedules_are_refused_with_a_reason(text, reason):
    with pytest.raises(ValidationError) as refused:
        schedule_parse(text)
    assert reason in refused.value.messages[0]


@pytest.mark.parametrize("value", [None, 5, 5.0, ["5s"], b"5s"])
def test_a_schedule_that_is_not_text_is_refused(value):
    with pytest.raises(ValidationError):
        schedule_parse(value)


@given(st.text(max_size=120))
def test_any_text_is_either_a_schedule_or_refused_with_a_validation_error(text):
    try:
        parsed = schedule_parse(text)
    except ValidationError:
        return
    assert isinstance(parsed, schedule | crontab)
    # and what is stored reads back as the same schedule
    assert schedule_parse(schedule_normalized(text)) == parsed


@given(
    st.lists(
        st.one_of(st.sampled_from(["*", "*/5", "1-3", "mon", "sun-sat", "0", "59", "1,2", "-", "/", ","]), st.text()),
        min_size=5,
        max_size=5,
    )
)
def test_any_five_fields_are_either_a_crontab_or_refused_with_a_validation_error(fields):
    text = " ".join(field.replace(" ", "") or "*" for field in fields)
    try:
        schedule_parse(text)
    except ValidationError:
        pass
