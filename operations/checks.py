"""System checks for the periodic jobs' default schedules (``PERIODIC_JOBS``).

A typo in the environment's ``PERIODIC_JOBS`` would otherwise surface only in beat's log, as a job that
never runs; ``manage.py check`` (and every start-up) reports it instead.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from operations.jobs import JOBS_BY_NAME
from operations.schedules import schedule_parse


def periodic_jobs_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Errors for a job without a default schedule (operations.E001) or with one that does not read (E002),
    and for a schedule given to a job that does not exist (E003). Reads settings only, never the database."""
    schedules = settings.PERIODIC_JOBS if isinstance(settings.PERIODIC_JOBS, dict) else {}
    errors: list[checks.CheckMessage] = []
    for name in JOBS_BY_NAME:
        if name not in schedules:
            errors.append(
                checks.Error(
                    gettext("PERIODIC_JOBS has no schedule for the job %(job)s.") % {"job": name}, id="operations.E001"
                )
            )
            continue
        try:
            schedule_parse(schedules[name])
        except ValidationError as error:
            errors.append(
                checks.Error(
                    gettext("PERIODIC_JOBS gives the job %(job)s a schedule that cannot be used: %(error)s")
                    % {"job": name, "error": " ".join(error.messages)},
                    id="operations.E002",
                )
            )
    for name in sorted(set(schedules) - set(JOBS_BY_NAME)):
        errors.append(
            checks.Error(
                gettext("PERIODIC_JOBS names %(job)s, which is not a job.") % {"job": str(name)[:64]},
                hint=gettext("The jobs are listed in operations/jobs.py."),
                id="operations.E003",
            )
        )
    return errors
