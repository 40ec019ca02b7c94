"""How the operations records read to people: a schedule in words, a run's duration, its error's first
line and a one-line summary of what it did.

Every function takes any value and returns text: a schedule or a result these functions do not know how
to put in words still reads as what it is, never as an error on the page.
"""

import json
import re
from typing import Any

from django.utils.dates import WEEKDAYS
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_INTERVAL = re.compile(r"^\s*(\d{1,7})\s*([smhd])\s*$")
_NUMBER = re.compile(r"^\d{1,2}$")
_STEP = re.compile(r"^\*/(\d{1,2})$")
# Crontab weekday names (Celery's, as the schedules page accepts them), Sunday first as cron counts.
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

SUMMARY_LENGTH = 140


def schedule_describe(text: Any) -> str:
    """``"15m"`` -> "every 15 minutes", ``"17 3 * * *"`` -> "daily at 03:17", ``"7 4 * * sun"`` -> "every
    Sunday at 04:07"; a crontab of another shape -> "on a custom crontab" (the page shows its text too)."""
    if not isinstance(text, str):
        return ""
    interval = _INTERVAL.match(text)
    if interval:
        return _interval_words(int(interval.group(1)), interval.group(2))
    fields = text.split()
    if len(fields) != 5:
        return ""
    return _crontab_words(*fields) or _("on a custom crontab")


def _interval_words(count: int, unit: str) -> str:
    if unit == "s":
        return ngettext("every second", "every %(count)s seconds", count) % {"count": count}
    if unit == "m":
        return ngettext("every minute", "every %(count)s minutes", count) % {"count": count}
    if unit == "h":
        return ngettext("every hour", "every %(count)s hours", count) % {"count": count}
    return ngettext("every day", "every %(count)s days", count) % {"count": count}


def _crontab_words(minute: str, hour: str, day_of_month: str, month: str, day_of_week: str) -> str:
    """The usual shapes of a crontab in words; "" for any other."""
    if month != "*":
        return ""
    every_day = day_of_month == "*" and day_of_week == "*"
    if every_day and hour == "*":
        step = _STEP.match(minute)
        if minute == "*" or (step and 0 < int(step.group(1)) < 60):
            return _interval_words(int(step.group(1)) if step else 1, "m")
        if _NUMBER.match(minute) and int(minute) < 60:
            return _hourly_words(1, minute)
        return ""
    if not (_NUMBER.match(minute) and int(minute) < 60):
        return ""
    step = _STEP.match(hour)
    if every_day and step and 0 < int(step.group(1)) < 24:
        return _hourly_words(int(step.group(1)), minute)
    hours = [int(part) for part in hour.split(",") if _NUMBER.match(part)]
    if not hours or len(hours) != len(hour.split(",")) or max(hours) > 23:
        return ""
    times = ", ".join(f"{hour_value:02d}:{int(minute):02d}" for hour_value in hours)
    if every_day:
        return _("daily at %(times)s") % {"times": times}
    if day_of_week == "*" and _NUMBER.match(day_of_month) and 1 <= int(day_of_month) <= 31:
        return _("monthly on day %(day)s at %(times)s") % {"day": int(day_of_month), "times": times}
    days = _weekdays_words(day_of_week) if day_of_month == "*" else ""
    if days:
        return _("%(days)s at %(times)s") % {"days": days, "times": times}
    return ""


def _hourly_words(count: int, minute: str) -> str:
    return ngettext("every hour at minute %(minute)s", "every %(count)s hours at minute %(minute)s", count) % {
        "count": count,
        "minute": f"{int(minute):02d}",
    }


def _weekdays_words(field: str) -> str:
    """``"sun"`` -> "every Sunday", ``"1-5"`` / ``"mon-fri"`` -> "Monday to Friday", ``"mon,thu"`` -> "every
    Monday, Thursday"; "" for what is not a plain day, range or list of days."""
    if "-" in field and "," not in field:
        first, _dash, last = field.partition("-")
        start, end = _cron_day(first), _cron_day(last)
        if start is None or end is None:
            return ""
        return _("%(first)s to %(last)s") % {"first": _day_name(start), "last": _day_name(end)}
    days = [_cron_day(part) for part in field.split(",")]
    if not days or any(day is None for day in days):
        return ""
    names = ", ".join(_day_name(day) for day in days if day is not None)
    return _("every %(days)s") % {"days": names}


def _cron_day(token: str) -> int | None:
    """Cron's day number (0 and 7 are Sunday) of ``token``, a number or a three-letter name."""
    token = token.strip().lower()
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    if token.isascii() and token.isdigit() and int(token) <= 7:
        return int(token) % 7
    return None


def _day_name(cron_day: int) -> str:
    # Django's weekday names count from Monday.
    return str(WEEKDAYS[(cron_day + 6) % 7])


def run_duration(milliseconds: int | None) -> str:
    """``120`` -> "120 ms", ``4200`` -> "4.2 s", ``185000`` -> "3 min 5 s", ``7_500_000`` -> "2 h 5 min"."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return _("%(ms)s ms") % {"ms": milliseconds}
    seconds = milliseconds / 1000
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": f"{seconds:.1f}".removesuffix(".0")}
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}


def error_first_line(error: str) -> str:
    """The first line of a run's error that says something (its exception and message)."""
    for line in (error or "").splitlines():
        if line.strip():
            return line.strip()[:SUMMARY_LENGTH]
    return ""


def result_summary(result: Any) -> str:
    """What a run did, in one line: ``{"sent": 40, "failed": 1}`` -> "sent 40 · failed 1",
    ``{"deleted": {"INFO": 12}}`` -> "deleted: INFO 12"."""
    if result is None or result == {} or result == []:
        return ""
    if isinstance(result, dict):
        text = " · ".join(_summary_part(str(key), value) for key, value in result.items())
    else:
        text = _inline(result)
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _summary_part(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"{key}: " + (", ".join(f"{inner} {_inline(item)}" for inner, item in value.items()) or "—")
    if isinstance(value, str):
        return f"{key}: {value}"
    return f"{key} {_inline(value)}"


def _inline(value: Any) -> str:
    if isinstance(value, bool | int | float | str) or value is None:
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def result_pretty(result: Any) -> str:
    """A run's result as indented JSON, for reading in full."""
    if result is None:
        return ""
    return json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def setting_value_text(setting: Any, value: Any) -> str:
    """A setting's value as the settings page and its messages show it: "on", "every 15 minutes (15m)",
    "30", "mon-fri 09:00-17:00"."""
    if setting.kind == "bool":
        return _("on") if value else _("off")
    if value is None or value == "":
        return "—"
    if setting.kind == "schedule":
        words = schedule_describe(value)
        return f"{words} ({value})" if words else str(value)
    if setting.kind in ("int", "hours") and isinstance(value, int | float) and not isinstance(value, bool):
        return number_format(int(value), force_grouping=True) if float(value).is_integer() else number_format(value)
    return str(value)
