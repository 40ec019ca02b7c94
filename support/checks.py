"""System checks for the service-level settings (support.sla).

A typo in the business hours or a missing target would otherwise only surface when the first ticket
is opened, as a server error; ``manage.py check`` (and every start-up) reports it instead.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext

from support.models import TicketPriority
from support.sla import parse_business_hours

TARGET_SETTINGS = ("SUPPORT_SLA_FIRST_RESPONSE_HOURS", "SUPPORT_SLA_RESOLUTION_HOURS")


def sla_settings_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Errors for service-level settings that `support.sla` cannot work with: business hours that do not
    parse (support.E001), an unknown time zone (E002), a priority without a target (E003), a target that
    is not a positive number of hours (E004), an at-risk window that is not a whole number of minutes
    from 0 up (E005). Reads settings only, never the database."""
    return [
        *_business_hours_errors(),
        *_time_zone_errors(),
        *(error for name in TARGET_SETTINGS for error in _target_errors(name)),
        *_at_risk_errors(),
    ]


def _business_hours_errors() -> list[checks.CheckMessage]:
    try:
        parse_business_hours(str(settings.SUPPORT_BUSINESS_HOURS))
    except ValueError as error:
        return [
            checks.Error(
                gettext("SUPPORT_BUSINESS_HOURS is not valid: %(error)s") % {"error": error},
                hint=gettext(
                    "Write it as days and hours, such as “mon-fri 09:00-12:30, 13:30-17:30; sat 10:00-13:00”."
                ),
                id="support.E001",
            )
        ]
    return []


def _time_zone_errors() -> list[checks.CheckMessage]:
    name = settings.SUPPORT_TIME_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return [
            checks.Error(
                gettext("SUPPORT_TIME_ZONE “%(name)s” is not a known time zone.") % {"name": name},
                hint=gettext("Use an IANA name such as “Europe/Paris” or “UTC”."),
                id="support.E002",
            )
        ]
    return []


def _target_errors(setting_name: str) -> list[checks.CheckMessage]:
    targets = getattr(settings, setting_name)
    if not isinstance(targets, dict):
        targets = {}
    errors: list[checks.CheckMessage] = []
    missing = [priority for priority in TicketPriority.values if priority not in targets]
    if missing:
        errors.append(
            checks.Error(
                gettext("%(setting)s has no target for the priorities %(priorities)s.")
                % {"setting": setting_name, "priorities": ", ".join(missing)},
                hint=gettext("Give business hours for every priority: %(priorities)s.")
                % {"priorities": ", ".join(TicketPriority.values)},
                id="support.E003",
            )
        )
    for priority in TicketPriority.values:
        if priority in targets and not _is_positive_number(targets[priority]):
            errors.append(
                checks.Error(
                    gettext(
                        "%(setting)s gives priority %(priority)s the target %(value)r, not a positive number of hours."
                    )
                    % {"setting": setting_name, "priority": priority, "value": targets[priority]},
                    id="support.E004",
                )
            )
    return errors


def _at_risk_errors() -> list[checks.CheckMessage]:
    minutes = settings.SUPPORT_SLA_AT_RISK_MINUTES
    if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes >= 0:
        return []
    return [
        checks.Error(
            gettext("SUPPORT_SLA_AT_RISK_MINUTES is %(value)r, not a whole number of minutes from 0 up.")
            % {"value": minutes},
            id="support.E005",
        )
    ]


def _is_positive_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)  # type: ignore[arg-type]  # anything float() refuses is reported, not raised
    except (TypeError, ValueError):
        return False
    return number > 0 and number != float("inf")
