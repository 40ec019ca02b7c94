"""The runtime choices staff make, each with its default from the environment (decision 0023).

Every setting is declared here once: its key, where it shows on the settings page, its kind and bounds,
and its default, read from Django settings when asked (so a test's ``settings`` override or a changed
environment shows through until staff save a value of their own). Code reads a value with
``system_setting(key)``; staff change values on the settings page, through
``operations.services.system_settings_update``.

Some settings are valid one at a time but not in every combination (business hours and service-level
targets); a ``SettingsCheck`` declared in ``CHECKS`` judges such a group with the values a change would
leave in force.

Values live in ``SystemSetting`` rows, one per key that differs from its default's source, and are read
through the shared cache (one entry holding every stored value, under a generation that every change
replaces when it commits): a job reads the value in force when it runs, in any process, without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from core.generation_cache import generation_cached, generations_renew
from operations.jobs import JOBS
from operations.schedules import schedule_normalized

CACHE_KEY = "operations:system-settings"
CACHE_SECONDS = 60 * 60
# The token the cached values must carry to be used; replaced by every change (see `stored_values`).
GENERATION_KEY = "operations:system-settings:generation"

NOTIFICATION_CHANNELS = ("EMAIL", "SMS", "WHATSAPP", "PUSH")
LOG_LEVELS = ("INFO", "WARNING", "ERROR", "CRITICAL")
TICKET_PRIORITIES = ("URGENT", "HIGH", "MEDIUM", "LOW")


@dataclass(frozen=True)
class Setting:
    """One runtime choice. ``kind`` is ``"bool"``, ``"int"``, ``"hours"`` (a decimal number of hours),
    ``"schedule"`` (``operations.schedules``) or ``"text"``; ``validator`` (a callable or its dotted path,
    resolved when used: the owning app sits above this module) raises ``ValidationError`` or ``ValueError``
    for a value it refuses."""

    key: str
    section: Any  # lazy translations
    label: Any
    kind: str
    default: Callable[[], Any]
    help_text: Any = ""
    min_value: float | None = None
    max_value: float | None = None
    validator: str | Callable[[Any], Any] | None = None

    def clean(self, raw: Any) -> Any:
        """The value ``raw`` (from a form or a caller) stands for, as stored; ``ValidationError`` otherwise."""
        value = _coerced(self.kind, raw)
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(_("The lowest allowed value is %(min)s.") % {"min": _number(self.min_value)})
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(_("The highest allowed value is %(max)s.") % {"max": _number(self.max_value)})
        if self.validator is not None:
            validate = import_string(self.validator) if isinstance(self.validator, str) else self.validator
            try:
                validate(value)
            except ValueError as error:
                raise ValidationError(str(error)) from error
        return value


@dataclass(frozen=True)
class SettingsCheck:
    """A rule over settings each valid alone but not in every combination. ``validator`` (a callable or
    its dotted path, resolved when used: the owning app sits above this module) takes every setting's
    value as a change would leave it (key -> value: the changes over the values in force) and raises
    ``ValidationError`` naming the keys it refuses; it is run for a change to any of ``keys``."""

    keys: frozenset[str]
    validator: str | Callable[[Mapping[str, Any]], Any]

    def check(self, values: Mapping[str, Any]) -> None:
        """Raises the validator's ``ValidationError``, or one made of its ``ValueError``."""
        validate = import_string(self.validator) if isinstance(self.validator, str) else self.validator
        try:
            validate(MappingProxyType(dict(values)))
        except ValueError as error:
            raise ValidationError(str(error)) from error


def _lazy_format(message: str, **params: str) -> Any:
    """``message`` (marked with ``gettext_noop``) translated when shown, then filled in with ``params``."""
    return lazy(lambda: gettext(message) % params, str)()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _coerced(kind: str, raw: Any) -> Any:
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise ValidationError(_("Choose on or off."))
    if isinstance(raw, str) and "\x00" in raw:
        raise ValidationError(_("This value contains a character that is not allowed."))
    if kind == "int":
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        except (TypeError, ValueError) as error:
            raise ValidationError(_("Enter a whole number.")) from error
    if kind == "hours":
        try:
            value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError) as error:
            raise ValidationError(_("Enter a number of hours, such as 4 or 0.5.")) from error
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(_("Enter a number of hours, such as 4 or 0.5."))
        return value
    if kind == "schedule":
        return schedule_normalized(str(raw))
    if kind == "text":
        text = str(raw).strip()
        if len(text) > 500:
            raise ValidationError(_("Keep this under 500 characters."))
        return text
    raise ValueError(f"unknown setting kind {kind!r}")


def _setting_from(name: str, *path: str) -> Callable[[], Any]:
    """A default read from ``settings.<name>`` (then down ``path`` in nested dicts) when asked."""

    def default() -> Any:
        value = getattr(settings, name)
        for part in path:
            value = value[part]
        return value

    return default


def _job_settings() -> list[Setting]:
    section = gettext_lazy("Periodic jobs")
    rows = []
    for job in JOBS:
        rows.append(
            Setting(
                f"jobs.{job.name}.enabled",
                section,
                job.name,
                "bool",
                lambda: True,
                help_text=job.description,
            )
        )
        rows.append(
            Setting(
                f"jobs.{job.name}.schedule",
                section,
                job.name,
                "schedule",
                _setting_from("PERIODIC_JOBS", job.name),
                help_text=gettext_lazy("An interval such as 15m, or a crontab such as 17 3 * * *."),
            )
        )
    return rows


def _declared() -> list[Setting]:
    jobs = gettext_lazy("Periodic jobs")
    logs = gettext_lazy("System log retention")
    support = gettext_lazy("Support service levels")
    backups = gettext_lazy("Backups")
    notifications = gettext_lazy("Notifications")
    return [
        *_job_settings(),
        Setting(
            "jobs.run_retention_days",
            jobs,
            gettext_lazy("Keep job run records for (days)"),
            "int",
            _setting_from("JOB_RUN_RETENTION_DAYS"),
            min_value=1,
            max_value=3650,
        ),
        *(
            Setting(
                f"logs.retention_days.{level}",
                logs,
                _lazy_format(gettext_noop("Keep %(level)s entries for (days)"), level=level),
                "int",
                _setting_from("SYSTEM_LOG_RETENTION_DAYS", level),
                min_value=1,
                max_value=3650,
            )
            for level in LOG_LEVELS
        ),
        Setting(
            "support.business_hours",
            support,
            gettext_lazy("Business hours"),
            "text",
            _setting_from("SUPPORT_BUSINESS_HOURS"),
            help_text=gettext_lazy("Days and hours the desk works, such as mon-fri 09:00-17:00."),
            validator="support.sla.business_hours_validate",
        ),
        Setting(
            "support.time_zone",
            support,
            gettext_lazy("Time zone of the business hours"),
            "text",
            _setting_from("SUPPORT_TIME_ZONE"),
            help_text=gettext_lazy("An IANA time zone, such as Europe/Paris."),
            validator="support.sla.time_zone_validate",
        ),
        *(
            Setting(
                f"support.sla.first_response_hours.{priority}",
                support,
                _lazy_format(gettext_noop("First response within (business hours), %(priority)s"), priority=priority),
                "hours",
                _setting_from("SUPPORT_SLA_FIRST_RESPONSE_HOURS", priority),
                min_value=0.1,
                max_value=24 * 365,
            )
            for priority in TICKET_PRIORITIES
        ),
        *(
            Setting(
                f"support.sla.resolution_hours.{priority}",
                support,
                _lazy_format(gettext_noop("Resolution within (business hours), %(priority)s"), priority=priority),
                "hours",
                _setting_from("SUPPORT_SLA_RESOLUTION_HOURS", priority),
                min_value=0.1,
                max_value=24 * 365,
            )
            for priority in TICKET_PRIORITIES
        ),
        Setting(
            "support.sla.at_risk_minutes",
            support,
            gettext_lazy("Warn this many minutes before a deadline"),
            "int",
            _setting_from("SUPPORT_SLA_AT_RISK_MINUTES"),
            min_value=0,
            max_value=7 * 24 * 60,
        ),
        Setting(
            "support.auto_close_days",
            support,
            gettext_lazy("Close resolved tickets after (days)"),
            "int",
            _setting_from("SUPPORT_AUTO_CLOSE_DAYS"),
            min_value=1,
            max_value=365,
        ),
        Setting(
            "backups.retention_days",
            backups,
            gettext_lazy("Keep backups for (days)"),
            "int",
            _setting_from("BACKUP_RETENTION_DAYS"),
            min_value=1,
            max_value=3650,
        ),
        Setting(
            "backups.stuck_after_hours",
            backups,
            gettext_lazy("A backup still running after (hours) has failed"),
            "int",
            _setting_from("BACKUP_STUCK_AFTER_HOURS"),
            min_value=1,
            max_value=7 * 24,
        ),
        *(
            Setting(
                f"notifications.{channel}.enabled",
                notifications,
                _lazy_format(gettext_noop("Send %(channel)s notifications"), channel=channel),
                "bool",
                lambda: True,
                help_text=gettext_lazy("Off: notifications on this channel wait, and go out once it is on again."),
            )
            for channel in NOTIFICATION_CHANNELS
        ),
        Setting(
            "notifications.max_attempts",
            notifications,
            gettext_lazy("Attempts before a notification is marked failed"),
            "int",
            _setting_from("NOTIFICATION_MAX_ATTEMPTS"),
            min_value=1,
            max_value=20,
        ),
    ]


SETTINGS: Mapping[str, Setting] = MappingProxyType({setting.key: setting for setting in _declared()})

CHECKS: tuple[SettingsCheck, ...] = (
    # Long targets need enough business hours: `BusinessCalendar.add` gives up after ~11 years of calendar.
    SettingsCheck(
        frozenset(
            {
                "support.business_hours",
                "support.time_zone",
                *(
                    f"support.sla.{target}.{priority}"
                    for target in ("first_response_hours", "resolution_hours")
                    for priority in TICKET_PRIORITIES
                ),
            }
        ),
        "support.sla.service_levels_validate",
    ),
)


def stored_values() -> dict[str, Any]:
    """Every value staff stored (key -> value), from the shared cache or, on a miss, one query.

    The entry is used only under the generation it was read under (``core.generation_cache``): values read
    just before a change committed and stored just after are never used, where deleting the entry would let
    them stand for ``CACHE_SECONDS`` (a job switched off still sent).
    """
    return generation_cached(
        generation_key=GENERATION_KEY, value_key=CACHE_KEY, compute=_stored_rows, ttl=CACHE_SECONDS
    )


def _stored_rows() -> dict[str, Any]:
    from operations.models import SystemSetting

    return dict(SystemSetting.objects.values_list("key", "value"))


def stored_values_forget() -> None:
    """Replaces the cached values' generation: the next read in any process sees the table, and values
    read before the change are never used again, even if stored after this runs (call it after each change
    commits)."""
    generations_renew([GENERATION_KEY])


def system_setting(key: str) -> Any:
    """The value of ``key`` in force now: what staff stored, else its default. ``KeyError`` for an unknown key."""
    setting = SETTINGS[key]
    stored = stored_values()
    if key in stored:
        return stored[key]
    return setting.default()


def system_settings_in_force() -> dict[str, Any]:
    """Every key's value in force now (one cache read)."""
    stored = stored_values()
    return {key: stored[key] if key in stored else setting.default() for key, setting in SETTINGS.items()}
