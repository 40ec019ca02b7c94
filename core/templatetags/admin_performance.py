"""Template tags for `core.admin_performance`: a date hierarchy that never scans the table."""

import calendar
import datetime

from django import template
from django.contrib.admin.views.main import ChangeList
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def indexed_date_hierarchy(cl: ChangeList) -> dict:
    """Django's date drill-down (years > months > days) without ``SELECT DISTINCT`` over the rows.

    Django offers only the years, months or days that have rows, which costs a DISTINCT over every
    matching row. Here the years come from ``MIN``/``MAX`` of the field over the unfiltered list (two
    index probes), a chosen year offers its 12 months and a chosen month all its days, some of which
    may be empty for the current filters. The links
    carry Django's own ``<field>__year``/``__month``/``__day`` parameters, so the ChangeList filters as
    usual (with a date range, which the field's index serves).
    """
    field = cl.date_hierarchy
    year, month, day = (cl.params.get(f"{field}__{part}") for part in ("year", "month", "day"))
    if not year:
        first, last = _date_range(cl)
        if first is None or last is None:  # both or neither: no rows
            return {"show": False}
        if first.year != last.year:
            return _years(cl, range(first.year, last.year + 1))
        # Everything is in one year (or month): open it directly, as Django does.
        year = first.year
        month = first.month if first.month == last.month else None
    if month and day:
        return _one_day(cl, datetime.date(int(year), int(month), int(day)))
    if month:
        return _days_of_month(cl, int(year), int(month))
    return _months_of_year(cl, int(year))


def _date_range(cl: ChangeList) -> tuple[datetime.date | None, datetime.date | None]:
    # Over the whole list, not the filtered one: with a filter, PostgreSQL still answers MIN/MAX by
    # walking the date index and testing each row, and a filter that matches few rows (a search, a
    # rare status) makes that walk cover the whole table, twice: seconds at a million rows.
    bounds = cl.root_queryset.aggregate(first=Min(cl.date_hierarchy), last=Max(cl.date_hierarchy))
    first, last = bounds["first"], bounds["last"]
    if isinstance(first, datetime.datetime) and timezone.is_aware(first):
        # The drill-down links are read in the current time zone (ChangeList makes them aware).
        first, last = timezone.localtime(first), timezone.localtime(last)
    return first, last


def _link(cl: ChangeList, **parts: int) -> str:
    """The changelist URL with these date parts, replacing any other ``<field>__*`` parameter."""
    field = cl.date_hierarchy
    return cl.get_query_string({f"{field}__{name}": value for name, value in parts.items()}, [f"{field}__"])


def _years(cl: ChangeList, years: range) -> dict:
    return {
        "show": True,
        "back": None,
        "choices": [{"link": _link(cl, year=year), "title": str(year)} for year in years],
    }


def _months_of_year(cl: ChangeList, year: int) -> dict:
    return {
        "show": True,
        "back": {"link": _link(cl), "title": gettext("All dates")},
        "choices": [
            {
                "link": _link(cl, year=year, month=month),
                "title": capfirst(date_format(datetime.date(year, month, 1), "YEAR_MONTH_FORMAT")),
            }
            for month in range(1, 13)
        ],
    }


def _days_of_month(cl: ChangeList, year: int, month: int) -> dict:
    _, days_in_month = calendar.monthrange(year, month)
    return {
        "show": True,
        "back": {"link": _link(cl, year=year), "title": str(year)},
        "choices": [
            {
                "link": _link(cl, year=year, month=month, day=day),
                "title": capfirst(date_format(datetime.date(year, month, day), "MONTH_DAY_FORMAT")),
            }
            for day in range(1, days_in_month + 1)
        ],
    }


def _one_day(cl: ChangeList, day: datetime.date) -> dict:
    return {
        "show": True,
        "back": {
            "link": _link(cl, year=day.year, month=day.month),
            "title": capfirst(date_format(day, "YEAR_MONTH_FORMAT")),
        },
        "choices": [{"title": capfirst(date_format(day, "MONTH_DAY_FORMAT"))}],
    }
