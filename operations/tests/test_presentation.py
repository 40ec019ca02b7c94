"""How the operations pages put schedules, durations and results in words."""

import pytest

from operations.presentation import (
    error_first_line,
    result_pretty,
    result_summary,
    run_duration,
    schedule_describe,
    setting_value_text,
)
from operations.system_settings import SETTINGS


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5s", "every 5 seconds"),
        ("1s", "every second"),
        ("15m", "every 15 minutes"),
        ("1m", "every minute"),
        ("2h", "every 2 hours"),
        ("1d", "every day"),
        ("17 3 * * *", "daily at 03:17"),
        ("0 9,17 * * *", "daily at 09:00, 17:00"),
        ("23 * * * *", "every hour at minute 23"),
        ("5 */6 * * *", "every 6 hours at minute 05"),
        ("*/10 * * * *", "every 10 minutes"),
        ("* * * * *", "every minute"),
        ("7 4 * * sun", "every Sunday at 04:07"),
        ("7 4 * * 0", "every Sunday at 04:07"),
        ("0 9 * * mon-fri", "Monday to Friday at 09:00"),
        ("0 9 * * 1,4", "every Monday, Thursday at 09:00"),
        ("0 2 1 * *", "monthly on day 1 at 02:00"),
        ("0 2 1 1 *", "on a custom crontab"),
        ("0-30/5 2 * * *", "on a custom crontab"),
    ],
)
def test_a_schedule_reads_as_words(text, words):
    assert schedule_describe(text) == words


@pytest.mark.parametrize("text", ["", "nonsense", None, 42, "1 2 3", "99 99 * * *", "0 25 * * *", "a\x00b"])
def test_a_schedule_that_is_not_one_reads_as_nothing_or_custom_never_an_error(text):
    assert schedule_describe(text) in ("", "on a custom crontab")


@pytest.mark.parametrize(
    ("milliseconds", "text"),
    [
        (None, ""),
        (0, "0 ms"),
        (120, "120 ms"),
        (4200, "4.2 s"),
        (5000, "5 s"),
        (185_000, "3 min 5 s"),
        (7_500_000, "2 h 5 min"),
    ],
)
def test_a_runs_duration_reads_in_its_unit(milliseconds, text):
    assert run_duration(milliseconds) == text


def test_an_errors_first_line_is_its_exception():
    error = "\n  RuntimeError: the SMTP server said no\n\nTraceback (most recent call last):\n  File ..."
    assert error_first_line(error) == "RuntimeError: the SMTP server said no"
    assert error_first_line("") == ""


@pytest.mark.parametrize(
    ("result", "summary"),
    [
        (None, ""),
        ({}, ""),
        ({"sent": 40, "failed": 1}, "sent 40 · failed 1"),
        ({"deleted": {"INFO": 12, "WARNING": 3}}, "deleted: INFO 12, WARNING 3"),
        ({"skipped": "switched off"}, "skipped: switched off"),
        (7, "7"),
        ([1, 2], "[1, 2]"),
        ("done", "done"),
    ],
)
def test_what_a_run_did_reads_in_one_line(result, summary):
    assert result_summary(result) == summary


def test_a_long_result_is_cut_and_the_whole_is_kept_for_reading():
    result = {f"key{index}": index for index in range(100)}
    assert len(result_summary(result)) == 140 and result_summary(result).endswith("…")
    assert '"key99": 99' in result_pretty(result)


def test_setting_values_read_as_people_write_them():
    assert setting_value_text(SETTINGS["jobs.job-runs-cleanup.enabled"], False) == "off"
    assert setting_value_text(SETTINGS["jobs.job-runs-cleanup.schedule"], "15m") == "every 15 minutes (15m)"
    assert setting_value_text(SETTINGS["logs.retention_days.INFO"], 3650) == "3,650"
    assert setting_value_text(SETTINGS["support.sla.first_response_hours.URGENT"], 0.5) == "0.5"
    assert setting_value_text(SETTINGS["support.business_hours"], "") == "—"
