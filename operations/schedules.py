"""When a periodic job runs, written as text staff can read and change: an interval or a crontab.

- An interval: a number and a unit, ``"5s"``, ``"15m"``, ``"2h"``, ``"1d"`` (from 1 second to 31 days).
- A crontab: five fields, minute hour day-of-month month day-of-week, ``"17 3 * * *"`` (03:17 daily),
  ``"7 4 * * sun"``. Times are in ``CELERY_TIMEZONE``.
"""

import re
from datetime import timedelta

from celery.schedules import ParseException, crontab, schedule
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_INTERVAL = re.compile(r"^\s*(\d{1,7})\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=31)


def schedule_parse(text: str) -> schedule:
    """The Celery schedule ``text`` describes; ``ValidationError`` with a readable reason otherwise."""
    if not isinstance(text, str) or not text.strip() or "\x00" in text or len(text) > 100:
        raise ValidationError(_("Write an interval such as 15m or a crontab such as 17 3 * * *."))
    interval = _INTERVAL.match(text)
    if interval:
        seconds = int(interval.group(1)) * _UNIT_SECONDS[interval.group(2)]
        if not MIN_INTERVAL.total_seconds() <= seconds <= MAX_INTERVAL.total_seconds():
            raise ValidationError(_("An interval must be between 1 second and 31 days."))
        return schedule(run_every=timedelta(seconds=seconds))
    fields = text.split()
    if len(fields) != 5:
        raise ValidationError(
            _("Write an interval such as 15m, or a crontab of five fields: minute hour day month weekday.")
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
        )
    # Celery's parser raises its own ParseException (not a ValueError) for some malformed fields ("-").
    except (ParseException, ValueError, TypeError, KeyError, IndexError) as error:
        raise ValidationError(_("This crontab cannot be read: %(reason)s") % {"reason": error}) from error


def schedule_normalized(text: str) -> str:
    """``text`` as stored: validated, fields separated by single spaces, no surrounding blanks."""
    schedule_parse(text)
    return " ".join(text.split()) if not _INTERVAL.match(text) else re.sub(r"\s+", "", text)
